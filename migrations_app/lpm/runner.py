"""What a worker does for a migration job, against the HMC: validate (`migrlpar -o v`), migrate
(`-o m`, sent at most once per job and recorded before it is sent) while reading the progress
(`lslparmigr -r lpar`), stop (`-o s`), recover (`-o r`), and settle the outcome by asking the
HMC where the partition is. Every command and its raw output go to the job's log."""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from migrations_app.hmc import codes as hscl
from migrations_app.hmc import commands
from migrations_app.hmc.client import HmcClient, MigrationStatus
from migrations_app.hmc.errors import HmcCommandError, HmcConnectionError, HmcError
from migrations_app.lpm.apply import migration_inventory_apply
from migrations_app.lpm.options import migration_command, migrlpar_arguments, remote_hmc_of
from migrations_app.lpm.services import (
    _is_followed,
    job_event,
    job_transition,
    migration_dispatch,
    migration_queue_advance,
    migration_queue_advance_and_dispatch,
)
from migrations_app.models import MigrationEvent, MigrationJob, MigrationState
from migrations_app.services import hmc_client_open

logger = logging.getLogger(__name__)
S = MigrationState
Level = MigrationEvent.Level

# Refusals of `-o v` that say "not now" rather than "not this LPAR": the job waits in the queue
# (the concurrency limits hold it back) instead of failing. Codes, never message text.
TRANSIENT_VALIDATION_CODES = frozenset({hscl.TOO_MANY_MIGRATIONS})
# `lslparmigr` states in which the HMC is not moving the partition.
NOT_RUNNING = frozenset({"Not Migrating", "Migration Failed", "Migration Stopped", ""})
FAILED_ON_HMC = "Migration Failed"
# Jobs the current worker thread starts itself once its own job is done (see _advance).
_inline = threading.local()


def _arguments(job: MigrationJob, operation: str) -> dict:
    arguments = migrlpar_arguments(job, operation)
    del arguments["operation"]
    return arguments


def _error_event(job: MigrationJob, what: str, error: Exception) -> str:
    """Log an HMC failure with its codes and raw output; the sentence for the job's message."""
    if isinstance(error, HmcError):
        codes = ", ".join(error.codes) or f"exit status {error.exit_status}"
        reason = f"{what}: the HMC refused it ({codes}): {error.text.strip()}"
        job_event(
            job,
            reason,
            level=Level.ERROR,
            codes=error.codes,
            command=error.command,
            output=error.text,
        )
    elif isinstance(error, HmcConnectionError):
        reason = f"{what}: {error}"
        job_event(job, reason, level=Level.ERROR)
    else:
        reason = f"{what}: {error}"
        job_event(job, reason, level=Level.ERROR)
    return reason


def _claim(job: MigrationJob, worker: str, states) -> MigrationJob | None:
    """Take the job for this worker unless another one follows it; None when it is not ours to
    run (another state, or another live worker)."""
    with transaction.atomic():
        locked = MigrationJob.objects.select_for_update().get(pk=job.pk)
        if locked.state not in states:
            return None
        if locked.worker and locked.worker != worker and _is_followed(locked):
            return None
        locked.worker, locked.heartbeat = worker, timezone.now()
        locked.save(update_fields=["worker", "heartbeat"])
    return MigrationJob.objects.select_related(
        "lpar", "source_frame", "destination_frame__hmc", "hmc", "source_msp", "dest_msp"
    ).get(pk=job.pk)


def migration_job_run(*, job: MigrationJob, worker: str) -> str:
    """Do the job's next step for its state; the task calls this. Safe to run twice: a job
    already followed by a live worker, or finished, is left alone. A slot this job frees is
    taken by the next queued job on this same worker, without a trip through the broker."""
    _inline.jobs = []
    try:
        if job.state in (S.PENDING, S.VALIDATING):
            _validate(job, worker)
        elif job.state == S.QUEUED:
            if migration_queue_advance_and_dispatch(run_here=job):
                _migrate(job, worker)
        elif job.state in (S.MIGRATING, S.STOPPING):
            _migrate(job, worker)
        elif job.state == S.RECOVERING:
            _recover(job, worker)
        while _inline.jobs:
            _migrate(_inline.jobs.pop(0), worker)
    finally:
        for waiting in _inline.jobs:
            migration_dispatch(job=waiting)
        _inline.jobs = None
    job.refresh_from_db()
    return job.state


