"""Writes to the inventory: each business operation validates every row it touches
(`full_clean()`) and changes them together or not at all."""

import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import connections, models, router, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.text import capfirst
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

from inventory.bulk_validation import BULK_BATCH, bulk_errors, concrete_field
from inventory.choices import VirtualAdapterKind
from inventory.history import history_manager
from inventory.identifiers import wwpn_normalize
from inventory.models import Fabric, Port, StoragePort, VirtualAdapter, Vlan, Wwpn
from lpmplanner.exceptions import Conflict

ModelT = TypeVar("ModelT", bound=models.Model)


def object_save(*, instance: ModelT) -> ModelT:
    """Validate every rule of the model (fields, clean(), constraints) and save."""
    instance.full_clean()
    instance.save()
    return instance


def object_delete(*, instance: models.Model) -> None:
    """Delete a row and what cascades with it, all or nothing; Conflict, counting them, when
    other rows still need it (a protected or restricted reference): the browser shows the
    message, the API answers 409 with it."""
    try:
        with transaction.atomic():
            instance.delete()
    except ProtectedError as error:
        raise Conflict(_still_used(instance, error.protected_objects)) from None
    except RestrictedError as error:
        raise Conflict(_still_used(instance, error.restricted_objects)) from None


def _still_used(instance: models.Model, blocking: Iterable[models.Model]) -> str:
    counts = Counter(type(obj) for obj in blocking)
    users = ", ".join(
        f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"
        for model, n in sorted(counts.items(), key=lambda item: item[0]._meta.label)
    )
    return (
        f"{capfirst(instance._meta.verbose_name)} {instance} is still used by {users}; "
        "change or delete those first."
    )


@transaction.atomic
def objects_bulk_create(
    *, instances: Sequence[models.Model], history: bool = True
) -> tuple[list[models.Model], list[tuple[models.Model, ValidationError]]]:
    """Create many new rows of one model, each validated by the same rules as `object_save`
    but with a few queries per batch instead of several per row, and their history rows with
    the request's user and id. Returns (created, refused with why); the refused are not saved.

    `history=False` writes no history rows: only for work that is rolled back anyway (the
    workbook's dry run), where they would cost time and change nothing anyone sees.

    Only for models whose save() adds nothing to what their fields and clean() set.
    """
    if not instances:
        return [], []
    model = type(instances[0])
    errors = bulk_errors(instances, model)
    refused = [(instances[index], ValidationError(found)) for index, found in errors.items()]
    created = [i for index, i in enumerate(instances) if index not in errors]
    if not history:
        model._base_manager.bulk_create(created, batch_size=BULK_BATCH)
        return created, refused
    request = getattr(HistoricalRecords.context, "request", None)
    bulk_create_with_history(
        created,
        model,
        batch_size=BULK_BATCH,
        custom_historical_attrs={"request_id": getattr(request, "id", "") or ""},
    )
    return created, refused


@transaction.atomic
def objects_bulk_change(
    *, instances: Sequence[models.Model], fields: Sequence[str], history: bool = True
) -> tuple[list[models.Model], list[tuple[models.Model, ValidationError]]]:
    """Save changed `fields` of many stored rows of one model, each row with its own values,
    validated by the same rules as `objects_bulk_create` (a few queries per batch), with their
    history rows (none with `history=False`, as there). Returns (changed, refused with why);
    the refused are not saved."""
    if not instances:
        return [], []
    model = type(instances[0])
    errors = bulk_errors(instances, model)
    refused = [(instances[index], ValidationError(found)) for index, found in errors.items()]
    changed = [i for index, i in enumerate(instances) if index not in errors]
    request = getattr(HistoricalRecords.context, "request", None)
    _rows_update(model, changed, [concrete_field(model, name) for name in fields])
    if not history:
        return changed, refused
    history_manager(model).bulk_history_create(
        changed,
        batch_size=BULK_BATCH,
        update=True,
        custom_historical_attrs={"request_id": getattr(request, "id", "") or ""},
    )
    return changed, refused


def virtual_adapters_vlans_add(
    *, tagged: Iterable[tuple[VirtualAdapter, Iterable[Vlan]]], history: bool = True
) -> None:
    """Give adapters just created (by `objects_bulk_create`) their tagged VLANs, in the through
    table and in their creation history rows, as `vlans.set()` records them for a change: each
    new adapter has one history row, its VLANs included (`history=False`: adapters created
    without history rows, so none to add to)."""
    through = VirtualAdapter.vlans.through
    rows = through.objects.bulk_create(
        [through(virtualadapter=adapter, vlan=vlan) for adapter, vlans in tagged for vlan in vlans],
        batch_size=BULK_BATCH,
    )
    if not rows or not history:
        return
    historical = VirtualAdapter.history.model
    adapter_ids = sorted({row.virtualadapter_id for row in rows})
    created: dict[int, Any] = {}  # historical rows by adapter id
    for start in range(0, len(adapter_ids), 2000):
        created.update(
            (record.id, record)
            for record in historical.objects.filter(
                id__in=adapter_ids[start : start + 2000], history_type="+"
            )
        )
    m2m_history = HistoricalRecords.m2m_models[VirtualAdapter._meta.get_field("vlans")]
    m2m_history.objects.bulk_create(
        [
            m2m_history(
                history=created[row.virtualadapter_id],
                id=row.pk,
                virtualadapter_id=row.virtualadapter_id,
                vlan_id=row.vlan_id,
            )
            for row in rows
        ],
        batch_size=BULK_BATCH,
    )


