"""Reads of planning data: which scheme governs a frame, and the slots an LPAR already uses."""

from inventory.models import Frame, Lpar
from planning.models import EnumerationScheme, FrameScheme, SlotReservation


def scheme_default() -> EnumerationScheme | None:
    return EnumerationScheme.objects.filter(is_default=True).first()


def scheme_for_frame(*, frame: Frame | int) -> EnumerationScheme | None:
    """The scheme the frame names, else the default one."""
    frame_id = frame if isinstance(frame, int) else frame.pk
    chosen = FrameScheme.objects.select_related("scheme").filter(frame_id=frame_id).first()
    return chosen.scheme if chosen else scheme_default()


def schemes_by_frame() -> tuple[dict[int, EnumerationScheme], EnumerationScheme | None]:
    """({frame id: scheme} for frames that name a scheme, the default scheme): two queries."""
    named = {fs.frame_id: fs.scheme for fs in FrameScheme.objects.select_related("scheme")}
    return named, scheme_default()


def slot_lowest_free(*, scheme: EnumerationScheme, kind: str, lpar: Lpar) -> int | None:
    """The lowest slot of `kind`'s range that the LPAR neither uses nor has reserved."""
    first, last = scheme.slot_range(kind)
    used = lpar_used_slots(lpar=lpar)
    return next(
        (s for s in range(first, min(last, scheme.slot_ceiling - 1) + 1) if s not in used), None
    )


def lpar_used_slots(*, lpar: Lpar) -> set[int]:
    """Slots that hold an adapter or are reserved by the allocator."""
    used = set(lpar.virtual_adapters.values_list("slot", flat=True))
    return used | set(SlotReservation.objects.filter(lpar=lpar).values_list("slot", flat=True))
