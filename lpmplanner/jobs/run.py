"""The one run helper of background work: a task claims its job, reports progress and a
heartbeat, writes log lines, and finishes or fails it with the reason (see the package
docstring for an example). Every write is an UPDATE of that row by id, so a page polling it sees
the run as it goes."""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone

from lpmplanner.jobs.models import Job, JobLevel
from lpmplanner.jobs.selectors import job_kinds

logger = logging.getLogger(__name__)

J = TypeVar("J", bound=Job)


def job_enqueue(*, job: Job, task, **options) -> None:
    """Send `task(job.pk)` to a worker once the row is committed, with `job.task_id` as the
    Celery task id (`options` go to `apply_async`). When the broker cannot take it the job
    fails with that reason at once (no publish retries unless `retry=True`), so it never waits
    as queued for a worker that will not come, and the request that asked does not hang."""
    options.setdefault("retry", False)

    def send() -> None:
        try:
            task.apply_async(args=[job.pk], task_id=job.task_id, **options)
        except Exception as error:  # the broker is down or refuses: say so on the row
            logger.warning("%s not sent to a worker: %s", job.task_id, error)
            JobRun(job).fail(
                f"The broker is unreachable ({type(error).__name__}): the job was not started. "
                "Try again when the broker is back."
            )

    transaction.on_commit(send)


class JobRun(Generic[J]):
    """A worker's hold on one job. `with JobRun(job, worker=…) as run:` claims it (`run.claimed`
    says whether it was queued and is now this worker's); an exception that escapes the block
    fails the job with its type, logs it, and goes on up. Outside a `with`, call `claim()`."""

    def __init__(self, job: J, *, worker: str = "") -> None:
        self.job = job
        self.model = type(job)
        self.worker = worker
        self.claimed = False
        self.done = False

    def __enter__(self) -> "JobRun[J]":
        self.claim()
        return self

    def __exit__(self, kind, error, traceback) -> Literal[False]:
        if error is not None and self.claimed and not self.done:
            logger.error("%s failed", self.job.task_id, exc_info=(kind, error, traceback))
            self.fail(f"The job stopped on an unexpected error ({kind.__name__}); see the logs.")
        return False

    def _update(self, **fields: Any) -> None:
        self.model._default_manager.filter(pk=self.job.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.job, name, value)

    def claim(self) -> bool:
        """Take the job when it is queued (a state in CLAIMABLE_STATES): it becomes running,
        started now, with this worker and a heartbeat. False when it is not queued any more
        (another worker took it, or it was finished or cancelled): leave it alone."""
        now = timezone.now()
        with transaction.atomic():
            locked = self.model._default_manager.select_for_update().filter(pk=self.job.pk).first()
            if locked is None or locked.state not in self.model.CLAIMABLE_STATES:
                self.claimed = False
                return False
            fields = {
                "state": self.model.RUNNING_STATE,
                "worker": self.worker[:255],
                "heartbeat": now,
                "started": locked.started or now,
            }
            self._update(**fields)
        self.claimed = True
        return True

    def heartbeat(self) -> None:
        """Say the worker is alive (a long step with no progress to report)."""
        self._update(heartbeat=timezone.now())

    def progress(self, percent: int, step: str = "") -> None:
        """How far the job is (0–100) and what it is doing now, in a sentence; beats too."""
        self._update(
            progress=max(0, min(int(percent), 100)), step=step[:255], heartbeat=timezone.now()
        )

    @contextmanager
    def progress_outside(self) -> Iterator[Callable[[int, str], None]]:
        """A progress writer for work that holds a transaction open meanwhile: on PostgreSQL it
        writes through a connection of its own, so the progress shows while that transaction
        runs (elsewhere, SQLite allowing one writer, it writes nothing and the end shows)."""
        if connection.vendor != "postgresql":
            yield lambda percent, step="": None
            return
        side = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self.model._meta.db_table

        def write(percent: int, step: str = "") -> None:
            with side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET progress = %s, step = %s, heartbeat = %s "  # noqa: S608
                    "WHERE id = %s",
                    [max(0, min(int(percent), 100)), step[:255], timezone.now(), self.job.pk],
                )

        try:
            yield write
        finally:
            side.close()

    def event(self, message: str, *, level: str = JobLevel.INFO, data: dict | None = None):
        """Add a line to the job's log (its `events`)."""
        return self.job.events.create(message=message, level=level, data=data or {})

    def finish(self, message: str = "", *, state: str | None = None, **fields: Any) -> J:
        """The job is done: its state (SUCCEEDED_STATE unless `state`), the outcome in a
        sentence, 100 %, finished now; `fields` are saved with it."""
        state = state or self.model.SUCCEEDED_STATE
        self._end(state, message, JobLevel.INFO, {"progress": 100, **fields})
        return self.job

    def fail(self, reason: str, *, state: str | None = None, **fields: Any) -> J:
        """The job failed: FAILED_STATE unless `state`, the reason as its message and as an
        error line of its log, finished now; `fields` are saved with it."""
        self._end(state or self.model.FAILED_STATE, reason, JobLevel.ERROR, fields)
        return self.job

    def _end(self, state: str, message: str, level: str, fields: dict) -> None:
        now = timezone.now()
        self._update(state=state, message=message, step="", finished=now, heartbeat=now, **fields)
        if message:
            self.event(message, level=level)
        self.job.refresh_from_db()
        self.done = True


def jobs_stale_fail(*, now: datetime | None = None) -> list[Job]:
    """Fail the running jobs whose worker has not reported for JOB_STALE_SECONDS (a killed
    worker, a lost host): with the reason, so that nothing stays running forever and what it
    held (a sync holds its HMC) is free again. Migrations are not touched: their reconciler asks
    the HMC what really happened. Returns the jobs failed."""
    now = now or timezone.now()
    silent = timedelta(seconds=settings.JOB_STALE_SECONDS)
    failed = []
    for kind in job_kinds():
        if not kind.CLAIMABLE_STATES:  # a kind with a runner of its own (migrations)
            continue
        stale = Q(heartbeat__lt=now - silent) | Q(heartbeat__isnull=True, started__lt=now - silent)
        for job in kind._default_manager.filter(stale, state=kind.RUNNING_STATE):
            with transaction.atomic():
                locked = kind._default_manager.select_for_update().filter(stale, pk=job.pk).first()
                if locked is None or locked.state != kind.RUNNING_STATE:
                    continue  # it reported, or ended, meanwhile
                minutes = max(1, int(silent.total_seconds() // 60))
                failed.append(
                    JobRun(locked).fail(
                        f"Its worker ({locked.worker or 'unknown'}) stopped reporting: nothing for "
                        f"{minutes} min (JOB_STALE_SECONDS). The job was stopped; "
                        "check what it did, then run it again."
                    )
                )
            logger.warning("%s failed: its worker stopped reporting", locked.task_id)
    return failed
