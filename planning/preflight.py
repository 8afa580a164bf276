"""Pre-flight checks: can this LPAR move to that frame, answered from the inventory before the
HMC is asked.

The contract other modules depend on (the Migrate wizard, the migratability matrix, evacuation
plans): `preflight_check(lpar=, destination=, options=)` returns a list of `Finding`s; an error
blocks the move, a warning informs. `verdict_of(findings)` sums them up.

Migrations already running are facts of `migrations_app`, which planning may not import: callers
pass them in `PreflightOptions`.

Every check runs against an `EstateIndex`: the facts it needs as plain values, read with a fixed
number of set-based queries (the whole estate for the matrix; one LPAR and every frame for its
migratability; two frames for one pair). `Preflight` runs the checks against an index and keeps
what does not depend on the pair (the LPAR's own state, the destination's state) per LPAR and
per frame, so the 2 million cells of a 10,000 × 200 matrix cost one pass each.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.db.models import Count, Q, Sum

from inventory.choices import (
    FrameState,
    LparKind,
    LparState,
    VirtualAdapterKind,
    VirtualAdapterRole,
)
from inventory.models import (
    Adapter,
    Fabric,
    Frame,
    Lpar,
    SharedProcessorPool,
    VirtualAdapter,
    Wwpn,
)
from inventory.models.partitions import SLOT_CEILING, SLOT_MIN
from planning.choices import Severity

DEFAULT_VIOS_MSP_LIMIT = 4  # concurrent migrations one mover service partition carries (verify)
DEFAULT_POOL = "DefaultPool"  # pool 0: every frame has it, so an LPAR in it lands anywhere
MIGRATING_STATES = (LparState.MIGRATING_RUNNING, LparState.MIGRATING_NOT_ACTIVATED)
KIND_LABELS = dict(VirtualAdapterKind.choices)
LPAR_STATE_LABELS = dict(LparState.choices)
TWIN_SAME_FRAME = "TWIN_SAME_FRAME"

# Every code a finding can carry, with what it means (docs/reference/finding-codes.md lists
# them; tests/test_docs.py keeps both in step).
CODES: dict[str, str] = {
    "LPAR_IS_VIOS": "The LPAR is a VIOS: a VIOS never migrates.",
    "LPAR_STATE": "The LPAR is neither Running (active mobility) nor Not Activated (inactive), "
    "or not in the state the chosen mobility needs.",
    "LPAR_MIGRATING": "The LPAR is migrating already (its state, or a migration job in progress).",
    "SAME_FRAME": "The destination is the frame the LPAR lives on.",
    "PHYSICAL_IO": "The LPAR owns physical I/O adapters: remove them (DLPAR) before it moves.",
    "FRAME_STATE": "The source or destination frame is not Operating.",
    "CAPACITY_PROC": "The destination has fewer free processor units than the LPAR holds.",
    "CAPACITY_MEMORY": "The destination has less free memory than the LPAR holds.",
    "MEMORY_REGION": "The frames' memory region (LMB) sizes differ.",
    "COMPAT_MODE": "The destination does not accept the LPAR's processor compatibility mode.",
    "VLAN_NOT_BRIDGED": "A VLAN of the LPAR is bridged by no VIOS trunk adapter on the "
    "destination.",
    "NO_VIOS_FOR_ADAPTER": "No destination VIOS can host a vSCSI or vFC client adapter (no VIOS, "
    "or no VIOS with FC ports for vFC).",
    "NPIV_PAIR_INCOMPLETE": "A vFC client adapter lacks one of its two WWPNs.",
    "NPIV_FABRIC": "A WWPN of a vFC client is on no fabric, or on one the destination VIOS's FC "
    "ports do not reach.",
    "VIOS_REDUNDANCY": "(warning) The LPAR's storage goes through fewer VIOS on the destination "
    "than on its frame: a VIOS outage there takes its paths.",
    "VIOS_SLOTS": "A destination VIOS has too few free virtual slots (under its maximum virtual "
    "slots and under 1000) for the server adapters the migration creates.",
    "NAME_IN_USE": "The destination already has an LPAR of that name.",
    "LPAR_ID_IN_USE": "(warning) The destination already has an LPAR with that id: the HMC "
    "picks another, breaking the numbering plan.",
    "NO_MSP_SOURCE": "No VIOS of the source frame is a mover service partition (active mobility).",
    "NO_MSP_DESTINATION": "No VIOS of the destination frame is a mover service partition "
    "(active mobility).",
    "SHARED_POOL_MISSING": "The destination has no shared processor pool of the LPAR's pool name.",
    "MIGRATION_LIMIT": "Migrations already running reach a frame's maximum of concurrent "
    "migrations, or every mover service partition's limit.",
    "REMOTE_HMC": "(warning) Another HMC manages the destination: the migration names it "
    "(--ip/-u), and the source HMC's SSH trust to it is checked when the job runs.",
    "TWIN_SAME_FRAME": "(warning) The destination holds the LPAR's stub twin, its original, or "
    "another twin of the same original: one frame failure would take both, so the twin "
    "protects nothing.",
}


class Verdict(models.TextChoices):
    OK = "ok", "can move"
    WARNINGS = "warnings", "can move with warnings"
    BLOCKED = "blocked", "cannot move"


class Mobility(models.TextChoices):
    ACTIVE = "active", "active (Running)"
    INACTIVE = "inactive", "inactive (Not Activated)"


@dataclass(frozen=True)
class Finding:
    """One answer of a check: a stable code, how serious, a sentence, and the data behind it."""

    code: str
    severity: str  # planning.choices.Severity
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> bool:
        return self.severity == Severity.ERROR

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "data": self.data,
        }


@dataclass(frozen=True)
class PreflightOptions:
    """What the check needs beyond the inventory.

    `mobility` None means: active when the LPAR is Running, inactive when Not Activated.
    `running_by_frame` / `running_by_vios`: migrations in progress, keyed by Frame pk and by VIOS
    Lpar pk (from migrations_app). `vios_limit`: concurrent migrations per mover service partition.
    `migrating_lpars`: pks of LPARs with a migration in progress. `arriving_by_frame`: capacity
    already promised to LPARs planned to arrive (Frame pk → (processor units, memory MB));
    `arriving_names` / `arriving_lpar_ids`: their names and ids (Frame pk → names, ids);
    `claimed_by_vios`: destination VIOS slots promised to them (VIOS pk → how many).
    """

    mobility: str | None = None
    running_by_frame: Mapping[int, int] = field(default_factory=dict)
    running_by_vios: Mapping[int, int] = field(default_factory=dict)
    vios_limit: int = DEFAULT_VIOS_MSP_LIMIT
    migrating_lpars: frozenset[int] = frozenset()
    arriving_by_frame: Mapping[int, tuple[Decimal, int]] = field(default_factory=dict)
    arriving_names: Mapping[int, Iterable[str]] = field(default_factory=dict)
    arriving_lpar_ids: Mapping[int, Iterable[int]] = field(default_factory=dict)
    claimed_by_vios: Mapping[int, int] = field(default_factory=dict)


def verdict_of(findings: list[Finding]) -> str:
    if any(f.blocks for f in findings):
        return Verdict.BLOCKED
    return Verdict.WARNINGS if findings else Verdict.OK


def _error(code: str, message: str, **data) -> Finding:
    return Finding(code=code, severity=Severity.ERROR, message=message, data=data)


def _warning(code: str, message: str, **data) -> Finding:
    return Finding(code=code, severity=Severity.WARNING, message=message, data=data)


def _units(value: Decimal | None) -> int:
    """Processor units in hundredths: exact (two decimal places) and fast to add."""
    return int((value or 0) * 100)


def units_label(hundredths: int) -> str:
    return f"{Decimal(hundredths) / 100:.2f}"


def _memory_label(mb: int) -> str:
    return f"{mb / 1024:g} GB" if mb % 1024 == 0 else f"{mb} MB"


# The estate as the checks need it.


@dataclass(slots=True)
class ViosFacts:
    pk: int
    name: str
    frame_id: int
    lpar_id: int
    msp: bool
    max_virtual_slots: int
    used_slots: int  # its virtual adapters
    fabrics: set[int] = field(default_factory=set)  # fabrics its physical FC ports reach
    free_slots: int = 0  # under its maximum and the ceiling, less what planned arrivals take

    def __post_init__(self) -> None:
        usable = min(self.max_virtual_slots, SLOT_CEILING) - SLOT_MIN
        self.free_slots = usable - self.used_slots


@dataclass(slots=True)
class FrameFacts:
    pk: int
    name: str
    state: str
    # the modes an LPAR may have to land here: the frame's list (or its default) and `default`,
    # which resolves at boot to what the frame runs
    modes: frozenset[str]
    memory_region_mb: int
    max_active_migrations: int
    units: int  # hundredths
    memory_mb: int
    free_units: int = 0  # installed less what its LPARs and planned arrivals hold
    free_memory_mb: int = 0
    pools: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    lpar_ids: set[int] = field(default_factory=set)
    vioses: list[ViosFacts] = field(default_factory=list)
    # (vswitch, VLAN) its VIOS trunks carry, and ("", VLAN) for each: a client adapter that
    # names no vswitch is bridged by a trunk on any
    bridged: set[tuple[str, int]] | frozenset[tuple[str, int]] = field(default_factory=set)
    hmc_id: int | None = None
    hmc_name: str = ""

    def take(self, units: int, memory_mb: int) -> None:
        self.free_units -= units
        self.free_memory_mb -= memory_mb


@dataclass(slots=True)
class StorageFacts:
    """A client vSCSI or vFC adapter: which source VIOS serves it, and its WWPNs' fabrics."""

    kind: str
    slot: int
    vios_pk: int | None
    wwpn_fabrics: list[int | None] = field(default_factory=list)


