"""The operations on migrations that pages, the API and tasks call: create (one active job per
LPAR), start, stop, recover, batches, the concurrency limits with their queue, and the
reconciler that dispatches what the broker lost and finishes what a dead worker left.

A job is written first and sent to a worker only once committed; the row is the record, the
broker only delivers."""

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from inventory.models import Frame, Hmc, Lpar
from lpmplanner.exceptions import Conflict
from lpmplanner.jobs import JobLevel, JobRun, job_enqueue
from lpmplanner.notifications.models import Kind
from lpmplanner.notifications.services import notify
from migrations_app.lpm.admission import (
    Admission,
    Promised,
    active_conflict,
    job_draft,
    preflight_options,
    running_counts,
)
from migrations_app.lpm.options import (
    MigrationOptions,
    OptionFacts,
    migration_command,
    migration_proposal,
    options_resolve,
)
from migrations_app.models import (
    ACTIVE_STATES,
    FINISHED_STATES,
    STOPPABLE_STATES,
    BatchAdmission,
    MigrationBatch,
    MigrationEvent,
    MigrationJob,
    MigrationState,
)
from migrations_app.windows.schedule import Schedule, schedule_apply, too_late_reason
from planning.evacuation import evacuation_plan_migrations
from planning.models import EvacuationPlan
from planning.preflight import (
    Finding,
    Migratability,
    lpar_migratability,
    preflight_check,
)

logger = logging.getLogger(__name__)
S = MigrationState
Level = MigrationEvent.Level


def job_event(
    job: MigrationJob,
    message: str,
    *,
    level: str = Level.INFO,
    codes: Sequence[str] = (),
    command: str = "",
    output: str = "",
) -> MigrationEvent:
    """Add a line to the job's log."""
    return MigrationEvent.objects.create(
        job=job, message=message, level=level, codes=list(codes), command=command, output=output
    )


def job_transition(job: MigrationJob, state: str, *, event: str = "", **fields) -> MigrationJob:
    """Move the job to `state` under a row lock, refusing what the state machine does not allow;
    `fields` are saved with it."""
    with transaction.atomic():
        locked = MigrationJob.objects.select_for_update().get(pk=job.pk)
        locked.transition_check(state)
        locked.state = state
        for name, value in fields.items():
            setattr(locked, name, value)
        if state in (*FINISHED_STATES, S.VALIDATED):
            locked.finished = timezone.now()
        locked.save()
        if event:
            job_event(locked, event, level=Level.ERROR if state == S.FAILED else Level.INFO)
        if state == S.NEEDS_ATTENTION:
            transaction.on_commit(lambda: migration_attention_notify(job=locked))
        batch_id = locked.batch_id
        if state in FINISHED_STATES and batch_id:
            transaction.on_commit(lambda: batch_end_notify(batch_id=batch_id))
    return locked


def migration_attention_notify(*, job: MigrationJob) -> None:
    notify(
        Kind.MIGRATION_NEEDS_ATTENTION,
        subject=f"Migration #{job.pk} of {job.lpar_name} needs attention",
        body=f"Migration #{job.pk} of {job.lpar_name} from {job.source_frame.name} to "
        f"{job.destination_frame.name} needs attention:\n\n{job.message}",
        data={"migration": job.pk, "lpar": job.lpar_name, "state": job.state},
        frames=[job.source_frame_id, job.destination_frame_id],
        hmcs=[job.hmc_id],
    )


def batch_end_notify(*, batch_id: int) -> None:
    """Once every job of the batch has finished, tell its subscribers, once."""
    jobs = MigrationJob.objects.filter(batch=batch_id)
    if jobs.exclude(state__in=FINISHED_STATES).exists():
        return
    if not MigrationBatch.objects.filter(pk=batch_id, finished__isnull=True).update(
        finished=timezone.now()
    ):
        return  # told already
    batch = MigrationBatch.objects.get(pk=batch_id)
    rows = list(
        jobs.order_by("created", "pk").values_list(
            "pk", "lpar_name", "state", "source_frame", "destination_frame", "hmc"
        )
    )
    counts = Counter(S(state).label for _, _, state, *_ in rows)
    summary = ", ".join(f"{count} {label.lower()}" for label, count in counts.items())
    lines = [f"- #{pk} {name}: {S(state).label.lower()}" for pk, name, state, *_ in rows]
    notify(
        Kind.BATCH_FINISHED,
        subject=f"{batch} finished: {summary}",
        body=f"{batch} finished: {summary}.\n\n" + "\n".join(lines),
        data={
            "batch": batch.pk,
            "states": {S(state).value: n for state, n in Counter(r[2] for r in rows).items()},
        },
        frames={f for row in rows for f in row[3:5]},
        hmcs={row[5] for row in rows},
    )


