"""What the simulated HMC answers: the command-line subset lpmplanner uses, in the HMC's output
format, with HSCL-style errors and non-zero exits, migrations that take time, and faults.
Several simulated HMCs joined in a `SimNetwork` know each other by address: `mkauthkeys` sets
up SSH trust between them and `migrlpar --ip` moves a partition to a frame of another one."""

import asyncio
import csv
import io
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from migrations_app.hmc import codes
from migrations_app.hmc.commands import MASK, line_shown
from migrations_app.hmc.parser import list_split, records_parse
from migrations_app.simulator.estate import (
    ENV_OF_KIND,
    OS_TYPE_OF_KIND,
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


@dataclass
class Migration:
    lpar: SimLpar
    source: SimFrame
    destination: SimFrame
    started: float
    total_bytes: int
    state: str = "Migration In Progress"
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


@dataclass
class Options:
    """Parsed `-x value` and `--flag value` words of one command line."""

    values: dict[str, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def need(self, name: str) -> str:
        if name not in self.values:
            raise CommandFailed(codes.SIM_BAD_OPTION, f"The {name} option is required.")
        return self.values[name]


FLAGS = {"--force", "--header", "--immed", "-v", "--nodetails", "--test", "-g"}


def options_parse(words: list[str]) -> Options:
    options = Options()
    index = 0
    while index < len(words):
        word = words[index]
        if not word.startswith("-"):
            raise CommandFailed(codes.SIM_BAD_OPTION, f"Unexpected value {word}.")
        if word in FLAGS:
            options.flags.add(word)
            index += 1
            continue
        if index + 1 >= len(words):
            raise CommandFailed(codes.SIM_BAD_OPTION, f"The {word} option needs a value.")
        options.values[word] = words[index + 1]
        index += 2
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


def render(records: list[dict], options: Options) -> str:
    """Records as `attr=value` lines, or `-F` positional rows; `No results were found.`"""
    if not records:
        return "No results were found.\n"
    fields = options.get("-F")
    lines = []
    if fields:
        names = fields.split(",")
        if "--header" in options.flags:
            lines.append(_csv(names))
        lines += [_csv([_value(r.get(n)) for n in names]) for r in records]
    else:
        lines += [_csv([f"{k}={_value(v)}" for k, v in r.items()]) for r in records]
    return "\n".join(lines) + "\n"


def _filtered(records: list[dict], options: Options) -> list[dict]:
    raw = options.get("--filter")
    if not raw:
        return records
    wanted = {}
    for name, value in records_parse(raw)[0].items():
        wanted[name.removesuffix("s")] = set(list_split(value))
    if not set(wanted) <= {"lpar_name", "lpar_id"}:
        raise CommandFailed(codes.SIM_BAD_OPTION, f"The filter {raw} is not valid.")
    return [r for r in records if all(str(r.get(k, r.get("name"))) in v for k, v in wanted.items())]


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
        passwords: dict[str, str] | None = None,
    ) -> None:
        self.estate = estate
        self.migration_seconds = migration_seconds
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
            options = options_parse(words[1:])
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
            raise CommandFailed(codes.LPAR_NOT_FOUND, f"The partition {name} was not found.")
        return lpar

    def lssyscfg(self, options: Options) -> str:
        resource = options.need("-r")
        if resource == "sys":
            records = [self._sys_record(f) for f in self.estate.frames]
        elif resource == "lpar":
            frame = self._frame(options)
            records = [self._lpar_record(frame, p) for p in frame.lpars]
        elif resource == "prof":
            frame = self._frame(options)
            records = [self._profile_record(p) for p in frame.lpars]
        else:
            raise CommandFailed(codes.SIM_BAD_OPTION, f"-r {resource} is not a valid resource.")
        return render(_filtered(records, options), options)

    def _sys_record(self, frame: SimFrame) -> dict:
        return {
            "name": frame.name, "type_model": f"{frame.machine_type}-{frame.model}",
            "serial_num": frame.serial, "state": frame.state,
            "active_lpar_mobility_capable": True, "inactive_lpar_mobility_capable": True,
            "lpar_proc_compat_modes": frame.compat_modes,
            "max_active_migrations": frame.max_active_migrations,
        }  # fmt: skip

    def _lpar_record(self, frame: SimFrame, lpar: SimLpar) -> dict:
        migration = self.migrations.get(lpar.name)
        state = lpar.state
        if migration and migration.state == "Migration In Progress":
            running = migration.lpar.state == "Running"
            state = "Migrating - Running" if running else "Migrating - Not Activated"
        return {
            "name": lpar.name, "lpar_id": lpar.lpar_id, "lpar_env": ENV_OF_KIND[lpar.kind],
            "os_type": OS_TYPE_OF_KIND[lpar.kind], "state": state, "curr_profile": lpar.profile,
            "default_profile": lpar.profile,
            "rmc_state": "active" if lpar.state == "Running" else "inactive", "msp": lpar.msp,
            "curr_lpar_proc_compat_mode": lpar.compat_mode,
        }  # fmt: skip

    def _profile_record(self, lpar: SimLpar) -> dict:
        eth = [
            f"{a.slot}/0/{a.pvid}/{','.join(map(str, a.vlans))}/{a.trunk_priority or 0}/1//"
            f"{a.vswitch}"
            for a in lpar.eth
        ]

        def storage(a: SimStorage) -> str:
            remote = f"{a.remote_lpar_id or 'any'}/{a.remote_lpar_name or ''}/"
            remote += str(a.remote_slot or "any")
            wwpns = f"/{','.join(a.wwpns)}" if a.kind == "fc" else ""
            return f"{a.slot}/{a.role}/{remote}{wwpns}/1"

        return {
            "name": lpar.profile, "lpar_name": lpar.name, "lpar_id": lpar.lpar_id,
            "lpar_env": ENV_OF_KIND[lpar.kind], "desired_mem": lpar.memory_mb,
            "proc_mode": "ded" if lpar.proc_mode == "dedicated" else "shared",
            "desired_proc_units": None if lpar.proc_mode == "dedicated" else lpar.proc_units,
            "desired_procs": lpar.procs, "shared_proc_pool_name": lpar.shared_pool,
            "max_virtual_slots": lpar.max_virtual_slots, "virtual_eth_adapters": eth,
            "virtual_scsi_adapters": [storage(a) for a in lpar.adapters("scsi")],
            "virtual_fc_adapters": [storage(a) for a in lpar.adapters("fc")],
            "io_slots": [],
        }  # fmt: skip

    def lshwres(self, options: Options) -> str:
        frame = self._frame(options)
        resource, level = options.need("-r"), options.get("--level")
        if resource == "proc" and level == "sys":
            records = [{
                "configurable_sys_proc_units": frame.proc_units,
                "curr_avail_sys_proc_units": Decimal(frame.proc_units) - frame.used_proc_units(),
                "installed_sys_proc_units": frame.proc_units,
            }]  # fmt: skip
        elif resource == "mem" and level == "sys":
            records = [{
                "installed_sys_mem": frame.memory_mb, "configurable_sys_mem": frame.memory_mb,
                "curr_avail_sys_mem": frame.memory_mb - frame.used_memory_mb(),
                "mem_region_size": frame.region_mb,
            }]  # fmt: skip
        elif resource == "proc" and level == "lpar":
            records = [
                {
                    "lpar_name": p.name,
                    "lpar_id": p.lpar_id,
                    "curr_proc_mode": "ded" if p.proc_mode == "dedicated" else "shared",
                    "curr_proc_units": None if p.proc_mode == "dedicated" else p.proc_units,
                    "curr_procs": p.procs,
                    "curr_shared_proc_pool_name": p.shared_pool,
                }
                for p in frame.lpars
            ]
        elif resource == "mem" and level == "lpar":
            records = [
                {"lpar_name": p.name, "lpar_id": p.lpar_id, "curr_mem": p.memory_mb}
                for p in frame.lpars
            ]
        elif resource == "virtualio":
            records = self._virtualio(frame, options.need("--rsubtype"))
        elif resource == "io" and options.get("--rsubtype") == "slot":
            owners = {p.lpar_id: p.name for p in frame.lpars}
            records = []
            for s in frame.slots:
                record = {
                    "unit_phys_loc": s.unit_location, "bus_id": s.bus_id,
                    "phys_loc": s.drc_name.removeprefix(s.unit_location + "-"),
                    "drc_index": s.drc_index, "drc_name": s.drc_name,
                    "description": s.description, "feature_codes": s.feature_codes,
                    "lpar_id": s.lpar_id if s.lpar_id else "none",
                }  # fmt: skip
                if s.lpar_id in owners:  # an unassigned slot has no lpar_name field at all
                    record["lpar_name"] = owners[s.lpar_id]
                records.append(record)
        else:
            raise CommandFailed(codes.SIM_BAD_OPTION, "That lshwres resource is not valid.")
        return render(_filtered(records, options), options)

    def _virtualio(self, frame: SimFrame, subtype: str) -> list[dict]:
        records = []
        for lpar in frame.lpars:
            base = {"lpar_name": lpar.name, "lpar_id": lpar.lpar_id}
            if subtype == "eth":
                for a in lpar.eth:
                    records.append({
                        **base, "slot_num": a.slot, "port_vlan_id": a.pvid,
                        "addl_vlan_ids": a.vlans, "is_trunk": a.trunk_priority is not None,
                        "trunk_priority": a.trunk_priority or "", "vswitch": a.vswitch,
                    })  # fmt: skip
            elif subtype in {"scsi", "fc"}:
                for a in lpar.adapters(subtype):
                    record = {
                        **base, "slot_num": a.slot, "adapter_type": a.role,
                        "remote_lpar_id": a.remote_lpar_id or "any",
                        "remote_lpar_name": a.remote_lpar_name or "",
                        "remote_slot_num": a.remote_slot or "any",
                    }  # fmt: skip
                    if subtype == "fc" and a.role == "client":
                        record["wwpns"] = a.wwpns
                    records.append(record)
            else:
                raise CommandFailed(codes.SIM_BAD_OPTION, f"--rsubtype {subtype} is not valid.")
        return records

    def lslparmigr(self, options: Options) -> str:
        frame = self._frame(options)
        resource = options.need("-r")
        if resource == "sys":
            active = [m for m in self.migrations.values() if self._involves(m, frame)]
            records = [{
                "active_lpar_mobility_capable": 1, "inactive_lpar_mobility_capable": 1,
                "num_active_migrations_supported": frame.max_active_migrations,
                "num_active_migrations_in_progress": len(active),
            }]  # fmt: skip
        elif resource == "lpar":
            records = [self._migration_record(p) for p in frame.lpars]
            records += [
                self._migration_record(m.lpar)
                for m in self.migrations.values()
                if m.source is frame and m.lpar not in frame.lpars
            ]
        else:
            raise CommandFailed(codes.SIM_BAD_OPTION, f"-r {resource} is not valid.")
        return render(_filtered(records, options), options)

    def _involves(self, migration: Migration, frame: SimFrame) -> bool:
        in_progress = migration.state == "Migration In Progress"
        return in_progress and frame in (migration.source, migration.destination)

    def _migration_record(self, lpar: SimLpar) -> dict:
        migration = self.migrations.get(lpar.name)
        if migration is None:
            return {"name": lpar.name, "lpar_id": lpar.lpar_id, "migration_state": "Not Migrating"}
        record = {
            "name": lpar.name, "lpar_id": lpar.lpar_id, "migration_state": migration.state,
            "migration_type": "active" if lpar.state == "Running" else "inactive",
            "source_sys_name": migration.source.name, "dest_sys_name": migration.destination.name,
            "dest_lpar_id": lpar.lpar_id, "bytes_transmitted": migration.transmitted,
            "bytes_remaining": migration.total_bytes - migration.transmitted,
        }  # fmt: skip
        if migration.remote_manager:
            record["remote_manager"] = migration.remote_manager
            record["remote_user"] = migration.remote_user
        return record

    def migrlpar(self, options: Options):
        operation = options.need("-o")
        source = self._frame(options)
        name = options.need("-p")
        if operation in {"v", "m"}:
            lpar = self._lpar(source, name)
            manager = self._destination_manager(options)
            destination = manager.estate.frame(options.need("-t"))
            if destination is None:
                raise CommandFailed(codes.SYSTEM_NOT_FOUND, "The destination system was not found.")
            request = self._request(lpar, source, destination, options.get("-i"))
            warnings = self._validate(lpar, source, destination, request)
            if operation == "v":
                return "".join(f"{w}\n" for w in warnings)
            if manager is not self:
                request.remote = (options.need("--ip"), options.get("-u") or DEFAULT_USER)
            return self._migrate_detached(lpar, source, destination, request)
        migration = self.migrations.get(name)
        if migration is None or migration.source is not source:
            raise CommandFailed(codes.NO_MIGRATION, f"The partition {name} is not migrating.")
        if operation == "s":
            if migration.state != "Migration In Progress":
                raise CommandFailed(codes.NO_MIGRATION, f"The partition {name} is not migrating.")
            migration.stop_requested = True
            return ""
        if operation == "r":
            if migration.state == "Migration In Progress" and "--force" not in options.flags:
                raise CommandFailed(codes.MIGRATION_BUSY, "The migration is still running.")
            migration.stop_requested = True
            del self.migrations[name]
            return ""
        raise CommandFailed(codes.SIM_BAD_OPTION, f"-o {operation} is not valid.")

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
        """The `-i` attributes: destination id, MSPs, pool, vSCSI/vFC mappings."""
        attributes = records_parse(raw)[0] if raw else {}
        request = MigrationRequest(
            dest_lpar_id=int(attributes["dest_lpar_id"]) if "dest_lpar_id" in attributes else None,
            source_msp=attributes.get("source_msp_name"),
            dest_msp=attributes.get("dest_msp_name"),
            shared_pool=attributes.get("shared_proc_pool_name"),
        )
        for kind, name in (("scsi", "virtual_scsi_mappings"), ("fc", "virtual_fc_mappings")):
            for element in list_split(attributes.get(name, "")):
                parts = ([*element.split("/"), "", "", "", ""])[:4]
                if not parts[0].isdigit():
                    raise CommandFailed(codes.SIM_BAD_OPTION, f"{name}: {element} is not valid.")
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
        for side, frame, msp in (("source", source, request.source_msp),
                                 ("destination", destination, request.dest_msp)):  # fmt: skip
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
        if destination is source:
            errors.append((codes.NOT_MIGRATABLE, "Source and destination are the same system."))
        if destination.lpar(lpar.name):
            errors.append((codes.NAME_CONFLICT, f"{destination.name} has a {lpar.name} already."))
        wanted_id = request.dest_lpar_id or lpar.lpar_id
        if destination.lpar_by_id(wanted_id):
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
        for adapter in lpar.eth:
            missing = sorted({adapter.pvid, *adapter.vlans} - bridged)
            if missing:
                errors.append((codes.VLAN_NOT_BRIDGED, f"VLAN {missing} is not bridged."))
        for adapter in lpar.adapters("fc"):
            unzoned = [w for w in adapter.wwpns if w in self.estate.unzoned_wwpns]
            if unzoned:
                errors.append(
                    (codes.NPIV_NOT_HOSTED, f"Slot {adapter.slot}: {unzoned[0]} is not zoned.")
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
        remote_manager, remote_user = (request.remote if request else None) or (None, None)
        migration = Migration(
            lpar=lpar, source=source, destination=destination, started=time.monotonic(),
            total_bytes=lpar.memory_mb * 1024 * 1024, remote_manager=remote_manager,
            remote_user=remote_user,
        )  # fmt: skip
        self.migrations[lpar.name] = migration
        fail_at = self.faults.fail_at_percent
        while True:
            await asyncio.sleep(MIGRATION_STEP)
            if self.migrations.get(lpar.name) is not migration:
                raise CommandFailed(codes.MIGRATION_STOPPED, "The migration was recovered.")
            elapsed = time.monotonic() - migration.started
            fraction = min(1.0, elapsed / self.migration_seconds if self.migration_seconds else 1)
            migration.transmitted = int(migration.total_bytes * fraction)
            if migration.stop_requested:
                migration.state = "Migration Stopped"
                del self.migrations[lpar.name]
                raise CommandFailed(codes.MIGRATION_STOPPED, "The migration was stopped.")
            if fail_at is not None and fraction * 100 >= fail_at:
                migration.state = "Migration Failed"
                raise CommandFailed(codes.MIGRATION_FAILED, f"The migration failed at {fail_at}%.")
            if fraction >= 1:
                break
        self._move(lpar, source, destination, request or MigrationRequest())
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
                (a for a in old_vios.storage if a.remote_lpar_name == lpar.name
                 and a.remote_slot == client.slot), None,
            )  # fmt: skip
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
        if options.need("-r") != "lpar":
            raise CommandFailed(codes.SIM_BAD_OPTION, "Only -r lpar is simulated.")
        frame = self._frame(options)
        records = records_parse(options.need("-i"))
        if len(records) != 1 or "name" not in records[0] or "lpar_id" not in records[0]:
            raise CommandFailed(codes.SIM_BAD_OPTION, "Give name and lpar_id in -i.")
        attrs = records[0]
        name, lpar_id = attrs["name"], int(attrs["lpar_id"])
        if frame.lpar(name):
            raise CommandFailed(codes.NAME_CONFLICT, f"A partition named {name} exists.")
        if frame.lpar_by_id(lpar_id):
            raise CommandFailed(codes.ID_CONFLICT, f"LPAR id {lpar_id} is in use.")
        env = attrs.get("lpar_env", "aixlinux")
        kind = {"vioserver": "vios", "os400": "ibmi"}.get(env, "aix")
        dedicated = attrs.get("proc_mode") == "ded"
        lpar = SimLpar(
            name=name, lpar_id=lpar_id, kind=kind, state="Not Activated",
            profile=attrs.get("profile_name", "default"),
            compat_mode=attrs.get("lpar_proc_compat_mode", "default"),
            proc_mode="dedicated" if dedicated else "shared",
            proc_units=attrs.get("desired_procs" if dedicated else "desired_proc_units", "0.1"),
            procs=int(attrs.get("desired_procs", 1)),
            shared_pool=None if dedicated else attrs.get("shared_proc_pool_name", "DefaultPool"),
            memory_mb=int(attrs.get("desired_mem", 1024)),
            max_virtual_slots=attrs.get("max_virtual_slots", 1000),
        )  # fmt: skip
        for element in list_split(attrs.get("virtual_eth_adapters", "")):
            parts = element.split("/")
            lpar.eth.append(
                SimEth(
                    slot=int(parts[0]),
                    pvid=int(parts[2]),
                    vlans=[int(v) for v in parts[3].split(",") if v] if len(parts) > 3 else [],
                )
            )
        for kind_name, attribute in (
            ("scsi", "virtual_scsi_adapters"),
            ("fc", "virtual_fc_adapters"),
        ):
            for element in list_split(attrs.get(attribute, "")):
                parts = element.split("/")
                adapter = SimStorage(
                    kind=kind_name, slot=int(parts[0]), role=parts[1],
                    remote_lpar_id=int(parts[2]) if parts[2].isdigit() else None,
                    remote_lpar_name=parts[3] or None,
                    remote_slot=int(parts[4]) if parts[4].isdigit() else None,
                )  # fmt: skip
                if kind_name == "fc" and adapter.role == "client":
                    adapter.wwpns = self._wwpn_pair()
                lpar.storage.append(adapter)
        frame.lpars.append(lpar)
        return ""

    def _wwpn_pair(self) -> list[str]:
        taken = self.estate.wwpns()
        while f"{self._next_wwpn:016x}" in taken or f"{self._next_wwpn + 1:016x}" in taken:
            self._next_wwpn += 2
        pair = [f"{self._next_wwpn:016x}", f"{self._next_wwpn + 1:016x}"]
        self._next_wwpn += 2
        return pair

    def viosvrcmd(self, options: Options) -> str:
        frame = self._frame(options)
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
