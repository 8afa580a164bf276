"""The one interface the project uses to talk to an HMC: typed methods over a transport that
runs a command and returns its output (SSH in production, anything in unit tests)."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Protocol, TypedDict, Unpack

from migrations_app.hmc import commands
from migrations_app.hmc.commands import Attributes, Command
from migrations_app.hmc.metrics import MeasuredTransport
from migrations_app.hmc.parser import (
    ProfileEthAdapter,
    ProfileStorageAdapter,
    int_or_none,
    list_split,
    profile_eth_parse,
    profile_fc_parse,
    profile_io_slot_parse,
    profile_scsi_parse,
    records_parse,
    value_or_none,
    wwpns_parse,
)


class Transport(Protocol):
    """Runs one HMC command: its standard output, or HmcError / HmcConnectionError."""

    def run(self, command: Command, *, timeout: float | None = None) -> str: ...

    def close(self) -> None: ...


class MigrlparFlags(TypedDict, total=False):
    """`commands.migrlpar`'s options that validate and migrate pass through as they are."""

    detail_level: int | None
    npiv_validation: str
    vlan_bridge: str
    mpio: str
    redundant_vios: str


@dataclass(frozen=True)
class FrameInfo:
    name: str
    machine_type: str
    model: str
    serial: str
    state: str
    compat_modes: tuple[str, ...]


@dataclass(frozen=True)
class MigrationLimits:
    """A frame's migration limits (`lslparmigr -r sys`): the configured value where the HMC
    prints one, else the supported one; None when the HMC prints neither."""

    active: int | None
    inactive: int | None


@dataclass(frozen=True)
class HmcVersion:
    """`lshmc -V`: version, release and service pack (V9R2 M950 is (9, 2, 950))."""

    version: int
    release: int
    service_pack: int

    def __str__(self) -> str:
        return f"V{self.version}R{self.release} M{self.service_pack}"


@dataclass(frozen=True)
class LparInfo:
    name: str
    lpar_id: int
    env: str  # aixlinux, vioserver, os400
    os_type: str | None
    state: str
    profile: str | None
    msp: bool
    compat_mode: str | None
    default_profile: str | None = None
    os_version: str | None = None  # `AIX 7.2 …`, `Linux/Red Hat …`, `VIOS 3.1…`, `IBM i …`


@dataclass(frozen=True)
class LparResources:
    """Current processor and memory figures of one partition (`lshwres --level lpar`)."""

    name: str
    proc_mode: str
    proc_units: Decimal | None
    procs: int
    shared_pool: str | None
    memory_mb: int


@dataclass(frozen=True)
class ProfileInfo:
    name: str
    lpar_name: str
    lpar_id: int
    desired_mem: int
    proc_mode: str
    desired_proc_units: Decimal | None
    desired_procs: int
    shared_pool: str | None
    virtual_eth_adapters: tuple[ProfileEthAdapter, ...]
    virtual_scsi_adapters: tuple[ProfileStorageAdapter, ...]
    virtual_fc_adapters: tuple[ProfileStorageAdapter, ...]
    io_slots: tuple[str, ...]


@dataclass(frozen=True)
class ProfileSlots:
    """One profile's virtual-slot ceiling and desired sizes (`lssyscfg -r prof`), as the HMC
    printed them: discovery judges whether they are values the plan can take. A Not Activated
    partition is sized from its profile's desired values (its current values are zeros)."""

    lpar_name: str
    name: str
    max_virtual_slots: str | None
    proc_mode: str | None = None
    desired_proc_units: str | None = None
    desired_procs: str | None = None
    desired_mem: str | None = None
    shared_pool: str | None = None


@dataclass(frozen=True)
class ProcAvailability:
    installed_units: Decimal
    available_units: Decimal


@dataclass(frozen=True)
class MemAvailability:
    installed_mb: int
    available_mb: int
    region_mb: int


@dataclass(frozen=True)
class VirtualEthAdapter:
    lpar_name: str
    lpar_id: int
    slot: int
    pvid: int
    tagged_vlans: tuple[int, ...]
    trunk_priority: int | None  # None: not a trunk
    vswitch: str
    mac: str | None


@dataclass(frozen=True)
class VirtualStorageAdapter:
    """A vSCSI or vFC adapter (`lshwres -r virtualio --rsubtype scsi|fc`)."""

    lpar_name: str
    lpar_id: int
    slot: int
    role: str  # client or server
    remote_lpar_id: int | None
    remote_lpar_name: str | None
    remote_slot: int | None
    wwpns: tuple[str, ...] = ()


