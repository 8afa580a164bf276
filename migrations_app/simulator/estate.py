"""The simulator's in-memory estate (frames, partitions, profiles, adapters, I/O slots), loaded
from the database or from a JSON fixture file."""

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from inventory.choices import LparState, VirtualAdapterKind, VirtualAdapterRole
from inventory.models import Frame, Lpar, Slot, VirtualAdapter, Wwpn

ENV_OF_KIND = {"vios": "vioserver", "aix": "aixlinux", "linux": "aixlinux", "ibmi": "os400"}
OS_TYPE_OF_KIND = {"vios": "vioserver", "aix": "aix", "linux": "linux", "ibmi": "ibmi"}
# What `os_version` says when the estate does not say otherwise, as real HMCs spell it.
OS_VERSION_OF_KIND = {
    "vios": "VIOS 3.1.4.10",
    "aix": "AIX 7.2 7200-05-03-2148",
    "linux": "Linux/Red Hat 8.6 4.18.0-372.9.1.el8.ppc64le",
    "ibmi": "IBM i 7.4",
}
STATE_LABELS = dict(LparState.choices)


@dataclass
class SimEth:
    slot: int
    pvid: int
    vlans: list[int] = field(default_factory=list)
    trunk_priority: int | None = None
    vswitch: str = "ETHERNET0"


@dataclass
class SimStorage:
    """A vSCSI (`kind` scsi) or vFC (`kind` fc) adapter."""

    kind: str
    slot: int
    role: str
    remote_lpar_id: int | None = None
    remote_lpar_name: str | None = None
    remote_slot: int | None = None
    wwpns: list[str] = field(default_factory=list)


@dataclass
class SimLpar:
    name: str
    lpar_id: int
    kind: str  # vios, aix, linux, ibmi
    state: str = "Running"
    profile: str = "default"
    msp: bool = False
    compat_mode: str = "default"
    proc_mode: str = "shared"
    proc_units: str = "0.5"
    procs: int = 1
    shared_pool: str | None = "DefaultPool"
    memory_mb: int = 2048
    # The profile's max_virtual_slots; any text, so tests can make the HMC print a bad value.
    max_virtual_slots: int | str = 1000
    os_version: str | None = None  # None: the usual one of its kind (OS_VERSION_OF_KIND)
    eth: list[SimEth] = field(default_factory=list)
    storage: list[SimStorage] = field(default_factory=list)

    def adapters(self, kind: str) -> list[SimStorage]:
        return [a for a in self.storage if a.kind == kind]

    def slots_used(self) -> set[int]:
        return {a.slot for a in self.eth} | {a.slot for a in self.storage}


@dataclass
class SimSlot:
    drc_index: str
    drc_name: str
    unit_location: str
    description: str
    bus_id: int | None = None
    feature_codes: list[str] = field(default_factory=list)
    lpar_id: int | None = None
    empty: bool = False  # no card: the HMC prints feature_codes=0


@dataclass
class SimFrame:
    name: str
    machine_type: str
    model: str
    serial: str
    state: str = "Operating"
    compat_modes: list[str] = field(default_factory=lambda: ["default"])
    proc_units: str = "32"
    memory_mb: int = 262144
    region_mb: int = 256
    max_active_migrations: int = 4
    max_inactive_migrations: int = 4
    lpars: list[SimLpar] = field(default_factory=list)
    slots: list[SimSlot] = field(default_factory=list)

    def lpar(self, name: str) -> SimLpar | None:
        return next((p for p in self.lpars if p.name == name), None)

    def lpar_by_id(self, lpar_id: int) -> SimLpar | None:
        return next((p for p in self.lpars if p.lpar_id == lpar_id), None)

    def used_proc_units(self) -> Decimal:
        return sum((Decimal(p.proc_units) for p in self.lpars), Decimal(0))

    def used_memory_mb(self) -> int:
        return sum(p.memory_mb for p in self.lpars)


@dataclass
class SimEstate:
    frames: list[SimFrame] = field(default_factory=list)
    # WWPNs not zoned on the SAN: validating a migration of their adapter gives HSCLA319.
    unzoned_wwpns: list[str] = field(default_factory=list)
    # Older HMC levels print no os_type in `lssyscfg -r lpar` (only os_version).
    omit_os_type: bool = False
    hmc_version: str = "V10R3M1050"  # what `lshmc -V` reports: version, release, service pack
    hmc_build: str = "2310052215"

    def frame(self, name: str) -> SimFrame | None:
        return next(
            (f for f in self.frames if name in (f.name, f"{f.machine_type}-{f.model}*{f.serial}")),
            None,
        )

    def wwpns(self) -> set[str]:
        return {w for f in self.frames for p in f.lpars for a in p.storage for w in a.wwpns}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_dict(cls, data: dict) -> "SimEstate":
        frames = []
        for raw in data.get("frames", []):
            lpars = [
                SimLpar(
                    **{
                        **lpar,
                        "eth": [SimEth(**a) for a in lpar.get("eth", [])],
                        "storage": [SimStorage(**a) for a in lpar.get("storage", [])],
                    }
                )
                for lpar in raw.get("lpars", [])
            ]
            slots = [SimSlot(**s) for s in raw.get("slots", [])]
            frames.append(SimFrame(**{**raw, "lpars": lpars, "slots": slots}))
        settings = {k: data[k] for k in ("omit_os_type", "hmc_version", "hmc_build") if k in data}
        return cls(frames=frames, unzoned_wwpns=list(data.get("unzoned_wwpns", [])), **settings)


