"""Captures of a real HMC's answers, and an HMC that replays them: a capture folder holds one
`.txt` file per command line (the line, its exit status, its standard output and error), as
`hmc_capture` records them and `hmc_simulator --replay DIR` serves them over SSH.

File format (UTF-8, `\\n` line ends)::

    # command: lssyscfg -r sys -F name,state
    # exit: 0
    <standard output, verbatim>
    # stderr:
    <standard error, verbatim>

The `# stderr:` line and what follows are there only when the command wrote to standard error.
A line of the output that is exactly `# stderr:` (or that and backslashes before it) is written
with one more `\\` in front and read back without it. When standard error follows output that
does not end in a newline, a newline is added to the output (an HMC ends every line). Any other
file in the folder (a README.md describing the estate) is ignored.
"""

import asyncio
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

from migrations_app.hmc import codes
from migrations_app.simulator.hmc import Faults, masked_line

COMMAND_PREFIX = "# command: "
EXIT_PREFIX = "# exit: "
STDERR_MARK = "# stderr:"
ESCAPED = re.compile(r"\\*# stderr:")
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5000
SUFFIX = ".txt"


@dataclass(frozen=True)
class Recorded:
    """One command's answer as the HMC gave it."""

    exit_status: int
    stdout: str
    stderr: str = ""


def command_key(line: str) -> str:
    """A command line as captures are keyed: runs of whitespace as one space, trimmed."""
    return " ".join(line.split())


def _lines(text: str) -> list[str]:
    """The lines of `text` with their `\\n` kept (only `\\n` ends a line)."""
    return [line for line in re.split(r"(?<=\n)", text) if line]


def _escaped(text: str) -> str:
    lines = _lines(text)
    return "".join(
        "\\" + line if ESCAPED.fullmatch(line.rstrip("\r\n")) else line for line in lines
    )


def _unescaped(lines: list[str]) -> str:
    return "".join(line[1:] if ESCAPED.fullmatch(line.rstrip("\r\n")) else line for line in lines)


def capture_file_name(command: str) -> str:
    """A readable, stable file name: the command's first words and 8 hex digits of its SHA-1,
    e.g. `lssyscfg-r-sys-1f0c2a9b.txt`."""
    key = command_key(command)
    words = []
    for word in key.split()[:4]:
        slug = re.sub(r"[^a-z0-9]+", "-", word.lower()).strip("-")
        if slug:
            words.append(slug)
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{'-'.join(words)[:60]}-{digest}{SUFFIX}"


def capture_write(path: Path, command: str, recorded: Recorded) -> Path:
    """Write one recorded answer into the capture folder `path` (created if needed); the file
    for the same command line is replaced. Returns the file written."""
    if "\n" in command or "\r" in command:
        raise ValueError("A command line to record holds no line break.")
    path.mkdir(parents=True, exist_ok=True)
    stdout = _escaped(recorded.stdout)
    text = f"{COMMAND_PREFIX}{command}\n{EXIT_PREFIX}{recorded.exit_status}\n{stdout}"
    if recorded.stderr:
        if stdout and not stdout.endswith("\n"):
            text += "\n"
        text += f"{STDERR_MARK}\n{_escaped(recorded.stderr)}"
    target = path / capture_file_name(command)
    target.write_bytes(text.encode("utf-8"))
    return target


def capture_file_read(file: Path) -> tuple[str, Recorded]:
    """The command line and answer of one capture file; ValueError naming the file and line."""
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{file}: {size} bytes, more than the {MAX_FILE_BYTES} a capture takes.")
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{file}: not UTF-8 text ({error.reason} at byte {error.start})."
        ) from None
    lines = _lines(text)
    if not lines or not lines[0].startswith(COMMAND_PREFIX):
        raise ValueError(f"{file}, line 1: the first line must be '{COMMAND_PREFIX}<command>'.")
    command = lines[0].removeprefix(COMMAND_PREFIX).strip()
    if not command:
        raise ValueError(f"{file}, line 1: the command line is empty.")
    if len(lines) < 2 or not lines[1].startswith(EXIT_PREFIX):
        raise ValueError(f"{file}, line 2: the second line must be '{EXIT_PREFIX}<status>'.")
    status = lines[1].removeprefix(EXIT_PREFIX).strip()
    if not re.fullmatch(r"[0-9]{1,3}", status) or int(status) > 255:
        raise ValueError(f"{file}, line 2: the exit status {status!r} is not a number 0–255.")
    body = lines[2:]
    marks = [i for i, line in enumerate(body) if line.rstrip("\r\n") == STDERR_MARK]
    if len(marks) > 1:
        raise ValueError(
            f"{file}, line {marks[1] + 3}: a second '{STDERR_MARK}' line (escape it as "
            f"'\\{STDERR_MARK}' when it is output)."
        )
    stdout_lines, stderr_lines = (body[: marks[0]], body[marks[0] + 1 :]) if marks else (body, [])
    recorded = Recorded(int(status), _unescaped(stdout_lines), _unescaped(stderr_lines))
    return command, recorded


def capture_load(path: Path) -> dict[str, Recorded]:
    """Every recorded answer of a capture folder, keyed by `command_key` of its command line.
    ValueError for a malformed or oversized file, a folder with too many files, or the same
    command recorded twice."""
    if not path.is_dir():
        raise ValueError(f"{path}: not a capture folder.")
    files = sorted(f for f in path.iterdir() if f.is_file() and f.name.endswith(SUFFIX))
    if len(files) > MAX_FILES:
        raise ValueError(f"{path}: {len(files)} files, more than the {MAX_FILES} a capture takes.")
    recorded: dict[str, Recorded] = {}
    origin: dict[str, Path] = {}
    for file in files:
        command, answer = capture_file_read(file)
        key = command_key(command)
        if key in recorded:
            raise ValueError(f"{file}, line 1: {key!r} is recorded in {origin[key].name} too.")
        recorded[key], origin[key] = answer, file
    return recorded


class ReplayHmc:
    """An HMC that answers what a capture recorded, as `SimulatedHmc.execute` does; any other
    command is refused with SIM_NOT_RECORDED (exit 1). It has the simulator's `faults` and
    command log, so the SSH server serves it the same way."""

    def __init__(self, recorded: dict[str, Recorded]) -> None:
        self.recorded = dict(recorded)
        self.faults = Faults()
        self.commands_seen: list[str] = []
        self.command_times: list[float] = []

    @classmethod
    def from_folder(cls, path: Path) -> "ReplayHmc":
        return cls(capture_load(path))

    async def execute(self, line: str) -> tuple[int, str, str]:
        """Exit status, standard output and standard error of one command line."""
        self.commands_seen.append(masked_line(line))
        self.command_times.append(time.monotonic())
        if self.faults.slow_seconds:
            await asyncio.sleep(self.faults.slow_seconds)
        answer = self.recorded.get(command_key(line))
        if answer is None:
            shown = command_key(masked_line(line))
            return 1, "", f"{codes.SIM_NOT_RECORDED} The capture holds no answer to: {shown}\n"
        return answer.exit_status, answer.stdout, answer.stderr