def _advance() -> None:
    """Start what the limits now allow: inside a task, the first job started runs next on this
    thread and the others go to the broker; elsewhere (the reconciler) all go to the broker."""
    if getattr(_inline, "jobs", None) is None:
        migration_queue_advance_and_dispatch()
        return
    started = migration_queue_advance()
    if started:
        _inline.jobs.append(started[0])
    for job in started[1:]:
        migration_dispatch(job=job)


def _fail(job: MigrationJob, reason: str, state: str = S.FAILED) -> MigrationJob:
    job = job_transition(job, state, message=reason, step="")
    _advance()
    return job


def _validate(job: MigrationJob, worker: str) -> None:
    job = _claim(job, worker, (S.PENDING, S.VALIDATING))
    if job is None:
        return
    if job.state == S.PENDING:
        job = job_transition(
            job, S.VALIDATING, step="Validating on the HMC", started=timezone.now()
        )
    try:
        command = migration_command(job, "v")
        with hmc_client_open(hmc=job.hmc) as client:
            untrusted = _trust_problem(job, client)
            if untrusted:
                _fail(job, untrusted)
                return
            output = client.migration_validate(**_arguments(job, "v"))
    except ValidationError as error:
        _fail(job, f"Validation: {'; '.join(error.messages)}")
        return
    except HmcConnectionError as error:
        _fail(job, _error_event(job, "Validation", error))
        return
    except HmcError as error:
        if set(error.codes) and set(error.codes) <= TRANSIENT_VALIDATION_CODES:
            job_event(
                job,
                "The HMC runs as many migrations as it allows now; this one waits "
                "its turn (the HMC validates again when it starts).",
                level=Level.WARNING,
                codes=error.codes,
                command=error.command,
                output=error.text,
            )
        else:
            reason = _error_event(job, "Validation", error)
            _fail(job, reason, S.VALIDATION_FAILED)
            return
    else:
        level = Level.WARNING if output.strip() else Level.INFO
        text = "The HMC validated the migration" + (" with warnings." if output.strip() else ".")
        job_event(job, text, level=level, command=command.text, output=output)
    if job.validate_only:
        job_transition(
            job,
            S.VALIDATED,
            step="",
            progress=0,
            message="Validated by the HMC: start it to migrate.",
        )
        return
    job_transition(job, S.QUEUED, step="Queued")
    if migration_queue_advance_and_dispatch(run_here=job):
        _migrate(job, worker)


def _trust_problem(job: MigrationJob, client: HmcClient) -> str:
    """'' when one HMC manages both frames or the source HMC logs in to the destination's with
    its SSH key (`mkauthkeys --test`); else why not, in words, with the HMC's answer in the
    job's log. Nothing is sent to migrate the partition before this passes."""
    remote = remote_hmc_of(job)
    if remote is None:
        return ""
    try:
        output = client.ssh_trust_test(remote_hmc=remote.host, remote_user=remote.username)
    except HmcError as error:
        codes = ", ".join(error.codes) or f"exit status {error.exit_status}"
        reason = (
            f"Validation: the source HMC {job.hmc} has no SSH trust to HMC {remote} ({codes}): "
            f"run mkauthkeys --ip {remote.host} -u {remote.username} -g --passwd … on "
            f"{job.hmc}, or use Set up trust to HMC {remote} on the page of HMC {job.hmc}. "
            f"Nothing was migrated; {job.lpar_name} stays on {job.source_frame.name}."
        )
        job_event(
            job,
            reason,
            level=Level.ERROR,
            codes=error.codes,
            command=error.command,
            output=error.text,
        )
        return reason
    test = commands.mkauthkeys_test(remote_hmc=remote.host, remote_user=remote.username)
    job_event(
        job,
        f"SSH trust from HMC {job.hmc} to HMC {remote} checked.",
        command=test.shown,
        output=output,
    )
    return ""