def estate_from_file(path: Path) -> SimEstate:
    return SimEstate.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _sim_lpar(lpar: Lpar, adapters: list[VirtualAdapter], wwpns: dict[int, list[str]]) -> SimLpar:
    sim = SimLpar(
        name=lpar.name,
        lpar_id=lpar.lpar_id,
        kind=lpar.kind,
        state=STATE_LABELS.get(lpar.state, lpar.state),
        profile=lpar.profile_name or "default",
        msp=lpar.msp,
        compat_mode=lpar.compat_mode,
        proc_mode=lpar.proc_mode,
        proc_units=str(lpar.proc_units),
        procs=lpar.virtual_procs,
        shared_pool=lpar.shared_pool.name if lpar.shared_pool_id else None,
        memory_mb=lpar.memory_mb,
        max_virtual_slots=lpar.max_virtual_slots,
    )
    for adapter in adapters:
        if adapter.kind == VirtualAdapterKind.ETHERNET:
            trunk = adapter.role == VirtualAdapterRole.TRUNK
            sim.eth.append(
                SimEth(
                    slot=adapter.slot,
                    pvid=adapter.pvid_id or 1,
                    vlans=sorted(v.vlan_id for v in adapter.vlans.all()),
                    trunk_priority=(adapter.trunk_priority or 1) if trunk else None,
                    vswitch=adapter.vswitch or "ETHERNET0",
                )
            )
            continue
        remote = adapter.remote_lpar
        sim.storage.append(
            SimStorage(
                kind="scsi" if adapter.kind == VirtualAdapterKind.VSCSI else "fc",
                slot=adapter.slot,
                role=adapter.role,
                remote_lpar_id=remote.lpar_id if remote else None,
                remote_lpar_name=remote.name if remote else None,
                remote_slot=adapter.remote_slot,
                wwpns=wwpns.get(adapter.pk, []),
            )
        )
    return sim


def _sim_slot(slot: Slot) -> SimSlot:
    adapter = slot.adapter_or_none
    owner = adapter.owner if adapter else None
    return SimSlot(
        drc_index=slot.drc_index or f"{slot.pk:08X}",
        drc_name=slot.full_location,
        unit_location=slot.drawer.location,
        description=adapter.description if adapter else "Empty slot",
        bus_id=slot.bus,
        feature_codes=[adapter.feature_code] if adapter and adapter.feature_code else [],
        lpar_id=owner.lpar_id if owner else None,
        empty=adapter is None,
    )


def estate_from_db(*, hmc_name: str | None = None) -> SimEstate:
    """Every frame of the inventory (or those of one HMC) as the simulator's estate."""
    frames = Frame.objects.order_by("name")
    if hmc_name:
        frames = frames.filter(hmc__name=hmc_name)
    wwpns: dict[int, list[str]] = {}
    for value, adapter_id in (
        Wwpn.objects.filter(virtual_adapter__isnull=False)
        .order_by("virtual_adapter", "position")
        .values_list("value", "virtual_adapter")
    ):
        wwpns.setdefault(adapter_id, []).append(value)
    unzoned = Wwpn.objects.filter(virtual_adapter__isnull=False, fabric__isnull=True)
    estate = SimEstate(unzoned_wwpns=list(unzoned.values_list("value", flat=True)))
    adapters: dict[int, list[VirtualAdapter]] = {}
    queryset = VirtualAdapter.objects.filter(lpar__frame__in=frames).select_related("remote_lpar")
    for adapter in queryset.prefetch_related("vlans").order_by("slot"):
        adapters.setdefault(adapter.lpar_id, []).append(adapter)
    for frame in frames:
        sim = SimFrame(
            name=frame.name,
            machine_type=frame.machine_type,
            model=frame.model,
            serial=frame.serial,
            compat_modes=list(frame.compat_modes or ["default"]),
            proc_units=str(frame.proc_units),
            memory_mb=frame.memory_mb,
            region_mb=frame.memory_region_mb,
            max_active_migrations=frame.max_active_migrations,
            state=dict(frame._meta.get_field("state").choices).get(frame.state, frame.state),
        )
        for lpar in frame.lpars.select_related("shared_pool").order_by("lpar_id"):
            sim.lpars.append(_sim_lpar(lpar, adapters.get(lpar.pk, []), wwpns))
        slots = Slot.objects.filter(drawer__frame=frame).select_related("drawer", "adapter__owner")
        sim.slots = [_sim_slot(slot) for slot in slots.order_by("drawer__location", "location")]
        estate.frames.append(sim)
    return estate
