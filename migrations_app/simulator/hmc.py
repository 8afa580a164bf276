"""What the simulated HMC answers: the command-line subset lpmplanner uses, in the HMC's output
format, with HSCL-style errors and non-zero exits, migrations that take time, and faults.
Several simulated HMCs joined in a `SimNetwork` know each other by address: `mkauthkeys` sets
up SSH trust between them and `migrlpar --ip` moves a partition to a frame of another one."""

import asyncio
import csv
import io
import json
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from migrations_app.hmc import codes
from migrations_app.hmc.commands import MASK, line_shown
from migrations_app.hmc.parser import list_split
from migrations_app.simulator.estate import (
    ENV_OF_KIND,
    OS_TYPE_OF_KIND,
    OS_VERSION_OF_KIND,
    SimEstate,
    SimEth,
    SimFrame,
    SimLpar,
    SimStorage,
)

WWPN_PREFIX = 0xC05076_0000_000000
MIGRATION_STEP = 0.05
DEFAULT_USER = "hscroot"
DEFAULT_PASSWORD = "abc123"  # noqa: S105 - the HMC's factory default, for a simulator only
SECRET_WORD = re.compile(r"(--passwd\s+)\S+")
VIRTUALIO_SUBTYPES = {"eth", "scsi", "fc"}
# `lslparmigr -r lpar` states of a migration under way: it starts, then moves memory.
STARTING, IN_PROGRESS = "Migration Starting", "Migration In Progress"
MIGRATING = frozenset({STARTING, IN_PROGRESS})
STARTING_FRACTION = 0.2  # the share of a migration's time it shows Migration Starting


class CommandFailed(Exception):
    """An HSCL error: the code, and a message as the HMC would print it."""

    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(f"{code} {message}")


@dataclass
class Faults:
    """Faults a test turns on for the next commands or migrations."""

    slow_seconds: float = 0.0  # delay before every answer
    fail_at_percent: int | None = None  # a migration fails when it reaches this progress
    drop_connection: bool = False  # the next command's connection is cut without an answer
    refuse_login: bool = False  # every login is refused


# Causes of a refused validation a test or a demo sets per partition (`SimulatedHmc.lpar_faults`,
# or the faults file of `hmc_simulator --faults-file`): what each one makes the HMC answer.
LPAR_FAULTS = {
    "unzoned_wwpn": "the second (LPM) WWPN of each vFC client is not zoned: HSCLA319",
    "vlan_not_bridged": "no destination VIOS bridges the partition's VLANs: "
    + codes.VLAN_NOT_BRIDGED,
    "rmc_down": "the partition's RMC connection is inactive: " + codes.RMC_INACTIVE,
}


@dataclass
class Migration:
    lpar: SimLpar
    source: SimFrame
    destination: SimFrame
    started: float
    total_bytes: int
    dest_lpar_id: int
    state: str = STARTING
    transmitted: int = 0
    stop_requested: bool = False
    remote_manager: str | None = None  # the destination's HMC, when it is another one
    remote_user: str | None = None


@dataclass
class MigrationRequest:
    """What `migrlpar -i` asked for; mappings are (kind, client slot) → (VIOS, slot, text)."""

    dest_lpar_id: int | None = None
    source_msp: str | None = None
    dest_msp: str | None = None
    shared_pool: str | None = None
    mappings: dict[tuple[str, int], tuple] = field(default_factory=dict)
    remote: tuple[str, str] | None = None  # (--ip, -u) when another HMC manages the destination
    vlan_bridge_check: bool = True  # --vlanbridge 2 skips it


@dataclass
class Options:
    """Parsed `-x value` and `--flag` words of one command line."""

    values: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def need(self, name: str) -> str:
        if name not in self.values:
            raise CommandFailed(codes.SIM_BAD_OPTION, f"The {name} option is required.")
        return self.values[name]


def _bad(message: str) -> CommandFailed:
    return CommandFailed(codes.SIM_BAD_OPTION, message)


def _number(low: int, high: int) -> Callable[[str, str], None]:
    def check(option: str, value: str) -> None:
        if not re.fullmatch(r"[0-9]{1,9}", value) or not low <= int(value) <= high:
            raise _bad(f"The value {value} of {option} is not a number from {low} to {high}.")

    return check


def _choice(*allowed: str) -> Callable[[str, str], None]:
    def check(option: str, value: str) -> None:
        if value not in allowed:
            raise _bad(f"The value {value} of {option} is not one of {', '.join(allowed)}.")

    return check


def _text(option: str, value: str) -> None:
    if not value.strip():
        raise _bad(f"The {option} option needs a value.")


@dataclass(frozen=True)
class Syntax:
    """The options one command takes: those with a value (and the check of the value), bare
    flags, and `-F`, whose attribute list may be left out (every attribute)."""

    values: dict[str, Callable[[str, str], None]]
    flags: frozenset[str] = frozenset()
    listing: bool = False  # takes -F [names], --header and --filter


_LISTING = {"--filter": _text}
_TRISTATE, _BISTATE = _choice("0", "1", "2"), _choice("1", "2")
SYNTAX: dict[str, Syntax] = {
    "lssyscfg": Syntax({"-r": _choice("sys", "lpar", "prof"), "-m": _text}, listing=True),
    "lshwres": Syntax(
        {
            "-r": _choice("proc", "mem", "virtualio", "io"),
            "-m": _text,
            "--level": _choice("sys", "lpar", "pool"),
            "--rsubtype": _choice("eth", "scsi", "fc", "slot"),
        },
        listing=True,
    ),
    "lslparmigr": Syntax(
        {
            "-r": _choice("sys", "lpar", "msp", "virtualio", "procpool", "manager"),
            "-m": _text,
            "-t": _text,
            "-p": _text,
            "--id": _number(1, 32767),
            "--ip": _text,
            "-u": _text,
            "--redundantmsps": _TRISTATE,
        },
        listing=True,
    ),
    "migrlpar": Syntax(
        {
            "-o": _choice("v", "m", "s", "r"),
            "-m": _text,
            "-t": _text,
            "-p": _text,
            "--id": _text,
            "-n": _text,
            "-i": _text,
            "-f": _text,
            "-w": _number(0, 99999),
            "-d": _number(1, 5),
            "--ip": _text,
            "-u": _text,
            "-r": _choice("sys", "lpar"),
            "--redundantvios": _TRISTATE,
            "--mpio": _BISTATE,
            "--vlanbridge": _BISTATE,
            "--vsi": _BISTATE,
            "--npivval": _choice("port", "portdisk"),
            "--uuid": _BISTATE,
            "--protectstorage": _BISTATE,
            "--requirerr": _BISTATE,
            "--redundantvnicbkdev": _BISTATE,
            "--vniccfg": _BISTATE,
            "--redundantmsps": _TRISTATE,
            "--migsriov": _BISTATE,
            "--steps": _TRISTATE,
        },
        frozenset({"--all", "--force", "-v", "--nodetails", "--affinity", "--usecurrdata"}),
    ),
    "mksyscfg": Syntax({"-r": _choice("lpar"), "-m": _text, "-i": _text}),
    "viosvrcmd": Syntax({"-m": _text, "-p": _text, "--id": _number(1, 32767), "-c": _text}),
    "mkauthkeys": Syntax(
        {"--ip": _text, "-u": _text, "--passwd": _text}, frozenset({"--test", "-g"})
    ),
    "lshmc": Syntax({}, frozenset({"-V"})),
}


