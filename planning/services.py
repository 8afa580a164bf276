"""Writes of planning: saving a scheme, naming a frame's scheme, and reserving the next free
virtual slot under a lock so that two planners never get the same number."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from inventory.choices import VirtualAdapterKind
from inventory.models import Frame, Lpar
from inventory.services import object_save
from lpmplanner.exceptions import Conflict
from planning.models import EnumerationScheme, FrameScheme, SlotReservation
from planning.selectors import scheme_for_frame, slot_lowest_free


@transaction.atomic
def scheme_save(*, scheme: EnumerationScheme) -> EnumerationScheme:
    """Validate the scheme (ranges inside 2–999, not overlapping) and save it. Data written
    under the old ranges is not refused retroactively: the estate checks list it."""
    return object_save(instance=scheme)


@transaction.atomic
def frame_scheme_set(*, frame: Frame, scheme: EnumerationScheme | None) -> None:
    """Make `frame` follow `scheme`, or the default scheme when None."""
    if scheme is None or scheme.is_default:
        FrameScheme.objects.filter(frame=frame).delete()
        return
    FrameScheme.objects.update_or_create(frame=frame, defaults={"scheme": scheme})


@dataclass(frozen=True)
class Allocation:
    """The slots reserved: on the LPAR, and on the VIOS for a vSCSI or vFC pair."""

    lpar: Lpar
    kind: str
    slot: int
    vios: Lpar | None = None
    vios_slot: int | None = None


def _lowest_free(scheme: EnumerationScheme, kind: str, lpar: Lpar) -> int:
    slot = slot_lowest_free(scheme=scheme, kind=kind, lpar=lpar)
    if slot is not None:
        return slot
    raise Conflict(
        f"The {scheme.range_label(kind)} of {lpar.name} is full: every slot is in use or reserved."
    )


def _vios_for_pair(lpar: Lpar, kind: str, vios: Lpar | None) -> Lpar | None:
    if kind == VirtualAdapterKind.ETHERNET or lpar.is_vios:
        if vios is not None:
            raise ValidationError({"vios": "Only a client's vSCSI or vFC slot pairs with a VIOS."})
        return None
    if vios is None:
        raise ValidationError({"vios": "Name the VIOS that serves this adapter."})
    if not vios.is_vios or vios.frame_id != lpar.frame_id:
        raise ValidationError({"vios": f"{vios.name} is not a VIOS of frame {lpar.frame.name}."})
    return vios


@transaction.atomic
def slot_allocate(
    *, lpar: Lpar, kind: str, vios: Lpar | None = None, user: AbstractBaseUser | None = None
) -> Allocation:
    """Reserve the lowest free slot of `kind`'s range on `lpar` and, for a client's vSCSI or vFC
    adapter, on the serving `vios`. The LPAR rows are locked (in id order, so two allocations
    never wait on each other crosswise) until the reservations are committed."""
    if kind not in VirtualAdapterKind.values:
        raise ValidationError({"kind": f"Choose one of {', '.join(VirtualAdapterKind.values)}."})
    vios = _vios_for_pair(lpar, kind, vios)
    locked = {p.pk: p for p in _locked([lpar, vios])}
    lpar, vios = locked[lpar.pk], locked.get(vios.pk) if vios else None
    scheme = scheme_for_frame(frame=lpar.frame_id)
    if scheme is None:
        raise Conflict("There is no enumeration scheme: create a default scheme first.")
    slot = _lowest_free(scheme, kind, lpar)
    vios_slot = _lowest_free(scheme, kind, vios) if vios else None
    SlotReservation.objects.create(lpar=lpar, slot=slot, kind=kind, reserved_by=user)
    if vios:
        SlotReservation.objects.create(lpar=vios, slot=vios_slot, kind=kind, reserved_by=user)
    return Allocation(lpar, kind, slot, vios, vios_slot)


def _locked(lpars: list[Lpar | None]) -> list[Lpar]:
    ids = sorted(p.pk for p in lpars if p is not None)
    return list(
        Lpar.objects.select_related("frame")
        .select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
    )