def _status_on_source(client: HmcClient, job: MigrationJob) -> MigrationStatus | None:
    """The partition's migration state on the source frame; None when the HMC shows none: an
    empty answer, or HSCL8012 (the partition is not on the source any more, §10)."""
    try:
        return client.migration_status(system=job.source_frame.name, lpar=job.lpar_name)
    except HmcError as error:
        if error.has_code(hscl.LPAR_NOT_FOUND):
            return None
        raise


def _poll_seconds() -> float:
    return settings.LPM_MIGRATION_POLL_SECONDS


@dataclass
class _Send:
    """`migrlpar -o m` on a thread of its own: it returns only when the migration ends."""

    output: str | None = None
    error: Exception | None = None


def _migrate(job: MigrationJob, worker: str) -> None:
    job = _claim(job, worker, (S.MIGRATING, S.STOPPING))
    if job is None:
        return
    client = hmc_client_open(hmc=job.hmc)
    try:
        if job.migrate_sent is None:
            try:
                command = migration_command(job, "m")
                status = _status_on_source(client, job)
            except ValidationError as error:
                _fail(job, f"Migration: {'; '.join(error.messages)}")
                return
            except (HmcConnectionError, HmcError) as error:
                _fail(job, _error_event(job, "Migration", error))
                return
            if status is not None and status.state not in NOT_RUNNING:
                _fail(
                    job,
                    f"{job.lpar_name} is already migrating on the HMC ({status.state}); "
                    "lpmplanner did not start that migration.",
                )
                return
            sent = _mark_sent(job)
            if sent is None:
                return
            send = _Send()
            thread = threading.Thread(target=_send, args=(client, job, send), daemon=True)
            job_event(job, "Sending migrlpar -o m.", command=command.text)
            thread.start()
            _follow(sent, client, thread=thread, send=send)
        else:
            _follow(job, client)
    finally:
        client.close()


def _mark_sent(job: MigrationJob) -> MigrationJob | None:
    """Record that `-o m` is being sent, before sending it: a job that has this mark is never
    sent again, whatever happens to the worker."""
    with transaction.atomic():
        locked = MigrationJob.objects.select_for_update().get(pk=job.pk)
        if locked.migrate_sent is not None or locked.state != S.MIGRATING:
            return None
        locked.migrate_sent = timezone.now()
        locked.step = "Migrating"
        locked.heartbeat = timezone.now()
        locked.save(update_fields=["migrate_sent", "step", "heartbeat"])
    job.migrate_sent = locked.migrate_sent
    return job


def _send(client: HmcClient, job: MigrationJob, send: _Send) -> None:
    try:
        send.output = client.migration_migrate(**_arguments(job, "m"))
    except Exception as error:
        send.error = error


def _progress(job: MigrationJob, status: MigrationStatus | None) -> None:
    fields = {"heartbeat": timezone.now()}
    if status is not None and status.state not in NOT_RUNNING:
        percent = status.progress
        fields.update(
            bytes_transmitted=status.bytes_transmitted,
            bytes_remaining=status.bytes_remaining,
            step=f"Migrating: {percent} % ({status.state})",
        )
        if percent > job.progress:
            fields["progress"] = job.progress = percent
    MigrationJob.objects.filter(pk=job.pk).update(**fields)


def _stop_if_asked(job: MigrationJob, client: HmcClient) -> None:
    current = MigrationJob.objects.filter(pk=job.pk).values("state", "stop_sent").first()
    if current["state"] != S.STOPPING or current["stop_sent"] is not None:
        return
    MigrationJob.objects.filter(pk=job.pk).update(stop_sent=timezone.now())
    command = migration_command(job, "s")
    try:
        output = client.migration_stop(source=job.source_frame.name, lpar=job.lpar_name)
    except (HmcError, HmcConnectionError) as error:
        _error_event(job, "Stop", error)
    else:
        job_event(job, "Sent migrlpar -o s.", command=command.text, output=output)


