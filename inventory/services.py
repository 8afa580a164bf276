"""Writes to the inventory: each business operation validates every row it touches
(`full_clean()`) and changes them together or not at all."""

import operator
import re
from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, ValidationError
from django.db import connections, models, router, transaction
from django.db.models import Q
from simple_history.models import HistoricalRecords
from simple_history.utils import bulk_create_with_history

from inventory.choices import VirtualAdapterKind, VirtualAdapterRole
from inventory.identifiers import wwpn_normalize
from inventory.models import Fabric, Port, StoragePort, VirtualAdapter, Vlan, Wwpn
from inventory.models.base import constraint_field
from inventory.rules import rule_lock


def object_save(*, instance: models.Model) -> models.Model:
    """Validate every rule of the model (fields, clean(), constraints) and save."""
    instance.full_clean()
    instance.save()
    return instance


BULK_BATCH = 500
_LOOKUPS = {
    "exact": operator.eq, "in": lambda value, wanted: value in wanted, "gt": operator.gt,
    "gte": operator.ge, "lt": operator.lt, "lte": operator.le,
    "regex": lambda value, wanted: re.search(wanted, value) is not None,
}  # fmt: skip


def _lookup_holds(path: str, wanted, instance: models.Model) -> bool | None:
    name, _, lookup = path.partition("__")
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.concrete:
        return None
    value = getattr(instance, field.attname)
    if lookup == "isnull":
        return (value is None) == wanted
    test = _LOOKUPS.get(lookup or "exact")
    if test is None or value is None or hasattr(wanted, "resolve_expression"):
        return None
    return test(value, wanted)


def _holds(condition: Q, instance: models.Model) -> bool | None:
    """Whether `instance` meets `condition`, worked out in Python; None when it cannot be (a
    lookup across a relation, an expression, a null compared), and the database must say."""
    if condition.connector not in (Q.AND, Q.OR):
        return None
    results = set()
    for child in condition.children:
        if isinstance(child, Q):
            results.add(_holds(child, instance))
        else:
            results.add(_lookup_holds(*child, instance))
    # One false part decides an AND, one true part an OR, whatever the parts Python cannot judge.
    decisive = condition.connector == Q.OR
    if decisive in results:
        met = decisive
    elif None in results:
        return None
    else:
        met = not decisive
    return not met if condition.negated else met


def _row_errors(instances: Sequence[models.Model], model: type[models.Model]) -> dict[int, dict]:
    """Per-row rules: fields, clean(), related rows that exist, check constraints. Related rows
    and checks are proved with one query per foreign key, not one per row."""
    errors: dict[int, dict] = {}
    foreign = [
        f
        for f in model._meta.concrete_fields
        if (f.many_to_one or f.one_to_one) and not f.primary_key
    ]
    for field in foreign:
        target = field.remote_field.field_name
        values = {getattr(i, field.attname) for i in instances} - {None}
        found = set(
            field.remote_field.model._base_manager.filter(**{f"{target}__in": values})
            .complex_filter(field.get_limit_choices_to())
            .values_list(target, flat=True)
        )
        for index, instance in enumerate(instances):
            value = getattr(instance, field.attname)
            if value is None and not field.blank:
                message = field.error_messages["blank" if field.null else "null"]
            elif value is not None and value not in found:
                message = field.error_messages["invalid"] % {
                    "model": field.remote_field.model._meta.verbose_name, "pk": value,
                    "field": target, "value": value,
                }  # fmt: skip
            else:
                continue
            errors.setdefault(index, {}).setdefault(field.name, []).append(message)
    exclude = {f.name for f in foreign}
    using = router.db_for_write(model)
    checks = [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]
    for index, instance in enumerate(instances):
        found = errors.setdefault(index, {})
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                found.setdefault(name, []).extend(messages)
        for check in checks:
            met = _holds(check.condition, instance)
            if met is None:
                try:
                    check.validate(model, instance, using=using)
                except ValidationError:
                    met = False
            if met is False:
                name = constraint_field(check)
                found.setdefault(name, []).append(check.get_violation_error_message())
    return {index: found for index, found in errors.items() if found}


