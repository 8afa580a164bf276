"""Stub-LPAR twins: a cold standby of an LPAR on another frame, derived by the scheme's stub
policy (LPAR id and vSCSI/vFC slots + offset, Ethernet slots kept, name + suffix), with server
adapters planned on the destination VIOS but not mapped, and its own WWPN pairs.

Everything a twin needs is planned and checked first; only a plan with no refusal is written,
in one transaction, so a refused request creates nothing.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet

from inventory.choices import LparKind, LparState, VirtualAdapterKind, VirtualAdapterRole
from inventory.models import Frame, Lpar, SharedProcessorPool, VirtualAdapter, Wwpn
from inventory.services import (
    object_save,
    objects_bulk_create,
    virtual_adapter_save,
    virtual_adapters_vlans_add,
)
from lpmplanner.exceptions import Conflict
from planning.models import KIND_LABELS, EnumerationScheme, PlannedServerAdapter
from planning.rules import SlotRuleLookups, slot_rule_lookups
from planning.selectors import scheme_for_frame

STORAGE_KINDS = (VirtualAdapterKind.VSCSI, VirtualAdapterKind.VFC)
TWIN_FIELDS = ("kind", "proc_mode", "proc_units", "virtual_procs", "memory_mb", "compat_mode")


def twin_slot(scheme: EnumerationScheme, kind: str, slot: int) -> int:
    """Where the twin's adapter sits for the original's adapter of `kind` in `slot`."""
    if kind == VirtualAdapterKind.ETHERNET and scheme.stub_keeps_ethernet_slots:
        return slot
    return slot + scheme.stub_slot_offset


@dataclass
class _Destination:
    """The destination frame as the plans need it; shared by the plans of one bulk request so
    that server slots handed out to one twin are not handed out again."""

    frame: Frame
    scheme: EnumerationScheme
    vioses: dict[int, Lpar]  # by LPAR id
    pools: dict[str, SharedProcessorPool]
    bridged: set[int]
    used_slots: dict[int, set[int]]  # VIOS pk → slots in use or planned
    holders: dict[int, Lpar] = field(default_factory=dict)  # LPAR id → who has it
    names: set[str] = field(default_factory=set)  # twin names the frame already has

    @classmethod
    def load(cls, frame: Frame, *, twinned: list[Lpar]) -> "_Destination":
        """The destination for twins of `twinned` (none for a refresh)."""
        scheme = scheme_for_frame(frame=frame)
        if scheme is None:
            raise ValidationError("There is no enumeration scheme: create a default scheme first.")
        vioses = {v.lpar_id: v for v in frame.lpars.filter(kind=LparKind.VIOS)}
        bridged = set()
        trunks = VirtualAdapter.objects.filter(lpar__in=vioses.values(), role="trunk")
        for pvid, tagged in trunks.values_list("pvid_id", "vlans__vlan_id"):
            bridged |= {pvid, tagged} - {None}
        used = defaultdict(set)
        for lpar_id, slot in VirtualAdapter.objects.filter(lpar__in=vioses.values()).values_list(
            "lpar_id", "slot"
        ):
            used[lpar_id].add(slot)
        pools = {p.name: p for p in frame.shared_pools.all()}
        destination = cls(frame, scheme, vioses, pools, bridged, used)
        destination.identities_load(twinned)
        return destination

    def identities_load(self, originals: list[Lpar]) -> None:
        """Who already holds the twins' LPAR ids (on the frame, or a client anywhere) and which
        of their names the frame already has: two queries for any number of twins."""
        ids = {lpar.lpar_id + self.scheme.stub_lpar_id_offset for lpar in originals}
        names = {f"{lpar.name}{self.scheme.stub_suffix}" for lpar in originals}
        holders = Lpar.objects.filter(lpar_id__in=ids).filter(
            Q(frame=self.frame) | ~Q(kind=LparKind.VIOS)
        )
        for holder in holders.select_related("frame"):
            if holder.frame_id == self.frame.pk or holder.lpar_id not in self.holders:
                self.holders[holder.lpar_id] = holder
        self.names = set(self.frame.lpars.filter(name__in=names).values_list("name", flat=True))

    def server_slot(self, vios: Lpar, kind: str, wanted: int) -> int | None:
        """`wanted` when it is free and in range on the VIOS, else its lowest free slot."""
        used = self.used_slots[vios.pk]
        first, last = self.scheme.slot_range(kind)
        candidates = [wanted] if first <= wanted <= last else []
        candidates += range(first, min(last, self.scheme.slot_ceiling - 1) + 1)
        slot = next((s for s in candidates if s not in used), None)
        if slot is not None:
            used.add(slot)
        return slot


@dataclass
class _StoragePlan:
    original: VirtualAdapter
    slot: int
    vios: Lpar
    server_slot: int
    fabrics: list


@dataclass
class TwinPlan:
    """What one twin will be, or why it cannot be."""

    original: Lpar
    name: str = ""
    lpar_id: int = 0
    pool: SharedProcessorPool | None = None
    ethernet: list[tuple[VirtualAdapter, int]] = field(default_factory=list)
    storage: list[_StoragePlan] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)


def _copied_adapters() -> QuerySet:
    """The adapters a twin copies: all but server adapters, with what the copy reads."""
    return (
        VirtualAdapter.objects.select_related("remote_lpar", "pvid")
        .prefetch_related("vlans", "wwpns__fabric")
        .exclude(role=VirtualAdapterRole.SERVER)
        .order_by("slot")
    )


def _original_adapters(lpar: Lpar) -> list[VirtualAdapter]:
    prefetched = getattr(lpar, "copied_adapters", None)
    return prefetched if prefetched is not None else list(_copied_adapters().filter(lpar=lpar))


def _vlans(adapter: VirtualAdapter) -> set[int]:
    return {adapter.pvid_id, *(v.vlan_id for v in adapter.vlans.all())} - {None}


def _storage_plan(
    plan: TwinPlan, destination: _Destination, adapter: VirtualAdapter, slot: int
) -> _StoragePlan | None:
    """Pair the twin's client slot with a server adapter on the destination VIOS of the same
    LPAR id as the original's VIOS."""
    label = KIND_LABELS[adapter.kind]
    if adapter.remote_lpar is None:
        plan.refusals.append(f"{label} slot {adapter.slot} of {plan.original.name} names no VIOS.")
        return None
    vios = destination.vioses.get(adapter.remote_lpar.lpar_id)
    if vios is None:
        plan.refusals.append(
            f"{destination.frame.name} has no VIOS with LPAR id {adapter.remote_lpar.lpar_id} to "
            f"serve {label} slot {slot} (the original's is {adapter.remote_lpar.name})."
        )
        return None
    wanted = (adapter.remote_slot or slot) + destination.scheme.stub_slot_offset
    server_slot = destination.server_slot(vios, adapter.kind, wanted)
    if server_slot is None:
        plan.refusals.append(
            f"The {destination.scheme.range_label(adapter.kind)} of {vios.name} on "
            f"{destination.frame.name} is full."
        )
        return None
    fabrics = [w.fabric for w in sorted(adapter.wwpns.all(), key=lambda w: w.position)]
    return _StoragePlan(adapter, slot, vios, server_slot, fabrics)