def _follow(
    job: MigrationJob,
    client: HmcClient,
    *,
    thread: threading.Thread | None = None,
    send: _Send | None = None,
) -> None:
    """Read the progress until the migration ends (the `-o m` thread returns, or, when
    following one a dead worker started, until the HMC shows it no longer running), then settle
    the outcome."""
    status: MigrationStatus | None = None
    unreachable_logged = False
    while True:
        if thread is not None:
            thread.join(_poll_seconds())
            if not thread.is_alive():
                break
        _stop_if_asked(job, client)
        try:
            status = _status_on_source(client, job)
        except HmcConnectionError as error:
            if thread is None or not thread.is_alive():
                if not unreachable_logged:
                    job_event(
                        job,
                        f"Following the migration: {error}; the reconciler tries again.",
                        level=Level.WARNING,
                    )
                return
            if not unreachable_logged:
                job_event(job, f"Reading the progress: {error}", level=Level.WARNING)
                unreachable_logged = True
            continue
        except HmcError as error:
            _error_event(job, "Reading the progress", error)
            status = None
        _progress(job, status)
        if thread is None and (status is None or status.state in NOT_RUNNING):
            break
        if thread is None:
            time.sleep(_poll_seconds())
    if send is None or not isinstance(send.error, HmcConnectionError):
        _slot_free(job)
    if send is not None and isinstance(send.error, HmcConnectionError):
        # The connection dropped, not necessarily the migration: follow it on a new one.
        job_event(
            job,
            f"migrlpar -o m: {send.error}; following the migration on the HMC.",
            level=Level.WARNING,
        )
        with hmc_client_open(hmc=job.hmc) as fresh:
            _follow(job, fresh)
        return
    if send is not None and send.error is None:
        job_event(job, "migrlpar -o m finished.", output=send.output or "")
    _settle(job, client, status, refused=send.error if send is not None else None)


def _slot_free(job: MigrationJob) -> None:
    """The HMC has finished moving the partition: its slot in the limits is free now, so the
    next queued job starts (on another worker) while this one settles the inventory."""
    freed = MigrationJob.objects.filter(pk=job.pk, hmc_ended__isnull=True).update(
        hmc_ended=timezone.now()
    )
    if freed:
        migration_queue_advance_and_dispatch()


def _lpar_id_on(client: HmcClient, system: str, name: str) -> int | None:
    return next((i.lpar_id for i in client.lpars(system=system) if i.name == name), None)


def _locate(client: HmcClient, job: MigrationJob) -> tuple[str, int | None]:
    """Where the HMCs show the partition: ("destination" | "source" | "", its LPAR id). The
    destination frame is asked of its own HMC when that is another one."""
    remote = remote_hmc_of(job)
    if remote is None:
        found = _lpar_id_on(client, job.destination_frame.name, job.lpar_name)
    else:
        with hmc_client_open(hmc=remote) as destination_client:
            found = _lpar_id_on(destination_client, job.destination_frame.name, job.lpar_name)
    if found is not None:
        return "destination", found
    found = _lpar_id_on(client, job.source_frame.name, job.lpar_name)
    return ("source", found) if found is not None else ("", None)


def _settle(
    job: MigrationJob,
    client: HmcClient,
    status: MigrationStatus | None,
    *,
    refused: Exception | None = None,
) -> None:
    """The migration has ended on the HMC: completed (the inventory follows), stopped or failed,
    decided by where the HMC shows the partition. When the HMCs show it on neither frame, or
    refuse to say where it is, the job needs attention, with the reason: it never stays
    migrating with no migration on the HMC. Only an unreachable HMC leaves it for the
    reconciler to ask again."""
    try:
        where, lpar_id = _locate(client, job)
    except HmcConnectionError as error:
        job_event(
            job,
            f"Finding {job.lpar_name} on the HMC: {error}; the reconciler tries again.",
            level=Level.WARNING,
        )
        return
    except HmcError as error:
        reason = _error_event(job, f"Finding {job.lpar_name} on the HMCs", error)
        _fail(
            job,
            f"{reason} The HMC shows no migration: check where {job.lpar_name} is, "
            "then recover the job or run Sync now.",
            S.NEEDS_ATTENTION,
        )
        return
    state = MigrationJob.objects.filter(pk=job.pk).values_list("state", flat=True).first()
    if where == "destination":
        migration_complete(job=job, lpar_id=lpar_id)
        return
    if where == "" and refused is None:
        reason = (
            f"The HMC shows no migration of {job.lpar_name}, and neither "
            f"{job.source_frame.name} nor {job.destination_frame.name} has it: check the HMCs, "
            "then recover the job or run Sync now."
        )
        job_event(job, reason, level=Level.ERROR)
        _fail(job, reason, S.NEEDS_ATTENTION)
        return
    if refused is not None and isinstance(refused, HmcError | HmcCommandError):
        reason = _error_event(job, "Migration", refused)
    elif status is not None and status.state == FAILED_ON_HMC:
        reason = (
            f"The HMC reports the migration of {job.lpar_name} failed: recover it (migrlpar -o r)."
        )
        job_event(job, reason, level=Level.ERROR)
    else:
        reason = (
            f"The HMC shows no migration of {job.lpar_name}, which is still on "
            f"{job.source_frame.name}. migrlpar -o m is not sent again for this job: start a "
            "new migration if it is still wanted."
        )
        job_event(job, reason, level=Level.ERROR)
    if state == S.STOPPING:
        _fail(job, f"Stopped: {job.lpar_name} stays on {job.source_frame.name}.", S.STOPPED)
    else:
        _fail(job, reason)


