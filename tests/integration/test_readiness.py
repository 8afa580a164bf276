"""Readiness runs end to end: a real migration worker and a readiness worker on its own queue,
Redis, PostgreSQL and the HMC simulator over SSH. The demo's lnx2 (RMC down in the simulator)
is the one LPAR not ready, with its code, until the cause is fixed; the per-HMC limit holds
(read from the simulator's command log); a migration submitted during a run starts at once and
the run waits for it."""

import shlex
import time

import pytest

from inventory.models import Frame, Hmc, Lpar
from lpmplanner.celery import app as celery_app
from migrations_app.hmc import codes
from migrations_app.lpm.services import migration_create
from migrations_app.models import MigrationJob, MigrationState
from migrations_app.readiness.models import ReadinessRun, Verdict
from migrations_app.readiness.selectors import newly_not_ready, readiness_summary
from migrations_app.readiness.services import readiness_run_request
from migrations_app.simulator.server import SimulatorThread
from tests.demo_estate import demo_estate_restore, demo_simulated_hmc
from tests.factories import login, user_create
from tests.simulators import pinned_line
from tests.workers import (
    WORKER_ENV,
    database_url_of_test_database,
    wait_for,
    worker_start,
    worker_stop,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
VALIDATION_SECONDS = 0.3
LIMIT = 2


@pytest.fixture(scope="module")
def readiness_worker(migration_worker, django_db_blocker, tmp_path_factory):
    """A worker on the readiness queue (the migration worker's queue + `.readiness`)."""
    queue = f"{celery_app.conf.task_default_queue}.readiness"
    with django_db_blocker.unblock():
        database_url = database_url_of_test_database()
    worker = worker_start(
        database_url=database_url,
        queue=queue,
        log=tmp_path_factory.mktemp("readiness-worker") / "worker.log",
        env={
            **WORKER_ENV,
            "READINESS_BUSY_POLL_SECONDS": "0.1",
            "READINESS_HMC_MAX_VALIDATIONS": str(LIMIT),
        },
    )
    yield worker
    worker_stop(worker)


@pytest.fixture
def simulated(transactional_db, sim_host_key):
    demo_estate_restore()
    hmc = demo_simulated_hmc(migration_seconds=1.5, validation_seconds=VALIDATION_SECONDS)
    running = SimulatorThread(hmc, host_key=sim_host_key).start()
    Hmc.objects.filter(name="hmc-sim").update(
        host=running.host, ssh_port=running.port, host_key=pinned_line(running)
    )
    yield running
    running.stop()


def finished(run: ReadinessRun) -> ReadinessRun | None:
    run.refresh_from_db()
    return run if not run.is_active else None


def readiness_starts(simulator: SimulatorThread) -> list[float]:
    """When each readiness validation arrived: `migrlpar -o v` with `-d` (a migration's own
    validation sends no -d)."""
    hmc = simulator.hmc
    return [
        at
        for line, at in zip(hmc.commands_seen, hmc.command_times, strict=True)
        if line.startswith("migrlpar -o v") and "-d" in shlex.split(line)
    ]


def test_lnx2_is_the_one_not_ready_until_its_cause_is_fixed(simulated, readiness_worker, client):
    run = readiness_run_request()
    assert wait_for(lambda: finished(run), timeout=60), run.step
    assert run.state == ReadinessRun.State.SUCCEEDED, run.message
    not_ready = list(run.results.filter(verdict=Verdict.NOT_READY))
    assert [(r.lpar_name, r.code) for r in not_ready] == [("lnx2", codes.RMC_INACTIVE)]
    lnx2 = not_ready[0]
    assert lnx2.target_name == "p750-a" and "RMC" in lnx2.reason
    # The inventory cannot know RMC is down: pre-flight let it move, the HMC refuses.
    assert lnx2.preflight_verdict in ("ok", "warnings") and lnx2.disagreement == "hmc_refused"
    checked = run.results.exclude(verdict=Verdict.NOT_CHECKED).count()
    assert checked == Lpar.objects.exclude(kind="vios").count() == run.total
    assert [r.lpar_name for r in newly_not_ready(run)] == ["lnx2"]

    # Never more than LIMIT validations at a time on the HMC, and that many in parallel.
    starts = readiness_starts(simulated)
    assert len(starts) == checked
    overlapping = max(
        sum(1 for other in starts if start - VALIDATION_SECONDS * 0.95 < other <= start)
        for start in starts
    )
    assert overlapping == LIMIT

    login(client, user_create("vera", role="Viewer"))
    page = client.get("/readiness/").content.decode()
    assert "lnx2" in page and codes.RMC_INACTIVE in page and "Newly failing: lnx2" in page

    simulated.hmc.lpar_faults.clear()  # the RMC connection is back
    second = readiness_run_request()
    assert wait_for(lambda: finished(second), timeout=60)
    assert not second.results.filter(verdict=Verdict.NOT_READY).exists()
    assert [c.result.lpar_name for c in readiness_summary(second).fixed] == ["lnx2"]
    page = client.get("/readiness/").content.decode()
    assert "Every LPAR checked is ready" in page and "Fixed: lnx2" in page


def test_a_migration_during_a_run_starts_at_once_and_the_run_waits(
    simulated, readiness_worker, migration_worker
):
    simulated.hmc.validation_seconds = 0.6
    run = readiness_run_request()
    assert wait_for(lambda: readiness_starts(simulated), timeout=30)
    server1, p750b = Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")
    asked = time.monotonic()
    job = migration_create(lpar=server1, destination=p750b)

    def completed():
        job.refresh_from_db()
        return job if job.state in MigrationJob.State.values and not job.is_active else None

    assert wait_for(completed, timeout=60)
    ended = time.monotonic()
    assert job.state == MigrationState.COMPLETED, job.message
    run.refresh_from_db()
    assert run.is_active, "the migration waited for the readiness run"
    # Validations already sent may finish; none starts while the migration is active.
    assert not [t for t in readiness_starts(simulated) if asked + 0.6 < t < ended - 0.3]
    migrate = simulated.hmc.commands_matching("migrlpar", "-o", "m")
    assert len(migrate) == 1
    assert wait_for(lambda: finished(run), timeout=60)
    assert run.state == ReadinessRun.State.SUCCEEDED
