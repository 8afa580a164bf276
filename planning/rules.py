"""The scheme's rule for virtual adapters, registered into inventory.rules from apps.py so that
every path that saves an adapter (forms, grid, API, importer) obeys it."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from inventory.models import VirtualAdapter
from inventory.models.partitions import SLOT_CEILING, SLOT_MIN
from planning.models import KIND_LABELS, EnumerationScheme
from planning.selectors import scheme_for_frame

StoredSlot = tuple[int, str, int]  # an adapter's slot, kind and LPAR id as stored


@dataclass
class SlotRuleLookups:
    """What a batch (the workbook import, stub twins) already knows, handed to the slot rule so
    that it asks the database once per batch instead of once per adapter: the schemes of frames
    (`default` for a frame not in `schemes`) and the stored slot of adapters it loaded."""

    schemes: Mapping[int, EnumerationScheme | None]
    default: EnumerationScheme | None = None
    stored: dict[int, StoredSlot] = field(default_factory=dict)

    def scheme(self, frame_id: int) -> EnumerationScheme | None:
        return self.schemes.get(frame_id, self.default)


_lookups: ContextVar[SlotRuleLookups | None] = ContextVar("slot_rule_lookups", default=None)


@contextmanager
def slot_rule_lookups(lookups: SlotRuleLookups) -> Iterator[SlotRuleLookups]:
    """Within this block the slot rule takes schemes and stored slots from `lookups`."""
    token = _lookups.set(lookups)
    try:
        yield lookups
    finally:
        _lookups.reset(token)


def virtual_adapter_slot_rule(adapter: VirtualAdapter) -> dict[str, str]:
    """Refuse a slot outside its kind's range when it is being set: a new adapter, or a changed
    slot, kind or LPAR. Rows saved before a scheme change are left to the estate checks."""
    if adapter.slot is None or not adapter.lpar_id or adapter.kind not in KIND_LABELS:
        return {}
    if not SLOT_MIN <= adapter.slot < SLOT_CEILING:
        return {}  # the model's own range refuses it, in its words: one message, not two
    lookups = _lookups.get()
    if adapter.pk is not None:
        stored = (lookups.stored.get(adapter.pk) if lookups else None) or (
            VirtualAdapter.objects.filter(pk=adapter.pk)
            .values_list("slot", "kind", "lpar_id")
            .first()
        )
        if stored == (adapter.slot, adapter.kind, adapter.lpar_id):
            return {}
    frame_id = adapter.lpar.frame_id
    scheme = lookups.scheme(frame_id) if lookups else scheme_for_frame(frame=frame_id)
    error = scheme.slot_error(adapter.kind, adapter.slot) if scheme else None
    return {"slot": error} if error else {}