def _twin_identity_refusals(plan: TwinPlan, destination: _Destination) -> None:
    original, scheme, frame = plan.original, destination.scheme, destination.frame
    if original.frame_id == frame.pk:
        plan.refusals.append(
            f"{frame.name} is the frame {original.name} is on: a twin lives on another frame."
        )
    if original.is_vios:
        plan.refusals.append(f"{original.name} is a VIOS: a VIOS has no stub twin.")
    if original.stub_of_id:
        plan.refusals.append(f"{original.name} is itself a stub twin.")
    twin = next(iter(original.stubs.all()), None)
    if twin is not None:
        raise Conflict(
            f"{original.name} already has a stub twin, {twin.name} on {twin.frame.name}: "
            "refresh it instead."
        )
    if plan.lpar_id >= scheme.lpar_id_ceiling:
        plan.refusals.append(
            f"LPAR id {original.lpar_id} + {scheme.stub_lpar_id_offset} = {plan.lpar_id} is not "
            f"under the scheme's LPAR id ceiling {scheme.lpar_id_ceiling}."
        )
    holder = destination.holders.get(plan.lpar_id)
    if holder is not None:
        plan.refusals.append(
            f"LPAR id {plan.lpar_id} is already used by {holder.name} on {holder.frame.name}."
        )
    if plan.name in destination.names:
        plan.refusals.append(f"{frame.name} already has an LPAR named {plan.name}.")


