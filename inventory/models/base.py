"""What every inventory model shares: constraint errors that name the field they are about."""

from collections.abc import Collection

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router
from django.db.models import Q
from django.db.models.constraints import BaseConstraint
from django.urls import reverse


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
    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        return reverse(f"inventory:{self._meta.model_name}-detail", args=[self.pk])

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        errors: dict[str, list[ValidationError]] = {}
        excluded = set(exclude) if exclude is not None else None
        using = router.db_for_write(self.__class__, instance=self)
        for model_class, constraints in self.get_constraints():
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