# The wizard ---------------------------------------------------------------------------------


def migration_defaults(
    *, lpar: Lpar, destination: Frame, facts: OptionFacts | None = None
) -> MigrationOptions:
    """The wizard's defaults for this LPAR and destination (see `migration_proposal`), with the
    migrations running now and the VIOS slots and LPAR ids other migrations will take."""
    _, by_vios, _ = running_counts()
    promised = Promised.load(frame_ids=[destination.pk])
    return migration_proposal(
        lpar=lpar,
        destination=destination,
        running_by_vios=by_vios,
        claimed_slots=promised.vios_slots,
        claimed_lpar_ids=promised.lpar_ids[destination.pk],
        facts=facts or OptionFacts.load(lpars=[lpar], frame_ids=[destination.pk]),
    )


def migration_preflight(*, lpar: Lpar, destination: Frame) -> list[Finding]:
    """The pre-flight findings, with the migrations running now and those promised there."""
    promised = Promised.load(frame_ids=[destination.pk])
    return preflight_check(
        lpar=lpar, destination=destination, options=preflight_options(promised=promised)
    )


def migration_destinations(*, lpar: Lpar) -> list[Migratability]:
    """Every other frame with its verdict and findings, from one read of the estate."""
    return lpar_migratability(lpar=lpar, options=preflight_options())


def migration_options(
    *, lpar: Lpar, destination: Frame, options: MigrationOptions | Mapping[str, Any] | None = None
) -> MigrationOptions:
    """Options as given, or the defaults with the given choices laid over them."""
    if isinstance(options, MigrationOptions):
        return options
    facts = OptionFacts.load(lpars=[lpar], frame_ids=[destination.pk])
    defaults = migration_defaults(lpar=lpar, destination=destination, facts=facts)
    return options_resolve(
        lpar=lpar, destination=destination, proposal=defaults, given=options or {}, facts=facts
    )


def migration_command_preview(
    *, lpar: Lpar, destination: Frame, options: MigrationOptions | Mapping[str, Any] | None = None
) -> str:
    """The exact `migrlpar -o m` line Migrate will send."""
    options = migration_options(lpar=lpar, destination=destination, options=options)
    job = job_draft(lpar=lpar, destination=destination, options=options)
    return migration_command(job, "m").text


# Create, start, stop, recover ---------------------------------------------------------------


def _active_job(lpar: Lpar) -> MigrationJob | None:
    return MigrationJob.objects.filter(lpar=lpar, state__in=ACTIVE_STATES).first()


# Told, once the jobs are committed and handed to workers, {job id: why it waits} for those the
# broker did not take (empty when it took them all).
Dispatched = Callable[[dict[int, str]], None]


def _jobs_save(
    jobs: list[MigrationJob],
    *,
    requested_by,
    validate_only: bool,
    batch: MigrationBatch | None,
    on_dispatched: Dispatched | None = None,
    schedule: Schedule | None = None,
) -> None:
    """Save admitted jobs as pending with their first log lines, in bulk, and send them to
    workers once committed; or, with a `schedule`, as scheduled, left for the beat task to
    start. A Conflict names the jobs that an LPAR of them got meanwhile (from an admission to
    another frame, under another lock)."""
    for job in jobs:
        job.validate_only, job.requested_by, job.batch = validate_only, requested_by, batch
    scheduled = schedule_apply(schedule, jobs) if schedule is not None else ""
    try:
        with transaction.atomic():
            MigrationJob.objects.bulk_create(jobs)
    except IntegrityError:
        lpars = [job.lpar_id for job in jobs]
        active = MigrationJob.objects.filter(lpar__in=lpars, state__in=ACTIVE_STATES)
        conflicts = [str(active_conflict(job)) for job in active]
        if conflicts:
            raise Conflict(" ".join(conflicts)) from None
        raise
    who = requested_by.get_username() if requested_by else "the system"
    what = "Validation" if validate_only else "Migration"
    events = []
    for job in jobs:
        lpar = job.lpar
        events.append(
            MigrationEvent(
                job=job,
                message=f"{what} of {lpar.name} from {lpar.frame.name} to "
                f"{job.destination_frame.name} requested by {who}.",
            )
        )
        events += [
            MigrationEvent(
                job=job, message=f"Pre-flight: {finding['message']}", level=Level.WARNING
            )
            for finding in job.findings
        ]
        if scheduled:
            events.append(MigrationEvent(job=job, message=scheduled))
    MigrationEvent.objects.bulk_create(events)

    if scheduled:
        return

    def dispatch() -> None:
        waiting = migrations_dispatch(jobs=jobs)
        if on_dispatched is not None:
            on_dispatched(waiting)

    transaction.on_commit(dispatch)