def twin_plan(*, lpar: Lpar, destination: _Destination) -> TwinPlan:
    """Everything the twin of `lpar` on the destination needs, and every reason it cannot be."""
    scheme = destination.scheme
    plan = TwinPlan(
        lpar,
        name=f"{lpar.name}{scheme.stub_suffix}",
        lpar_id=lpar.lpar_id + scheme.stub_lpar_id_offset,
    )
    _twin_identity_refusals(plan, destination)
    if not destination.frame.accepts_compat_mode(lpar.compat_mode):
        plan.refusals.append(
            f"{destination.frame.name} does not accept compatibility mode {lpar.compat_mode}."
        )
    if lpar.shared_pool_id:
        plan.pool = destination.pools.get(lpar.shared_pool.name)
        if plan.pool is None:
            plan.refusals.append(
                f"{destination.frame.name} has no shared pool named {lpar.shared_pool.name}."
            )
    for adapter in _original_adapters(lpar):
        slot = twin_slot(scheme, adapter.kind, adapter.slot)
        error = scheme.slot_error(adapter.kind, slot)
        if error:
            plan.refusals.append(
                f"{KIND_LABELS[adapter.kind]} slot {adapter.slot} → {slot}: {error}"
            )
            continue
        if adapter.kind == VirtualAdapterKind.ETHERNET:
            missing = sorted(_vlans(adapter) - destination.bridged)
            if missing:
                plan.refusals.append(
                    f"No VIOS on {destination.frame.name} bridges VLAN "
                    f"{', '.join(map(str, missing))} of Ethernet slot {adapter.slot}."
                )
            plan.ethernet.append((adapter, slot))
        elif adapter.kind in STORAGE_KINDS:
            storage = _storage_plan(plan, destination, adapter, slot)
            if storage:
                plan.storage.append(storage)
    return plan


class _WwpnPool:
    """Virtual WWPN pairs after the highest WWPN with the scheme's prefix, as the HMC hands them
    out (consecutive, the first one even). The scheme row is locked so that two twin requests
    never draw the same pair."""

    def __init__(self, scheme: EnumerationScheme) -> None:
        EnumerationScheme.objects.select_for_update().filter(pk=scheme.pk).first()
        prefix = scheme.stub_wwpn_prefix
        free_digits = 16 - len(prefix)
        self.base = int(prefix, 16) << (4 * free_digits)
        self.limit = self.base + (1 << (4 * free_digits))
        highest = (
            Wwpn.objects.filter(value__startswith=prefix)
            .order_by("-value")
            .values_list("value", flat=True)
            .first()
        )
        self.next = int(highest, 16) + 1 if highest else self.base
        self.prefix = prefix

    def take_pair(self) -> list[str]:
        self.next += self.next % 2
        if self.next + 2 > self.limit:
            raise Conflict(f"The stub WWPN pool {self.prefix}… is exhausted.")
        pair = [f"{self.next:016x}", f"{self.next + 1:016x}"]
        self.next += 2
        return pair


def _created(instances: list) -> None:
    """Insert new rows of one model, validated set-wise with their history; the first refused
    row stops the request with the errors `object_save` would give for it."""
    _, refused = objects_bulk_create(instances=instances)
    if refused:
        raise refused[0][1]


