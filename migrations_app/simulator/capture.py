"""Recording what an HMC answers to discovery's reads, for a capture folder (see replay.py):
a Transport that passes read-only commands on and keeps every answer, and a masker that
replaces serial numbers and WWPNs consistently (one real value, one masked value everywhere)."""

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from migrations_app.hmc.client import Transport
from migrations_app.hmc.commands import Command
from migrations_app.hmc.errors import HmcCommandError, HmcError
from migrations_app.simulator.replay import Recorded, capture_write

WWPN = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{16}(?![0-9A-Za-z])")
SERIAL_FIELD = re.compile(r"(?:^|,)serial_num=([0-9A-Za-z]+)", re.MULTILINE)
# A location code's unit: U<type>.<model>.<serial> (U78D3.001.WZS0ABC, U8233.E8B.06ABCDE).
UNIT_SERIAL = re.compile(r"\bU[0-9A-Z]{4}\.[0-9A-Z]{3}\.([0-9A-Z]+)")


@dataclass
class RecordingTransport:
    """Runs read-only HMC commands (`ls…`) through `inner` and keeps each answer, refusals
    included (their text as standard error). Anything else is refused before it is sent: a
    capture never changes the HMC."""

    inner: Transport
    recorded: dict[str, Recorded] = field(default_factory=dict)

    def run(self, command: Command, *, timeout: float | None = None) -> str:
        if not command.argv[0].startswith("ls"):
            raise HmcCommandError(f"A capture sends only listing commands, not {command.argv[0]}.")
        options = {} if timeout is None else {"timeout": timeout}
        try:
            stdout = self.inner.run(command, **options)
        except HmcError as error:
            self.recorded[command.text] = Recorded(error.exit_status, "", error.text + "\n")
            raise
        self.recorded[command.text] = Recorded(0, stdout, "")
        return stdout

    def close(self) -> None:
        self.inner.close()


class Masker:
    """Replaces every serial number and WWPN of a capture: the same real value always becomes
    the same masked one, so the capture stays consistent (a WWPN in a profile and in
    `lshwres` still match). WWPNs keep their first six hex digits (the vendor, `c05076` for
    IBM's virtual ones); serial numbers keep their length."""

    def __init__(self, texts: list[str]) -> None:
        whole = "\n".join(texts)
        serials = set(SERIAL_FIELD.findall(whole)) | set(UNIT_SERIAL.findall(whole))
        wwpns = {w.lower() for w in WWPN.findall(whole)}
        taken = {s.upper() for s in serials} | wwpns
        self.serials: dict[str, str] = {}
        counter = itertools.count(1)
        for serial in sorted(serials, key=lambda s: (-len(s), s)):
            masked = f"X{next(counter):0{max(len(serial) - 1, 1)}d}"
            while masked in taken:
                masked = f"X{next(counter):0{max(len(serial) - 1, 1)}d}"
            self.serials[serial] = masked
            taken.add(masked)
        self.wwpns: dict[str, str] = {}
        numbers = itertools.count(1)
        for wwpn in sorted(wwpns):
            masked = f"{wwpn[:6]}{next(numbers):010x}"
            while masked in taken:
                masked = f"{wwpn[:6]}{next(numbers):010x}"
            self.wwpns[wwpn] = masked
            taken.add(masked)
        names = "|".join(re.escape(s) for s in self.serials)
        self._serial = re.compile(rf"(?<![0-9A-Za-z])({names})(?![0-9A-Za-z])") if names else None

    def __call__(self, text: str) -> str:
        text = WWPN.sub(lambda m: self._wwpn(m.group(0)), text)
        if self._serial is not None:
            text = self._serial.sub(lambda m: self.serials[m.group(1)], text)
        return text

    def _wwpn(self, value: str) -> str:
        masked = self.wwpns.get(value.lower(), value)
        return masked.upper() if value.isupper() else masked


def capture_save(recorded: dict[str, Recorded], out: Path, *, mask: bool) -> list[Path]:
    """Write the recorded answers into the capture folder `out`, masked when asked."""
    masker = None
    if mask:
        texts = [text for c, r in recorded.items() for text in (c, r.stdout, r.stderr)]
        masker = Masker(texts)
    written = []
    for command, answer in recorded.items():
        if masker is not None:
            command = masker(command)
            answer = Recorded(answer.exit_status, masker(answer.stdout), masker(answer.stderr))
        written.append(capture_write(out, command, answer))
    return written