def migration_create(
    *,
    lpar: Lpar,
    destination: Frame,
    options: MigrationOptions | Mapping[str, Any] | None = None,
    requested_by=None,
    validate_only: bool = False,
    confirm_warnings: bool = False,
    batch: MigrationBatch | None = None,
    on_dispatched: Dispatched | None = None,
    schedule: Schedule | None = None,
) -> MigrationJob:
    """Ask for a migration: checked (pre-flight errors block, warnings need
    `confirm_warnings`), saved as `pending`, and sent to a worker once committed. Judged under
    the destination frame's lock (see `admission`), so requests for one frame never claim the
    same VIOS slot, LPAR id or capacity twice. One active job per LPAR: a second request is a
    Conflict naming the job that exists. When the broker cannot be reached the job stays
    pending and the reconciler sends it later: `on_dispatched` is told why, after the commit
    (the job's log says it too). With a `schedule` it waits as scheduled for its change window
    or time."""
    try:
        with transaction.atomic():
            admission = Admission.open(lpar_ids=[lpar.pk], destination_ids=[destination.pk])
            job = admission.judge(
                lpar_pk=lpar.pk,
                destination_pk=destination.pk,
                options=options,
                confirm_warnings=confirm_warnings,
            )
            _jobs_save(
                [job],
                requested_by=requested_by,
                validate_only=validate_only,
                batch=batch,
                on_dispatched=on_dispatched,
                schedule=schedule,
            )
            return job
    except ValidationError:
        # A job of this LPAR admitted meanwhile (towards another frame) may be what the checks
        # just refused: the caller is told about that job, not about its side effects.
        existing = _active_job(lpar)
        if existing:
            raise active_conflict(existing) from None
        raise


# Broker priorities (0 first, where the broker has them): work on a migration the HMC may be
# running, or one whose slot came free, goes before validating new requests.
RUNNING_PRIORITY, NEW_PRIORITY = 0, 6


def _priority(job: MigrationJob) -> int:
    state = MigrationJob.objects.filter(pk=job.pk).values_list("state", flat=True).first()
    return NEW_PRIORITY if state in (S.PENDING, S.VALIDATING, S.QUEUED) else RUNNING_PRIORITY


def migration_dispatch(*, job: MigrationJob, new: bool = False) -> bool:
    """Send the job to a worker, the job id as the task id. False (the job waits for the
    reconciler, and its log says why) when the broker is unreachable. `new`: a job just
    admitted, never sent before."""
    return not _dispatch(job, new=new)


def _dispatch(job: MigrationJob, *, new: bool) -> str:
    """`migration_dispatch`: "" when sent, else why the job waits."""
    from migrations_app.tasks import migration_job_task

    count = 0
    if not new:
        count = MigrationJob.objects.filter(pk=job.pk).values_list("dispatches", flat=True).first()
    task_id = str(job.pk) if not count else f"{job.pk}.{count}"
    now = timezone.now()
    MigrationJob.objects.filter(pk=job.pk).update(dispatched=now, dispatches=(count or 0) + 1)
    priority = NEW_PRIORITY if new else _priority(job)
    try:
        migration_job_task.apply_async(
            args=[job.pk], task_id=task_id, retry=False, priority=priority
        )
    except Exception as error:
        reason = (
            f"The broker is unreachable ({type(error).__name__}): the migration waits as "
            f"{job.get_state_display().lower()} and starts when the broker is back."
        )
        logger.warning("Migration #%s not dispatched: %s", job.pk, error)
        job_event(job, reason, level=Level.WARNING)
        MigrationJob.objects.filter(pk=job.pk).update(step=reason[:255])
        return reason
    return ""


