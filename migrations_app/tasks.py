"""Celery tasks of the execution side: thin, each loads its row by id and calls one service."""

from celery import shared_task
from celery.signals import worker_ready

from migrations_app.lpm.runner import migration_job_run
from migrations_app.lpm.services import (
    batch_admission_run,
    migrations_reconcile,
    migrations_send,
)
from migrations_app.models import (
    BatchAdmission,
    HmcSync,
    LparCreateJob,
    MigrationJob,
    ReadinessRun,
)
from migrations_app.readiness.runner import readiness_run_execute
from migrations_app.readiness.services import readiness_runs_due
from migrations_app.services import (
    hmc_sync_run,
    hmc_syncs_due,
    lpar_create_job_run,
    worker_heartbeat_record,
)
from migrations_app.windows.services import change_windows_tick

SCHEDULE_CHECK_SECONDS = 60.0


@shared_task(bind=True)
def worker_heartbeat(self) -> str:
    """Run by beat every minute; whichever worker takes it records that it is alive."""
    return worker_heartbeat_record(hostname=self.request.hostname or "unknown").hostname


@worker_ready.connect
def heartbeat_on_start(sender, **kwargs) -> None:
    """A worker shows as alive as soon as it is ready, not a minute later at the first beat."""
    worker_heartbeat_record(hostname=sender.hostname)


@shared_task(bind=True)
def hmc_sync_run_task(self, sync_id: int) -> str:
    """Run one queued discovery of an HMC; its outcome is on the HmcSync row."""
    sync = HmcSync.objects.select_related("hmc").get(pk=sync_id)
    return hmc_sync_run(sync=sync, worker=self.request.hostname or "").state


@shared_task
def hmc_syncs_due_task() -> int:
    """Run by beat: start the periodic syncs that are due."""
    return len(hmc_syncs_due())


@shared_task(bind=True)
def lpar_create_on_hmc_task(self, job_id: int) -> str:
    """Create one planned partition on its HMC; the outcome is on the LparCreateJob row."""
    job = LparCreateJob.objects.select_related("lpar__frame__hmc").get(pk=job_id)
    return lpar_create_job_run(job=job, worker=self.request.hostname or "").state


@shared_task(bind=True)
def migration_job_task(self, job_id: int) -> str:
    """Do a migration job's next step (validate, migrate and follow, recover); the job row says
    which. Sent with the job id as the task id."""
    job = MigrationJob.objects.filter(pk=job_id).first()
    if job is None:
        return "gone"
    return migration_job_run(job=job, worker=self.request.hostname or "unknown")


@shared_task
def migrations_send_task(job_ids: list[int]) -> int:
    """Send the jobs of one admission (a batch) to workers, each its own task."""
    return migrations_send(job_ids=job_ids)


@shared_task
def migrations_reconcile_task() -> dict:
    """Run by beat every 30 s: dispatch pending jobs, start queued ones that fit, take over the
    jobs of workers that stopped reporting."""
    return migrations_reconcile()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def readiness_run_task(self, run_id: int) -> str:
    """Run one readiness run (sent to the readiness queue, its task id `readiness-<id>`)."""
    run = ReadinessRun.objects.filter(pk=run_id).first()
    if run is None:
        return "gone"
    return readiness_run_execute(run=run, worker=self.request.hostname or "unknown")


@shared_task
def readiness_runs_due_task() -> int:
    """Run by beat: start the scheduled readiness runs that are due."""
    return len(readiness_runs_due())


@shared_task
def change_windows_tick_task() -> dict:
    """Run by beat every 30 s: start the migrations whose change window opened, report those not
    run, those that ran over and windows that closed with migrations not run."""
    return change_windows_tick()


@shared_task(bind=True)
def batch_admission_task(self, job_id: int) -> str:
    """Admit the items of a large batch (its BatchAdmission row); then the batch runs."""
    job = BatchAdmission.objects.select_related("batch", "requested_by", "window").get(pk=job_id)
    return batch_admission_run(job=job, worker=self.request.hostname or "").state
