"""Writes to the inventory: each business operation validates every row it touches
(`full_clean()`) and changes them together or not at all."""

from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import models, transaction

from inventory.choices import VirtualAdapterKind, VirtualAdapterRole
from inventory.identifiers import wwpn_normalize
from inventory.models import Fabric, Port, StoragePort, VirtualAdapter, Vlan, Wwpn


def object_save(*, instance: models.Model) -> models.Model:
    """Validate every rule of the model (fields, clean(), constraints) and save."""
    instance.full_clean()
    instance.save()
    return instance


def _wwpn_values(raw: Sequence[str], field: str) -> list[str]:
    values, errors = [], []
    for item in raw:
        try:
            values.append(wwpn_normalize(item))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({field: errors})
    if len(set(values)) != len(values):
        raise ValidationError({field: "The two WWPNs of a pair must differ."})
    return values


def _wwpn_taken_by_other(value: str, **owner) -> bool:
    return Wwpn.objects.filter(value=value).exclude(**owner).exists()


@transaction.atomic
def virtual_adapter_save(
    *,
    adapter: VirtualAdapter,
    vlans: Iterable[Vlan] | None = None,
    wwpns: Sequence[str] | None = None,
    wwpn_fabrics: Sequence[Fabric | None] | None = None,
) -> VirtualAdapter:
    """Save a virtual adapter with its tagged VLANs and, for a vFC client, its WWPN pair.

    A vFC client adapter always has exactly two WWPNs: creating one needs both, and an update
    that gives `wwpns` replaces the pair. Other kinds refuse WWPNs.
    """
    is_vfc_client = (
        adapter.kind == VirtualAdapterKind.VFC and adapter.role == VirtualAdapterRole.CLIENT
    )
    if wwpns is not None and not is_vfc_client:
        if wwpns:
            raise ValidationError({"wwpns": "Only a vFC client adapter has a WWPN pair."})
        wwpns = None
    if is_vfc_client and wwpns is None and adapter.pk is None:
        raise ValidationError({"wwpns": "A vFC client adapter needs its two WWPNs."})
    values = None
    if wwpns is not None:
        values = _wwpn_values(wwpns, "wwpns")
        if len(values) != 2:
            raise ValidationError(
                {"wwpns": f"A vFC client adapter has exactly two WWPNs, not {len(values)}."}
            )
    object_save(instance=adapter)
    if vlans is not None:
        vlans = list(vlans)
        if adapter.kind != VirtualAdapterKind.ETHERNET and vlans:
            raise ValidationError({"vlans": "Only Ethernet adapters carry tagged VLANs."})
        adapter.vlans.set(vlans)
    if values is not None:
        taken = [v for v in values if _wwpn_taken_by_other(v, virtual_adapter=adapter)]
        if taken:
            raise ValidationError({"wwpns": [f"WWPN {v} is already in the estate." for v in taken]})
        current = {w.position: w for w in adapter.wwpns.all()}
        kept_fabric = {w.value: w.fabric for w in current.values()}
        fabrics = list(wwpn_fabrics) if wwpn_fabrics is not None else [None, None]
        for position, value in enumerate(values, start=1):
            row = current.get(position)
            fabric = fabrics[position - 1] if wwpn_fabrics is not None else kept_fabric.get(value)
            if row is not None and row.value == value:
                if row.fabric != fabric:
                    row.fabric = fabric
                    object_save(instance=row)
                continue
            # Delete first: the value may move between the two positions.
            if row is not None:
                row.delete()
            Wwpn.objects.filter(virtual_adapter=adapter, value=value).delete()
            object_save(
                instance=Wwpn(
                    virtual_adapter=adapter, value=value, position=position, fabric=fabric
                )
            )
    return adapter


@transaction.atomic
def port_wwpn_set(*, port: Port, value: str | None, fabric: Fabric | None = None) -> Wwpn | None:
    """Give a physical FC port its WWPN (or remove it with `value=None`)."""
    current = Wwpn.objects.filter(port=port).first()
    if not value:
        if current:
            current.delete()
        return None
    [canonical] = _wwpn_values([value], "wwpn")
    row = current or Wwpn(port=port)
    row.value, row.fabric = canonical, fabric
    return object_save(instance=row)


@transaction.atomic
def storage_port_wwpn_set(*, storage_port: StoragePort, value: str) -> Wwpn:
    """Give a storage target port its WWPN, on the port's fabric."""
    [canonical] = _wwpn_values([value], "wwpn")
    row = Wwpn.objects.filter(storage_port=storage_port).first() or Wwpn(storage_port=storage_port)
    row.value, row.fabric = canonical, storage_port.fabric
    return object_save(instance=row)


@transaction.atomic
def objects_bulk_update(
    *, queryset: models.QuerySet, changes: Mapping[str, object]
) -> list[models.Model]:
    """Set the same field values on every object of `queryset`, all or none.

    Every object is validated with the new values; the first invalid one stops the whole
    change, and the error names the object and the field.
    """
    if not changes:
        raise ValidationError("Choose at least one field to change.")
    updated = []
    for instance in queryset.select_for_update():
        for field, value in changes.items():
            setattr(instance, field, value)
        try:
            object_save(instance=instance)
        except ValidationError as error:
            detail = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()
            )
            raise ValidationError(f"{instance}: {detail}") from None
        updated.append(instance)
    return updated
