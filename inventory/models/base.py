"""What every inventory model shares: constraint errors that name the field they are about."""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, router
from django.db.models import Q
from django.urls import reverse


def _condition_fields(condition: Q) -> set[str]:
    names = set()
    for child in condition.children:
        if isinstance(child, Q):
            names |= _condition_fields(child)
        else:
            names.add(child[0].split("__")[0])
    return names


def constraint_field(constraint) -> str:
    """The form field a violated constraint is reported on: the last field of a uniqueness rule
    (LPAR *name* per frame), the only field a check reads; else the whole object."""
    if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
        return constraint.fields[-1]
    if isinstance(constraint, models.CheckConstraint):
        fields = _condition_fields(constraint.condition)
        if len(fields) == 1:
            return fields.pop()
    return NON_FIELD_ERRORS


class InventoryModel(models.Model):
    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        return reverse(f"inventory:{self._meta.model_name}-detail", args=[self.pk])

    def validate_constraints(self, exclude=None) -> None:
        errors: dict[str, list] = {}
        using = router.db_for_write(self.__class__, instance=self)
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                try:
                    constraint.validate(model_class, self, exclude=exclude, using=using)
                except ValidationError as error:
                    field = constraint_field(constraint)
                    if exclude and field in exclude:
                        field = NON_FIELD_ERRORS
                    errors.setdefault(field, []).extend(error.error_list)
        if errors:
            raise ValidationError(errors)