@dataclass(slots=True)
class LparFacts:
    pk: int
    name: str
    frame_id: int
    lpar_id: int
    kind: str
    state: str
    units: int  # hundredths
    memory_mb: int
    compat_mode: str
    pool: str | None
    stub_of: int | None = None  # the pk of the LPAR this one is the stub twin of
    vlans: set[tuple[str, int]] = field(default_factory=set)  # (vswitch, VLAN) of its clients
    storage: list[StorageFacts] = field(default_factory=list)
    physical_io: list[str] = field(default_factory=list)  # slot locations of owned adapters
    kin: list[int] = field(default_factory=list)  # its original and twins, or its twins' pks


@dataclass(slots=True)
class KinFacts:
    """A member of a twin family (an original and its stub twins): where it is now."""

    pk: int
    name: str
    frame_id: int
    stub_of: int | None


def _in(ids: Iterable[int] | None, lookup: str) -> Q:
    return Q() if ids is None else Q(**{f"{lookup}__in": list(ids)})


@dataclass
class EstateIndex:
    """Frames, VIOS and LPARs as plain facts, indexed by pk."""

    frames: dict[int, FrameFacts]
    lpars: dict[int, LparFacts]
    vioses: dict[int, ViosFacts]
    fabric_names: dict[int, str] = field(default_factory=dict)
    # every member of the loaded LPARs' twin families, by pk; a plan moves them (`frame_id`)
    kin: dict[int, KinFacts] = field(default_factory=dict)

    @classmethod
    def load(
        cls, *, lpar_ids: Iterable[int] | None = None, frame_ids: Iterable[int] | None = None
    ) -> "EstateIndex":
        """The LPARs `lpar_ids` (every LPAR when None) and the frames `frame_ids` (every frame
        when None; the LPARs' own frames are always in). A fixed number of queries."""
        lpars = _lpars_load(_in(lpar_ids, "id"))
        _lpar_details_load(lpars, lpar_ids)
        if frame_ids is not None:
            frame_ids = {*frame_ids, *(p.frame_id for p in lpars.values())}
        few = lpar_ids is not None
        # For a few LPARs, only the facts about them: their VLANs, names and ids on each frame.
        vlans = {vlan for p in lpars.values() for _, vlan in p.vlans} if few else None
        if frame_ids is None:
            # Every frame: its facts do not depend on the LPARs, so they are kept per estate
            # version (`frames_facts`) and only the LPARs' own rows are read.
            frames, vioses, fabric_names = frames_facts()
        else:
            frames = _frames_load(frame_ids, vlans)
            vioses = _vioses_load(frames, frame_ids)
            fabric_names = dict(Fabric.objects.values_list("id", "name"))
        names = {p.name for p in lpars.values()} if few else None
        ids = {p.lpar_id for p in lpars.values()} if few else None
        _identities_load(frames, frame_ids, names, ids)
        kin = _kin_load(lpars, few=few)
        return cls(frames, lpars, vioses, fabric_names, kin)


FRAMES_FACTS = "preflight_frames"