# More jobs than this at once are sent by a worker: the request that admitted them does not wait
# for a broker round trip per job.
DISPATCH_FAN_OUT = 10


def migrations_dispatch(*, jobs: list[MigrationJob]) -> dict[int, str]:
    """Send jobs just admitted to workers: a few one by one, more as one message that a worker
    fans out (`migrations_send`). When the broker is unreachable they wait as pending for the
    reconciler, each job's log saying why; returned: {job id: why} for those (empty when all
    were sent)."""
    from migrations_app.tasks import migrations_send_task

    if len(jobs) <= DISPATCH_FAN_OUT:
        waiting = {job.pk: _dispatch(job, new=True) for job in jobs}
        return {pk: reason for pk, reason in waiting.items() if reason}
    pks = [job.pk for job in jobs]
    MigrationJob.objects.filter(pk__in=pks).update(dispatched=timezone.now(), dispatches=1)
    try:
        migrations_send_task.apply_async(args=[pks], retry=False, priority=NEW_PRIORITY)
    except Exception as error:
        reason = (
            f"The broker is unreachable ({type(error).__name__}): the migration waits as "
            "pending and starts when the broker is back."
        )
        logger.warning("%s migrations not dispatched: %s", len(pks), error)
        MigrationEvent.objects.bulk_create(
            [MigrationEvent(job=job, message=reason, level=Level.WARNING) for job in jobs]
        )
        MigrationJob.objects.filter(pk__in=pks).update(step=reason[:255])
        return dict.fromkeys(pks, reason)
    return {}


def migrations_send(*, job_ids: Sequence[int]) -> int:
    """Run by a worker for `migrations_dispatch`: send each job (marked dispatched already) to a
    worker, its id as the task id. A job not sent (the broker went away) waits for the
    reconciler."""
    from migrations_app.tasks import migration_job_task

    for pk in job_ids:
        migration_job_task.apply_async(
            args=[pk], task_id=str(pk), retry=False, priority=NEW_PRIORITY
        )
    return len(job_ids)


def migration_start(*, job: MigrationJob, user=None) -> MigrationJob:
    """Migrate a job that was validated only: it joins the queue and starts within the limits.
    A validated job holds nothing on its destination, so it is admitted again first, as a new
    request is (under the frame's lock, its options as saved): a VIOS slot, an LPAR id or
    capacity taken since by another migration is refused in words."""
    if job.state != S.VALIDATED:
        raise ValidationError(
            f"Only a validated migration can be started; #{job.pk} is "
            f"{job.get_state_display().lower()}."
        )
    try:
        with transaction.atomic():
            admission = Admission.open(
                lpar_ids=[job.lpar_id], destination_ids=[job.destination_frame_id]
            )
            admission.judge(
                lpar_pk=job.lpar_id,
                destination_pk=job.destination_frame_id,
                options=MigrationOptions.of_job(job),
                confirm_warnings=True,
            )
            job = job_transition(job, S.QUEUED, validate_only=False, finished=None)
            job_event(job, f"Started by {user.get_username() if user else 'the system'}.")
    except IntegrityError:
        existing = _active_job(job.lpar)
        if existing:
            raise active_conflict(existing) from None
        raise
    transaction.on_commit(migration_queue_advance_and_dispatch)
    return job


def _dispatch_on_commit(job: MigrationJob, on_dispatched: Dispatched | None) -> None:
    def dispatch() -> None:
        reason = _dispatch(job, new=False)
        if on_dispatched is not None:
            on_dispatched({job.pk: reason} if reason else {})

    transaction.on_commit(dispatch)


