"""The scheme's rule for virtual adapters, registered into inventory.rules from apps.py so that
every path that saves an adapter (forms, grid, API, importer) obeys it."""

from inventory.models import VirtualAdapter
from inventory.models.partitions import SLOT_CEILING, SLOT_MIN
from planning.models import KIND_LABELS
from planning.selectors import scheme_for_frame


def virtual_adapter_slot_rule(adapter: VirtualAdapter) -> dict[str, str]:
    """Refuse a slot outside its kind's range when it is being set: a new adapter, or a changed
    slot, kind or LPAR. Rows saved before a scheme change are left to the estate checks."""
    if adapter.slot is None or not adapter.lpar_id or adapter.kind not in KIND_LABELS:
        return {}
    if not SLOT_MIN <= adapter.slot < SLOT_CEILING:
        return {}  # the model's own range refuses it, in its words: one message, not two
    if adapter.pk is not None:
        # A batch (the workbook import) that loaded the stored rows lends their values.
        stored = getattr(adapter, "stored_slot_hint", None) or (
            VirtualAdapter.objects.filter(pk=adapter.pk)
            .values_list("slot", "kind", "lpar_id")
            .first()
        )
        if stored == (adapter.slot, adapter.kind, adapter.lpar_id):
            return {}
    # A batch (stub twins) that knows the frame's scheme lends it to its LPARs: one lookup per
    # batch instead of one per adapter.
    scheme = getattr(adapter.lpar, "scheme_hint", None) or scheme_for_frame(
        frame=adapter.lpar.frame_id
    )
    error = scheme.slot_error(adapter.kind, adapter.slot) if scheme else None
    return {"slot": error} if error else {}