def _frames_facts_compute() -> dict:
    """Every frame's facts and every VIOS's, as JSON: what a pre-flight against every frame
    reads whichever LPAR it checks (capacities, pools, bridged VLANs, VIOS slots and reach)."""
    frames = _frames_load(None, None)
    vioses = _vioses_load(frames, None)
    return {
        "frames": [
            [
                f.pk,
                f.name,
                f.state,
                sorted(f.modes),
                f.memory_region_mb,
                f.max_active_migrations,
                f.units,
                f.memory_mb,
                f.free_units,
                f.free_memory_mb,
                sorted(f.pools),
                sorted(f.bridged),
                f.hmc_id,
                f.hmc_name,
            ]
            for f in frames.values()
        ],
        "vioses": [
            [
                v.pk,
                v.name,
                v.frame_id,
                v.lpar_id,
                v.msp,
                v.max_virtual_slots,
                v.used_slots,
                sorted(v.fabrics),
            ]
            for v in vioses.values()
        ],
        "fabrics": list(Fabric.objects.values_list("id", "name")),
    }


# The parsed facts of the last version read, per database: (version, computed), and per frame its
# row with the parts no caller changes (modes, bridged VLANs) shared, per VIOS its row.
_frames_facts_read: dict[str, tuple[tuple, list[tuple], list[tuple], dict[int, str]]] = {}


def frames_facts() -> tuple[dict[int, FrameFacts], dict[int, ViosFacts], dict[int, str]]:
    """Every frame's and VIOS's facts at the current estate version (computed once for it, kept
    in `EstateSummary`; any committed change to the inventory or the plans computes them again,
    and a transaction that has changed the estate computes its own), as fresh objects the caller
    may change (planned arrivals take capacity and slots). The last version read is kept parsed
    in the process too: the next pre-flight reads only when the kept facts were computed."""
    from planning.cache import estate_version, summary_get  # it imports what imports this
    from planning.models import EstateSummary

    database = str(connection.settings_dict["NAME"])
    read = _frames_facts_read.get(database)
    version = estate_version()
    kept = None
    if read is not None and version is not None:
        kept = (
            EstateSummary.objects.filter(kind=FRAMES_FACTS, version=version)
            .values_list("version", "computed")
            .first()
        )
    if read is None or kept is None or tuple(kept) != read[0]:
        summary = summary_get(kind=FRAMES_FACTS, compute=_frames_facts_compute)
        data = summary.data
        read = (
            (summary.version, summary.computed),
            [
                (
                    *row[:3],
                    frozenset(row[3]),
                    *row[4:10],
                    row[10],
                    frozenset((vswitch, vlan) for vswitch, vlan in row[11]),
                    *row[12:],
                )
                for row in data["frames"]
            ],
            [tuple(row) for row in data["vioses"]],
            {pk: name for pk, name in data["fabrics"]},
        )
        if summary.version is not None:
            _frames_facts_read[database] = read
    frames: dict[int, FrameFacts] = {}
    for row in read[1]:
        pk, name, state, modes, region, limit, units, memory, free_units, free_memory = row[:10]
        pools, bridged, hmc_id, hmc_name = row[10:]
        frames[pk] = FrameFacts(
            pk,
            name,
            state,
            modes,
            region,
            limit,
            units,
            memory,
            free_units,
            free_memory,
            set(pools),
            hmc_id=hmc_id,
            hmc_name=hmc_name,
            bridged=bridged,
        )
    vioses: dict[int, ViosFacts] = {}
    for pk, name, frame_id, lpar_id, msp, max_slots, used, fabrics in read[2]:
        vios = vioses[pk] = ViosFacts(
            pk, name, frame_id, lpar_id, msp, max_slots, used, fabrics=set(fabrics)
        )
        frames[vios.frame_id].vioses.append(vios)
    return frames, vioses, dict(read[3])


def _lpars_load(only: Q) -> dict[int, LparFacts]:
    rows = Lpar.objects.filter(only).values_list(
        "id",
        "name",
        "frame_id",
        "lpar_id",
        "kind",
        "state",
        "proc_units",
        "memory_mb",
        "compat_mode",
        "shared_pool__name",
        "stub_of_id",
    )
    return {row[0]: LparFacts(*row[:6], _units(row[6]), *row[7:]) for row in rows.order_by("pk")}


def _frames_load(frame_ids: set[int] | None, vlans: set[int] | None) -> dict[int, FrameFacts]:
    rows = Frame.objects.filter(_in(frame_ids, "id")).values_list(
        "id",
        "name",
        "state",
        "compat_modes",
        "memory_region_mb",
        "max_active_migrations",
        "proc_units",
        "memory_mb",
        "hmc_id",
        "hmc__name",
    )
    frames = {
        pk: FrameFacts(
            pk,
            name,
            state,
            frozenset(modes or ()),
            region,
            limit,
            _units(units),
            mb,
            _units(units),
            mb,
            hmc_id=hmc_id,
            hmc_name=hmc_name or "",
        )
        for pk, name, state, modes, region, limit, units, mb, hmc_id, hmc_name in rows.order_by(
            "name"
        )
    }
    used = Lpar.objects.filter(_in(frame_ids, "frame_id")).values("frame_id")
    for row in used.annotate(units=Sum("proc_units"), memory=Sum("memory_mb")).values_list(
        "frame_id", "units", "memory"
    ):
        frames[row[0]].take(_units(row[1]), row[2] or 0)
    pools = SharedProcessorPool.objects.filter(_in(frame_ids, "frame_id"))
    for frame_id, name in pools.values_list("frame_id", "name"):
        frames[frame_id].pools.add(name)
    trunks = VirtualAdapter.objects.filter(
        _in(frame_ids, "lpar__frame_id"), role=VirtualAdapterRole.TRUNK
    )
    if vlans is not None:
        trunks = trunks.filter(Q(pvid_id__in=vlans) | Q(vlans__vlan_id__in=vlans))
    bridged: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for frame_id, vswitch, pvid, tagged in trunks.values_list(
        "lpar__frame_id", "vswitch", "pvid_id", "vlans__vlan_id"
    ):
        for vlan in {pvid, tagged} - {None}:
            bridged[frame_id].update({(vswitch, vlan), ("", vlan)})
    for frame_id, pairs in bridged.items():
        frames[frame_id].bridged = pairs
    return frames