def migration_stop(
    *, job: MigrationJob, user=None, on_dispatched: Dispatched | None = None
) -> MigrationJob:
    """Stop a migration. Not yet sent to the HMC: it is cancelled. Migrating: `migrlpar -o s`
    is sent by the worker following it (or, if that worker is gone, by the next one;
    `on_dispatched` is told when the broker did not take it)."""
    who = user.get_username() if user else "the system"
    if job.state not in STOPPABLE_STATES:
        raise ValidationError(
            "Only a scheduled, pending, queued or migrating migration can be stopped; "
            f"#{job.pk} is {job.get_state_display().lower()}."
        )
    if job.state != S.MIGRATING or job.migrate_sent is None:
        job = job_transition(
            job,
            S.STOPPED,
            message=f"Cancelled by {who} before it started.",
            step="",
            event=f"Cancelled by {who} before it started.",
        )
        transaction.on_commit(migration_queue_advance_and_dispatch)
        return job
    job = job_transition(job, S.STOPPING, step="Stopping", event=f"Stop requested by {who}.")
    if not _is_followed(job):
        _dispatch_on_commit(job, on_dispatched)
    return job


RECOVERABLE = (S.FAILED, S.STOPPED, S.NEEDS_ATTENTION)


def migration_recover(
    *,
    job: MigrationJob,
    user=None,
    force: bool = False,
    on_dispatched: Dispatched | None = None,
) -> MigrationJob:
    """Recover a failed or stopped migration (or one that needs attention) with `migrlpar -o r`;
    a migration still running (stuck) only with `force`, the HMC's `--force`. `on_dispatched`
    is told when the broker did not take it."""
    stuck = job.state in (S.MIGRATING, S.STOPPING)
    if job.state not in RECOVERABLE and not (stuck and force):
        hint = " (a running one only with force)" if stuck else ""
        raise ValidationError(
            f"Only a failed or stopped migration can be recovered, or one that needs attention"
            f"{hint}; #{job.pk} is {job.get_state_display().lower()}."
        )
    who = user.get_username() if user else "the system"
    forced = " with --force" if force else ""
    try:
        with transaction.atomic():
            job = job_transition(
                job,
                S.RECOVERING,
                recover_force=force,
                step="Recovering",
                finished=None,
                worker="",
                heartbeat=None,
                event=f"Recovery{forced} requested by {who}.",
            )
    except IntegrityError:
        existing = _active_job(job.lpar)
        if existing:
            raise active_conflict(existing) from None
        raise
    _dispatch_on_commit(job, on_dispatched)
    return job


# Batches ------------------------------------------------------------------------------------


Progress = Callable[[int, str], None]


