"""The operations on readiness runs that pages, the API and beat call: ask for a run (the row
first, sent to a worker once committed, on the readiness queue so that it never takes a
worker slot a migration needs; a broker that cannot take it fails the run with that reason),
stop one, start the scheduled ones that are due."""

from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inventory.models import Frame, Hmc, Lpar
from lpmplanner.jobs import job_enqueue
from lpmplanner.notifications.models import Kind
from lpmplanner.notifications.services import notify
from migrations_app.readiness.models import (
    ReadinessEvent,
    ReadinessResult,
    ReadinessRun,
    ReadinessSchedule,
)
from migrations_app.readiness.selectors import newly_not_ready

State = ReadinessRun.State
Scope = ReadinessRun.Scope


def readiness_queue() -> str:
    """The queue readiness runs go to: READINESS_QUEUE, else the default queue with
    `.readiness` appended (a worker of its own consumes it)."""
    from lpmplanner.celery import app

    return settings.READINESS_QUEUE or f"{app.conf.task_default_queue}.readiness"


def readiness_run_request(
    *,
    scope: str = Scope.ESTATE,
    frame: Frame | None = None,
    hmc: Hmc | None = None,
    lpars: Iterable[Lpar] = (),
    requested_by=None,
    scheduled: bool = False,
) -> ReadinessRun:
    """Ask for a readiness run over a scope; the scope's object must be given (a frame for
    `frame`, an HMC for `hmc`, at least one LPAR for `lpars`)."""
    lpars = list(lpars)
    errors = {}
    if scope not in Scope.values:
        errors["scope"] = [f"Choose one of {', '.join(Scope.values)}."]
    elif scope == Scope.FRAME and frame is None:
        errors["frame"] = ["A run over a frame needs the frame."]
    elif scope == Scope.HMC and hmc is None:
        errors["hmc"] = ["A run over an HMC needs the HMC."]
    elif scope == Scope.LPARS and not lpars:
        errors["lpars"] = ["A run over a list of LPARs needs at least one LPAR."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        run = ReadinessRun.objects.create(
            scope=scope,
            scope_frame=frame if scope == Scope.FRAME else None,
            scope_hmc=hmc if scope == Scope.HMC else None,
            requested_by=requested_by,
            scheduled=scheduled,
        )
        if scope == Scope.LPARS:
            run.scope_lpars.set(lpars)
        who = (
            "its schedule"
            if scheduled
            else (requested_by.get_username() if requested_by else "the system")
        )
        ReadinessEvent.objects.create(
            job=run, message=f"Readiness run over {run.scope_label()} requested by {who}."
        )
        from migrations_app.tasks import readiness_run_task

        job_enqueue(job=run, task=readiness_run_task, queue=readiness_queue())
    return run


def readiness_run_stop(*, run: ReadinessRun, user=None) -> ReadinessRun:
    """Stop a run: a queued one at once, a running one after the validations in flight."""
    who = user.get_username() if user else "the system"
    with transaction.atomic():
        locked = ReadinessRun.objects.select_for_update().get(pk=run.pk)
        if locked.state == State.QUEUED:
            locked.state, locked.finished = State.STOPPED, timezone.now()
            locked.message = f"Cancelled by {who} before it started."
        elif locked.state == State.RUNNING:
            locked.state, locked.step = State.STOPPING, "Stopping"
        else:
            raise ValidationError(
                f"Only a queued or running readiness run can be stopped; #{run.pk} is "
                f"{locked.get_state_display().lower()}."
            )
        locked.save(update_fields=["state", "finished", "message", "step"])
        ReadinessEvent.objects.create(job=locked, message=f"Stop requested by {who}.")
    return locked


def readiness_runs_due(*, now=None) -> list[ReadinessRun]:
    """Start the scheduled runs (one per HMC) whose interval has passed since that HMC's last
    scheduled run, unless one of its runs is still active."""
    now = now or timezone.now()
    started = []
    for schedule in ReadinessSchedule.objects.filter(enabled=True).select_related("hmc"):
        runs = ReadinessRun.objects.filter(scope=Scope.HMC, scope_hmc=schedule.hmc)
        if runs.filter(state__in=[State.QUEUED, State.RUNNING, State.STOPPING]).exists():
            continue
        last = runs.filter(scheduled=True).order_by("-created").first()
        if last is None or last.created <= now - timedelta(minutes=schedule.interval_minutes):
            started.append(readiness_run_request(scope=Scope.HMC, hmc=schedule.hmc, scheduled=True))
    return started


def readiness_changes_notify(*, run: ReadinessRun) -> int:
    """Tell the subscribers of "readiness.not_ready" which LPARs `run` found newly not ready:
    one notification per frame (subscribers choose frames or HMCs), naming each LPAR, its
    target, the HMC's code and reason. Returns how many LPARs were named."""
    newly = newly_not_ready(run)
    by_frame: dict[int | None, list[ReadinessResult]] = {}
    for result in newly:
        by_frame.setdefault(result.frame_id, []).append(result)
    for frame_id, results in by_frame.items():
        frame_name = results[0].frame_name
        names = ", ".join(r.lpar_name for r in results)
        notify(
            Kind.READINESS_NOT_READY,
            subject=f"Readiness run #{run.pk}: {names} on {frame_name} no longer ready",
            body="\n".join(
                f"{r.lpar_name} → {r.target_name or 'no target'}: "
                f"{' '.join(filter(None, [r.code, r.reason])) or 'not ready'}"
                for r in results
            ),
            data={
                "run": run.pk,
                "lpars": [
                    {
                        "lpar": r.lpar_name,
                        "frame": r.frame_name,
                        "target": r.target_name,
                        "codes": r.codes,
                        "reason": r.reason,
                    }
                    for r in results
                ],
            },
            frames=[frame_id] if frame_id else [],
            hmcs=[r.hmc_id for r in results if r.hmc_id],
        )
    return len(newly)