def _unique_rules(
    model: type[models.Model],
) -> list[tuple[tuple, Q | None, str, str | None, models.UniqueConstraint | None]]:
    """(fields, condition, error field, message or None for the field's own, the rule
    constraint or None for a database one) of every rule: the database's, then the model's
    rule constraints (`InventoryModel.rule_constraints`), which the database does not hold."""
    rules = [
        ((f,), None, f.name, None, None)
        for f in model._meta.concrete_fields
        if f.unique and not f.primary_key
    ]
    constraints = [(c, None) for c in model._meta.constraints]
    constraints += [(c, c) for c in getattr(model, "rule_constraints", ())]
    for constraint, rule in constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            fields = tuple(model._meta.get_field(name) for name in constraint.fields)
            message = constraint.get_violation_error_message()
            rules.append(
                (fields, constraint.condition, constraint_field(constraint), message, rule)
            )
    return rules


def _unique_errors(instances: Sequence[models.Model], model: type[models.Model]) -> dict[int, dict]:
    """Uniqueness proved set-wise: against the stored rows (one query per rule and batch) and
    within the batch itself, where the first one wins. A stored row being changed does not
    count against itself; it does against the others (the database checks each row as the
    batch's UPDATE reaches it, so keys cannot be swapped within one batch)."""
    errors: dict[int, dict] = {}
    using = router.db_for_write(model)
    for fields, condition, name, message, rule in _unique_rules(model):
        attnames = [f.attname for f in fields]
        keys: dict[int, tuple] = {}
        # A rule constraint judges only the rows new or changed in a field it reads (a fact
        # recorded before stays as it is), under its lock to the end of the transaction.
        judged = [
            index
            for index, instance in enumerate(instances)
            if rule is None or instance.rule_applies(rule)
        ]
        if rule is not None and judged:
            rule_lock(rule.name, using)
        for index in judged:
            instance = instances[index]
            met = True if condition is None else _holds(condition, instance)
            if met is None:
                raise ValueError(f"{model.__name__}: cannot evaluate {condition} in Python.")
            key = tuple(getattr(instance, a) for a in attnames)
            if met and None not in key:
                keys[index] = key
        indexes = list(keys)
        stored: dict[tuple, set] = {}
        for start in range(0, len(indexes), BULK_BATCH):
            chunk = [keys[i] for i in indexes[start : start + BULK_BATCH]]
            rows = model._default_manager.filter(
                **{f"{a}__in": {key[n] for key in chunk} for n, a in enumerate(attnames)}
            )
            if condition is not None:
                rows = rows.filter(condition)
            for pk, *key in rows.values_list("pk", *attnames):
                stored.setdefault(tuple(key), set()).add(pk)
        seen: set[tuple] = set()
        for index, key in keys.items():
            holders = stored.get(key, set()) - {instances[index].pk}
            if holders or key in seen:
                text = message or instances[index].unique_error_message(model, [fields[0].name])
                errors.setdefault(index, {}).setdefault(name, []).append(text)
            else:
                seen.add(key)
    return errors


@transaction.atomic
def objects_bulk_create(
    *, instances: Sequence[models.Model]
) -> tuple[list[models.Model], list[tuple[models.Model, ValidationError]]]:
    """Create many new rows of one model, each validated by the same rules as `object_save`
    but with a few queries per batch instead of several per row, and their history rows with
    the request's user and id. Returns (created, refused with why); the refused are not saved.

    Only for models whose save() adds nothing to what their fields and clean() set.
    """
    if not instances:
        return [], []
    model = type(instances[0])
    errors = _row_errors(instances, model)
    valid = [index for index in range(len(instances)) if index not in errors]
    for index, found in _unique_errors([instances[i] for i in valid], model).items():
        errors[valid[index]] = found
    refused = [(instances[index], ValidationError(found)) for index, found in errors.items()]
    created = [i for index, i in enumerate(instances) if index not in errors]
    request = getattr(HistoricalRecords.context, "request", None)
    bulk_create_with_history(
        created, model, batch_size=BULK_BATCH,
        custom_historical_attrs={"request_id": getattr(request, "id", "") or ""},
    )  # fmt: skip
    return created, refused


