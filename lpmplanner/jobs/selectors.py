"""Reads over every kind of background work at once: the kinds, the ones a user may see, and
the Jobs list (one UNION over the kinds' tables, newest first, then each page's rows read from
their own tables)."""

from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.db.models import CharField, QuerySet, Value

from lpmplanner.jobs.models import Job


def job_kinds() -> list[type[Job]]:
    """Every concrete kind of job, by its label."""
    kinds = [m for m in apps.get_models() if issubclass(m, Job)]
    return sorted(kinds, key=lambda model: str(model._meta.verbose_name).lower())


def job_kinds_visible(*, user) -> list[type[Job]]:
    """The kinds whose jobs `user` may see (the permission each kind names)."""
    return [kind for kind in job_kinds() if user.has_perm(kind.view_permission())]


def job_kind_choices(*, kinds: list[type[Job]]) -> list[tuple[str, str]]:
    return [(kind.kind(), str(kind._meta.verbose_name).capitalize()) for kind in kinds]


def job_state_choices(*, kinds: list[type[Job]]) -> list[tuple[str, str]]:
    """Every state of these kinds, once each (a kind's own states after the common ones)."""
    seen: dict[str, str] = {}
    for kind in kinds:
        for value, label in kind._meta.get_field("state").choices:
            seen.setdefault(value, label)
    return list(seen.items())


def jobs_query(*, kinds: list[type[Job]], state: str = "", username: str = "") -> QuerySet | list:
    """(kind, id, created) of every job of these kinds, in state `state` and asked for by
    `username` when given, newest first: one query that counts and slices (pages) as a whole."""
    parts = []
    for kind in kinds:
        rows = kind.objects.order_by()
        if state:
            rows = rows.filter(state=state)
        if username:
            rows = rows.filter(requested_by__username=username)
        parts.append(
            rows.annotate(job_kind=Value(kind.kind(), output_field=CharField())).values(
                "job_kind", "id", "created"
            )
        )
    if not parts:
        return []
    if len(parts) == 1:
        return parts[0].order_by("-created", "-id")
    return parts[0].union(*parts[1:], all=True).order_by("-created", "-id")


@dataclass
class JobRow:
    """One job of any kind, as the Jobs page and `/api/jobs/` show it."""

    job: Job
    kind: str
    kind_label: str

    @property
    def id(self) -> int:
        return self.job.pk

    @property
    def title(self) -> str:
        return str(self.job)

    @property
    def state(self) -> str:
        return self.job.state

    @property
    def state_label(self) -> str:
        return self.job.get_state_display()

    @property
    def progress(self) -> int:
        return self.job.progress

    @property
    def step(self) -> str:
        return self.job.step

    @property
    def message(self) -> str:
        return self.job.message

    @property
    def requested_by(self) -> int | None:
        return self.job.requested_by_id

    @property
    def requested_by_name(self) -> str:
        return self.job.requested_by.get_username() if self.job.requested_by else ""

    @property
    def created(self) -> datetime:
        return self.job.created

    @property
    def started(self) -> datetime | None:
        return self.job.started

    @property
    def finished(self) -> datetime | None:
        return self.job.finished

    @property
    def heartbeat(self) -> datetime | None:
        return self.job.heartbeat

    @property
    def url(self) -> str:
        return self.job.get_absolute_url()

    @property
    def api_url(self) -> str:
        return self.job.get_api_url()

    @property
    def is_active(self) -> bool:
        return self.job.is_active


def job_rows(*, page, kinds: list[type[Job]]) -> list[JobRow]:
    """The jobs of one page of `jobs_query`, read from their own tables (one query per kind on
    the page), in the page's order."""
    by_kind = {kind.kind(): kind for kind in kinds}
    wanted: dict[str, list[int]] = {}
    for item in page:
        wanted.setdefault(item["job_kind"], []).append(item["id"])
    loaded = {}
    for key, ids in wanted.items():
        kind = by_kind[key]
        related = ("requested_by", *kind.job_related)
        loaded[key] = kind._default_manager.select_related(*related).in_bulk(ids)
    rows = []
    for item in page:
        job = loaded[item["job_kind"]].get(item["id"])
        if job is not None:  # deleted since the page was counted
            kind = by_kind[item["job_kind"]]
            label = str(kind._meta.verbose_name).capitalize()
            rows.append(JobRow(job=job, kind=item["job_kind"], kind_label=label))
    return rows