def _adapters_create(twins: list[tuple[TwinPlan, Lpar]], pool: _WwpnPool) -> None:
    """The planned adapters of each twin: its clients, their server adapters on the VIOS (planned,
    not mapped) and a WWPN pair per vFC client, on the original's fabrics."""
    adapters, servers, tagged, pairs = [], [], [], []
    for plan, twin in twins:
        for original, slot in plan.ethernet:
            adapter = VirtualAdapter(
                lpar=twin,
                kind=VirtualAdapterKind.ETHERNET,
                role=VirtualAdapterRole.CLIENT,
                slot=slot,
                pvid_id=original.pvid_id,
                vswitch=original.vswitch,
            )
            adapters.append(adapter)
            tagged.append((adapter, list(original.vlans.all())))
        for storage in plan.storage:
            kind = storage.original.kind
            client = VirtualAdapter(
                lpar=twin,
                kind=kind,
                role=VirtualAdapterRole.CLIENT,
                slot=storage.slot,
                remote_lpar=storage.vios,
                remote_slot=storage.server_slot,
            )
            server = VirtualAdapter(
                lpar=storage.vios,
                kind=kind,
                role=VirtualAdapterRole.SERVER,
                slot=storage.server_slot,
                remote_lpar=twin,
                remote_slot=storage.slot,
            )
            adapters += [client, server]
            servers.append(server)
            if kind == VirtualAdapterKind.VFC:
                fabrics = storage.fabrics if len(storage.fabrics) == 2 else [None, None]
                pairs.append((client, zip(pool.take_pair(), fabrics, strict=True)))
    _created(adapters)
    virtual_adapters_vlans_add(tagged=tagged)
    _created(
        [
            Wwpn(virtual_adapter=client, value=value, position=position, fabric=fabric)
            for client, pair in pairs
            for position, (value, fabric) in enumerate(pair, start=1)
        ]
    )
    PlannedServerAdapter.objects.bulk_create(
        [PlannedServerAdapter(adapter=server) for server in servers]
    )


def _twin(plan: TwinPlan, destination: _Destination) -> Lpar:
    original = plan.original
    return Lpar(
        frame=destination.frame,
        name=plan.name,
        lpar_id=plan.lpar_id,
        state=LparState.NOT_ACTIVATED,
        shared_pool=plan.pool,
        stub_of=original,
        profile_name=original.profile_name,
        **{f: getattr(original, f) for f in TWIN_FIELDS},
    )


def _twins_create(plans: list[TwinPlan], destination: _Destination) -> list[Lpar]:
    twins = [_twin(plan, destination) for plan in plans]
    # Twins and the VIOSes that serve them are on the destination frame: its scheme only.
    schemes = {destination.frame.pk: destination.scheme}
    with slot_rule_lookups(SlotRuleLookups(schemes=schemes)):
        _created(twins)
        _adapters_create(list(zip(plans, twins, strict=True)), _WwpnPool(destination.scheme))
    return twins


def _refused(plans: list[TwinPlan]) -> ValidationError | None:
    messages = [
        f"{plan.original.name}: {refusal}" if len(plans) > 1 else refusal
        for plan in plans
        for refusal in plan.refusals
    ]
    return ValidationError(messages) if messages else None


@transaction.atomic
def lpar_create_stub_twin(*, lpar: Lpar, destination_frame: Frame) -> Lpar:
    """Create `<name>-stub` on `destination_frame`, or refuse with every reason and create
    nothing. A twin that already exists is a Conflict: refresh it instead."""
    destination = _Destination.load(destination_frame, twinned=[lpar])
    plan = twin_plan(lpar=lpar, destination=destination)
    error = _refused([plan])
    if error:
        raise ValidationError({"destination_frame": error.messages})
    [twin] = _twins_create([plan], destination)
    return twin


@dataclass(frozen=True)
class BulkTwinReport:
    """What a bulk twinning created: (original, twin) pairs."""

    source: Frame
    destination: Frame
    created: list[tuple[Lpar, Lpar]]

    def summary(self) -> str:
        return (
            f"Created {len(self.created)} stub twin(s) of {self.source.name}'s LPARs on "
            f"{self.destination.name}: {', '.join(t.name for _, t in self.created) or 'none'}."
        )


