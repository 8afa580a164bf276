"""HMC command lines built from typed arguments: every value is checked against what the HMC
accepts and quoted, so no name a planner typed can run anything else (§1.1 of the domain notes)."""

import csv
import io
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from migrations_app.hmc.errors import HmcCommandError
from migrations_app.hmc.parser import SENTINELS

SYSTEM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+/#@-]{0,62}")
MTMS = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{3}\*[0-9A-Z]{7}")
LPAR_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+/#@-]{0,46}")
PROFILE_NAME = re.compile(r"[A-Za-z0-9 ,./;:~@#^_=+{}-]{1,31}")
ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
# A scalar `-i` value cannot hold , = or quotes (§1.1); a list element may hold commas (a WWPN
# pair), which the rendering wraps in doubled quotes.
SCALAR_VALUE = re.compile(r"[A-Za-z0-9 ._+/#@:-]*")
LIST_ELEMENT = re.compile(r"[A-Za-z0-9 ._+/#@:,-]+")
WWPN = re.compile(r"[0-9a-f]{16}")
VIOS_WORD = re.compile(r"[A-Za-z0-9_./:@+-]+")
# `--ip` of another HMC: a host name or an IPv4/IPv6 address; `-u` an HMC user name.
HMC_HOST = re.compile(r"[A-Za-z0-9][A-Za-z0-9.:-]{0,253}")
HMC_USER = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,31}")
# Options whose value is a secret: shown (logs, job events, errors) as MASK, never as given.
SECRET_OPTIONS = frozenset({"--passwd"})
MASK = "********"
MIGRATION_OPERATIONS = {"v", "m", "s", "r"}
# The values `migrlpar` takes for its validate/migrate options (POWER9 man page, §10).
MIGRLPAR_FLAG_VALUES = {
    "-d": ("1", "2", "3", "4", "5"),
    "--npivval": ("port", "portdisk"),
    "--vlanbridge": ("1", "2"),
    "--mpio": ("1", "2"),
    "--redundantvios": ("0", "1", "2"),
}
VIRTUALIO_SUBTYPES = {"eth", "scsi", "fc"}
MAX_ID = 32767

Attributes = Mapping[str, str | int | Sequence[str]]


@dataclass(frozen=True)
class Command:
    """One HMC command as words; `text` is the line sent over SSH, every word shell-quoted."""

    argv: tuple[str, ...]

    @property
    def text(self) -> str:
        """The line sent to the HMC: only the transport reads it (it may hold a password)."""
        return " ".join(shlex.quote(word) for word in self.argv)

    @property
    def shown(self) -> str:
        """The line as logs, job events and errors record it: secrets masked."""
        return line_shown(self.argv)

    def __str__(self) -> str:
        return self.shown


def line_shown(words: Sequence[str]) -> str:
    """A command line with the value of every secret option (`--passwd`) written as MASK."""
    shown = [shlex.quote(word) for word in words]
    for index, word in enumerate(words[:-1]):
        if word in SECRET_OPTIONS:
            shown[index + 1] = MASK
    return " ".join(shown)


