"""Change windows' writes, and the beat task's work: start the scheduled migrations whose window
opened (or time came) through the usual dispatch and queue (the concurrency limits apply);
refuse, as not run, those that can no longer finish before their window closes; tell the
operators about migrations that ran over and windows that closed with migrations not run."""

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q

from inventory.models import Frame, Hmc
from lpmplanner import clock
from lpmplanner.exceptions import Conflict
from lpmplanner.notifications.models import Kind
from lpmplanner.notifications.services import notify
from migrations_app.lpm.services import (
    job_event,
    job_transition,
    migration_queue_advance_and_dispatch,
    migrations_dispatch,
)
from migrations_app.models import RUNNING_STATES, MigrationEvent, MigrationJob, MigrationState
from migrations_app.windows.models import ChangeWindow
from migrations_app.windows.schedule import too_late_reason, when

S = MigrationState
Level = MigrationEvent.Level


def change_window_save(
    *,
    window: ChangeWindow,
    frames: Iterable[Frame] | None = None,
    hmcs: Iterable[Hmc] | None = None,
    user=None,
) -> ChangeWindow:
    """Create or change a window, checked (end after start, a known time zone, a recurring
    window no longer than its period); `frames`/`hmcs` replace what it covers when given."""
    window.full_clean()
    with transaction.atomic():
        if window.pk is None and user is not None:
            window.created_by = user
        window.save()
        if frames is not None:
            window.frames.set(frames)
        if hmcs is not None:
            window.hmcs.set(hmcs)
    return window


def change_window_delete(*, window: ChangeWindow) -> None:
    if window.jobs.exists():
        raise Conflict(
            f"Change window {window.name} has migrations scheduled in it or run in it: it stays "
            "for their record."
        )
    window.delete()


def scheduled_jobs_start(*, now: datetime) -> Counter:
    """The scheduled jobs whose time has come: to pending and to the workers (validation, then
    the queue and its limits), or not run when they could not finish in their window."""
    counts: Counter = Counter()
    due = (
        MigrationJob.objects.filter(state=S.SCHEDULED, scheduled_for__lte=now)
        .select_related("lpar", "window", "source_frame", "destination_frame")
        .order_by("scheduled_for", "created", "pk")
    )
    started = []
    for job in due:
        reason = too_late_reason(job, now=now)
        try:
            if reason:
                job = job_transition(job, S.NOT_RUN, not_run_reason=reason, message=reason, step="")
                job_event(job, reason, level=Level.WARNING)
                counts["not_run"] += 1
                continue
            opened = (
                f"Change window {job.window.name} is open: started."
                if job.window_id
                else "Its scheduled time came: started."
            )
            started.append(job_transition(job, S.PENDING, step="", event=opened))
            counts["started"] += 1
        except ValidationError:
            continue  # cancelled meanwhile
    if started:
        migrations_dispatch(jobs=started)
    return counts


def ran_over_report(*, now: datetime) -> int:
    """Migrations still moving when their window closed: marked, logged and told about. They
    are never stopped for it."""
    reported = 0
    late = MigrationJob.objects.filter(
        state__in=RUNNING_STATES, hmc_ended__isnull=True, ran_over=False, window_closes__lt=now
    ).select_related("window", "source_frame", "destination_frame")
    for job in late:
        if not MigrationJob.objects.filter(pk=job.pk, ran_over=False).update(ran_over=True):
            continue
        text = (
            f"Ran over: still migrating when change window {job.window.name} closed at "
            f"{when(job.window_closes, job.window)}. It is not stopped; it goes on to the end."
        )
        job_event(job, text, level=Level.WARNING)
        notify(
            Kind.MIGRATION_RAN_OVER,
            subject=f"Migration #{job.pk} of {job.lpar_name} ran over change window "
            f"{job.window.name}",
            body=f"{text}\n\nMigration #{job.pk} of {job.lpar_name} from "
            f"{job.source_frame.name} to {job.destination_frame.name}.",
            data={
                "migration": job.pk,
                "lpar": job.lpar_name,
                "window": job.window_id,
                "window_closed": job.window_closes,
            },
            frames=[job.source_frame_id, job.destination_frame_id],
            hmcs=[job.hmc_id],
        )
        reported += 1
    return reported


def windows_closed_report(*, now: datetime) -> int:
    """Each window occurrence that closed (once): when migrations in it were not run, its
    subscribers hear which and why."""
    unreported = Q(window__closed_reported__isnull=True) | Q(
        window_closes__gt=F("window__closed_reported")
    )
    closed = (
        MigrationJob.objects.filter(window__isnull=False, window_closes__lte=now)
        .filter(unreported)
        .values_list("window", "window_closes")
        .distinct()
        .order_by("window_closes")
    )
    told = 0
    for window_id, closes in list(closed):
        claimed = ChangeWindow.objects.filter(pk=window_id).filter(
            Q(closed_reported__isnull=True) | Q(closed_reported__lt=closes)
        )
        if not claimed.update(closed_reported=closes):
            continue
        window = ChangeWindow.objects.get(pk=window_id)
        jobs = MigrationJob.objects.filter(window=window, window_closes=closes).order_by("pk")
        not_run = list(jobs.filter(state=S.NOT_RUN))
        if not not_run:
            continue
        lines = [f"- #{job.pk} {job.lpar_name}: {job.not_run_reason}" for job in not_run]
        notify(
            Kind.WINDOW_JOBS_NOT_RUN,
            subject=f"Change window {window.name} closed with {len(not_run)} migration"
            f"{'s' if len(not_run) > 1 else ''} not run",
            body=f"Change window {window.name} closed at {when(closes, window)}. Not run:\n\n"
            + "\n".join(lines),
            data={
                "window": window.pk,
                "closed": closes,
                "not_run": [
                    {"migration": j.pk, "lpar": j.lpar_name, "reason": j.not_run_reason}
                    for j in not_run
                ],
            },
            frames={f for j in not_run for f in (j.source_frame_id, j.destination_frame_id)},
            hmcs={j.hmc_id for j in not_run},
        )
        told += 1
    return told


def change_windows_tick() -> dict[str, int]:
    """Run by beat every 30 s, by the scheduler's clock (`lpmplanner.clock`)."""
    now = clock.now()
    counts = scheduled_jobs_start(now=now)
    migration_queue_advance_and_dispatch()  # queued jobs that can no longer finish: not run
    counts["ran_over"] = ran_over_report(now=now)
    counts["windows_reported"] = windows_closed_report(now=now)
    return dict(counts)