@dataclass(frozen=True)
class IoSlot:
    drc_index: str
    drc_name: str  # the full location code, U….-P1-C4
    unit_location: str
    description: str
    lpar_id: int | None
    lpar_name: str | None
    feature_codes: tuple[str, ...]
    bus_id: int | None


@dataclass(frozen=True)
class MigrationStatus:
    lpar_name: str
    lpar_id: int
    state: str
    migration_type: str | None
    destination: str | None
    bytes_transmitted: int | None
    bytes_remaining: int | None
    remote_manager: str | None = None  # the destination's HMC, in a migration between HMCs
    remote_user: str | None = None

    @property
    def progress(self) -> int:
        """0–100 from the bytes moved so far."""
        done, left = self.bytes_transmitted or 0, self.bytes_remaining or 0
        return 100 * done // (done + left) if done + left else 0


_VERSION = re.compile(r"Version:\s*(\d+)")
_RELEASE = re.compile(r"Release:\s*(\d+)")
_SERVICE_PACK = re.compile(r"Service Pack:\s*(\d+)")
_BASE_VERSION = re.compile(r"base_version=V(\d+)R(\d+)")


def hmc_version_parse(text: str) -> HmcVersion | None:
    """`lshmc -V` output (a quoted, multi-line `version=` field, then `base_version=V9R2`):
    the numbers only, never the words around them."""
    version, release = _VERSION.search(text), _RELEASE.search(text)
    base = _BASE_VERSION.search(text)
    if version and release:
        major, minor = int(version.group(1)), int(release.group(1))
    elif base:
        major, minor = int(base.group(1)), int(base.group(2))
    else:
        return None
    pack = _SERVICE_PACK.search(text)
    return HmcVersion(version=major, release=minor, service_pack=int(pack.group(1)) if pack else 0)


def _decimal(value: str | None) -> Decimal | None:
    value = value_or_none(value)
    return Decimal(value) if value is not None else None