@transaction.atomic
def frame_create_stub_twins(*, frame: Frame, destination_frame: Frame) -> BulkTwinReport:
    """Twin every client LPAR of `frame` (twins excluded) onto `destination_frame`: all of them
    or, with the reason for each LPAR that cannot be twinned, none."""
    originals = list(
        frame.lpars.exclude(kind=LparKind.VIOS)
        .filter(stub_of__isnull=True)
        .select_related("shared_pool")
        .order_by("lpar_id")
        .prefetch_related(
            Prefetch("stubs", Lpar.objects.select_related("frame")),
            Prefetch("virtual_adapters", _copied_adapters(), "copied_adapters"),
        )
    )
    destination = _Destination.load(destination_frame, twinned=originals)
    if not originals:
        raise ValidationError(f"{frame.name} has no client LPAR to twin.")
    plans = []
    for lpar in originals:
        try:
            plans.append(twin_plan(lpar=lpar, destination=destination))
        except Conflict as conflict:
            plans.append(TwinPlan(lpar, refusals=[str(conflict)]))
    error = _refused(plans)
    if error:
        raise ValidationError(
            [f"Nothing was created: {len(error.messages)} reason(s).", *error.messages]
        )
    twins = _twins_create(plans, destination)
    created = [(plan.original, twin) for plan, twin in zip(plans, twins, strict=True)]
    return BulkTwinReport(frame, destination_frame, created)


def _same_ethernet(mine: VirtualAdapter, original: VirtualAdapter) -> bool:
    return _vlans(mine) == _vlans(original) and mine.vswitch == original.vswitch


def _unplanned_remove(adapter: VirtualAdapter) -> None:
    """Remove a twin adapter the original no longer has, with its server adapter if that one
    is still only planned (a mapped one is left for the estate checks to report)."""
    if adapter.remote_lpar_id:
        VirtualAdapter.objects.filter(
            lpar_id=adapter.remote_lpar_id,
            slot=adapter.remote_slot,
            planned_mapping__isnull=False,
        ).delete()
    adapter.delete()


@transaction.atomic
def stub_twin_refresh(*, twin: Lpar) -> Lpar:
    """Bring the twin back in line with its original (processors, memory, pool, VLANs,
    adapters), keeping its own slots and WWPNs; refuse with every reason and change nothing
    when the destination cannot hold what the original now has."""
    original = twin.stub_of
    if original is None:
        raise ValidationError(f"{twin.name} is not a stub twin.")
    destination = _Destination.load(twin.frame, twinned=[])
    scheme = destination.scheme
    plan = TwinPlan(original)
    if original.shared_pool_id:
        plan.pool = destination.pools.get(original.shared_pool.name)
        if plan.pool is None:
            plan.refusals.append(
                f"{twin.frame.name} has no shared pool named {original.shared_pool.name}."
            )
    current = {a.slot: a for a in _original_adapters(twin)}
    kept, updates = set(), []
    for adapter in _original_adapters(original):
        slot = twin_slot(scheme, adapter.kind, adapter.slot)
        mine = current.get(slot)
        if adapter.kind == VirtualAdapterKind.ETHERNET:
            missing = sorted(_vlans(adapter) - destination.bridged)
            if missing:
                plan.refusals.append(
                    f"No VIOS on {twin.frame.name} bridges VLAN {', '.join(map(str, missing))} "
                    f"of Ethernet slot {adapter.slot}."
                )
        if mine is not None and mine.kind == adapter.kind:
            kept.add(slot)
            if adapter.kind == VirtualAdapterKind.ETHERNET and not _same_ethernet(mine, adapter):
                updates.append((mine, adapter))
            continue
        error = scheme.slot_error(adapter.kind, slot)
        if error:
            plan.refusals.append(
                f"{KIND_LABELS[adapter.kind]} slot {adapter.slot} → {slot}: {error}"
            )
        elif adapter.kind == VirtualAdapterKind.ETHERNET:
            plan.ethernet.append((adapter, slot))
        elif adapter.kind in STORAGE_KINDS:
            storage = _storage_plan(plan, destination, adapter, slot)
            if storage:
                plan.storage.append(storage)
    error = _refused([plan])
    if error:
        raise ValidationError(error.messages)
    for name in TWIN_FIELDS:
        setattr(twin, name, getattr(original, name))
    twin.shared_pool = plan.pool
    object_save(instance=twin)
    for slot, mine in current.items():
        if slot not in kept:
            _unplanned_remove(mine)
    for mine, adapter in updates:
        mine.pvid_id, mine.vswitch = adapter.pvid_id, adapter.vswitch
        virtual_adapter_save(adapter=mine, vlans=list(adapter.vlans.all()))
    _adapters_create([(plan, twin)], _WwpnPool(scheme))
    return twin
