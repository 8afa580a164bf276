"""Validation of many rows of one model at once: the rules `object_save` applies to one row
(fields, clean(), related rows that exist, check and unique constraints), proved with a few
queries per batch instead of several per row. The bulk services (create, change, update) and
the importer's batches use it."""

import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, router
from django.db.models import Q

from inventory.models.base import InventoryModel, constraint_field
from inventory.rules import rule_lock

BULK_BATCH = 500

Errors = dict[str, list[str | ValidationError]]  # field name (or __all__) -> messages
_LOOKUPS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": operator.eq,
    "in": lambda value, wanted: value in wanted,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "regex": lambda value, wanted: re.search(wanted, value) is not None,
}


def bulk_errors(instances: Sequence[models.Model], model: type[models.Model]) -> dict[int, Errors]:
    """{index in `instances`: {field: messages}} for every row that breaks a rule; rows not in
    it pass. Uniqueness is judged only among the rows that pass the per-row rules. A model's
    rule constraints (`InventoryModel.rule_constraints`) judge the rows new or changed in a
    field they read, under their lock (`rule_lock`) to the end of the caller's transaction."""
    errors = _row_errors(instances, model)
    valid = [index for index in range(len(instances)) if index not in errors]
    for index, found in _unique_errors([instances[i] for i in valid], model).items():
        errors[valid[index]] = found
    return errors


def condition_holds(condition: Q, instance: models.Model) -> bool | None:
    """Whether `instance` meets `condition`, worked out in Python; None when it cannot be (a
    lookup across a relation, an expression, a null compared), and the database must say."""
    if condition.connector not in (Q.AND, Q.OR):
        return None
    results = set()
    for child in condition.children:
        if isinstance(child, Q):
            results.add(condition_holds(child, instance))
        elif isinstance(child, tuple):
            results.add(_lookup_holds(child[0], child[1], instance))
        else:
            results.add(None)  # an expression: the database judges it
    # One false part decides an AND, one true part an OR, whatever the parts Python cannot judge.
    decisive = condition.connector == Q.OR
    if decisive in results:
        met = decisive
    elif None in results:
        return None
    else:
        met = not decisive
    return not met if condition.negated else met


def _lookup_holds(path: str, wanted: Any, instance: models.Model) -> bool | None:
    name, _, lookup = path.partition("__")
    try:
        field = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.concrete or not isinstance(field, models.Field):
        return None
    value = getattr(instance, field.attname)
    if lookup == "isnull":
        return bool((value is None) == wanted)
    test = _LOOKUPS.get(lookup or "exact")
    if test is None or value is None or hasattr(wanted, "resolve_expression"):
        return None
    return test(value, wanted)


def _row_errors(instances: Sequence[models.Model], model: type[models.Model]) -> dict[int, Errors]:
    """Per-row rules: fields, clean(), related rows that exist, check constraints. Related rows
    and checks are proved with one query per foreign key, not one per row."""
    errors: dict[int, Errors] = {}
    foreign = [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and not f.primary_key  # one-to-one fields too
    ]
    for field in foreign:
        related = field.remote_field
        target = field.target_field.name  # the primary key, or the to_field
        values = {getattr(i, field.attname) for i in instances} - {None}
        found = set(
            related.model._base_manager.filter(**{f"{target}__in": values})
            .complex_filter(field.get_limit_choices_to())
            .values_list(target, flat=True)
        )
        for index, instance in enumerate(instances):
            value = getattr(instance, field.attname)
            if value is None and not field.blank:
                message = field.error_messages["blank" if field.null else "null"]
            elif value is not None and value not in found:
                message = field.error_messages["invalid"] % {
                    "model": related.model._meta.verbose_name,
                    "pk": value,
                    "field": target,
                    "value": value,
                }
            else:
                continue
            errors.setdefault(index, {}).setdefault(field.name, []).append(str(message))
    exclude = {f.name for f in foreign}
    using = router.db_for_write(model)
    checks = [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]
    for index, instance in enumerate(instances):
        found_errors = errors.setdefault(index, {})
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                found_errors.setdefault(name, []).extend(messages)
        for check in checks:
            met = (
                condition_holds(check.condition, instance)
                if isinstance(check.condition, Q)
                else None
            )
            if met is None:
                try:
                    check.validate(model, instance, using=using)
                except ValidationError:
                    met = False
            if met is False:
                said = found_errors.setdefault(constraint_field(check), [])
                message = str(check.get_violation_error_message())
                if message not in said:  # a field validator may have said it already
                    said.append(message)
    return {index: found for index, found in errors.items() if found}