def _checked(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise HmcCommandError(f"{what} {value!r} is not something the HMC accepts.")
    return value


def system_checked(value: str) -> str:
    """A managed-system name or its `tttt-mmm*sssssss` form."""
    if isinstance(value, str) and MTMS.fullmatch(value):
        return value
    return _checked(value, SYSTEM_NAME, "Managed system name")


def lpar_name_checked(value: str) -> str:
    return _checked(value, LPAR_NAME, "Partition name")


def number_checked(value: int, what: str, low: int = 1, high: int = MAX_ID) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise HmcCommandError(f"{what} {value!r} is not a whole number from {low} to {high}.")
    return str(value)


def attributes_render(attributes: Attributes) -> str:
    """The `-i` argument: `attr=value,…`; a list value is comma-joined, the field quoted as
    `"attr=v1,v2"` and elements with commas in doubled quotes, as the HMC prints them."""
    fields = []
    for name, value in attributes.items():
        _checked(name, ATTRIBUTE_NAME, "Attribute name")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            text = _checked(value, SCALAR_VALUE, f"Value of {name}")
        elif isinstance(value, Sequence) and value:
            for element in value:
                _checked(element, LIST_ELEMENT, f"List element of {name}")
                if element.strip().lower() in SENTINELS:
                    raise HmcCommandError(f"List element of {name} {element!r} means nothing.")
            text = _csv_line(list(value))
        else:
            raise HmcCommandError(f"Value of {name} must be text, a number or a non-empty list.")
        fields.append(f"{name}={text}")
    if not fields:
        raise HmcCommandError("Give at least one attribute.")
    return _csv_line(fields)


def _csv_line(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()


def _fields(fields: Sequence[str]) -> tuple[str, ...]:
    return ("-F", ",".join(_checked(f, ATTRIBUTE_NAME, "Field name") for f in fields))


def lssyscfg_sys(fields: Sequence[str] = ()) -> Command:
    return Command(("lssyscfg", "-r", "sys", *(_fields(fields) if fields else ())))


def lssyscfg_lpar(*, system: str, fields: Sequence[str] = ()) -> Command:
    extra = _fields(fields) if fields else ()
    return Command(("lssyscfg", "-r", "lpar", "-m", system_checked(system), *extra))


def lssyscfg_prof(*, system: str, lpar: str | None = None) -> Command:
    extra = ("--filter", f"lpar_names={lpar_name_checked(lpar)}") if lpar else ()
    return Command(("lssyscfg", "-r", "prof", "-m", system_checked(system), *extra))


def lshwres(*, resource: str, system: str, level: str) -> Command:
    """`lshwres -r proc|mem -m SYS --level sys|lpar`."""
    if resource not in {"proc", "mem"} or level not in {"sys", "lpar"}:
        raise HmcCommandError(f"lshwres -r {resource!r} --level {level!r} is not supported.")
    return Command(("lshwres", "-r", resource, "-m", system_checked(system), "--level", level))


def lshwres_virtualio(*, system: str, subtype: str) -> Command:
    if subtype not in VIRTUALIO_SUBTYPES:
        raise HmcCommandError(f"Virtual I/O subtype {subtype!r} is not one of eth, scsi, fc.")
    return Command(
        (
            "lshwres",
            "-r",
            "virtualio",
            "--rsubtype",
            subtype,
            "--level",
            "lpar",
            "-m",
            system_checked(system),
        )
    )


def lshwres_io_slots(*, system: str) -> Command:
    return Command(("lshwres", "-r", "io", "--rsubtype", "slot", "-m", system_checked(system)))


def migrlpar(
    *,
    operation: str,
    source: str,
    lpar: str,
    destination: str | None = None,
    attributes: Attributes | None = None,
    wait_minutes: int | None = None,
    profile: str | None = None,
    force: bool = False,
    remote_hmc: str | None = None,
    remote_user: str | None = None,
    detail_level: int | None = None,
    npiv_validation: str = "",
    vlan_bridge: str = "",
    mpio: str = "",
    redundant_vios: str = "",
) -> Command:
    """`migrlpar -o v|m|s|r`: validate, migrate, stop or recover one partition; `profile` is
    the destination profile name (`-n`); `remote_hmc`/`remote_user` (`--ip`/`-u`) name the HMC
    that manages the destination when it is not this one (§1.6). Validate and migrate also
    take `-d` (detail level of the HMC's messages), `--npivval`, `--vlanbridge`, `--mpio` and
    `--redundantvios` (§10); left empty, the HMC's own default applies (nothing is sent)."""
    if operation not in MIGRATION_OPERATIONS:
        raise HmcCommandError(f"migrlpar -o {operation!r} is not one of v, m, s, r.")
    argv = ["migrlpar", "-o", operation, "-m", system_checked(source)]
    if operation in {"v", "m"}:
        if destination is None:
            raise HmcCommandError("Validate and migrate need a destination system.")
        argv += ["-t", system_checked(destination)]
    if remote_hmc:
        argv += ["--ip", hmc_host_checked(remote_hmc)]
        if remote_user:
            argv += ["-u", hmc_user_checked(remote_user)]
    elif remote_user:
        raise HmcCommandError("-u names the user on the remote HMC: give --ip too.")
    argv += ["-p", lpar_name_checked(lpar)]
    if profile:
        argv += ["-n", _checked(profile, PROFILE_NAME, "Profile name")]
    if attributes:
        argv += ["-i", attributes_render(attributes)]
    if wait_minutes is not None:
        argv += ["-w", number_checked(wait_minutes, "Wait time (minutes)", 1, 1440)]
    if force:
        argv.append("--force")
    flags = {
        "-d": detail_level,
        "--npivval": npiv_validation,
        "--vlanbridge": vlan_bridge,
        "--mpio": mpio,
        "--redundantvios": redundant_vios,
    }
    for option, value in flags.items():
        if value in (None, ""):
            continue
        if operation not in {"v", "m"}:
            raise HmcCommandError(f"migrlpar {option} goes with validate or migrate only.")
        if str(value) not in MIGRLPAR_FLAG_VALUES[option]:
            allowed = ", ".join(MIGRLPAR_FLAG_VALUES[option])
            raise HmcCommandError(f"migrlpar {option} takes {allowed}, not {value!r}.")
        argv += [option, str(value)]
    return Command(tuple(argv))


def hmc_host_checked(value: str) -> str:
    return _checked(value, HMC_HOST, "HMC host")


def hmc_user_checked(value: str) -> str:
    return _checked(value, HMC_USER, "HMC user name")


def mkauthkeys_test(*, remote_hmc: str, remote_user: str) -> Command:
    """`mkauthkeys --ip R -u U --test`: does this HMC log in to R as U with its SSH key?
    HSCL3653 when it does not (§1.6)."""
    return Command(
        (
            "mkauthkeys",
            "--ip",
            hmc_host_checked(remote_hmc),
            "-u",
            hmc_user_checked(remote_user),
            "--test",
        )
    )


def mkauthkeys_generate(*, remote_hmc: str, remote_user: str, password: str) -> Command:
    """`mkauthkeys --ip R -u U -g --passwd PW`: put this HMC's SSH key on R for U. The
    password is one shell-quoted word; `shown` masks it."""
    if not isinstance(password, str) or not password or "\n" in password or "\x00" in password:
        raise HmcCommandError("The remote HMC user's password is one line of text.")
    return Command(
        (
            "mkauthkeys",
            "--ip",
            hmc_host_checked(remote_hmc),
            "-u",
            hmc_user_checked(remote_user),
            "-g",
            "--passwd",
            password,
        )
    )


def lslparmigr_sys(*, system: str) -> Command:
    """`lslparmigr -r sys -m SYS`: the frame's migration capabilities and limits."""
    return Command(("lslparmigr", "-r", "sys", "-m", system_checked(system)))


def lshmc_version() -> Command:
    """`lshmc -V`: the HMC's version, release and service pack."""
    return Command(("lshmc", "-V"))


def lslparmigr_lpar(*, system: str, lpar: str | None = None) -> Command:
    extra = ("--filter", f"lpar_names={lpar_name_checked(lpar)}") if lpar else ()
    return Command(("lslparmigr", "-r", "lpar", "-m", system_checked(system), *extra))


# What `mksyscfg -r lpar` needs of every partition, and of a shared-processor one (§10).
MKSYSCFG_REQUIRED = (
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
    "sharing_mode",
)
MKSYSCFG_SHARED = ("min_proc_units", "desired_proc_units", "max_proc_units")
DEFAULT_VSWITCH = "ETHERNET0"


def mksyscfg_lpar(*, system: str, attributes: Attributes) -> Command:
    """`mksyscfg -r lpar -m SYS -i "…"`: a new partition and its profile. Refused before it is
    sent when an attribute the HMC requires is missing; `lpar_id` is optional (the HMC picks
    one)."""
    required: tuple[str, ...] = MKSYSCFG_REQUIRED
    if attributes.get("proc_mode") == "shared":
        required += MKSYSCFG_SHARED
    missing = [name for name in required if name not in attributes]
    if missing:
        raise HmcCommandError(f"A new partition needs {', '.join(missing)}.")
    lpar_name_checked(str(attributes["name"]))
    if "lpar_id" in attributes:
        number_checked(int(str(attributes["lpar_id"])), "LPAR id")
    return Command(
        (
            "mksyscfg",
            "-r",
            "lpar",
            "-m",
            system_checked(system),
            "-i",
            attributes_render(attributes),
        )
    )


# Sharing mode of a new partition: shared processors uncapped (weight 128), dedicated ones
# keep their idle processors, as the HMC's own wizard proposes.
SHARED_SHARING_MODE, SHARED_UNCAP_WEIGHT = "uncap", 128
DEDICATED_SHARING_MODE = "keep_idle_procs"
MIN_PROC_UNITS = Decimal("0.1")  # enough for one virtual processor on every generation
LPAR_ENV = {"vios": "vioserver", "ibmi": "os400"}  # by partition kind; else aixlinux


def mksyscfg_lpar_attributes(
    *,
    name: str,
    lpar_id: int,
    profile_name: str,
    kind: str,
    memory_mb: int,
    memory_region_mb: int,
    dedicated: bool,
    proc_units: Decimal,
    virtual_procs: int,
    shared_pool: str | None,
    compat_mode: str,
    max_virtual_slots: int,
    eth: Sequence[str] = (),
    scsi: Sequence[str] = (),
    fc: Sequence[str] = (),
) -> dict[str, str | int | list[str]]:
    """The `mksyscfg -r lpar` attributes of a new partition: minimum, desired and maximum
    memory, processors and processing units (desired = the plan; minimum the least it can
    start with, memory in whole regions; maximum twice the plan, room for DLPAR), its sharing
    mode, and its virtual adapters as elements (`virtual_*_element`)."""
    min_mem = max(memory_region_mb, memory_mb // 2 // memory_region_mb * memory_region_mb)
    attributes: dict[str, str | int | list[str]] = {
        "name": name,
        "lpar_id": lpar_id,
        "profile_name": profile_name,
        "lpar_env": LPAR_ENV.get(kind, "aixlinux"),
        "min_mem": min_mem,
        "desired_mem": memory_mb,
        "max_mem": memory_mb * 2,
        "proc_mode": "ded" if dedicated else "shared",
        "min_procs": 1,
        "desired_procs": virtual_procs,
        "max_procs": virtual_procs * 2,
    }
    if dedicated:
        attributes["sharing_mode"] = DEDICATED_SHARING_MODE
    else:
        attributes.update(
            min_proc_units=str(MIN_PROC_UNITS),
            desired_proc_units=str(proc_units),
            max_proc_units=str(Decimal(virtual_procs * 2)),
            sharing_mode=SHARED_SHARING_MODE,
            uncap_weight=SHARED_UNCAP_WEIGHT,
        )
        if shared_pool:
            attributes["shared_proc_pool_name"] = shared_pool
    attributes["lpar_proc_compat_mode"] = compat_mode
    attributes["max_virtual_slots"] = max_virtual_slots
    for attribute, elements in (
        ("virtual_eth_adapters", eth),
        ("virtual_scsi_adapters", scsi),
        ("virtual_fc_adapters", fc),
    ):
        if elements:
            attributes[attribute] = list(elements)
    return attributes


def virtual_eth_element(
    *,
    slot: int,
    pvid: int,
    tagged_vlans: Sequence[int] = (),
    vswitch: str = "",
    trunk_priority: int = 0,
    required: bool = True,
) -> str:
    """A `virtual_eth_adapters` element of `mksyscfg`:
    `slot/ieee/pvid/additional_vlans/trunk_priority/required/vswitch`; is-IEEE is 1 exactly
    when the adapter carries tagged VLANs; the vswitch is always sent."""
    number_checked(slot, "Virtual slot", 2)
    number_checked(pvid, "PVID", 1, 4094)
    vlans = sorted({int(number_checked(v, "Tagged VLAN", 1, 4094)) for v in tagged_vlans} - {pvid})
    vswitch = _checked(vswitch or DEFAULT_VSWITCH, SYSTEM_NAME, "Virtual switch name")
    return "/".join(
        (
            str(slot),
            "1" if vlans else "0",
            str(pvid),
            ",".join(map(str, vlans)),
            str(trunk_priority),
            "1" if required else "0",
            vswitch,
        )
    )


def virtual_scsi_element(
    *,
    slot: int,
    remote_lpar_id: int,
    remote_lpar_name: str,
    remote_slot: int,
    required: bool = True,
) -> str:
    """A client `virtual_scsi_adapters` element: `slot/client/remote_id/remote_name/remote_slot/
    required`."""
    return "/".join(
        (
            number_checked(slot, "Virtual slot", 2),
            "client",
            number_checked(remote_lpar_id, "Remote LPAR id"),
            lpar_name_checked(remote_lpar_name),
            number_checked(remote_slot, "Remote slot", 2),
            "1" if required else "0",
        )
    )


def virtual_fc_element(
    *,
    slot: int,
    remote_lpar_id: int,
    remote_lpar_name: str,
    remote_slot: int,
    wwpns: Sequence[str] = (),
    required: bool = True,
) -> str:
    """A client `virtual_fc_adapters` element, seven fields: `slot/client/remote_id/
    remote_name/remote_slot/wwpns/required`; WWPNs empty to let the HMC assign a pair."""
    pair = ",".join(_checked(w, WWPN, "WWPN") for w in wwpns)
    return "/".join(
        (
            number_checked(slot, "Virtual slot", 2),
            "client",
            number_checked(remote_lpar_id, "Remote LPAR id"),
            lpar_name_checked(remote_lpar_name),
            number_checked(remote_slot, "Remote slot", 2),
            pair,
            "1" if required else "0",
        )
    )


def viosvrcmd(*, system: str, vios: str, words: Sequence[str]) -> Command:
    """A VIOS command run through the HMC (no `ioscli` prefix), each word checked."""
    if not words:
        raise HmcCommandError("Give the VIOS command to run.")
    line = " ".join(_checked(w, VIOS_WORD, "VIOS command word") for w in words)
    return Command(
        ("viosvrcmd", "-m", system_checked(system), "-p", lpar_name_checked(vios), "-c", line)
    )