def _vioses_load(frames: dict[int, FrameFacts], frame_ids: set[int] | None) -> dict[int, ViosFacts]:
    rows = (
        Lpar.objects.filter(_in(frame_ids, "frame_id"), kind=LparKind.VIOS)
        .values_list("id", "name", "frame_id", "lpar_id", "msp", "max_virtual_slots")
        .order_by("frame_id", "lpar_id")
    )
    used: dict[int, int] = dict(
        VirtualAdapter.objects.filter(lpar_id__in=[row[0] for row in rows])
        .values("lpar_id")
        .annotate(used=Count("slot"))
        .values_list("lpar_id", "used")
        .order_by()
    )  # the (LPAR, slot) index answers it alone; every slot is under 1000 (a constraint)
    vioses = {row[0]: ViosFacts(*row, used.get(row[0], 0)) for row in rows}
    for vios in vioses.values():
        frames[vios.frame_id].vioses.append(vios)
    reach = Wwpn.objects.filter(
        _in(frame_ids, "port__adapter__owner__frame_id"),
        port__adapter__owner__kind=LparKind.VIOS,
        fabric__isnull=False,
    )
    pairs = reach.values_list("port__adapter__owner_id", "fabric_id").order_by().distinct()
    for vios_pk, fabric_id in pairs:
        vioses[vios_pk].fabrics.add(fabric_id)
    return vioses


def _kin_load(lpars: dict[int, LparFacts], *, few: bool) -> dict[int, KinFacts]:
    """The twin families of `lpars` (one query): each LPAR's `kin` lists the other members."""
    twins = Lpar.objects.filter(stub_of__isnull=False)
    if few:
        roots = {p.stub_of or p.pk for p in lpars.values()}
        members = Lpar.objects.filter(Q(pk__in=roots) | Q(stub_of_id__in=roots))
    else:
        members = Lpar.objects.filter(Q(stub_of__isnull=False) | Q(pk__in=twins.values("stub_of")))
    rows = members.values_list("id", "name", "frame_id", "stub_of_id")
    kin = {row[0]: KinFacts(*row) for row in rows}
    families: dict[int, list[int]] = defaultdict(list)
    for member in kin.values():
        families[member.stub_of or member.pk].append(member.pk)
    for lpar in lpars.values():
        family = families.get(lpar.stub_of or lpar.pk, ())
        lpar.kin = [pk for pk in family if pk != lpar.pk]
    return kin


def _identities_load(
    frames: dict[int, FrameFacts],
    frame_ids: set[int] | None,
    names: set[str] | None,
    ids: set[int] | None,
) -> None:
    """The LPAR names and ids each frame holds (only those the loaded LPARs have, when the
    index is for a few LPARs)."""
    only = _in(frame_ids, "frame_id")
    if names is not None:
        only &= Q(name__in=names) | Q(lpar_id__in=ids)
    rows = Lpar.objects.filter(only).values_list("frame_id", "name", "lpar_id").order_by()
    for frame_id, name, lpar_id in rows:  # into sets: no order (nor join to the frames) needed
        frames[frame_id].names.add(name)
        frames[frame_id].lpar_ids.add(lpar_id)


def _lpar_details_load(lpars: dict[int, LparFacts], lpar_ids: Iterable[int] | None) -> None:
    """Each client's VLANs, vSCSI/vFC adapters with their WWPNs' fabrics, and physical I/O."""
    only = _in(lpar_ids, "lpar_id")
    clients = VirtualAdapter.objects.filter(only, role=VirtualAdapterRole.CLIENT)
    storage: dict[int, StorageFacts] = {}
    for pk, lpar_pk, kind, slot, remote, vswitch, pvid in clients.values_list(
        "id", "lpar_id", "kind", "slot", "remote_lpar_id", "vswitch", "pvid_id"
    ).order_by("lpar_id", "slot"):
        lpar = lpars[lpar_pk]
        if kind == VirtualAdapterKind.ETHERNET:
            if pvid is not None:
                lpar.vlans.add((vswitch, pvid))
        else:
            storage[pk] = StorageFacts(kind, slot, remote)
            lpar.storage.append(storage[pk])
    tagged = VirtualAdapter.vlans.through.objects.filter(
        _in(lpar_ids, "virtualadapter__lpar_id"), virtualadapter__role=VirtualAdapterRole.CLIENT
    )
    for lpar_pk, vswitch, vlan in tagged.values_list(
        "virtualadapter__lpar_id", "virtualadapter__vswitch", "vlan__vlan_id"
    ):
        lpars[lpar_pk].vlans.add((vswitch, vlan))
    wwpns = Wwpn.objects.filter(_in(lpar_ids, "virtual_adapter__lpar_id"))
    for adapter_pk, fabric_id in wwpns.values_list("virtual_adapter_id", "fabric_id").order_by(
        "virtual_adapter_id", "position"
    ):
        if adapter_pk in storage:
            storage[adapter_pk].wwpn_fabrics.append(fabric_id)
    owned = Adapter.objects.filter(_in(lpar_ids, "owner_id"), owner__isnull=False).exclude(
        owner__kind=LparKind.VIOS
    )
    for owner, drawer, slot in owned.values_list(
        "owner_id", "slot__drawer__location", "slot__location"
    ):
        lpars[owner].physical_io.append(f"{drawer}-{slot}")


# The checks.


@dataclass(slots=True)
class PairResult:
    """One LPAR against one destination: the findings, and what the move takes where."""

    lpar: int
    frame: int
    findings: list[Finding]
    free_units_after: int  # hundredths
    free_memory_after: int
    vios_slots: dict[int, int]  # destination VIOS pk → server adapters it would get
    verdict: str = Verdict.OK


@dataclass(slots=True)
class _LparConstants:
    """What the checks of one LPAR reuse against every frame."""

    mobility: str | None
    findings: list[Finding]  # wherever it goes
    region_mb: int  # its frame's memory region size
    pool: str | None  # a pool the destination must have (not DefaultPool)
    wiring: int | None  # the id of its storage wiring (LPARs wired alike share it), if any
    at_destination: dict[int, list[Finding]]  # frame pk → its findings for this mobility