def _rows_update(
    model: type[models.Model],
    instances: Sequence[models.Model],
    fields: Sequence[models.Field[Any, Any]],
) -> None:
    """Write `fields` of every instance, each its own values: one `UPDATE … FROM (VALUES …)`
    per batch on PostgreSQL and SQLite (3.33 and later). Django's bulk_update builds a CASE
    per row and field, which costs more than the database's work."""
    if not instances or not fields:
        return
    using = router.db_for_write(model)
    connection = connections[using]
    sqlite = connection.vendor == "sqlite"
    if not (
        connection.vendor == "postgresql"
        or (sqlite and sqlite3.sqlite_version_info >= (3, 33))  # Django's SQLite driver
    ):
        model._base_manager.using(using).bulk_update(
            instances, [f.name for f in fields], batch_size=BULK_BATCH
        )
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None  # a concrete model's
    columns = [pk, *fields]
    table = quote(model._meta.db_table)
    key = quote(_column(pk))
    if not sqlite:
        row = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in columns) + ")"
        names = [quote(_column(f)) for f in columns]
        source = f"AS v({', '.join(names)})"
    else:
        # SQLite names a VALUES list's columns column1, column2 … and takes no cast.
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        names = [f"column{n}" for n in range(1, len(columns) + 1)]
        source = "AS v"
    assignments = ", ".join(
        f"{quote(_column(f))} = v.{name}" for f, name in zip(fields, names[1:], strict=True)
    )
    # SQLite binds at most `max_query_params` values a statement.
    size = min(BULK_BATCH, connection.ops.bulk_batch_size(columns, instances))
    with connection.cursor() as cursor:
        for start in range(0, len(instances), size):
            batch = instances[start : start + size]
            params = [
                f.get_db_prep_save(getattr(i, f.attname), connection)
                for i in batch
                for f in columns
            ]
            values = ", ".join([row] * len(batch))
            # Names come from the model and are quoted; every value is a bound parameter.
            sql = f"UPDATE {table} SET {assignments} FROM (VALUES {values}) {source} "  # noqa: S608
            cursor.execute(sql + f"WHERE {table}.{key} = v.{names[0]}", params)


def _column(field: models.Field[Any, Any]) -> str:
    assert field.column is not None  # a concrete field's
    return field.column


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


def _wwpn_taken_by_other(value: str, **owner: models.Model) -> bool:
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
    is_vfc_client = adapter.is_vfc_client
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


@transaction.atomic
def vfc_wwpns_set(
    *, adapter: VirtualAdapter, wwpns: Sequence[str], fabrics: Sequence[Fabric | None] | None
) -> None:
    """Replace a stored vFC client adapter's WWPN pair (and the fabric of each WWPN)."""
    values = _wwpn_values(wwpns, "wwpns")
    if len(values) != 2:
        raise ValidationError(
            {"wwpns": f"A vFC client adapter has exactly two WWPNs, not {len(values)}."}
        )
    _wwpn_pair_replace(adapter=adapter, values=values, fabrics=fabrics)


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
    wanted: dict[int | None, str] = dict(enumerate(values, start=1))
    # Remove every row not already in its place first: a value may move between positions.
    for row in current:
        if wanted.get(row.position) != row.value:
            row.delete()
    in_place = {w.position: w for w in current if wanted.get(w.position) == w.value}
    for position, value in enumerate(values, start=1):
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
def port_wwpn_set(
    *, port: Port, value: str | None, fabric: Fabric | object | None = _KEEP
) -> Wwpn | None:
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
    if fabric is None or isinstance(fabric, Fabric):
        row.fabric = fabric
    return _wwpn_row_save(row)


@transaction.atomic
def storage_port_wwpn_set(*, storage_port: StoragePort, value: str) -> Wwpn:
    """Give a storage target port its WWPN, on the port's fabric."""
    [canonical] = _wwpn_values([value], "wwpn")
    row = Wwpn.objects.filter(storage_port=storage_port).first() or Wwpn(storage_port=storage_port)
    row.value, row.fabric = canonical, storage_port.fabric
    return _wwpn_row_save(row)


def _bulk_changes(model: type[models.Model], changes: Mapping[str, object]) -> dict[str, Any]:
    """The changes as field values: unknown or read-only fields are refused, text converted."""
    converted: dict[str, Any] = {}
    errors: dict[str, str | list[str]] = {}
    for name, value in changes.items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            errors[name] = f"{model._meta.verbose_name} has no field {name}."
            continue
        if (
            not isinstance(field, models.Field)
            or not (field.concrete and field.editable)
            or field.primary_key
            or field.many_to_many
        ):
            label = getattr(field, "verbose_name", name)  # a relation's other side has none
            errors[name] = f"{label} cannot be changed in a bulk edit."
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
    *, queryset: models.QuerySet[ModelT], changes: Mapping[str, object]
) -> list[ModelT]:
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
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(field, "verbose_name", name))  # a relation's other side has none
