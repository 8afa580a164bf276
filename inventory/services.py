"""Writes to the inventory: each business operation validates every row it touches
(`full_clean()`) and changes them together or not at all."""

from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
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
        _wwpn_pair_replace(adapter=adapter, values=values, fabrics=wwpn_fabrics)
    return adapter


def _wwpn_pair_replace(
    *, adapter: VirtualAdapter, values: list[str], fabrics: Sequence[Fabric | None] | None
) -> None:
    taken = [v for v in values if _wwpn_taken_by_other(v, virtual_adapter=adapter)]
    if taken:
        raise ValidationError({"wwpns": [f"WWPN {v} is already in the estate." for v in taken]})
    if fabrics is not None and len(fabrics) != 2:
        raise ValidationError(
            {"wwpn_fabrics": "Give one fabric (or none) for each of the two WWPNs."}
        )
    current = list(adapter.wwpns.all())
    kept_fabric = {w.value: w.fabric for w in current}
    wanted = {position: value for position, value in enumerate(values, start=1)}
    # Remove every row not already in its place first: a value may move between positions.
    for row in current:
        if wanted.get(row.position) != row.value:
            row.delete()
    in_place = {w.position: w for w in current if wanted.get(w.position) == w.value}
    for position, value in wanted.items():
        fabric = fabrics[position - 1] if fabrics is not None else kept_fabric.get(value)
        row = in_place.get(position) or Wwpn(
            virtual_adapter=adapter, value=value, position=position
        )
        if row.pk is None or row.fabric != fabric:
            row.fabric = fabric
            object_save(instance=row)


def _wwpn_row_save(row: Wwpn) -> Wwpn:
    """Save a WWPN row, reporting its errors under `wwpn` as the forms and the API name it."""
    try:
        return object_save(instance=row)
    except ValidationError as error:
        raise ValidationError({"wwpn": error.messages}) from None


_KEEP = object()


@transaction.atomic
def port_wwpn_set(*, port: Port, value: str | None, fabric=_KEEP) -> Wwpn | None:
    """Give a physical FC port its WWPN (or remove it with `value=None`), and its fabric when
    `fabric` is given (None: on no fabric); without `fabric` the port keeps the one it has."""
    current = Wwpn.objects.filter(port=port).first()
    if not value:
        if current:
            current.delete()
        return None
    [canonical] = _wwpn_values([value], "wwpn")
    row = current or Wwpn(port=port)
    row.value = canonical
    if fabric is not _KEEP:
        row.fabric = fabric
    return _wwpn_row_save(row)


@transaction.atomic
def storage_port_wwpn_set(*, storage_port: StoragePort, value: str) -> Wwpn:
    """Give a storage target port its WWPN, on the port's fabric."""
    [canonical] = _wwpn_values([value], "wwpn")
    row = Wwpn.objects.filter(storage_port=storage_port).first() or Wwpn(storage_port=storage_port)
    row.value, row.fabric = canonical, storage_port.fabric
    return _wwpn_row_save(row)


def _bulk_changes(model: type[models.Model], changes: Mapping[str, object]) -> dict:
    """The changes as field values: unknown or read-only fields are refused, text converted."""
    converted, errors = {}, {}
    for name, value in changes.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            errors[name] = f"{model._meta.verbose_name} has no field {name}."
            continue
        if not (field.concrete and field.editable) or field.primary_key or field.many_to_many:
            errors[name] = f"{field.verbose_name} cannot be changed in a bulk edit."
            continue
        if field.is_relation:
            converted[name] = value
            continue
        try:
            converted[name] = field.to_python(value)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return converted


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
    model = queryset.model
    values = _bulk_changes(model, changes)
    pks = list(queryset.values_list("pk", flat=True))
    updated = []
    for instance in model._default_manager.filter(pk__in=pks).select_for_update(of=("self",)):
        for name, value in values.items():
            setattr(instance, name, value)
        try:
            object_save(instance=instance)
        except ValidationError as error:
            detail = "; ".join(
                f"{_field_label(model, name)}: {' '.join(messages)}"
                for name, messages in error.message_dict.items()
            )
            raise ValidationError(f"{instance}: {detail}") from None
        updated.append(instance)
    return updated


def _field_label(model: type[models.Model], name: str) -> str:
    if name == NON_FIELD_ERRORS:
        return "rule"
    try:
        return str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name