class Preflight:
    """The checks against one index and one set of options, remembering the findings that do
    not depend on the pair (per LPAR, per destination frame)."""

    def __init__(self, index: EstateIndex, options: PreflightOptions | None = None) -> None:
        self.index = index
        self.options = options or PreflightOptions()
        self._lpars: dict[int, _LparConstants] = {}
        self._frame_findings: dict[tuple[int, str | None, bool], list[Finding]] = {}
        self._compat: dict[tuple[int, frozenset], Finding] = {}
        self._remote_hmc: dict[tuple[int, int], Finding] = {}
        self._at_destination: dict[str | None, dict[int, list[Finding]]] = {}  # by mobility
        self._signature_ids: dict[tuple, int] = {}
        self._mappings: dict[tuple, dict[int, int] | None] = {}
        # `outcomes`: the kinds of LPAR (numbered), per kind and frame the outcome
        self._kinds: dict[tuple, int] = {}
        self._outcomes: dict[int, dict[int, tuple]] = {}
        self._storage_codes: dict[tuple[int, int], tuple[list[str], bool]] = {}
        self._by_name: dict[str, set[int]] = defaultdict(set)
        self._by_id: dict[int, set[int]] = defaultdict(set)
        self._indexed = False
        for frame_id, (units, memory) in self.options.arriving_by_frame.items():
            if frame_id in index.frames:
                index.frames[frame_id].take(_units(units), memory)
        for frame_id, names in self.options.arriving_names.items():
            if frame_id in index.frames:
                index.frames[frame_id].names.update(names)
        for frame_id, ids in self.options.arriving_lpar_ids.items():
            if frame_id in index.frames:
                index.frames[frame_id].lpar_ids.update(ids)
        for vios_pk, slots in self.options.claimed_by_vios.items():
            if vios_pk in index.vioses:
                index.vioses[vios_pk].free_slots -= slots

    def check(self, lpar_pk: int, frame_pk: int) -> PairResult:
        """Every finding of moving LPAR `lpar_pk` to frame `frame_pk` (run millions of times
        by the matrix: the common case, nothing found, allocates next to nothing)."""
        lpar, frame = self.index.lpars[lpar_pk], self.index.frames[frame_pk]
        constants = self._lpars.get(lpar_pk) or self._constants(lpar)
        free_units = frame.free_units - lpar.units
        free_memory = frame.free_memory_mb - lpar.memory_mb
        if frame_pk == lpar.frame_id:
            findings = [
                *constants.findings,
                _error("SAME_FRAME", f"{lpar.name} already lives on {frame.name}."),
            ]
            return PairResult(
                lpar_pk,
                frame_pk,
                findings,
                frame.free_units,
                frame.free_memory_mb,
                {},
                Verdict.BLOCKED,
            )
        at_destination = constants.at_destination.get(frame_pk)
        if at_destination is None:
            at_destination = constants.at_destination[frame_pk] = self._of_frame(
                frame, constants.mobility, destination=True
            )
        findings = constants.findings + at_destination
        if free_units < 0 or free_memory < 0:
            findings += _capacity(lpar, frame, free_units, free_memory)
        if constants.region_mb != frame.memory_region_mb:
            source = self.index.frames[lpar.frame_id]
            findings.append(
                _error(
                    "MEMORY_REGION",
                    f"The memory region size of {frame.name} is {frame.memory_region_mb} MB, of "
                    f"{source.name} {source.memory_region_mb} MB: LPM needs them equal.",
                    source_mb=source.memory_region_mb,
                    destination_mb=frame.memory_region_mb,
                )
            )
        source_hmc = self.index.frames[lpar.frame_id].hmc_id
        if frame.hmc_id != source_hmc and frame.hmc_id and source_hmc:
            findings.append(self._remote_hmc_finding(self.index.frames[lpar.frame_id], frame))
        if lpar.compat_mode not in frame.modes:
            findings.append(self._compat_finding(lpar, frame))
        if not lpar.vlans <= frame.bridged:
            missing = sorted(v for s, v in lpar.vlans - frame.bridged)
            findings.append(
                _error(
                    "VLAN_NOT_BRIDGED",
                    f"VLAN {', '.join(map(str, missing))} of {lpar.name} is bridged by no VIOS "
                    f"trunk adapter on {frame.name}.",
                    vlans=missing,
                )
            )
        if constants.pool is not None and constants.pool not in frame.pools:
            findings.append(
                _error(
                    "SHARED_POOL_MISSING",
                    f"{frame.name} has no shared processor pool named {lpar.pool} (the pool of "
                    f"{lpar.name}).",
                    pool=lpar.pool,
                )
            )
        if lpar.name in frame.names:
            findings.append(
                _error(
                    "NAME_IN_USE",
                    f"{frame.name} already has an LPAR named {lpar.name}.",
                    name=lpar.name,
                )
            )
        if lpar.lpar_id in frame.lpar_ids:
            findings.append(
                _warning(
                    "LPAR_ID_IN_USE",
                    f"LPAR id {lpar.lpar_id} is taken on {frame.name}: the HMC will give "
                    f"{lpar.name} another id there, off the numbering plan.",
                    lpar_id=lpar.lpar_id,
                )
            )
        if lpar.kin:
            findings += self._twin_findings(lpar, frame)
        slots: dict[int, int] | None = {}
        if constants.wiring is not None:
            slots = self._mappings.get((frame_pk, constants.wiring), False)
            if slots is False:
                slots = self._mapping(lpar, frame, constants.wiring)
            if slots is not None:
                vioses = self.index.vioses
                for pk, needed in slots.items():
                    if needed > vioses[pk].free_slots:
                        slots = None
                        break
            if slots is None:
                slots = {}
                findings += self._storage(lpar, frame, slots)
        verdict = verdict_of(findings) if findings else Verdict.OK
        return PairResult(lpar_pk, frame_pk, findings, free_units, free_memory, slots, verdict)

    def outcomes(self, lpar_pk: int, frame_pks: Iterable[int]) -> list[tuple[str, tuple[str, ...]]]:
        """The verdict and the finding codes (in order, once each) of moving LPAR `lpar_pk` to
        each frame of `frame_pks`: what `check` finds, without the sentences. What the matrix
        shows.

        LPARs that need the same of a destination (the same memory region and HMC at home, mode,
        VLANs, pool, storage wiring and findings of their own) get the same outcome there, but
        for its capacity: it is worked out once per such kind of LPAR and frame, and only the
        capacity is compared per pair. The frames where the LPAR's name, id or twins are (and
        its own) are checked in full."""
        lpar = self.index.lpars[lpar_pk]
        constants = self._lpars.get(lpar_pk) or self._constants(lpar)
        kind, own = self._own_frames(lpar, constants)
        shared_by_frame = self._outcomes.setdefault(kind, {})
        frames = self.index.frames
        units, memory = lpar.units, lpar.memory_mb
        found: list[tuple[str, tuple[str, ...]]] = []
        for frame_pk in frame_pks:
            if frame_pk in own:
                result = self.check(lpar_pk, frame_pk)
                codes = tuple(dict.fromkeys(f.code for f in result.findings))
                found.append((result.verdict, codes))
                continue
            shared = shared_by_frame.get(frame_pk)
            if shared is None:
                shared = shared_by_frame[frame_pk] = self._shared_outcome(lpar, frame_pk)
            frame = frames[frame_pk]
            proc, short = frame.free_units < units, frame.free_memory_mb < memory
            if proc or short:
                capacity = ["CAPACITY_PROC"] * proc + ["CAPACITY_MEMORY"] * short
                codes = tuple(dict.fromkeys([*shared[1], *capacity, *shared[2]]))
                found.append((Verdict.BLOCKED, codes))
            else:
                found.append(shared[0])
        return found

    def _own_frames(self, lpar: LparFacts, constants: _LparConstants) -> tuple[int, set[int]]:
        """The kind of the LPAR (a number for what a destination's outcome depends on, but for
        capacity) and the frames where its own name, id or twins make its outcome its own."""
        source = self.index.frames[lpar.frame_id]
        kind = (
            constants.region_mb,
            source.hmc_id,
            lpar.compat_mode,
            frozenset(lpar.vlans),
            constants.pool,
            constants.wiring,
            constants.mobility,
            tuple((f.code, f.severity) for f in constants.findings),
        )
        kind_id = self._kinds.setdefault(kind, len(self._kinds))
        if not self._indexed:
            self._indexed = True
            for frame in self.index.frames.values():
                for name in frame.names:
                    self._by_name[name].add(frame.pk)
                for lpar_id in frame.lpar_ids:
                    self._by_id[lpar_id].add(frame.pk)
        own = {lpar.frame_id, *self._by_name.get(lpar.name, ()), *self._by_id.get(lpar.lpar_id, ())}
        own.update(self.index.kin[pk].frame_id for pk in lpar.kin)
        return kind_id, own

    def _shared_outcome(self, lpar: LparFacts, frame_pk: int) -> tuple:
        """The outcome of LPARs of `lpar`'s kind on `frame_pk` with the capacity they need
        (its codes before the capacity's place, and after): `check`'s findings but for those of
        the LPAR's own name, id and twins and its capacity, each from what it depends on."""
        constants = self._lpars[lpar.pk]
        frame = self.index.frames[frame_pk]
        at_destination = constants.at_destination.get(frame_pk)
        if at_destination is None:
            at_destination = constants.at_destination[frame_pk] = self._of_frame(
                frame, constants.mobility, destination=True
            )
        before = [f.code for f in constants.findings] + [f.code for f in at_destination]
        blocked = any(f.blocks for f in constants.findings) or any(f.blocks for f in at_destination)
        after = []
        if constants.region_mb != frame.memory_region_mb:
            after.append("MEMORY_REGION")
        source_hmc = self.index.frames[lpar.frame_id].hmc_id
        remote = frame.hmc_id != source_hmc and frame.hmc_id and source_hmc
        if remote:
            after.append("REMOTE_HMC")  # a warning; every other code here is an error
        if lpar.compat_mode not in frame.modes:
            after.append("COMPAT_MODE")
        if not lpar.vlans <= frame.bridged:
            after.append("VLAN_NOT_BRIDGED")
        if constants.pool is not None and constants.pool not in frame.pools:
            after.append("SHARED_POOL_MISSING")
        blocked = blocked or len(after) > (1 if remote else 0)
        if constants.wiring is not None:
            storage = self._storage_codes.get((frame_pk, constants.wiring))
            if storage is None:
                storage = self._storage_codes[frame_pk, constants.wiring] = self._storage_outcome(
                    lpar, frame, constants.wiring
                )
            after += storage[0]
            blocked = blocked or storage[1]
        if blocked:
            verdict = Verdict.BLOCKED
        else:
            verdict = Verdict.WARNINGS if before or after else Verdict.OK
        return (verdict, tuple(dict.fromkeys([*before, *after]))), before, after

    def _storage_outcome(self, lpar: LparFacts, frame: FrameFacts, wiring: int) -> tuple:
        """The codes of the storage findings of LPARs wired like `lpar` on `frame`, and whether
        one blocks."""
        key = (frame.pk, wiring)
        slots = self._mappings[key] if key in self._mappings else self._mapping(lpar, frame, wiring)
        if slots is not None and all(
            needed <= self.index.vioses[pk].free_slots for pk, needed in slots.items()
        ):
            return [], False
        found = self._storage(lpar, frame, {})
        return [f.code for f in found], any(f.blocks for f in found)

    def _twin_findings(self, lpar: LparFacts, frame: FrameFacts) -> list[Finding]:
        """The members of the LPAR's twin family already on `frame`: one frame failure would
        take both."""
        findings = []
        for pk in lpar.kin:
            other = self.index.kin[pk]
            if other.frame_id != frame.pk:
                continue
            if other.pk == lpar.stub_of:
                whom = f"its original {other.name}"
            elif other.stub_of == lpar.pk:
                whom = f"its stub twin {other.name}"
            else:
                whom = f"{other.name} (another twin of {self.index.kin[lpar.stub_of].name})"
            findings.append(
                _warning(
                    TWIN_SAME_FRAME,
                    f"{frame.name} holds {whom}: with {lpar.name} there too, one frame failure "
                    "takes both and the twin protects nothing.",
                    lpar=lpar.name,
                    other=other.name,
                )
            )
        return findings

    def _remote_hmc_finding(self, source: FrameFacts, frame: FrameFacts) -> Finding:
        """The same warning for every pair of frames of the same two HMCs."""
        key = (source.hmc_id, frame.hmc_id)
        finding = self._remote_hmc.get(key)
        if finding is None:
            finding = self._remote_hmc[key] = _warning(
                "REMOTE_HMC",
                f"{frame.name} is managed by HMC {frame.hmc_name}, {source.name} by HMC "
                f"{source.hmc_name}: the migration runs on {source.hmc_name} and names "
                f"{frame.hmc_name} (--ip/-u); whether {source.hmc_name} may log in to "
                f"{frame.hmc_name} with its SSH key is checked when the job runs.",
                source_hmc=source.hmc_name,
                destination_hmc=frame.hmc_name,
            )
        return finding

    def _compat_finding(self, lpar: LparFacts, frame: FrameFacts) -> Finding:
        """The same finding for every frame that accepts the same modes."""
        key = (lpar.pk, frame.modes)
        finding = self._compat.get(key)
        if finding is None:
            accepted = sorted(frame.modes - {"default"})
            finding = self._compat[key] = _error(
                "COMPAT_MODE",
                f"Compatibility mode {lpar.compat_mode} of {lpar.name} is not one the "
                f"destination accepts ({', '.join(['default', *accepted])}).",
                mode=lpar.compat_mode,
                accepted=accepted,
            )
        return finding

    def _mapping(self, lpar: LparFacts, frame: FrameFacts, wiring: int) -> dict[int, int] | None:
        """The destination VIOS slots the storage of LPARs wired like `lpar` takes on `frame`
        when nothing is wrong with it, else None (then `_storage` says what is wrong). The
        mapping depends on nothing else, so it is worked out once per wiring and frame."""
        found: dict[int, int] = {}
        slots = None if self._storage(lpar, frame, found) else found
        self._mappings[frame.pk, wiring] = slots
        return slots

    def _signature(self, lpar: LparFacts) -> tuple:
        groups: dict[int | None, list[StorageFacts]] = defaultdict(list)
        for adapter in lpar.storage:
            groups[adapter.vios_pk].append(adapter)
        vioses = self.index.vioses
        return tuple(
            (
                vioses[pk].lpar_id if pk in vioses else None,
                tuple(sorted((a.kind, tuple(a.wwpn_fabrics)) for a in adapters)),
            )
            for pk, adapters in groups.items()
        )

    def _constants(self, lpar: LparFacts) -> _LparConstants:
        """The mobility the move would use and what blocks the LPAR wherever it goes."""
        mobility, findings = _lpar_findings(lpar, self.options)
        source = self.index.frames[lpar.frame_id]
        findings += self._of_frame(source, mobility, destination=False)
        if lpar.physical_io:
            findings.append(
                _error(
                    "PHYSICAL_IO",
                    f"{lpar.name} owns physical I/O in {', '.join(lpar.physical_io)}: remove it "
                    "(DLPAR) before the move.",
                    slots=lpar.physical_io,
                )
            )
        for adapter in lpar.storage:
            if adapter.kind == VirtualAdapterKind.VFC and len(adapter.wwpn_fabrics) < 2:
                findings.append(
                    _error(
                        "NPIV_PAIR_INCOMPLETE",
                        f"vFC slot {adapter.slot} of {lpar.name} has {len(adapter.wwpn_fabrics)} "
                        "of its 2 WWPNs: the second logs in on the destination during LPM.",
                        slot=adapter.slot,
                        wwpns=len(adapter.wwpn_fabrics),
                    )
                )
        pool = lpar.pool if lpar.pool and lpar.pool != DEFAULT_POOL else None
        wiring = None
        if lpar.storage:
            wiring = self._signature_ids.setdefault(self._signature(lpar), len(self._signature_ids))
        constants = _LparConstants(
            mobility,
            findings,
            source.memory_region_mb,
            pool,
            wiring,
            self._at_destination.setdefault(mobility, {}),
        )
        self._lpars[lpar.pk] = constants
        return constants

    def _of_frame(self, frame: FrameFacts, mobility: str | None, *, destination: bool):
        key = (frame.pk, mobility, destination)
        cached = self._frame_findings.get(key)
        if cached is None:
            cached = self._frame_findings[key] = _frame_findings(
                frame, mobility, self.options, destination=destination
            )
        return cached

    def _fabric_sentence(self, unreached: list[int | None], vios: ViosFacts) -> str:
        if None in unreached:
            return (
                "a WWPN of its pair is on no fabric, so no destination port is known to reach it."
            )
        names = self.index.fabric_names
        theirs = ", ".join(sorted(names.get(f, str(f)) for f in set(unreached)))
        reached = ", ".join(sorted(names.get(f, str(f)) for f in vios.fabrics)) or "none"
        return (
            f"its WWPNs are on {theirs}, which the FC ports of {vios.name} do not reach (they "
            f"reach {reached})."
        )

    def _storage(self, lpar: LparFacts, frame: FrameFacts, slots: dict[int, int]) -> list:
        """Map each source VIOS to a destination VIOS (the same LPAR id first, then another
        free one, so the paths stay on two VIOS) and check what lands there."""
        findings: list[Finding] = []
        groups: dict[int | None, list[StorageFacts]] = defaultdict(list)
        for adapter in lpar.storage:
            groups[adapter.vios_pk].append(adapter)
        taken: set[int] = set()
        for source_vios, adapters in groups.items():
            needs_fc = any(a.kind == VirtualAdapterKind.VFC for a in adapters)
            candidates = [v for v in frame.vioses if v.fabrics or not needs_fc]
            if not candidates:
                labels = ", ".join(f"{KIND_LABELS[a.kind]} slot {a.slot}" for a in adapters)
                what = "with FC ports " if needs_fc and frame.vioses else ""
                findings.append(
                    _error(
                        "NO_VIOS_FOR_ADAPTER",
                        f"{frame.name} has no VIOS {what}to host {labels} of {lpar.name}.",
                        slots=[a.slot for a in adapters],
                    )
                )
                continue
            known = self.index.vioses.get(source_vios)
            same_id = known.lpar_id if known else None
            needed = {
                f for a in adapters if a.kind == VirtualAdapterKind.VFC for f in a.wwpn_fabrics
            }
            # One that reaches the pairs' fabrics, not serving another path, of the same id.
            chosen = min(
                candidates,
                key=lambda v: (not needed <= v.fabrics, v.pk in taken, v.lpar_id != same_id),
            )
            taken.add(chosen.pk)
            slots[chosen.pk] = slots.get(chosen.pk, 0) + len(adapters)
            for adapter in adapters:
                unreached = [f for f in adapter.wwpn_fabrics if f not in chosen.fabrics]
                if adapter.kind == VirtualAdapterKind.VFC and unreached:
                    findings.append(
                        _error(
                            "NPIV_FABRIC",
                            f"vFC slot {adapter.slot} of {lpar.name}: "
                            + self._fabric_sentence(unreached, chosen),
                            slot=adapter.slot,
                            vios=chosen.name,
                            fabrics=sorted({f for f in unreached if f is not None}),
                        )
                    )
        if len(groups) > 1 and len(slots) < len(groups) and slots:
            only = ", ".join(self.index.vioses[pk].name for pk in slots)
            findings.append(
                _warning(
                    "VIOS_REDUNDANCY",
                    f"The storage of {lpar.name} goes through {len(groups)} VIOS on its frame but "
                    f"through {only} only on {frame.name}.",
                    source_vios=len(groups),
                    destination_vios=len(slots),
                )
            )
        for vios_pk, needed in slots.items():
            vios = self.index.vioses[vios_pk]
            if needed > vios.free_slots:
                findings.append(
                    _error(
                        "VIOS_SLOTS",
                        f"{vios.name} on {frame.name} has {max(vios.free_slots, 0)} free virtual "
                        f"slots (under {min(vios.max_virtual_slots, SLOT_CEILING)}) for the "
                        f"{needed} server adapters {lpar.name} needs there.",
                        vios=vios.name,
                        free=max(vios.free_slots, 0),
                        needed=needed,
                    )
                )
        return findings


