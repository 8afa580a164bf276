"""What every inventory model shares: constraint errors that name the field they are about."""

from collections.abc import Collection
from typing import Any, Self

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router, transaction
from django.db.models import Q
from django.db.models.constraints import BaseConstraint
from django.urls import reverse

from inventory.rules import facts_being_recorded, rule_lock


def _condition_fields(condition: Q) -> set[str]:
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= _condition_fields(child)
        elif isinstance(child, tuple):  # ("field__lookup", value)
            names.add(child[0].split("__")[0])
    return names


def constraint_field(constraint: BaseConstraint) -> str:
    """The form field a violated constraint is reported on: the last field of a uniqueness rule
    (LPAR *name* per frame), the only field a check reads; else the whole object."""
    if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
        return constraint.fields[-1]
    if isinstance(constraint, models.CheckConstraint) and isinstance(constraint.condition, Q):
        fields = _condition_fields(constraint.condition)
        if len(fields) == 1:
            return fields.pop()
    return NON_FIELD_ERRORS


class InventoryModel(models.Model):
    # Uniqueness rules of our planning scheme that the database does not hold: they judge what
    # a person or our own tools set or change (forms, API, bulk edits, grid, workbook, stub
    # twins), with the same field and message as a constraint, but not what an HMC reports
    # (`facts_recorded`), which the estate checks show instead. A row is judged by them only
    # when it is new or when it changes a field they read, so that a fact already recorded does
    # not block the edit of another field. Two writers are serialised by `rule_lock`.
    rule_constraints: tuple[models.UniqueConstraint, ...] = ()
    _rule_loaded: dict[str, Any]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save; the rule constraints that judge this row are checked again under their lock,
        in the same transaction as the write, so that two writers cannot both pass them."""
        rules = [c for c in self.rule_constraints if self.rule_applies(c)]
        if not rules:
            super().save(*args, **kwargs)
            self._rule_loaded_reset()
            return
        using = kwargs.get("using") or router.db_for_write(self.__class__, instance=self)
        with transaction.atomic(using=using):
            for constraint in rules:
                rule_lock(constraint.name, using)
                try:
                    constraint.validate(self.__class__, self, using=using)
                except ValidationError as error:
                    raise ValidationError(
                        {constraint_field(constraint): error.error_list}
                    ) from None
            super().save(*args, **kwargs)
        self._rule_loaded_reset()

    def get_absolute_url(self) -> str:
        return reverse(f"inventory:{self._meta.model_name}-detail", args=[self.pk])

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Self:
        instance = super().from_db(db, field_names, values, **kwargs)
        if cls.rule_constraints:
            instance._rule_loaded = dict(zip(field_names, values, strict=True))
        return instance

    @classmethod
    def rule_attnames(cls, constraint: models.UniqueConstraint) -> set[str]:
        names = set(constraint.fields)
        if constraint.condition is not None:
            names |= _condition_fields(constraint.condition)
        fields = [cls._meta.get_field(name) for name in names]
        # A constraint names concrete fields, each with a column.
        return {field.attname for field in fields if isinstance(field, models.Field)}

    def rule_applies(self, constraint: models.UniqueConstraint) -> bool:
        """Whether `constraint` judges this row now: it is not a fact being recorded, and it is
        new or changes a field the rule reads."""
        if facts_being_recorded():
            return False
        loaded: dict[str, Any] | None = getattr(self, "_rule_loaded", None)
        if self._state.adding or loaded is None:
            return True
        return any(
            name not in loaded or getattr(self, name) != loaded[name]
            for name in self.rule_attnames(constraint)
        )

    def _rule_loaded_reset(self) -> None:
        if self.rule_constraints:
            fields = self._meta.concrete_fields
            self._rule_loaded = {
                f.attname: getattr(self, f.attname) for f in fields if f.attname in self.__dict__
            }

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        errors: dict[str, list[ValidationError]] = {}
        excluded = set(exclude) if exclude is not None else None
        using = router.db_for_write(self.__class__, instance=self)
        rules = [c for c in self.rule_constraints if self.rule_applies(c)]
        for model_class, constraints in [*self.get_constraints(), (self.__class__, rules)]:
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=excluded, using=using)
                except ValidationError as error:
                    field = constraint_field(constraint)
                    if exclude and field in exclude:
                        field = NON_FIELD_ERRORS
                    errors.setdefault(field, []).extend(error.error_list)
        if errors:
            raise ValidationError(errors)