def _batch_admit(
    *,
    batch: MigrationBatch,
    items: list[Mapping[str, Any]],
    requested_by,
    confirm_warnings: bool,
    validate_only: bool,
    schedule: Schedule | None,
    progress: Progress | None = None,
) -> list[str]:
    """Judge and save the jobs of `batch`, all or none, inside the caller's transaction: every
    refusal, by item (then nothing is saved and the caller rolls back), or []. `progress` is
    told how far it is now and then."""
    errors: list[str] = []
    admission = Admission.open(
        lpar_ids={item["lpar"].pk for item in items},
        destination_ids={item["destination_frame"].pk for item in items},
    )
    jobs: list[MigrationJob] = []
    seen: set[int] = set()
    every = max(1, len(items) // 20)
    for index, item in enumerate(items, start=1):
        if progress is not None and index % every == 0:
            progress(5 + 85 * index // len(items), f"Admitting {index} of {len(items)}")
        lpar, destination = item["lpar"], item["destination_frame"]
        label = f"{index}. {lpar.name} → {destination.name}"
        if lpar.pk in seen:
            errors.append(f"{label}: {lpar.name} is in the batch twice.")
            continue
        seen.add(lpar.pk)
        try:
            job = admission.judge(
                lpar_pk=lpar.pk,
                destination_pk=destination.pk,
                options=item.get("options"),
                confirm_warnings=confirm_warnings,
            )
        except ValidationError as error:
            errors.extend(f"{label}: {message}" for message in error.messages)
        except Conflict as error:
            errors.append(f"{label}: {error}")
        else:
            admission.admitted(job)
            jobs.append(job)
    if not errors:
        if progress is not None:
            progress(90, f"Saving {len(jobs)} migrations")
        try:
            _jobs_save(
                jobs,
                requested_by=requested_by,
                validate_only=validate_only,
                batch=batch,
                schedule=schedule,
            )
        except Conflict as error:
            errors.append(str(error))
    return errors


def batch_create(
    *,
    items: Iterable[Mapping[str, Any]],
    requested_by=None,
    name: str = "",
    confirm_warnings: bool = False,
    validate_only: bool = False,
    schedule: Schedule | None = None,
) -> MigrationBatch:
    """Many migrations at once, all or none, admitted in the caller's request: `items` are
    `{"lpar": Lpar, "destination_frame": Frame, "options": {...}}`. Every refusal is listed, by
    item. With a `schedule` the jobs wait for its change window or time. (`batch_submit`
    sends a large batch to a worker instead.)"""
    items = list(items)
    if not items:
        raise ValidationError({"jobs": ["Give at least one LPAR and its destination frame."]})
    with transaction.atomic():
        batch = MigrationBatch.objects.create(name=name, requested_by=requested_by)
        errors = _batch_admit(
            batch=batch,
            items=items,
            requested_by=requested_by,
            confirm_warnings=confirm_warnings,
            validate_only=validate_only,
            schedule=schedule,
        )
        if errors:
            transaction.set_rollback(True)
    if errors:
        raise ValidationError({"jobs": errors})
    return batch


def _option_ids(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """A batch item's options as JSON: rows (mover service partitions, a mapping's VIOS) by id;
    `options_resolve` takes either."""
    given = dict(options or {})
    for name in ("source_msp", "dest_msp"):
        if isinstance(given.get(name), Lpar):
            given[name] = given[name].pk
    if given.get("storage_mappings") is not None:
        given["storage_mappings"] = [
            {**m, "vios": m["vios"].pk if isinstance(m.get("vios"), Lpar) else m.get("vios")}
            for m in given["storage_mappings"]
        ]
    return given


def batch_submit(
    *,
    items: Iterable[Mapping[str, Any]],
    requested_by=None,
    name: str = "",
    confirm_warnings: bool = False,
    validate_only: bool = False,
    schedule: Schedule | None = None,
    evacuation_plan: EvacuationPlan | None = None,
) -> MigrationBatch:
    """A batch as `batch_create` makes it; one of more than BATCH_ADMIT_INLINE_MAX items is
    admitted by a worker instead (a `BatchAdmission` job, with progress), the same way and with
    the same refusals, and is returned at once with that job (`batch.admitting`)."""
    items = list(items)
    if len(items) <= settings.BATCH_ADMIT_INLINE_MAX:
        with transaction.atomic():
            batch = batch_create(
                items=items,
                requested_by=requested_by,
                name=name,
                confirm_warnings=confirm_warnings,
                validate_only=validate_only,
                schedule=schedule,
            )
            if evacuation_plan is not None:
                batch.evacuation_plan = evacuation_plan
                batch.save(update_fields=["evacuation_plan"])
        return batch
    from migrations_app.tasks import batch_admission_task

    with transaction.atomic():
        batch = MigrationBatch.objects.create(
            name=name, requested_by=requested_by, evacuation_plan=evacuation_plan
        )
        job = BatchAdmission.objects.create(
            batch=batch,
            requested_by=requested_by,
            items=[
                {
                    "lpar": item["lpar"].pk,
                    "destination_frame": item["destination_frame"].pk,
                    "options": _option_ids(item.get("options")),
                }
                for item in items
            ],
            item_count=len(items),
            confirm_warnings=confirm_warnings,
            validate_only=validate_only,
            window=schedule.window if schedule else None,
            start_at=schedule.at if schedule else None,
            step=f"Waiting for a worker to admit {len(items)} migrations",
        )
        job_enqueue(job=job, task=batch_admission_task)
    return batch


def batch_admission_run(*, job: BatchAdmission, worker: str = "") -> BatchAdmission:
    """Run by a worker: admit the items of a large batch (`batch_submit`), all or none, with
    progress. Refused, the job fails with every refusal as an error line of its log (as
    `batch_create` lists them) and the batch stays empty; admitted, the jobs are sent to
    workers and the batch runs."""
    with JobRun(job, worker=worker) as run:
        if not run.claimed:
            return job
        run.progress(1, f"Reading {job.item_count} migrations")
        lpars = Lpar.objects.select_related("frame").in_bulk([item["lpar"] for item in job.items])
        frames = Frame.objects.in_bulk([item["destination_frame"] for item in job.items])
        items: list[Mapping[str, Any]] = []
        errors: list[str] = []
        for index, item in enumerate(job.items, start=1):
            lpar, frame = lpars.get(item["lpar"]), frames.get(item["destination_frame"])
            if lpar is None or frame is None:
                gone = f"LPAR #{item['lpar']}" if lpar is None else "its destination frame"
                errors.append(f"{index}. {gone} no longer exists.")
                continue
            items.append({"lpar": lpar, "destination_frame": frame, "options": item["options"]})
        schedule = None
        if job.window_id is not None or job.start_at is not None:
            schedule = Schedule(window=job.window, at=job.start_at)
        if not errors:
            with run.progress_outside() as progress, transaction.atomic():
                try:
                    errors = _batch_admit(
                        batch=job.batch,
                        items=items,
                        requested_by=job.requested_by,
                        confirm_warnings=job.confirm_warnings,
                        validate_only=job.validate_only,
                        schedule=schedule,
                        progress=progress,
                    )
                except ValidationError as refused:  # the schedule (its window, its time)
                    errors = list(refused.messages)
                if errors:
                    transaction.set_rollback(True)
        if errors:
            for line in errors:
                run.event(line, level=JobLevel.ERROR, data={"refusal": True})
            MigrationBatch.objects.filter(pk=job.batch_id).update(finished=timezone.now())
            count = f"{len(errors)} refusal{'s' if len(errors) != 1 else ''}"
            return run.fail(f"Not admitted, {count} (listed in the log): nothing was created.")
        what = "validations" if job.validate_only else "migrations"
        return run.finish(f"{len(items)} {what} admitted.")


def evacuation_plan_run(
    *,
    plan: EvacuationPlan,
    requested_by=None,
    confirm_warnings: bool = False,
    validate_only: bool = False,
    schedule: Schedule | None = None,
) -> MigrationBatch:
    """Run an evacuation plan: one batch of the migrations of its placed LPARs, in the plan's
    order (wave by wave), each with the plan's mover service partitions. All or nothing, as
    `batch_submit` (a large plan is admitted by a worker); LPARs the plan could not place are
    left out."""
    planned = evacuation_plan_migrations(plan=plan)
    if not planned:
        raise ValidationError(
            {
                "evacuation_plan": [
                    f"Evacuation plan #{plan.pk} of {plan.frame.name} places no LPAR on another "
                    "frame: there is nothing to migrate."
                ]
            }
        )
    lpars = Lpar.objects.in_bulk([m.lpar for m in planned])
    frames = Frame.objects.in_bulk([m.destination for m in planned])
    items = []
    for migration in planned:
        msps = {"source_msp": migration.source_msp, "dest_msp": migration.destination_msp}
        items.append(
            {
                "lpar": lpars[migration.lpar],
                "destination_frame": frames[migration.destination],
                "options": {name: pk for name, pk in msps.items() if pk is not None},
            }
        )
    return batch_submit(
        items=items,
        requested_by=requested_by,
        confirm_warnings=confirm_warnings,
        validate_only=validate_only,
        schedule=schedule,
        name=f"Evacuation plan #{plan.pk} of {plan.frame.name}"[:128],
        evacuation_plan=plan,
    )


# The queue ----------------------------------------------------------------------------------


def limit_reason(job: MigrationJob, by_frame, by_vios, by_hmc) -> str:
    """Why the job cannot start now (a limit it would exceed), or ''."""
    for frame in (job.source_frame, job.destination_frame):
        if by_frame[frame.pk] >= frame.max_active_migrations:
            return (
                f"Waiting: {frame.name} runs {by_frame[frame.pk]} migrations, its limit is "
                f"{frame.max_active_migrations}."
            )
    msp_limit = settings.LPM_MSP_MAX_MIGRATIONS
    for msp in (job.source_msp, job.dest_msp):
        if msp is not None and by_vios[msp.pk] >= msp_limit:
            return (
                f"Waiting: mover service partition {msp.name} carries {by_vios[msp.pk]} "
                f"migrations, the limit is {msp_limit}."
            )
    hmc_limit = settings.LPM_HMC_MAX_MIGRATIONS
    if by_hmc[job.hmc_id] >= hmc_limit:
        running = by_hmc[job.hmc_id]
        return f"Waiting: HMC {job.hmc} runs {running} migrations, its limit is {hmc_limit}."
    return ""


def migration_queue_advance() -> list[MigrationJob]:
    """Start the queued migrations that fit the limits, in request order; the others keep their
    place with the reason they wait. Serialised per HMC (its row is locked), so two workers
    freeing slots at once never start more than the limits allow. Returns the jobs started
    (state migrating, not yet sent to a worker)."""
    hmc_ids = sorted(set(MigrationJob.objects.filter(state=S.QUEUED).values_list("hmc", flat=True)))
    started: list[MigrationJob] = []
    for hmc_id in hmc_ids:
        with transaction.atomic():
            Hmc.objects.select_for_update().filter(pk=hmc_id).first()
            queued = list(
                MigrationJob.objects.filter(state=S.QUEUED, hmc_id=hmc_id)
                .select_related(
                    "lpar",
                    "source_frame",
                    "destination_frame",
                    "source_msp",
                    "dest_msp",
                    "hmc",
                    "window",
                )
                .order_by("created", "pk")
            )
            by_frame, by_vios, by_hmc = running_counts()
            now = timezone.now()
            for job in queued:
                too_late = too_late_reason(job)
                if too_late:
                    job_transition(
                        job, S.NOT_RUN, not_run_reason=too_late, message=too_late, step=""
                    )
                    job_event(job, too_late, level=Level.WARNING)
                    continue
                reason = limit_reason(job, by_frame, by_vios, by_hmc)
                if reason:
                    if reason != job.queued_reason:
                        MigrationJob.objects.filter(pk=job.pk).update(
                            queued_reason=reason, step=reason[:255]
                        )
                    continue
                job.transition_check(S.MIGRATING)
                job.state, job.queued_reason, job.step = S.MIGRATING, "", "Starting"
                job.started = now
                job.save(update_fields=["state", "queued_reason", "step", "started"])
                job_event(job, "Started: within the concurrency limits.")
                by_frame.update([job.source_frame_id, job.destination_frame_id])
                by_vios.update(v for v in (job.source_msp_id, job.dest_msp_id) if v)
                by_hmc[job.hmc_id] += 1
                started.append(job)
    return started


def migration_queue_advance_and_dispatch(*, run_here: MigrationJob | None = None) -> bool:
    """Advance the queue and send every job started to a worker, except `run_here` (the caller
    runs it itself). True when `run_here` was started."""
    mine = False
    for job in migration_queue_advance():
        if run_here is not None and job.pk == run_here.pk:
            mine = True
        else:
            migration_dispatch(job=job)
    return mine


# The reconciler -----------------------------------------------------------------------------


def stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.LPM_MIGRATION_STALE_SECONDS)


def _is_followed(job: MigrationJob) -> bool:
    """A worker reported on the job recently."""
    return job.heartbeat is not None and job.heartbeat >= stale_before()


def migrations_reconcile() -> dict[str, int]:
    """Run by beat every 30 s. Sends pending jobs the broker never got (or lost), starts queued
    jobs that fit, and takes over jobs whose worker stopped reporting: for one that may have
    sent `migrlpar -o m`, the HMC is asked (`lslparmigr`) and the job resumes polling or is
    finished; `-o m` is never sent again."""
    from migrations_app.lpm.runner import migration_take_over

    stale = stale_before()
    counts = Counter()
    sent_long_ago = Q(dispatched__isnull=True) | Q(dispatched__lt=stale)
    lost = (Q(heartbeat__isnull=True) & sent_long_ago) | Q(heartbeat__lt=stale)
    for job in MigrationJob.objects.filter(state__in=[S.PENDING, S.VALIDATING]).filter(lost):
        counts["dispatched"] += migration_dispatch(job=job)
    for job in migration_queue_advance():
        counts["started"] += 1
        migration_dispatch(job=job)
    for job in MigrationJob.objects.filter(state__in=[S.MIGRATING, S.STOPPING]).filter(lost):
        if job.migrate_sent is None and job.state == S.MIGRATING:
            counts["dispatched"] += migration_dispatch(job=job)
        else:
            counts["taken_over"] += 1
            migration_take_over(job=job)
    for job in MigrationJob.objects.filter(state=S.RECOVERING).filter(lost):
        counts["dispatched"] += migration_dispatch(job=job)
    return dict(counts)