def _capacity(lpar: LparFacts, frame: FrameFacts, free_units: int, free_memory: int) -> list:
    findings = []
    if free_units < 0:
        findings.append(
            _error(
                "CAPACITY_PROC",
                f"{lpar.name} needs {units_label(lpar.units)} processor units; {frame.name} has "
                f"{units_label(frame.free_units)} free.",
                needed=units_label(lpar.units),
                free=units_label(frame.free_units),
            )
        )
    if free_memory < 0:
        findings.append(
            _error(
                "CAPACITY_MEMORY",
                f"{lpar.name} needs {_memory_label(lpar.memory_mb)} of memory; {frame.name} has "
                f"{_memory_label(frame.free_memory_mb)} free.",
                needed_mb=lpar.memory_mb,
                free_mb=frame.free_memory_mb,
            )
        )
    return findings


def _lpar_findings(lpar: LparFacts, options: PreflightOptions) -> tuple[str | None, list]:
    findings = []
    if lpar.kind == LparKind.VIOS:
        findings.append(_error("LPAR_IS_VIOS", f"{lpar.name} is a VIOS; a VIOS never migrates."))
    state_label = LPAR_STATE_LABELS.get(lpar.state, lpar.state)
    if lpar.state in MIGRATING_STATES or lpar.pk in options.migrating_lpars:
        findings.append(
            _error(
                "LPAR_MIGRATING",
                f"{lpar.name} is migrating already ({state_label}).",
                state=lpar.state,
            )
        )
        return None, findings
    natural = {LparState.RUNNING: Mobility.ACTIVE, LparState.NOT_ACTIVATED: Mobility.INACTIVE}
    mobility = options.mobility or natural.get(lpar.state)
    if mobility is None:
        findings.append(
            _error(
                "LPAR_STATE",
                f"{lpar.name} is {state_label}; it must be Running (active mobility) or Not "
                "Activated (inactive mobility).",
                state=lpar.state,
            )
        )
    elif natural.get(lpar.state) != mobility:
        needed = "Running" if mobility == Mobility.ACTIVE else "Not Activated"
        findings.append(
            _error(
                "LPAR_STATE",
                f"{lpar.name} is {state_label}; {Mobility(mobility).label.split(' ')[0]} mobility "
                f"needs it {needed}.",
                state=lpar.state,
                mobility=mobility,
            )
        )
    return mobility, findings