# (fields, condition, error field, message or None for the field's own, the rule constraint or
# None for a database one) of a uniqueness rule: the database's, then the model's rule
# constraints (`InventoryModel.rule_constraints`), which the database does not hold.
UniqueRule = tuple[
    tuple[models.Field[Any, Any], ...], Q | None, str, str | None, models.UniqueConstraint | None
]


def _unique_rules(model: type[models.Model]) -> list[UniqueRule]:
    rules: list[UniqueRule] = [
        ((f,), None, f.name, None, None)
        for f in model._meta.concrete_fields
        if f.unique and not f.primary_key
    ]
    constraints: list[tuple[object, models.UniqueConstraint | None]] = [
        (c, None) for c in model._meta.constraints
    ]
    if issubclass(model, InventoryModel):
        constraints += [(c, c) for c in model.rule_constraints]
    for constraint, rule in constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            fields = tuple(concrete_field(model, name) for name in constraint.fields)
            condition = constraint.condition if isinstance(constraint.condition, Q) else None
            message = str(constraint.get_violation_error_message())
            rules.append((fields, condition, constraint_field(constraint), message, rule))
    return rules


def concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The field `name` of `model`, one with a column (a constraint names such fields)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # a constraint names concrete fields
    return field


def _unique_errors(
    instances: Sequence[models.Model], model: type[models.Model]
) -> dict[int, Errors]:
    """Uniqueness proved set-wise: against the stored rows (one query per rule and batch) and
    within the batch itself, where the first one wins. A stored row being changed does not
    count against itself; it does against the others (the database checks each row as the
    batch's UPDATE reaches it, so keys cannot be swapped within one batch)."""
    errors: dict[int, Errors] = {}
    using = router.db_for_write(model)
    for fields, condition, name, message, rule in _unique_rules(model):
        attnames = [f.attname for f in fields]
        keys: dict[int, tuple[Any, ...]] = {}
        # A rule constraint judges only the rows new or changed in a field it reads (a fact
        # recorded before stays as it is), under its lock to the end of the transaction.
        judged = [
            index
            for index, instance in enumerate(instances)
            if rule is None
            or (isinstance(instance, InventoryModel) and instance.rule_applies(rule))
        ]
        if rule is not None and judged:
            rule_lock(rule.name, using)
        for index in judged:
            instance = instances[index]
            met = True if condition is None else condition_holds(condition, instance)
            if met is None:
                raise ValueError(f"{model.__name__}: cannot evaluate {condition} in Python.")
            key = tuple(getattr(instance, a) for a in attnames)
            if met and None not in key:
                keys[index] = key
        indexes = list(keys)
        stored: dict[tuple[Any, ...], set[Any]] = {}
        for start in range(0, len(indexes), BULK_BATCH):
            chunk = [keys[i] for i in indexes[start : start + BULK_BATCH]]
            rows = model._default_manager.filter(
                **{f"{a}__in": {key[n] for key in chunk} for n, a in enumerate(attnames)}
            )
            if condition is not None:
                rows = rows.filter(condition)
            for pk, *key in rows.values_list("pk", *attnames):
                stored.setdefault(tuple(key), set()).add(pk)
        seen: set[tuple[Any, ...]] = set()
        for index, key in keys.items():
            holders = stored.get(key, set()) - {instances[index].pk}
            if holders or key in seen:
                text = message or instances[index].unique_error_message(model, (fields[0].name,))
                errors.setdefault(index, {}).setdefault(name, []).append(text)
            else:
                seen.add(key)
    return errors