def options_parse(syntax: Syntax, words: list[str]) -> Options:
    """The options of one command, each checked against its syntax: an unknown option, one
    given twice, a missing or bad value is refused (exit status 1), as a real HMC does."""
    options = Options()
    index = 0
    while index < len(words):
        word = words[index]
        if not word.startswith("-") or word == "-":
            raise _bad(f"Unexpected value {word}.")
        if word in options.values or word in options.flags:
            raise _bad(f"The {word} option was given more than once.")
        following = words[index + 1] if index + 1 < len(words) else None
        if word in syntax.flags or (syntax.listing and word == "--header"):
            options.flags.add(word)
            index += 1
        elif syntax.listing and word == "-F":
            names = following if following is not None and not following.startswith("-") else ""
            options.values[word] = names
            index += 2 if names else 1
        elif word in syntax.values or (syntax.listing and word in _LISTING):
            if following is None or (following.startswith("-") and not following[1:2].isdigit()):
                raise _bad(f"The {word} option needs a value.")
            (syntax.values.get(word) or _LISTING[word])(word, following)
            options.values[word] = following
            index += 2
        else:
            raise _bad(f"{word} is not a valid option.")
    return options


def _csv(values: list[str], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(values)
    return out.getvalue()


def _value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return _csv([str(v) for v in value]) if value else "none"
    return str(value)


FIELD_NAMES = re.compile(r"[a-z0-9_]+")


def render(records: list[dict], options: Options, known: set[str] = frozenset()) -> str:
    """Records as `attr=value` lines, or `-F` rows in the delimiter the names were given with
    (`-F name:state`; `-F` alone: every attribute); `No results were found.` An attribute
    that no record of this listing has (nor `known`) is refused."""
    fields = options.get("-F")
    if fields is None:
        if not records:
            return "No results were found.\n"
        return "".join(_csv([f"{k}={_value(v)}" for k, v in r.items()]) + "\n" for r in records)
    every = list(dict.fromkeys(k for r in records for k in r))
    if fields:
        names = FIELD_NAMES.findall(fields)
        separators = set(FIELD_NAMES.sub("", fields))
        if not names or len(separators) > 1 or not FIELD_NAMES.fullmatch(fields[0] + fields[-1]):
            raise _bad(f"The attribute list {fields} of -F is not valid.")
        delimiter = separators.pop() if separators else ","
        unknown = [n for n in names if n not in every and n not in known]
        if records and unknown:
            raise _bad(f"{unknown[0]} is not a valid attribute for -F.")
    else:
        names, delimiter = every, ","
    if not records:
        return "No results were found.\n"
    lines = [_csv(names, delimiter)] if "--header" in options.flags else []
    lines += [_csv([_value(r.get(n)) for n in names], delimiter) for r in records]
    return "\n".join(lines) + "\n"


def filter_parse(raw: str, allowed: set[str]) -> dict[str, set[str]]:
    """`--filter "lpar_names=a"`, `"\"lpar_names=a,b\""`, `"lpar_names=a,profile_names=p"`:
    filter name → the values wanted. A field without `=` or an unknown name is refused."""
    try:
        fields = next(csv.reader([raw], strict=True), [])
    except csv.Error:
        raise _bad(f"The filter {raw} is not valid.") from None
    wanted: dict[str, set[str]] = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep or name not in allowed or name in wanted:
            raise _bad(f"The filter {raw} is not valid.")
        values = set(list_split(value))
        if not values:
            raise _bad(f"The filter {raw} names no value.")
        wanted[name] = values
    return wanted


MIGRLPAR_ATTRIBUTES = frozenset(
    {
        "virtual_fc_mappings",
        "virtual_scsi_mappings",
        "dest_lpar_id",
        "source_msp_name",
        "source_msp_id",
        "source_msp_ipaddr",
        "dest_msp_name",
        "dest_msp_id",
        "dest_msp_ipaddr",
        "shared_proc_pool_id",
        "shared_proc_pool_name",
        "multiple_shared_proc_pool_ids",
        "multiple_shared_proc_pool_names",
        "redundant_msps",
        "vnic_mappings",
        "primary_paging_vios_name",
        "primary_paging_vios_id",
        "secondary_paging_vios_name",
        "secondary_paging_vios_id",
    }
)


def attributes_parse(raw: str, known: frozenset[str]) -> dict[str, str]:
    """The `-i` record `attr=value,"attr=v1,v2",…`: a field without `=`, an attribute given
    twice or one this command does not know is refused."""
    try:
        fields = next(csv.reader([raw], strict=True), [])
    except csv.Error:
        raise _bad(f"The attribute list {raw} is not valid.") from None
    attributes: dict[str, str] = {}
    for item in fields:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise _bad(f"{item} is not attribute=value.")
        if name not in known:
            raise _bad(f"{name} is not a valid attribute.")
        if name in attributes:
            raise _bad(f"The attribute {name} was given more than once.")
        attributes[name] = value
    return attributes


MKSYSCFG_REQUIRED = frozenset(
    {
        "name",
        "profile_name",
        "lpar_env",
        "min_mem",
        "desired_mem",
        "max_mem",
        "proc_mode",
        "min_procs",
        "desired_procs",
        "max_procs",
    }
)
MKSYSCFG_SHARED_REQUIRED = frozenset(
    {
        "min_proc_units",
        "desired_proc_units",
        "max_proc_units",
        "sharing_mode",
    }
)
MKSYSCFG_NUMBERS = frozenset(
    {
        "min_mem",
        "desired_mem",
        "max_mem",
        "min_procs",
        "desired_procs",
        "max_procs",
        "max_virtual_slots",
        "uncap_weight",
        "shared_proc_pool_id",
    }
)
MKSYSCFG_CHOICES = {
    "lpar_env": ("aixlinux", "vioserver", "os400"),
    "proc_mode": ("ded", "shared"),
    "msp": ("0", "1"),
    "auto_start": ("0", "1"),
    "conn_monitoring": ("0", "1"),
    "simplified_remote_restart_capable": ("0", "1"),
    "mem_mode": ("ded", "shared"),
    "boot_mode": ("norm", "dd", "sms", "of", "ds"),
}
SHARING_MODES = {
    "shared": ("cap", "uncap"),
    "ded": (
        "keep_idle_procs",
        "share_idle_procs",
        "share_idle_procs_active",
        "share_idle_procs_always",
    ),
}
MKSYSCFG_ATTRIBUTES = (
    MKSYSCFG_REQUIRED
    | MKSYSCFG_SHARED_REQUIRED
    | MKSYSCFG_NUMBERS
    | frozenset(MKSYSCFG_CHOICES)
    | frozenset(
        {
            "lpar_id",
            "shared_proc_pool_name",
            "lpar_proc_compat_mode",
            "virtual_eth_adapters",
            "virtual_scsi_adapters",
            "virtual_fc_adapters",
            "virtual_serial_adapters",
            "io_slots",
            "work_group_id",
            "lpar_avail_priority",
            "redundant_err_path_reporting",
            "allow_perf_collection",
        }
    )
)
WWPN = re.compile(r"[0-9a-fA-F]{16}")


def _eth_element(element: str) -> SimEth:
    """`slot/ieee/pvid/additional_vlans/trunk_priority/required[/vswitch[/mac[/allowed_os_mac
    [/qos]]]]`; tagged VLANs need is-IEEE 1."""
    parts = element.split("/")
    numbers = (parts[0], parts[2], parts[4]) if len(parts) >= 6 else ()
    if not 6 <= len(parts) <= 10 or not all(p.isdigit() for p in numbers):
        raise _bad(f"virtual_eth_adapters: the element {element} is not valid.")
    if parts[1] not in {"0", "1"} or parts[5] not in {"0", "1"}:
        raise _bad(f"virtual_eth_adapters: the element {element} is not valid.")
    vlans = [v for v in parts[3].split(",") if v]
    if (
        not all(v.isdigit() and 1 <= int(v) <= 4094 for v in vlans)
        or not 1 <= int(parts[2]) <= 4094
    ):
        raise _bad(f"virtual_eth_adapters: a VLAN of {element} is not from 1 to 4094.")
    if vlans and parts[1] != "1":
        raise _bad(f"virtual_eth_adapters: {element} has tagged VLANs but is-IEEE 0.")
    trunk = int(parts[4])
    return SimEth(
        slot=int(parts[0]),
        pvid=int(parts[2]),
        vlans=[int(v) for v in vlans],
        trunk_priority=trunk or None,
        vswitch=parts[6] if len(parts) > 6 and parts[6] else "ETHERNET0",
    )


def _storage_element(kind: str, element: str) -> SimStorage:
    """vSCSI `slot/client|server/remote_id/remote_name/remote_slot/required`; vFC has seven
    fields, the WWPN pair sixth (empty: the HMC assigns one)."""
    attribute = "virtual_scsi_adapters" if kind == "scsi" else "virtual_fc_adapters"
    parts = element.split("/")
    size = 6 if kind == "scsi" else 7
    if len(parts) != size or not parts[0].isdigit() or parts[1] not in {"client", "server"}:
        raise _bad(f"{attribute}: the element {element} is not valid.")
    if parts[-1] not in {"0", "1"} or not all(
        p.isdigit() or p == "any" for p in (parts[2], parts[4])
    ):
        raise _bad(f"{attribute}: the element {element} is not valid.")
    if parts[1] == "client" and not parts[2].isdigit():
        raise _bad(f"{attribute}: the client element {element} names no remote partition id.")
    wwpns = [w for w in parts[5].split(",") if w] if kind == "fc" else []
    if wwpns and (len(wwpns) != 2 or not all(WWPN.fullmatch(w) for w in wwpns)):
        raise _bad(f"{attribute}: the WWPN pair of {element} is not two 16-hex-digit WWPNs.")
    return SimStorage(
        kind=kind,
        slot=int(parts[0]),
        role=parts[1],
        remote_lpar_id=int(parts[2]) if parts[2].isdigit() else None,
        remote_lpar_name=parts[3] or None,
        remote_slot=int(parts[4]) if parts[4].isdigit() else None,
        wwpns=[w.lower() for w in wwpns],
    )


def masked_line(line: str) -> str:
    """A command line as the simulator records it: the value of `--passwd` masked."""
    if "--passwd" not in line:
        return line
    try:
        return line_shown(shlex.split(line))
    except ValueError:
        return SECRET_WORD.sub(rf"\g<1>{MASK}", line)


class SimNetwork:
    """Simulated HMCs that reach each other by address (the `--ip` of `mkauthkeys` and
    `migrlpar`), sharing one process's memory."""

    def __init__(self) -> None:
        self.hmcs: dict[str, SimulatedHmc] = {}

    def join(self, address: str, hmc: "SimulatedHmc") -> "SimulatedHmc":
        self.hmcs[address] = hmc
        hmc.network, hmc.address = self, address
        return hmc

    def hmc(self, address: str) -> "SimulatedHmc | None":
        return self.hmcs.get(address)


class SimulatedHmc:
    """The HMC's state and its command line. One instance serves every SSH session.

    `passwords` are the users another HMC's `mkauthkeys -g` may log in as here, with their
    passwords; `trusted` holds the (address, user) of the remote HMCs this one logs in to with
    its SSH key (what `mkauthkeys -g` set up, or a test)."""

    def __init__(
        self,
        estate: SimEstate,
        *,
        migration_seconds: float = 10.0,
        validation_seconds: float = 0.0,
        passwords: dict[str, str] | None = None,
        faults_file: Path | None = None,
    ) -> None:
        """`validation_seconds`: how long `migrlpar -o v` takes (a real HMC asks both VIOS
        sets, seconds per partition). `faults_file`: a JSON object {partition: cause}, read
        again before each validation, so a running simulator's faults change from outside."""
        self.estate = estate
        self.migration_seconds = migration_seconds
        self.validation_seconds = validation_seconds
        # Partition name → a cause of LPAR_FAULTS: its validations are refused for that cause.
        self.lpar_faults: dict[str, str] = {}
        self.faults_file = faults_file
        self.passwords = dict(passwords or {DEFAULT_USER: DEFAULT_PASSWORD})
        self.trusted: set[tuple[str, str]] = set()
        self.network: SimNetwork | None = None
        self.address = ""
        self.faults = Faults()
        self.migrations: dict[str, Migration] = {}
        # Every command line received, in order: tests read it (e.g. how many `migrlpar -o m`).
        self.commands_seen: list[str] = []
        self.command_times: list[float] = []  # time.monotonic() of each, for benchmarks
        # Migrations run as tasks of their own: a dropped SSH session does not end one, as on
        # a real HMC.
        self._running: set[asyncio.Task] = set()
        self._next_wwpn = WWPN_PREFIX + 0x00FF_000000
        self.handlers: dict[str, Callable] = {
            "lssyscfg": self.lssyscfg,
            "lshwres": self.lshwres,
            "lslparmigr": self.lslparmigr,
            "migrlpar": self.migrlpar,
            "mksyscfg": self.mksyscfg,
            "viosvrcmd": self.viosvrcmd,
            "mkauthkeys": self.mkauthkeys,
            "lshmc": self.lshmc,
        }

    def commands_matching(self, *words: str) -> list[str]:
        """The command lines received whose words start with `words`, e.g. ("migrlpar", "-o",
        "m")."""
        matching = []
        for line in self.commands_seen:
            try:
                if tuple(shlex.split(line)[: len(words)]) == words:
                    matching.append(line)
            except ValueError:
                continue
        return matching

    async def execute(self, line: str) -> tuple[int, str, str]:
        """Exit status, standard output and standard error of one command line."""
        self.commands_seen.append(masked_line(line))
        self.command_times.append(time.monotonic())
        if self.faults.slow_seconds:
            await asyncio.sleep(self.faults.slow_seconds)
        try:
            words = shlex.split(line)
        except ValueError:
            return 1, "", f"{codes.SIM_BAD_OPTION} The command line is not valid.\n"
        if not words:
            return 1, "", f"{codes.SIM_BAD_OPTION} Give a command.\n"
        handler = self.handlers.get(words[0])
        if handler is None:
            return 127, "", f"rbash: {words[0]}: command not found\n"
        try:
            options = options_parse(SYNTAX[words[0]], words[1:])
            result = handler(options)
            if asyncio.iscoroutine(result):
                result = await result
            return 0, result, ""
        except CommandFailed as error:
            return 1, "", f"{error.code} {error.message}\n"

    def _frame(self, options: Options) -> SimFrame:
        name = options.need("-m")
        frame = self.estate.frame(name)
        if frame is None:
            raise CommandFailed(codes.SYSTEM_NOT_FOUND, f"The managed system {name} was not found.")
        return frame

    def _lpar(self, frame: SimFrame, name: str) -> SimLpar:
        lpar = frame.lpar(name)
        if lpar is None:
            raise CommandFailed(codes.LPAR_NOT_FOUND, f"The partition named {name} was not found.")
        return lpar

    def _filtered(
        self,
        records: list[dict],
        options: Options,
        *,
        names: set[str],
        allowed: tuple[str, ...] = ("lpar_names", "lpar_ids"),
    ) -> list[dict]:
        """The records `--filter` asks for. A partition named in `lpar_names` that is not on
        the system (not in `names`) is HSCL8012, as on a real HMC."""
        raw = options.get("--filter")
        if raw is None:
            return records
        wanted = filter_parse(raw, set(allowed))
        missing = sorted(wanted.get("lpar_names", set()) - names)
        if missing:
            raise CommandFailed(
                codes.LPAR_NOT_FOUND, f"The partition named {missing[0]} was not found."
            )

        def value(record: dict, name: str) -> str:
            if name == "lpar_ids":
                return str(record.get("lpar_id"))
            if name == "profile_names":
                return str(record.get("name"))
            return str(record.get("lpar_name", record.get("name")))

        return [r for r in records if all(value(r, n) in v for n, v in wanted.items())]

    def lssyscfg(self, options: Options) -> str:
        resource = options.need("-r")
        if resource == "sys":
            frames = self.estate.frames
            if options.get("-m") is not None:
                frames = [self._frame(options)]
            if options.get("--filter") is not None:
                raise _bad("lssyscfg -r sys takes no --filter.")
            return render([self._sys_record(f) for f in frames], options)
        frame = self._frame(options)
        names = {p.name for p in frame.lpars}
        if resource == "lpar":
            records = [self._lpar_record(frame, p) for p in frame.lpars]
            return render(self._filtered(records, options, names=names), options)
        records = [self._profile_record(p) for p in frame.lpars]
        allowed = ("lpar_names", "lpar_ids", "profile_names")
        return render(self._filtered(records, options, names=names, allowed=allowed), options)

    def _sys_record(self, frame: SimFrame) -> dict:
        return {
            "name": frame.name,
            "type_model": f"{frame.machine_type}-{frame.model}",
            "serial_num": frame.serial,
            "state": frame.state,
            "active_lpar_mobility_capable": True,
            "inactive_lpar_mobility_capable": True,
            "lpar_proc_compat_modes": frame.compat_modes,
        }

    def _lpar_record(self, frame: SimFrame, lpar: SimLpar) -> dict:
        migration = self.migrations.get(lpar.name)
        state = lpar.state
        if migration and migration.state in MIGRATING:
            running = migration.lpar.state == "Running"
            state = "Migrating - Running" if running else "Migrating - Not Activated"
        record = {
            "name": lpar.name,
            "lpar_id": lpar.lpar_id,
            "lpar_env": ENV_OF_KIND[lpar.kind],
            "state": state,
            "os_type": OS_TYPE_OF_KIND[lpar.kind],
            "os_version": lpar.os_version or OS_VERSION_OF_KIND[lpar.kind],
            "curr_profile": lpar.profile,
            "default_profile": lpar.profile,
            "rmc_state": "active" if self._rmc_active(lpar) else "inactive",
            "msp": lpar.msp,
            "curr_lpar_proc_compat_mode": lpar.compat_mode,
        }
        if self.estate.omit_os_type:
            del record["os_type"]
        return record

    def _profile_record(self, lpar: SimLpar) -> dict:
        eth = [
            f"{a.slot}/{1 if a.vlans else 0}/{a.pvid}/{','.join(map(str, a.vlans))}/"
            f"{a.trunk_priority or 0}/1/{a.vswitch}//all/none"
            for a in lpar.eth
        ]

        def storage(a: SimStorage) -> str:
            remote = f"{a.remote_lpar_id or 'any'}/{a.remote_lpar_name or ''}/"
            remote += str(a.remote_slot or "any")
            wwpns = f"/{','.join(a.wwpns)}" if a.kind == "fc" else ""
            return f"{a.slot}/{a.role}/{remote}{wwpns}/1"

        return {
            "name": lpar.profile,
            "lpar_name": lpar.name,
            "lpar_id": lpar.lpar_id,
            "lpar_env": ENV_OF_KIND[lpar.kind],
            "desired_mem": lpar.memory_mb,
            "proc_mode": "ded" if lpar.proc_mode == "dedicated" else "shared",
            "desired_proc_units": None if lpar.proc_mode == "dedicated" else lpar.proc_units,
            "desired_procs": lpar.procs,
            "shared_proc_pool_name": lpar.shared_pool,
            "max_virtual_slots": lpar.max_virtual_slots,
            "virtual_eth_adapters": eth,
            "virtual_scsi_adapters": [storage(a) for a in lpar.adapters("scsi")],
            "virtual_fc_adapters": [storage(a) for a in lpar.adapters("fc")],
            "io_slots": [],
        }

    def lshwres(self, options: Options) -> str:
        frame = self._frame(options)
        resource, level = options.need("-r"), options.get("--level")
        subtype = options.get("--rsubtype")
        if resource in {"proc", "mem"} and (level not in {"sys", "lpar"} or subtype):
            raise _bad(f"lshwres -r {resource} needs --level sys or lpar, and no --rsubtype.")
        known: set[str] = set()
        if resource == "proc" and level == "sys":
            records = [
                {
                    "configurable_sys_proc_units": frame.proc_units,
                    "curr_avail_sys_proc_units": Decimal(frame.proc_units)
                    - frame.used_proc_units(),
                    "installed_sys_proc_units": frame.proc_units,
                }
            ]
        elif resource == "mem" and level == "sys":
            records = [
                {
                    "installed_sys_mem": frame.memory_mb,
                    "configurable_sys_mem": frame.memory_mb,
                    "curr_avail_sys_mem": frame.memory_mb - frame.used_memory_mb(),
                    "mem_region_size": frame.region_mb,
                }
            ]
        elif resource == "proc":
            records = [self._proc_record(p) for p in frame.lpars]
        elif resource == "mem":
            records = [
                {
                    "lpar_name": p.name,
                    "lpar_id": p.lpar_id,
                    "curr_mem": p.memory_mb if p.state != "Not Activated" else 0,
                }
                for p in frame.lpars
            ]
        elif resource == "virtualio":
            if subtype not in VIRTUALIO_SUBTYPES or level != "lpar":
                raise _bad("lshwres -r virtualio needs --rsubtype eth, scsi or fc, --level lpar.")
            records = self._virtualio(frame, subtype)
        else:
            if subtype != "slot" or level is not None:
                raise _bad("lshwres -r io needs --rsubtype slot.")
            records, known = self._io_slot_records(frame), {"lpar_name"}
        names = {p.name for p in frame.lpars}
        if options.get("--filter") is not None and level == "sys":
            raise _bad("A --level sys listing takes no --filter.")
        return render(self._filtered(records, options, names=names), options, known)

    def _proc_record(self, lpar: SimLpar) -> dict:
        """A Not Activated partition has nothing now: zeros, as on a real HMC."""
        dedicated, inactive = lpar.proc_mode == "dedicated", lpar.state == "Not Activated"
        record = {
            "lpar_name": lpar.name,
            "lpar_id": lpar.lpar_id,
            "curr_proc_mode": "ded" if dedicated else "shared",
            "curr_proc_units": None if dedicated else ("0.0" if inactive else lpar.proc_units),
            "curr_procs": 0 if inactive else lpar.procs,
            "curr_shared_proc_pool_name": lpar.shared_pool,
        }
        return record

    def _io_slot_records(self, frame: SimFrame) -> list[dict]:
        owners = {p.lpar_id: p.name for p in frame.lpars}
        records = []
        for s in frame.slots:
            record = {
                "unit_phys_loc": s.unit_location,
                "bus_id": s.bus_id,
                "phys_loc": s.drc_name.removeprefix(s.unit_location + "-"),
                "drc_index": s.drc_index,
                "drc_name": s.drc_name,
                "description": s.description,
                "feature_codes": "0" if s.empty else s.feature_codes,
                "lpar_id": s.lpar_id if s.lpar_id else "none",
            }
            if s.lpar_id in owners:  # an unassigned slot has no lpar_name field at all
                record["lpar_name"] = owners[s.lpar_id]
            records.append(record)
        return records

    def _virtualio(self, frame: SimFrame, subtype: str) -> list[dict]:
        records = []
        for lpar in frame.lpars:
            base = {"lpar_name": lpar.name, "lpar_id": lpar.lpar_id}
            if subtype == "eth":
                for a in lpar.eth:
                    records.append(
                        {
                            **base,
                            "slot_num": a.slot,
                            "port_vlan_id": a.pvid,
                            "addl_vlan_ids": a.vlans,
                            "is_trunk": a.trunk_priority is not None,
                            "trunk_priority": a.trunk_priority or "",
                            "vswitch": a.vswitch,
                        }
                    )
            elif subtype in {"scsi", "fc"}:
                for a in lpar.adapters(subtype):
                    record = {
                        **base,
                        "slot_num": a.slot,
                        "adapter_type": a.role,
                        "remote_lpar_id": a.remote_lpar_id or "any",
                        "remote_lpar_name": a.remote_lpar_name or "",
                        "remote_slot_num": a.remote_slot or "any",
                    }
                    if subtype == "fc" and a.role == "client":
                        record["wwpns"] = a.wwpns
                    records.append(record)
            else:
                raise CommandFailed(codes.SIM_BAD_OPTION, f"--rsubtype {subtype} is not valid.")
        return records

    def lslparmigr(self, options: Options) -> str:
        resource = options.need("-r")
        if resource == "manager":
            return render([{"remote_lpar_mobility_capable": 1}], options)
        frame = self._frame(options)
        if resource == "sys":
            moving = [m for m in self.migrations.values() if self._involves(m, frame)]
            active = sum(1 for m in moving if m.lpar.state == "Running")
            records = [
                {
                    "inactive_lpar_mobility_capable": 1,
                    "num_inactive_migrations_supported": frame.max_inactive_migrations,
                    "num_inactive_migrations_in_progress": len(moving) - active,
                    "active_lpar_mobility_capable": 1,
                    "num_active_migrations_supported": frame.max_active_migrations,
                    "num_active_migrations_in_progress": active,
                }
            ]
            return render(records, options)
        if resource == "lpar":
            away = [
                m.lpar
                for m in self.migrations.values()
                if m.source is frame and m.lpar not in frame.lpars
            ]
            lpars = [*frame.lpars, *away]
            records = [self._migration_record(p) for p in lpars]
            names = {p.name for p in lpars}
            return render(self._filtered(records, options, names=names), options)
        lpar = self._listed_partition(frame, options)
        destination = self.estate.frame(options.need("-t"))
        if destination is None:
            raise CommandFailed(codes.SYSTEM_NOT_FOUND, "The destination system was not found.")
        viosses = [p for p in destination.lpars if p.kind == "vios"]
        if resource == "msp":
            records = [
                {
                    "source_msp_name": msp.name,
                    "source_msp_id": msp.lpar_id,
                    "dest_msp_names": [v.name for v in viosses if v.msp],
                    "dest_msp_ids": [v.lpar_id for v in viosses if v.msp],
                }
                for msp in frame.lpars
                if msp.kind == "vios" and msp.msp and any(v.msp for v in viosses)
            ]
        elif resource == "virtualio":
            records = [self._virtualio_suggestion(lpar, viosses)]
        else:
            pools = sorted(
                {p.shared_pool for p in destination.lpars if p.shared_pool} | {"DefaultPool"},
                key=lambda n: (n != "DefaultPool", n),
            )
            records = [
                {
                    "shared_proc_pool_ids": list(range(len(pools))),
                    "shared_proc_pool_names": pools,
                }
            ]
        return render(records, options)

    def _listed_partition(self, frame: SimFrame, options: Options) -> SimLpar:
        """The one partition a `lslparmigr -r msp|virtualio|procpool` asks about: `-p`, `--id`
        or a `--filter` of one name or id."""
        if options.get("-p") is not None:
            return self._lpar(frame, options.need("-p"))
        if options.get("--id") is not None:
            return self._lpar_with_id(frame, options.need("--id"))
        wanted = filter_parse(options.get("--filter") or "", {"lpar_names", "lpar_ids"})
        values = [v for vs in wanted.values() for v in vs]
        if len(values) != 1:
            raise _bad("Name one partition with -p, --id or --filter.")
        if "lpar_ids" in wanted:
            return self._lpar_with_id(frame, values[0])
        return self._lpar(frame, values[0])

    def _lpar_with_id(self, frame: SimFrame, value: str) -> SimLpar:
        lpar = frame.lpar_by_id(int(value)) if value.isdigit() else None
        if lpar is None:
            raise CommandFailed(
                codes.LPAR_NOT_FOUND, f"The partition with ID {value} was not found."
            )
        return lpar

    def _virtualio_suggestion(self, lpar: SimLpar, viosses: list[SimLpar]) -> dict:
        """Every destination VIOS that could host each client adapter, and the one suggested:
        the VIOS with the id its source VIOS has, else the first."""
        record: dict = {"lpar_name": lpar.name, "lpar_id": lpar.lpar_id}
        for kind, name in (("scsi", "virtual_scsi_mappings"), ("fc", "virtual_fc_mappings")):
            possible, suggested = [], []
            for adapter in lpar.adapters(kind):
                if adapter.role != "client" or not viosses:
                    continue
                possible += [f"{adapter.slot}/{v.name}/{v.lpar_id}" for v in viosses]
                same = [v for v in viosses if v.lpar_id == adapter.remote_lpar_id] or viosses
                suggested.append(f"{adapter.slot}/{same[0].name}/{same[0].lpar_id}")
            record[f"possible_{name}"] = possible
            record[f"suggested_{name}"] = suggested
        return record

    def _involves(self, migration: Migration, frame: SimFrame) -> bool:
        in_progress = migration.state in MIGRATING
        return in_progress and frame in (migration.source, migration.destination)

    def _migration_record(self, lpar: SimLpar) -> dict:
        migration = self.migrations.get(lpar.name)
        if migration is None:
            return {"name": lpar.name, "lpar_id": lpar.lpar_id, "migration_state": "Not Migrating"}
        record = {
            "name": lpar.name,
            "lpar_id": lpar.lpar_id,
            "migration_state": migration.state,
            "migration_type": "active" if lpar.state == "Running" else "inactive",
            "source_sys_name": migration.source.name,
            "dest_sys_name": migration.destination.name,
            "dest_lpar_id": migration.dest_lpar_id,
            "bytes_transmitted": migration.transmitted,
            "bytes_remaining": migration.total_bytes - migration.transmitted,
        }
        if migration.remote_manager:
            record["remote_manager"] = migration.remote_manager
            record["remote_user"] = migration.remote_user
        return record

    def _partitions(self, frame: SimFrame, options: Options) -> list[SimLpar]:
        """The partitions of `-p a,b`, `--id 1,2` or `--all` (exactly one of them)."""
        given = [o for o in ("-p", "--id") if options.get(o) is not None]
        given += ["--all"] if "--all" in options.flags else []
        if len(given) != 1:
            raise _bad("Give exactly one of -p, --id and --all.")
        if given == ["--all"]:
            return [p for p in frame.lpars if p.kind != "vios"]
        values = options.need(given[0]).split(",")
        if len(set(values)) != len(values) or "" in values:
            raise _bad(f"The list {options.need(given[0])} of {given[0]} is not valid.")
        if given == ["--id"]:
            return [self._lpar_with_id(frame, v) for v in values]
        return [self._lpar(frame, v) for v in values]

    def migrlpar(self, options: Options):
        operation = options.need("-o")
        source = self._frame(options)
        if operation in {"v", "m"}:
            lpars = self._partitions(source, options)
            manager = self._destination_manager(options)
            destination = manager.estate.frame(options.need("-t"))
            if destination is None:
                raise CommandFailed(codes.SYSTEM_NOT_FOUND, "The destination system was not found.")
            requests = []
            for lpar in lpars:
                request = self._request(lpar, source, destination, options.get("-i"))
                if request.dest_lpar_id is not None and len(lpars) > 1:
                    raise _bad("dest_lpar_id names the id of one partition only.")
                request.vlan_bridge_check = options.get("--vlanbridge") != "2"
                requests.append(request)
            if operation == "v":
                return self._validate_all(lpars, source, destination, requests, options)
            warnings = []
            for lpar, request in zip(lpars, requests, strict=True):
                warnings += self._validate(lpar, source, destination, request)
            if manager is not self:
                for request in requests:
                    request.remote = (options.need("--ip"), options.get("-u") or DEFAULT_USER)
            return self._migrate_all(
                [(lpar, source, destination, r) for lpar, r in zip(lpars, requests, strict=True)]
            )
        if "--all" in options.flags or "," in (options.get("-p") or options.get("--id") or ""):
            raise _bad(f"migrlpar -o {operation} takes one partition.")
        if options.get("--id") is not None:
            wanted = options.need("--id")
            migration = next(
                (m for m in self.migrations.values() if str(m.lpar.lpar_id) == wanted), None
            )
            name = migration.lpar.name if migration else wanted
        else:
            name = options.need("-p")
            migration = self.migrations.get(name)
        if migration is None or migration.source is not source:
            raise CommandFailed(codes.NO_MIGRATION, f"The partition {name} is not migrating.")
        if operation == "s":
            if migration.state not in MIGRATING:
                raise CommandFailed(codes.NO_MIGRATION, f"The partition {name} is not migrating.")
            migration.stop_requested = True
            return ""
        if migration.state in MIGRATING and "--force" not in options.flags:
            raise CommandFailed(codes.MIGRATION_BUSY, "The migration is still running.")
        migration.stop_requested = True
        del self.migrations[name]
        return ""

    async def _validate_all(
        self,
        lpars: list[SimLpar],
        source: SimFrame,
        destination: SimFrame,
        requests: list["MigrationRequest"],
        options: Options,
    ) -> str:
        """`migrlpar -o v`: takes `validation_seconds`, then judges the estate as it is then;
        the warnings as lines, or one error with every code. With `-d`, a refused vFC adapter
        also prints the VIOS's detail (the VIOS_DETAILED_ERROR section, §1.5)."""
        if self.validation_seconds:
            await asyncio.sleep(self.validation_seconds)
        self._faults_read()
        warnings = []
        try:
            for lpar, request in zip(lpars, requests, strict=True):
                warnings += self._validate(lpar, source, destination, request)
        except CommandFailed as error:
            if options.get("-d") and codes.NPIV_NOT_HOSTED in error.message + error.code:
                error.message += (
                    "\nVIOS_DETAILED_ERROR\nThe destination VIOS found no fabric login for "
                    "the WWPN: OS command return code 83"
                )
            raise
        return "".join(f"{w}\n" for w in dict.fromkeys(warnings))

    def _faults_read(self) -> None:
        """The faults file, when there is one: it replaces `lpar_faults` (missing: none)."""
        if self.faults_file is None:
            return
        try:
            data = json.loads(self.faults_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError):
            return  # half written: keep the faults read last time
        self.lpar_faults = {
            str(name): cause for name, cause in data.items() if cause in LPAR_FAULTS
        }

    def _rmc_active(self, lpar: SimLpar) -> bool:
        return lpar.state == "Running" and self.lpar_faults.get(lpar.name) != "rmc_down"

    async def _migrate_all(self, moves: list[tuple]) -> str:
        """Several partitions of one `migrlpar -o m` move at the same time; the first refusal
        is the answer."""
        results = await asyncio.gather(
            *(self._migrate_detached(*move) for move in moves), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return ""

    def _destination_manager(self, options: Options) -> "SimulatedHmc":
        """The HMC managing the destination: this one, or the one `--ip` names, which this one
        must reach with its SSH key (§1.6)."""
        address = options.get("--ip")
        if not address:
            return self
        user = options.get("-u") or DEFAULT_USER
        self._trust_need(address, user)
        return self._peer(address)

    def _peer(self, address: str) -> "SimulatedHmc":
        peer = self.network.hmc(address) if self.network else None
        if peer is None:
            raise CommandFailed(codes.SIM_REMOTE_UNREACHABLE, f"The HMC {address} is unreachable.")
        return peer

    def _trust_need(self, address: str, user: str) -> None:
        if (address, user) not in self.trusted:
            raise CommandFailed(
                codes.REMOTE_HMC_NO_TRUST,
                f"The SSH connection to the remote HMC {address} as {user} failed: no "
                "authentication keys are set up.",
            )

    def mkauthkeys(self, options: Options) -> str:
        """`--ip R -u U --test`: HSCL3653 unless this HMC logs in to R as U with its key;
        `--ip R -u U -g --passwd PW`: log in once with the password and put the key there."""
        address, user = options.need("--ip"), options.get("-u") or DEFAULT_USER
        if "--test" in options.flags:
            self._trust_need(address, user)
            return ""
        if "-g" not in options.flags:
            raise CommandFailed(codes.SIM_BAD_OPTION, "Give --test, or -g with --passwd.")
        password = options.need("--passwd")
        peer = self._peer(address)
        if peer.passwords.get(user) != password:
            raise CommandFailed(
                codes.SIM_REMOTE_LOGIN_REFUSED, f"The HMC {address} refused the login of {user}."
            )
        self.trusted.add((address, user))
        return ""

    def _request(
        self, lpar: SimLpar, source: SimFrame, destination: SimFrame, raw: str | None
    ) -> "MigrationRequest":
        """The `-i` attributes: destination id, MSPs, pool, vSCSI/vFC mappings. An attribute
        `migrlpar` does not know, a bad number or a malformed mapping is refused."""
        attributes = attributes_parse(raw, MIGRLPAR_ATTRIBUTES) if raw else {}
        for name in ("dest_lpar_id", "source_msp_id", "dest_msp_id", "shared_proc_pool_id"):
            if name in attributes:
                _number(0 if name == "shared_proc_pool_id" else 1, 32767)(name, attributes[name])
        request = MigrationRequest(
            dest_lpar_id=int(attributes["dest_lpar_id"]) if "dest_lpar_id" in attributes else None,
            source_msp=attributes.get("source_msp_name"),
            dest_msp=attributes.get("dest_msp_name"),
            shared_pool=attributes.get("shared_proc_pool_name"),
        )
        for kind, name in (("scsi", "virtual_scsi_mappings"), ("fc", "virtual_fc_mappings")):
            for element in list_split(attributes.get(name, "")):
                fields = element.split("/")
                most = 5 if kind == "fc" else 4  # vFC: client_slot/vios/vios_id/vios_slot/fcsN
                parts = ([*fields, "", "", "", ""])[:4]
                numbers_ok = all(not p or p.isdigit() for p in (parts[2], parts[3]))
                if not 3 <= len(fields) <= most or not parts[0].isdigit() or not numbers_ok:
                    raise _bad(f"{name}: the element {element} is not valid.")
                if not parts[1] and not parts[2]:
                    raise _bad(f"{name}: the element {element} names no VIOS.")
                vios = destination.lpar(parts[1]) if parts[1] else None
                if vios is None and parts[2].isdigit():
                    vios = destination.lpar_by_id(int(parts[2]))
                request.mappings[(kind, int(parts[0]))] = (
                    vios,
                    int(parts[3]) if parts[3].isdigit() else None,
                    element,
                )
        return request

    def _request_errors(
        self, lpar: SimLpar, source: SimFrame, destination: SimFrame, request: "MigrationRequest"
    ) -> list[tuple[str, str]]:
        errors = []
        for side, frame, msp in (
            ("source", source, request.source_msp),
            ("destination", destination, request.dest_msp),
        ):
            vios = frame.lpar(msp) if msp else None
            if msp and (vios is None or vios.kind != "vios" or not vios.msp):
                errors.append(
                    (codes.NOT_MIGRATABLE, f"{msp} is no {side} mover service partition.")
                )
        slots: dict[str, set[int]] = {}
        for (kind, client_slot), (vios, vios_slot, element) in request.mappings.items():
            if client_slot not in {a.slot for a in lpar.adapters(kind)}:
                errors.append((codes.SIM_BAD_OPTION, f"{element}: no client adapter there."))
            elif vios is None or vios.kind != "vios":
                errors.append((codes.NOT_A_VIOS, f"{element}: no such VIOS on the destination."))
            elif vios_slot is not None:
                taken = slots.setdefault(vios.name, set(vios.slots_used()))
                if vios_slot in taken:
                    errors.append((codes.SLOT_IN_USE, f"{element}: slot {vios_slot} is in use."))
                taken.add(vios_slot)
        return errors

    def _validate(
        self,
        lpar: SimLpar,
        source: SimFrame,
        destination: SimFrame,
        request: "MigrationRequest | None" = None,
    ) -> list[str]:
        """The HMC's refusals as one error with every code; warnings as lines."""
        request = request or MigrationRequest()
        errors: list[tuple[str, str]] = self._request_errors(lpar, source, destination, request)
        if lpar.kind == "vios":
            errors.append((codes.NOT_MIGRATABLE, f"{lpar.name} is a VIOS."))
        if lpar.name in self.migrations:
            errors.append((codes.MIGRATION_BUSY, f"{lpar.name} is already migrating."))
        if lpar.state not in {"Running", "Not Activated"}:
            errors.append((codes.NOT_MIGRATABLE, f"{lpar.name} is {lpar.state}."))
        fault = self.lpar_faults.get(lpar.name)
        if lpar.state == "Running" and not self._rmc_active(lpar):
            errors.append(
                (
                    codes.RMC_INACTIVE,
                    f"The RMC connection of partition {lpar.name} is not active: active partition "
                    "mobility needs it. Check the partition's network and its RSCT daemons.",
                )
            )
        if destination is source:
            errors.append((codes.NOT_MIGRATABLE, "Source and destination are the same system."))
        if destination.lpar(lpar.name):
            errors.append((codes.NAME_CONFLICT, f"{destination.name} has a {lpar.name} already."))
        wanted_id = request.dest_lpar_id
        if wanted_id is not None and destination.lpar_by_id(wanted_id):
            errors.append((codes.ID_CONFLICT, f"LPAR id {wanted_id} is in use on the target."))
        free_units = Decimal(destination.proc_units) - destination.used_proc_units()
        if Decimal(lpar.proc_units) > free_units:
            errors.append((codes.NO_PROC_CAPACITY, f"{free_units} processor units are free."))
        free_mb = destination.memory_mb - destination.used_memory_mb()
        if lpar.memory_mb > free_mb:
            errors.append((codes.NO_MEM_CAPACITY, f"{free_mb} MB of memory are free."))
        if lpar.compat_mode not in destination.compat_modes and lpar.compat_mode != "default":
            errors.append((codes.COMPAT_MODE, f"{lpar.compat_mode} is not supported there."))
        bridged = {
            vlan
            for p in destination.lpars
            if p.kind == "vios"
            for a in p.eth
            if a.trunk_priority
            for vlan in (a.pvid, *a.vlans)
        }
        if fault == "vlan_not_bridged":
            bridged -= {vlan for adapter in lpar.eth for vlan in (adapter.pvid, *adapter.vlans)}
        for adapter in lpar.eth if request.vlan_bridge_check else ():
            missing = sorted({adapter.pvid, *adapter.vlans} - bridged)
            if missing:
                errors.append((codes.VLAN_NOT_BRIDGED, f"VLAN {missing} is not bridged."))
        for fc in lpar.adapters("fc"):
            unzoned = [w for w in fc.wwpns if w in self.estate.unzoned_wwpns]
            if fault == "unzoned_wwpn" and fc.role == "client":
                unzoned += fc.wwpns[1:]
            if unzoned:
                errors.append(
                    (
                        codes.NPIV_NOT_HOSTED,
                        f"The virtual fibre channel client adapter {fc.slot} of {lpar.name} "
                        f"cannot be hosted by the VIOS partitions of {destination.name}: "
                        f"{unzoned[0]} is not zoned.",
                    )
                )
        active = [m for m in self.migrations.values() if self._involves(m, destination)]
        if len(active) >= destination.max_active_migrations:
            errors.append((codes.TOO_MANY_MIGRATIONS, "Too many migrations are running."))
        active = [m for m in self.migrations.values() if self._involves(m, source)]
        if len(active) >= source.max_active_migrations:
            errors.append((codes.TOO_MANY_MIGRATIONS, "Too many migrations are running."))
        if errors:
            (code, text), *rest = errors
            raise CommandFailed(code, "\n".join([text, *(f"{c} {t}" for c, t in rest)]))
        if not any(p.msp for p in destination.lpars if p.kind == "vios"):
            return [f"{codes.WARNING_NO_MSP} No mover service partition on the destination."]
        return []

    async def _migrate_detached(
        self, lpar: SimLpar, source: SimFrame, destination: SimFrame, request: "MigrationRequest"
    ) -> str:
        """Run the migration as a task of its own and wait for it: the session that started it
        may drop (a killed worker) while the migration goes on."""
        task = asyncio.ensure_future(self._migrate(lpar, source, destination, request))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return await asyncio.shield(task)

    async def _migrate(
        self,
        lpar: SimLpar,
        source: SimFrame,
        destination: SimFrame,
        request: "MigrationRequest | None" = None,
    ) -> str:
        request = request or MigrationRequest()
        remote_manager, remote_user = request.remote or (None, None)
        if request.dest_lpar_id is None:  # the id is kept if it is free there, else the HMC's
            taken = {p.lpar_id for p in destination.lpars}
            free = (i for i in range(1, 32768) if i not in taken)
            request.dest_lpar_id = lpar.lpar_id if lpar.lpar_id not in taken else next(free)
        migration = Migration(
            lpar=lpar,
            source=source,
            destination=destination,
            started=time.monotonic(),
            total_bytes=lpar.memory_mb * 1024 * 1024,
            dest_lpar_id=request.dest_lpar_id,
            remote_manager=remote_manager,
            remote_user=remote_user,
        )
        self.migrations[lpar.name] = migration
        fail_at = self.faults.fail_at_percent
        while True:
            await asyncio.sleep(MIGRATION_STEP)
            if self.migrations.get(lpar.name) is not migration:
                raise CommandFailed(codes.MIGRATION_STOPPED, "The migration was recovered.")
            if migration.stop_requested:
                migration.state = "Migration Stopped"
                del self.migrations[lpar.name]
                raise CommandFailed(codes.MIGRATION_STOPPED, "The migration was stopped.")
            elapsed = time.monotonic() - migration.started
            fraction = min(1.0, elapsed / self.migration_seconds if self.migration_seconds else 1)
            if fraction < STARTING_FRACTION:
                continue  # the destination's shell partition is being set up: nothing moves yet
            migration.state = IN_PROGRESS
            migration.transmitted = int(migration.total_bytes * fraction)
            if fail_at is not None and fraction * 100 >= fail_at:
                migration.state = "Migration Failed"
                raise CommandFailed(codes.MIGRATION_FAILED, f"The migration failed at {fail_at}%.")
            if fraction >= 1:
                break
        self._move(lpar, source, destination, request)
        del self.migrations[lpar.name]
        return ""

    def _move(
        self, lpar: SimLpar, source: SimFrame, destination: SimFrame, request: "MigrationRequest"
    ) -> None:
        """The partition now lives on the destination, with the id, pool and VIOS slots asked
        for; its VIOS server adapters move with it."""
        source.lpars.remove(lpar)
        destination.lpars.append(lpar)
        lpar.lpar_id = request.dest_lpar_id or lpar.lpar_id
        if request.shared_pool and lpar.proc_mode != "dedicated":
            lpar.shared_pool = request.shared_pool
        for client in lpar.storage:
            old_vios = source.lpar_by_id(client.remote_lpar_id or 0)
            new_vios, wanted_slot, _ = request.mappings.get((client.kind, client.slot), (None,) * 3)
            new_vios = new_vios or destination.lpar_by_id(client.remote_lpar_id or 0)
            if old_vios is None or new_vios is None:
                continue
            server = next(
                (
                    a
                    for a in old_vios.storage
                    if a.remote_lpar_name == lpar.name and a.remote_slot == client.slot
                ),
                None,
            )
            if server is None:
                continue
            old_vios.storage.remove(server)
            server.remote_lpar_id = lpar.lpar_id
            if wanted_slot is not None and wanted_slot not in new_vios.slots_used():
                server.slot = wanted_slot
            elif server.slot in new_vios.slots_used():
                server.slot = max(new_vios.slots_used() | {server.slot}) + 1
            client.remote_slot = server.slot
            client.remote_lpar_id = new_vios.lpar_id
            client.remote_lpar_name = new_vios.name
            new_vios.storage.append(server)

    def mksyscfg(self, options: Options) -> str:
        """`mksyscfg -r lpar`: a Not Activated partition and its profile, from the attributes a
        real HMC requires (§10); vFC clients with an empty WWPN field get a pair."""
        frame = self._frame(options)
        attrs = attributes_parse(options.need("-i"), MKSYSCFG_ATTRIBUTES)
        dedicated = attrs.get("proc_mode") == "ded"
        required = MKSYSCFG_REQUIRED | (set() if dedicated else MKSYSCFG_SHARED_REQUIRED)
        missing = sorted(required - set(attrs))
        if missing:
            raise _bad(f"The required attribute {missing[0]} is missing.")
        for name, allowed in MKSYSCFG_CHOICES.items():
            if name in attrs:
                _choice(*allowed)(name, attrs[name])
        sharing = SHARING_MODES["ded" if dedicated else "shared"]
        if "sharing_mode" in attrs and attrs["sharing_mode"] not in sharing:
            raise _bad(f"sharing_mode {attrs['sharing_mode']} is not valid for this proc_mode.")
        for name in MKSYSCFG_NUMBERS & set(attrs):
            _number(0, 99_999_999)(name, attrs[name])
        units = {}
        for name in sorted({"min_proc_units", "desired_proc_units", "max_proc_units"} & set(attrs)):
            if not re.fullmatch(r"[0-9]{1,4}(\.[0-9]{1,2})?", attrs[name]):
                raise _bad(
                    f"The value {attrs[name]} of {name} is not a number of processing units."
                )
            units[name] = Decimal(attrs[name])
        trios = (
            ("min_mem", "desired_mem", "max_mem"),
            ("min_procs", "desired_procs", "max_procs"),
            ("min_proc_units", "desired_proc_units", "max_proc_units"),
        )
        for trio in trios:
            if set(trio) <= set(attrs):
                low, want, high = (units.get(n, Decimal(attrs[n])) for n in trio)
                if not low <= want <= high:
                    raise _bad(f"{trio[0]} <= {trio[1]} <= {trio[2]} does not hold.")
        name = attrs["name"]
        if frame.lpar(name):
            raise CommandFailed(codes.NAME_CONFLICT, f"A partition named {name} exists.")
        if "lpar_id" in attrs:
            _number(1, 32767)("lpar_id", attrs["lpar_id"])
            lpar_id = int(attrs["lpar_id"])
            if frame.lpar_by_id(lpar_id):
                raise CommandFailed(codes.ID_CONFLICT, f"LPAR id {lpar_id} is in use.")
        else:
            taken = {p.lpar_id for p in frame.lpars}
            lpar_id = next(i for i in range(1, 32768) if i not in taken)
        kind = {"aixlinux": "aix", "vioserver": "vios", "os400": "ibmi"}[attrs["lpar_env"]]
        lpar = SimLpar(
            name=name,
            lpar_id=lpar_id,
            kind=kind,
            state="Not Activated",
            profile=attrs["profile_name"],
            compat_mode=attrs.get("lpar_proc_compat_mode", "default"),
            proc_mode="dedicated" if dedicated else "shared",
            proc_units=attrs["desired_procs"] if dedicated else attrs["desired_proc_units"],
            procs=int(attrs["desired_procs"]),
            shared_pool=None if dedicated else attrs.get("shared_proc_pool_name", "DefaultPool"),
            memory_mb=int(attrs["desired_mem"]),
            max_virtual_slots=int(attrs.get("max_virtual_slots", 1000)),
        )
        lpar.eth = [_eth_element(e) for e in list_split(attrs.get("virtual_eth_adapters", ""))]
        for kind_name, attribute in (
            ("scsi", "virtual_scsi_adapters"),
            ("fc", "virtual_fc_adapters"),
        ):
            for element in list_split(attrs.get(attribute, "")):
                adapter = _storage_element(kind_name, element)
                if kind_name == "fc" and adapter.role == "client" and not adapter.wwpns:
                    adapter.wwpns = self._wwpn_pair()
                lpar.storage.append(adapter)
        slots = [a.slot for a in lpar.eth] + [a.slot for a in lpar.storage]
        if len(set(slots)) != len(slots):
            raise _bad("Two virtual adapters have the same slot number.")
        frame.lpars.append(lpar)
        return ""

    def lshmc(self, options: Options) -> str:
        """`lshmc -V`, as the HMC prints it: one record of two quoted multi-line fields."""
        if "-V" not in options.flags:
            raise _bad("Give -V.")
        match = re.fullmatch(r"V(\d+)R(\d+)(?:M(\d+))?", self.estate.hmc_version)
        if match is None:
            raise _bad(f"The simulated HMC version {self.estate.hmc_version} is not VxRyMz.")
        version, release, service_pack = match.groups()
        return (
            f'"version= Version: {version}\n Release: {release}\n'
            f" Service Pack: {service_pack or 0}\nHMC Build level {self.estate.hmc_build}\n"
            f'","base_version=V{version}R{release}\n"\n'
        )

    def _wwpn_pair(self) -> list[str]:
        taken = self.estate.wwpns()
        while f"{self._next_wwpn:016x}" in taken or f"{self._next_wwpn + 1:016x}" in taken:
            self._next_wwpn += 2
        pair = [f"{self._next_wwpn:016x}", f"{self._next_wwpn + 1:016x}"]
        self._next_wwpn += 2
        return pair

    def viosvrcmd(self, options: Options) -> str:
        frame = self._frame(options)
        if options.get("--id") is not None:
            vios = self._lpar_with_id(frame, options.need("--id"))
        else:
            vios = self._lpar(frame, options.need("-p"))
        if vios.kind != "vios":
            raise CommandFailed(codes.NOT_A_VIOS, f"{vios.name} is not a VIOS.")
        words = options.need("-c").split()
        if words == ["ioslevel"]:
            return "3.1.4.30\n"
        if words[:2] == ["lsmap", "-all"]:
            lines = []
            for adapter in vios.adapters("fc" if "-npiv" in words else "scsi"):
                lines.append(
                    f"slot={adapter.slot},client_id={adapter.remote_lpar_id},"
                    f"client_name={adapter.remote_lpar_name or ''}"
                )
            return "\n".join(lines) + "\n"
        raise CommandFailed(codes.VIOS_COMMAND_FAILED, f"{words[0]} is not simulated.")