def _frame_findings(
    frame: FrameFacts, mobility: str | None, options: PreflightOptions, *, destination: bool
) -> list[Finding]:
    side = "destination" if destination else "source"
    findings = []
    if frame.state != FrameState.OPERATING:
        label = FrameState(frame.state).label if frame.state in FrameState.values else frame.state
        findings.append(
            _error(
                "FRAME_STATE",
                f"The {side} frame {frame.name} is {label}, not Operating.",
                frame=frame.name,
                state=frame.state,
                side=side,
            )
        )
    msps = [v for v in frame.vioses if v.msp]
    if mobility == Mobility.ACTIVE and not msps:
        code = "NO_MSP_DESTINATION" if destination else "NO_MSP_SOURCE"
        findings.append(
            _error(
                code,
                f"No VIOS of {frame.name} is a mover service partition: active mobility needs one "
                f"on the {side} frame.",
                frame=frame.name,
            )
        )
    running = options.running_by_frame.get(frame.pk, 0)
    if running >= frame.max_active_migrations:
        findings.append(
            _warning(
                "MIGRATION_LIMIT",
                f"{running} migrations are running on {frame.name}, its maximum of concurrent "
                f"migrations ({frame.max_active_migrations}); a migration started now waits in the "
                "queue until one ends.",
                frame=frame.name,
                running=running,
                limit=frame.max_active_migrations,
            )
        )
    elif (
        mobility == Mobility.ACTIVE
        and msps
        and all(options.running_by_vios.get(v.pk, 0) >= options.vios_limit for v in msps)
    ):
        findings.append(
            _warning(
                "MIGRATION_LIMIT",
                f"Every mover service partition of {frame.name} carries {options.vios_limit} "
                "migrations already, its limit; a migration started now waits in the queue until "
                "one ends.",
                frame=frame.name,
                limit=options.vios_limit,
            )
        )
    return findings