def migration_complete(*, job: MigrationJob, lpar_id: int | None) -> None:
    """The partition is on the destination: the inventory follows in one transaction (credited
    to whoever asked), and the job completes; when the inventory cannot follow, it completes as
    `completed_needs_sync` with the reason. A job already settled is left as it is."""
    with transaction.atomic():
        locked = MigrationJob.objects.select_for_update().get(pk=job.pk)
        if locked.state not in (S.MIGRATING, S.STOPPING, S.RECOVERING):
            return
        try:
            with transaction.atomic():
                changes = migration_inventory_apply(job=locked, lpar_id=lpar_id)
        except ValidationError as error:
            state = S.COMPLETED_NEEDS_SYNC
            note = (
                f"{job.lpar_name} is on {job.destination_frame.name}, but the inventory could "
                f"not follow: {'; '.join(error.messages)}. Run Sync now on the HMC."
            )
            job_event(locked, note, level=Level.ERROR)
        else:
            state = S.COMPLETED
            note = f"{job.lpar_name} now runs on {job.destination_frame.name}."
            for change in changes:
                job_event(locked, change)
        job_transition(
            locked,
            state,
            progress=100,
            step="",
            message=note,
            event="Migration completed on the HMC.",
        )
    _advance()


def migration_take_over(*, job: MigrationJob) -> None:
    """For the reconciler: a job that may have sent `-o m` lost its worker. Ask the HMC: still
    running → a worker resumes following it; ended → settle it now."""
    job = MigrationJob.objects.select_related(
        "lpar", "source_frame", "destination_frame__hmc", "hmc", "source_msp", "dest_msp"
    ).get(pk=job.pk)
    try:
        with hmc_client_open(hmc=job.hmc) as client:
            # HSCL8012 or an empty answer: not on the source any more; _settle looks for it.
            status = _status_on_source(client, job)
            if status is not None and status.state not in NOT_RUNNING:
                job_event(
                    job,
                    f"Its worker stopped reporting; the HMC shows {status.state} "
                    f"({status.progress} %): a worker follows it again.",
                )
                migration_dispatch(job=job)
                return
            job_event(job, "Its worker stopped reporting; the HMC shows the migration ended.")
            _settle(job, client, status)
    except (HmcConnectionError, HmcError) as error:
        job_event(
            job,
            f"Its worker stopped reporting, and asking the HMC failed: {error}; "
            "trying again later.",
            level=Level.WARNING,
        )
        MigrationJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now())


def _recover(job: MigrationJob, worker: str) -> None:
    job = _claim(job, worker, (S.RECOVERING,))
    if job is None:
        return
    command = migration_command(job, "r")
    try:
        with hmc_client_open(hmc=job.hmc) as client:
            output = client.migration_recover(
                source=job.source_frame.name, lpar=job.lpar_name, force=job.recover_force
            )
            job_event(job, "Recovered by the HMC.", command=command.text, output=output)
            where, lpar_id = _locate(client, job)
    except (HmcConnectionError, HmcError) as error:
        _fail(job, _error_event(job, "Recovery", error))
        return
    if where == "destination":
        migration_complete(job=job, lpar_id=lpar_id)
        return
    frame = job.source_frame.name if where == "source" else "neither frame"
    job_transition(job, S.RECOVERED, step="", message=f"Recovered: {job.lpar_name} is on {frame}.")
    _advance()
