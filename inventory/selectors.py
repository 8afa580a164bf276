"""Reads of the inventory that take more than one queryset line: capacity, slot maps, the
pairings of an LPAR's virtual adapters."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Sum

from inventory.models import Drawer, Frame, Lpar, Slot, VirtualAdapter


@dataclass(frozen=True)
class Capacity:
    label: str
    unit: str
    installed: Decimal
    assigned: Decimal

    @property
    def free(self) -> Decimal:
        return self.installed - self.assigned

    @property
    def percent_assigned(self) -> int:
        if not self.installed:
            return 0
        return min(100, round(self.assigned * 100 / self.installed))

    @property
    def overcommitted(self) -> bool:
        return self.assigned > self.installed

    @property
    def overcommit(self) -> Decimal:
        return max(self.assigned - self.installed, Decimal(0))


def frame_capacity(*, frame: Frame) -> list[Capacity]:
    """Processor units and memory of the frame: installed, held by its LPARs, free."""
    totals = frame.lpars.aggregate(units=Sum("proc_units"), memory=Sum("memory_mb"))
    return [
        Capacity("Processor units", "units", frame.proc_units, totals["units"] or Decimal(0)),
        Capacity("Memory", "MB", Decimal(frame.memory_mb), Decimal(totals["memory"] or 0)),
    ]


def frame_slot_map(*, frame: Frame) -> list[Drawer]:
    """The frame's drawers, each with its slots in location order and the adapter (kind,
    owner) in each; empty slots included."""
    slots = Slot.objects.select_related("adapter__owner").order_by("location")
    return list(
        frame.drawers.order_by("location").prefetch_related(Prefetch("slots", queryset=slots))
    )


def frame_partitions(*, frame: Frame) -> tuple[list[Lpar], list[Lpar]]:
    """(VIOS, client LPARs) of the frame, with their adapter counts."""
    lpars = list(
        frame.lpars.select_related("shared_pool")
        .annotate(adapter_count=Count("virtual_adapters"))
        .order_by("lpar_id")
    )
    return [p for p in lpars if p.is_vios], [p for p in lpars if not p.is_vios]


@dataclass(frozen=True)
class Pairing:
    """A virtual adapter and what the other side says about it."""

    adapter: VirtualAdapter
    partner: VirtualAdapter | None

    @property
    def state(self) -> str:
        adapter = self.adapter
        if adapter.kind == "ethernet":
            return "n/a"
        if not adapter.remote_lpar_id:
            return "no remote side"
        if self.partner is None:
            return "missing on remote"
        if self.partner.remote_slot not in (None, adapter.slot) or (
            self.partner.remote_lpar_id not in (None, adapter.lpar_id)
        ):
            return "points elsewhere"
        return "paired"


def lpar_adapter_pairings(*, lpar: Lpar) -> list[Pairing]:
    """The LPAR's virtual adapters in slot order, each with the adapter at its remote LPAR and
    remote slot (the VIOS side of a client, the client side of a server)."""
    adapters = list(
        lpar.virtual_adapters.select_related("remote_lpar", "pvid", "physical_port__adapter__slot")
        .prefetch_related("vlans", "wwpns__fabric")
        .order_by("slot")
    )
    wanted = {(a.remote_lpar_id, a.remote_slot) for a in adapters if a.remote_lpar_id}
    partners: dict[tuple[int | None, int | None], VirtualAdapter] = {}
    if wanted:
        remote_ids = {lpar_id for lpar_id, _ in wanted}
        for candidate in VirtualAdapter.objects.filter(lpar_id__in=remote_ids):
            partners[(candidate.lpar_id, candidate.slot)] = candidate
    return [Pairing(a, partners.get((a.remote_lpar_id, a.remote_slot))) for a in adapters]


def lpar_vlan_ids(*, lpar: Lpar) -> list[int]:
    """Every VLAN the LPAR's virtual Ethernet adapters carry, PVID or tagged."""
    ids = set(lpar.virtual_adapters.filter(pvid__isnull=False).values_list("pvid_id", flat=True))
    ids |= set(lpar.virtual_adapters.values_list("vlans__vlan_id", flat=True))
    return sorted(ids - {None})
