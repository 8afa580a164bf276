"""Change history of the inventory (django-simple-history), with the request each change came
from, so that everything one request (an edit, a bulk edit, an import) changed can be listed."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.dispatch import receiver
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from inventory.display import field_label, field_value
from inventory.identifiers import wwpn_colon


class ChangeContext(models.Model):
    """Fields every historical row carries besides simple-history's own."""

    request_id = models.CharField(max_length=36, blank=True, db_index=True)

    class Meta:
        abstract = True


def tracked(**kwargs: Any) -> HistoricalRecords:
    """The HistoricalRecords every inventory model declares."""
    return HistoricalRecords(bases=[ChangeContext], **kwargs)


@contextmanager
def change_author(
    *, user: AbstractBaseUser | AnonymousUser | None, request_id: str
) -> Iterator[None]:
    """Credit the changes made inside the block to `user`, tagged with `request_id`, as if a
    request of theirs made them: for work a worker does on someone's behalf."""
    context = HistoricalRecords.context
    previous = getattr(context, "request", None)
    context.request = SimpleNamespace(user=user, id=request_id)
    try:
        yield
    finally:
        if previous is None:
            del context.request
        else:
            context.request = previous


@receiver(pre_create_historical_record)
def _tag_with_request(sender: type[models.Model], history_instance: Any, **kwargs: Any) -> None:
    request = getattr(HistoricalRecords.context, "request", None)
    history_instance.request_id = getattr(request, "id", "") or ""


ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class Change:
    """One historical row, with what it changed compared with the row before it."""

    record: Any  # a row of the historical model simple-history builds at run time
    model_name: str
    action: str
    changes: list[tuple[str, object, object]]

    @property
    def when(self) -> datetime:
        when: datetime = self.record.history_date
        return when

    @property
    def user(self) -> AbstractBaseUser | None:
        user: AbstractBaseUser | None = self.record.history_user
        return user

    @property
    def object_label(self) -> str:
        try:
            if self.record.instance_type._meta.model_name == "wwpn":
                return wwpn_colon(self.record.value)
            return str(self.record.instance)
        except models.ObjectDoesNotExist:  # a related row of the old state is gone too
            return f"#{self.record.id}"

    @property
    def object_url(self) -> str | None:
        if self.record.history_type == "-":
            return None
        url: str = self.record.instance.get_absolute_url()
        return url


def change_of(
    record: Any,
    model_name: str,
    hidden: tuple[str, ...] = (),
    *,
    names: dict[Any, Any] | None = None,
) -> Change:
    """The record and what it changed, each value as a page shows it (a frame by its name, not
    its id). `names` keeps the related objects already looked up, across records."""
    changes = []
    previous = record.prev_record if record.history_type == "~" else None
    if previous is not None:
        delta = record.diff_against(previous)
        model = record.instance_type
        names = {} if names is None else names
        for c in delta.changes:
            if c.field in hidden:
                continue
            field = model._meta.get_field(c.field)
            old = field_value(model, c.field, c.old, related_cache=names)
            new = field_value(model, c.field, c.new, related_cache=names)
            changes.append((field_label(field), old, new))
    return Change(record, model_name, ACTIONS.get(record.history_type, "?"), changes)


def tracked_models() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_app_config("inventory").get_models()
        if hasattr(model._meta, "simple_history_manager_attribute")
    ]


def history_manager(model: type[models.Model]) -> Any:
    """The manager of `model`'s historical rows (simple-history adds it under a name it records)."""
    return getattr(model, model._meta.simple_history_manager_attribute)  # type: ignore[attr-defined]


def history_list(
    *,
    user: str = "",
    model: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    request_id: str = "",
    offset: int = 0,
    limit: int = 50,
) -> list[Change]:
    """The newest changes across every inventory model, filtered; newest first."""
    rows = []
    for tracked_model in tracked_models():
        if model and tracked_model._meta.model_name != model:
            continue
        queryset = history_manager(tracked_model).select_related("history_user")
        if user:
            queryset = queryset.filter(history_user__username=user)
        if since:
            queryset = queryset.filter(history_date__gte=since)
        if until:
            queryset = queryset.filter(history_date__lte=until)
        if request_id:
            queryset = queryset.filter(request_id=request_id)
        rows += [
            (record, str(tracked_model._meta.verbose_name))
            for record in queryset.order_by("-history_date")[: offset + limit]
        ]
    rows.sort(key=lambda pair: pair[0].history_date, reverse=True)
    names: dict[Any, Any] = {}
    return [change_of(record, name, names=names) for record, name in rows[offset : offset + limit]]