@transaction.atomic
def objects_bulk_change(
    *, instances: Sequence[models.Model], fields: Sequence[str]
) -> tuple[list[models.Model], list[tuple[models.Model, ValidationError]]]:
    """Save changed `fields` of many stored rows of one model, each row with its own values,
    validated by the same rules as `objects_bulk_create` (a few queries per batch), with their
    history rows. Returns (changed, refused with why); the refused are not saved."""
    if not instances:
        return [], []
    model = type(instances[0])
    errors = _row_errors(instances, model)
    valid = [index for index in range(len(instances)) if index not in errors]
    checked = [instances[i] for i in valid]
    for index, found in _unique_errors(checked, model).items():
        errors[valid[index]] = found
    refused = [(instances[index], ValidationError(found)) for index, found in errors.items()]
    changed = [i for index, i in enumerate(instances) if index not in errors]
    request = getattr(HistoricalRecords.context, "request", None)
    _rows_update(model, changed, [model._meta.get_field(name) for name in fields])
    model.history.bulk_history_create(
        changed, batch_size=BULK_BATCH, update=True,
        custom_historical_attrs={"request_id": getattr(request, "id", "") or ""},
    )  # fmt: skip
    return changed, refused


def virtual_adapters_vlans_add(*, tagged: Iterable[tuple[VirtualAdapter, Iterable[Vlan]]]) -> None:
    """Give adapters just created (by `objects_bulk_create`) their tagged VLANs, in the through
    table and in their creation history rows, as `vlans.set()` records them for a change: each
    new adapter has one history row, its VLANs included."""
    through = VirtualAdapter.vlans.through
    rows = through.objects.bulk_create(
        [through(virtualadapter=adapter, vlan=vlan) for adapter, vlans in tagged for vlan in vlans],
        batch_size=BULK_BATCH,
    )
    if not rows:
        return
    history = VirtualAdapter.history.model
    adapter_ids = sorted({row.virtualadapter_id for row in rows})
    created = {}
    for start in range(0, len(adapter_ids), 2000):
        created.update(
            (record.id, record)
            for record in history.objects.filter(
                id__in=adapter_ids[start : start + 2000], history_type="+"
            )
        )
    m2m_history = HistoricalRecords.m2m_models[VirtualAdapter._meta.get_field("vlans")]
    m2m_history.objects.bulk_create(
        [
            m2m_history(history=created[row.virtualadapter_id], id=row.pk,
                        virtualadapter_id=row.virtualadapter_id, vlan_id=row.vlan_id)
            for row in rows
        ],
        batch_size=BULK_BATCH,
    )  # fmt: skip


def _rows_update(
    model: type[models.Model], instances: Sequence[models.Model], fields: Sequence[models.Field]
) -> None:
    """Write `fields` of every instance, each its own values. On PostgreSQL one
    `UPDATE … FROM (VALUES …)` per batch: Django's bulk_update builds a CASE per row and field,
    which costs more than the database's work."""
    if not instances or not fields:
        return
    using = router.db_for_write(model)
    connection = connections[using]
    if connection.vendor != "postgresql":
        model._base_manager.using(using).bulk_update(
            instances, [f.name for f in fields], batch_size=BULK_BATCH
        )
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    columns = [pk, *fields]
    casts = "(" + ", ".join(f"%s::{f.db_type(connection)}" for f in columns) + ")"
    names = ", ".join(quote(f.column) for f in columns)
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
    with connection.cursor() as cursor:
        for start in range(0, len(instances), BULK_BATCH):
            batch = instances[start : start + BULK_BATCH]
            params = [
                f.get_db_prep_save(getattr(i, f.attname), connection)
                for i in batch
                for f in columns
            ]
            values = ", ".join([casts] * len(batch))
            key = quote(pk.column)
            # Names come from the model and are quoted; every value is a bound parameter.
            sql = f"UPDATE {table} SET {assignments} FROM (VALUES {values}) AS v({names}) "  # noqa: S608
            cursor.execute(sql + f"WHERE {table}.{key} = v.{key}", params)


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