# Entry points.


def preflight_check(
    *, lpar: Lpar, destination: Frame, options: PreflightOptions | None = None
) -> list[Finding]:
    """Every reason `lpar` cannot (errors) or should not lightly (warnings) move there."""
    index = EstateIndex.load(lpar_ids=[lpar.pk], frame_ids=[destination.pk])
    return Preflight(index, options).check(lpar.pk, destination.pk).findings


@dataclass(frozen=True)
class Migratability:
    """One destination of an LPAR: the verdict, its findings, the capacity left after."""

    frame: Frame  # only its pk and name are loaded
    verdict: str
    findings: list[Finding]
    free_units_after: Decimal
    free_memory_mb_after: int


_FRAME_ID_NAME = ("id", "name")


def lpar_migratability(
    *, lpar: Lpar, options: PreflightOptions | None = None
) -> list[Migratability]:
    """The LPAR against every other frame, by frame name."""
    index = EstateIndex.load(lpar_ids=[lpar.pk])
    preflight = Preflight(index, options)
    results = []
    for frame_pk in index.frames:
        if frame_pk == lpar.frame_id:
            continue
        result = preflight.check(lpar.pk, frame_pk)
        # Its id and name suffice: the other fields stay deferred (a Frame(…) would set every
        # field's default, five times the cost for a couple of hundred frames).
        frame = Frame.from_db(None, _FRAME_ID_NAME, (frame_pk, index.frames[frame_pk].name))
        results.append(
            Migratability(
                frame,
                result.verdict,
                result.findings,
                Decimal(result.free_units_after) / 100,
                result.free_memory_after,
            )
        )
    return results


def migratability_matrix(
    *,
    index: EstateIndex,
    lpar_pks: Iterable[int],
    frame_pks: Iterable[int],
    options: PreflightOptions | None = None,
) -> Iterator[PairResult]:
    """Every LPAR of `lpar_pks` against every frame of `frame_pks`, row by row."""
    preflight = Preflight(index, options)
    frame_pks = list(frame_pks)
    for lpar_pk in lpar_pks:
        for frame_pk in frame_pks:
            yield preflight.check(lpar_pk, frame_pk)