class HmcClient:
    """Typed HMC operations. Each method builds its command, runs it, parses the answer."""

    # migrlpar -o m blocks until the migration ends: no command timeout for it.
    MIGRATE_TIMEOUT: float | None = None

    def __init__(self, transport: Transport) -> None:
        self.transport = MeasuredTransport(transport)  # latencies and HSCL codes for /metrics

    def __enter__(self) -> "HmcClient":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    def _records(self, command: Command) -> list[dict[str, str]]:
        return records_parse(self.transport.run(command))

    def frames(self) -> list[FrameInfo]:
        frames = []
        for r in self._records(commands.lssyscfg_sys()):
            machine_type, _, model = r.get("type_model", "").partition("-")
            frames.append(
                FrameInfo(
                    name=r["name"],
                    machine_type=machine_type,
                    model=model,
                    serial=r.get("serial_num", ""),
                    state=r.get("state", ""),
                    compat_modes=tuple(list_split(r.get("lpar_proc_compat_modes", ""))),
                )
            )
        return frames

    def migration_limits(self, *, system: str) -> MigrationLimits:
        """`lslparmigr -r sys -m SYS`: the configured limits where printed, else supported."""
        records = self._records(commands.lslparmigr_sys(system=system))
        r = records[0] if records else {}

        def limit(kind: str) -> int | None:
            configured = int_or_none(r.get(f"num_{kind}_migrations_configured"))
            return configured or int_or_none(r.get(f"num_{kind}_migrations_supported"))

        return MigrationLimits(active=limit("active"), inactive=limit("inactive"))

    def hmc_version(self) -> HmcVersion | None:
        """`lshmc -V`: the HMC's level, None when the answer names none."""
        return hmc_version_parse(self.transport.run(commands.lshmc_version()))

    def lpars(self, *, system: str) -> list[LparInfo]:
        return [
            LparInfo(
                name=r["name"],
                lpar_id=int(r["lpar_id"]),
                env=r.get("lpar_env", ""),
                os_type=value_or_none(r.get("os_type")),
                state=r.get("state", ""),
                profile=value_or_none(r.get("curr_profile")),
                msp=r.get("msp") == "1",
                compat_mode=value_or_none(r.get("curr_lpar_proc_compat_mode")),
                default_profile=value_or_none(r.get("default_profile")),
                os_version=value_or_none(r.get("os_version")),
            )
            for r in self._records(commands.lssyscfg_lpar(system=system))
        ]

    def lpar_resources(self, *, system: str) -> list[LparResources]:
        memory = {
            r["lpar_name"]: int(r.get("curr_mem") or 0)
            for r in self._records(commands.lshwres(resource="mem", system=system, level="lpar"))
        }
        return [
            LparResources(
                name=r["lpar_name"],
                proc_mode=r.get("curr_proc_mode", "shared"),
                proc_units=_decimal(r.get("curr_proc_units")),
                procs=int(r.get("curr_procs") or 0),
                shared_pool=value_or_none(r.get("curr_shared_proc_pool_name")),
                memory_mb=memory.get(r["lpar_name"], 0),
            )
            for r in self._records(commands.lshwres(resource="proc", system=system, level="lpar"))
        ]

    def profiles(self, *, system: str, lpar: str | None = None) -> list[ProfileInfo]:
        return [
            ProfileInfo(
                name=r["name"],
                lpar_name=r.get("lpar_name", ""),
                lpar_id=int(r["lpar_id"]),
                desired_mem=int(r.get("desired_mem") or 0),
                proc_mode=r.get("proc_mode", "shared"),
                desired_proc_units=_decimal(r.get("desired_proc_units")),
                desired_procs=int(r.get("desired_procs") or 0),
                shared_pool=value_or_none(r.get("shared_proc_pool_name")),
                virtual_eth_adapters=tuple(
                    map(profile_eth_parse, list_split(r.get("virtual_eth_adapters", "")))
                ),
                virtual_scsi_adapters=tuple(
                    map(profile_scsi_parse, list_split(r.get("virtual_scsi_adapters", "")))
                ),
                virtual_fc_adapters=tuple(
                    map(profile_fc_parse, list_split(r.get("virtual_fc_adapters", "")))
                ),
                io_slots=tuple(map(profile_io_slot_parse, list_split(r.get("io_slots", "")))),
            )
            for r in self._records(commands.lssyscfg_prof(system=system, lpar=lpar))
        ]

    def profile_slots(self, *, system: str) -> list[ProfileSlots]:
        """`max_virtual_slots` and the desired sizes of every profile of every partition. Only
        these fields are read, so a profile list this client cannot parse does not stop a
        discovery."""
        return [
            ProfileSlots(
                lpar_name=r.get("lpar_name", ""),
                name=r.get("name", ""),
                max_virtual_slots=value_or_none(r.get("max_virtual_slots")),
                proc_mode=value_or_none(r.get("proc_mode")),
                desired_proc_units=value_or_none(r.get("desired_proc_units")),
                desired_procs=value_or_none(r.get("desired_procs")),
                desired_mem=value_or_none(r.get("desired_mem")),
                shared_pool=value_or_none(r.get("shared_proc_pool_name")),
            )
            for r in self._records(commands.lssyscfg_prof(system=system))
        ]

    def proc_availability(self, *, system: str) -> ProcAvailability:
        [r] = self._records(commands.lshwres(resource="proc", system=system, level="sys"))
        return ProcAvailability(
            installed_units=Decimal(r["installed_sys_proc_units"]),
            available_units=Decimal(r["curr_avail_sys_proc_units"]),
        )

    def mem_availability(self, *, system: str) -> MemAvailability:
        [r] = self._records(commands.lshwres(resource="mem", system=system, level="sys"))
        return MemAvailability(
            installed_mb=int(r["installed_sys_mem"]),
            available_mb=int(r["curr_avail_sys_mem"]),
            region_mb=int(r["mem_region_size"]),
        )

    def virtual_eth_adapters(self, *, system: str) -> list[VirtualEthAdapter]:
        adapters = []
        for r in self._records(commands.lshwres_virtualio(system=system, subtype="eth")):
            is_trunk = r.get("is_trunk") == "1"
            adapters.append(
                VirtualEthAdapter(
                    lpar_name=r["lpar_name"],
                    lpar_id=int(r["lpar_id"]),
                    slot=int(r["slot_num"]),
                    pvid=int(r["port_vlan_id"]),
                    tagged_vlans=tuple(int(v) for v in list_split(r.get("addl_vlan_ids", ""))),
                    trunk_priority=int_or_none(r.get("trunk_priority")) if is_trunk else None,
                    vswitch=r.get("vswitch", ""),
                    mac=value_or_none(r.get("mac_addr")),
                )
            )
        return adapters

    def _storage_adapters(self, subtype: str, system: str) -> list[VirtualStorageAdapter]:
        return [
            VirtualStorageAdapter(
                lpar_name=r["lpar_name"],
                lpar_id=int(r["lpar_id"]),
                slot=int(r["slot_num"]),
                role=r.get("adapter_type", ""),
                remote_lpar_id=int_or_none(r.get("remote_lpar_id")),
                remote_lpar_name=value_or_none(r.get("remote_lpar_name")),
                remote_slot=int_or_none(r.get("remote_slot_num")),
                wwpns=wwpns_parse(r.get("wwpns")),
            )
            for r in self._records(commands.lshwres_virtualio(system=system, subtype=subtype))
        ]

    def virtual_scsi_adapters(self, *, system: str) -> list[VirtualStorageAdapter]:
        return self._storage_adapters("scsi", system)

    def virtual_fc_adapters(self, *, system: str) -> list[VirtualStorageAdapter]:
        return self._storage_adapters("fc", system)

    def io_slots(self, *, system: str) -> list[IoSlot]:
        return [
            IoSlot(
                drc_index=r["drc_index"],
                drc_name=r.get("drc_name", ""),
                unit_location=r.get("unit_phys_loc", ""),
                description=r.get("description", ""),
                lpar_id=int_or_none(r.get("lpar_id")),
                lpar_name=value_or_none(r.get("lpar_name")),
                feature_codes=tuple(list_split(r.get("feature_codes", ""))),
                bus_id=int_or_none(r.get("bus_id")),
            )
            for r in self._records(commands.lshwres_io_slots(system=system))
        ]

    def migration_validate(
        self,
        *,
        source: str,
        destination: str,
        lpar: str,
        attributes: Attributes | None = None,
        profile: str | None = None,
        remote_hmc: str | None = None,
        remote_user: str | None = None,
        **flags: Unpack[MigrlparFlags],
    ) -> str:
        """`migrlpar -o v`: the HMC's warnings (HmcError with the errors when it refuses).
        `flags`: `commands.migrlpar`'s detail_level, npiv_validation, vlan_bridge, mpio,
        redundant_vios."""
        command = commands.migrlpar(
            operation="v",
            source=source,
            destination=destination,
            lpar=lpar,
            attributes=attributes,
            profile=profile,
            remote_hmc=remote_hmc,
            remote_user=remote_user,
            **flags,
        )
        return self.transport.run(command)

    def migration_migrate(
        self,
        *,
        source: str,
        destination: str,
        lpar: str,
        attributes: Attributes | None = None,
        profile: str | None = None,
        wait_minutes: int | None = None,
        remote_hmc: str | None = None,
        remote_user: str | None = None,
        **flags: Unpack[MigrlparFlags],
    ) -> str:
        """`migrlpar -o m`: returns when the migration has ended."""
        command = commands.migrlpar(
            operation="m",
            source=source,
            destination=destination,
            lpar=lpar,
            attributes=attributes,
            profile=profile,
            wait_minutes=wait_minutes,
            remote_hmc=remote_hmc,
            remote_user=remote_user,
            **flags,
        )
        return self.transport.run(command, timeout=self.MIGRATE_TIMEOUT)

    def migration_stop(self, *, source: str, lpar: str) -> str:
        return self.transport.run(commands.migrlpar(operation="s", source=source, lpar=lpar))

    def migration_recover(self, *, source: str, lpar: str, force: bool = False) -> str:
        command = commands.migrlpar(operation="r", source=source, lpar=lpar, force=force)
        return self.transport.run(command)

    def ssh_trust_test(self, *, remote_hmc: str, remote_user: str) -> str:
        """`mkauthkeys --test`: HmcError (HSCL3653) when this HMC has no SSH trust to the
        remote one."""
        return self.transport.run(
            commands.mkauthkeys_test(remote_hmc=remote_hmc, remote_user=remote_user)
        )

    def ssh_trust_setup(self, *, remote_hmc: str, remote_user: str, password: str) -> str:
        """`mkauthkeys -g`: this HMC's SSH key onto the remote HMC, logging in with `password`
        once (never kept)."""
        command = commands.mkauthkeys_generate(
            remote_hmc=remote_hmc, remote_user=remote_user, password=password
        )
        return self.transport.run(command)

    def migration_status(self, *, system: str, lpar: str) -> MigrationStatus | None:
        for r in self._records(commands.lslparmigr_lpar(system=system, lpar=lpar)):
            return MigrationStatus(
                lpar_name=r["name"],
                lpar_id=int(r["lpar_id"]),
                state=r.get("migration_state", ""),
                migration_type=value_or_none(r.get("migration_type")),
                destination=value_or_none(r.get("dest_sys_name")),
                bytes_transmitted=int_or_none(r.get("bytes_transmitted")),
                bytes_remaining=int_or_none(r.get("bytes_remaining")),
                remote_manager=value_or_none(r.get("remote_manager")),
                remote_user=value_or_none(r.get("remote_user")),
            )
        return None

    def partition_create(self, *, system: str, attributes: Attributes) -> None:
        """`mksyscfg -r lpar`: a new partition and its default profile."""
        self.transport.run(commands.mksyscfg_lpar(system=system, attributes=attributes))

    def vios_command(self, *, system: str, vios: str, words: Sequence[str]) -> str:
        return self.transport.run(commands.viosvrcmd(system=system, vios=vios, words=words))
