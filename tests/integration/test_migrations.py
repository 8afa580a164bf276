"""Migrations end to end: the API, Redis, real Celery worker processes and the HMC simulator
over SSH. server1 moves from p750-a to p750-b with its progress rising; a validation refused
in words; a stop mid-way; a worker killed mid-migration; the broker down at submit; the limits
holding a job in the queue; server1 moving to a frame another HMC manages, once the SSH trust
between the two simulated HMCs is set up; a batch's jobs sent to the workers by a worker."""

import os
import signal
import uuid

import pytest

from inventory.models import Frame, Hmc, Lpar
from lpmplanner.celery import app as celery_app
from migrations_app.lpm import services
from migrations_app.lpm.services import batch_create, migration_create, migration_stop
from migrations_app.models import MigrationJob, MigrationState
from migrations_app.simulator.estate import estate_from_db
from migrations_app.simulator.hmc import SimulatedHmc
from migrations_app.simulator.server import DEFAULT_PASSWORD, SimulatorThread
from migrations_app.tasks import migrations_reconcile_task
from tests.brokers import broker_unreachable
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create
from tests.simulators import REMOTE_HMC_HOST, cross_hmc_start, pinned_line
from tests.workers import (
    WORKER_ENV,
    database_url_of_test_database,
    wait_for,
    worker_start,
    worker_stop,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
S = MigrationState
FINISHED = (S.COMPLETED, S.FAILED, S.STOPPED, S.VALIDATION_FAILED, S.VALIDATED, S.RECOVERED)


@pytest.fixture
def queue():
    """A queue of this test's own, for workers of its own; tasks the test sends go there."""
    name = f"mig-{uuid.uuid4().hex[:10]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = name
    yield name
    celery_app.conf.task_default_queue = previous


@pytest.fixture
def start_worker(queue, tmp_path):
    started = []

    def start():
        worker = worker_start(
            database_url=database_url_of_test_database(),
            queue=queue,
            log=tmp_path / "workers.log",
            env=WORKER_ENV,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker_stop(worker)


@pytest.fixture
def estate(db):
    demo_estate_restore()
    return Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")


@pytest.fixture
def simulated(estate, sim_host_key):
    """The HMC simulator serving the demo estate; the demo HMC row points at it."""

    def start(*, migration_seconds: float, unzoned: tuple[str, ...] = ()) -> SimulatorThread:
        sim_estate = estate_from_db()
        sim_estate.unzoned_wwpns = list(unzoned)
        hmc = SimulatedHmc(sim_estate, migration_seconds=migration_seconds)
        running = SimulatorThread(hmc, host_key=sim_host_key).start()
        started.append(running)
        Hmc.objects.filter(name="hmc-sim").update(
            host=running.host, ssh_port=running.port, host_key=pinned_line(running)
        )
        return running

    started: list[SimulatorThread] = []
    yield start
    for running in started:
        running.stop()


def job_of(job_id: int) -> MigrationJob:
    return MigrationJob.objects.get(pk=job_id)


def finished(job_id: int) -> MigrationJob | None:
    job = job_of(job_id)
    return job if job.state in FINISHED else None


def test_server1_moves_with_its_progress_rising(estate, simulated, migration_worker, api_client):
    server1, p750b = estate
    simulator = simulated(migration_seconds=3)
    worker = migration_worker
    login(api_client, user_create("olga", role="Operator"))

    answer = api_client.post(
        "/api/migrations/", {"lpar": server1.pk, "destination_frame": p750b.pk}, format="json"
    )
    assert answer.status_code == 201, answer.json()
    job_id = answer.json()["id"]
    seen = []

    def done():
        body = api_client.get(f"/api/migrations/{job_id}/").json()
        seen.append(body["progress"])
        return body if body["state"] in FINISHED else None

    body = wait_for(done, timeout=60, interval=0.1)
    assert body and body["state"] == "completed", (body, worker.log_text())
    assert any(0 < p < 100 for p in seen), seen
    assert seen == sorted(seen) and body["progress"] == 100
    server1.refresh_from_db()
    assert server1.frame == p750b
    assert {a.remote_lpar.frame for a in server1.virtual_adapters.exclude(kind="ethernet")} == {
        p750b
    }
    assert server1.history.first().history_user.username == "olga"
    assert len(simulator.hmc.commands_matching("migrlpar", "-o", "m")) == 1


def test_an_unzoned_second_wwpn_is_refused_in_words(estate, simulated, migration_worker):
    server1, p750b = estate
    second = server1.virtual_adapters.get(slot=620).wwpns.get(position=2).value
    simulated(migration_seconds=1, unzoned=(second,))

    job = migration_create(lpar=server1, destination=p750b, validate_only=True)

    job = wait_for(lambda: finished(job.pk), timeout=60)
    assert job.state == S.VALIDATION_FAILED
    assert "HSCLA319" in job.message and f"{second} is not zoned" in job.message
    validations = job.events.filter(command__startswith="migrlpar -o v")
    assert any("HSCLA319" in event.codes for event in validations)  # SQLite has no __contains


def test_a_migration_stopped_mid_way(estate, simulated, migration_worker):
    server1, p750b = estate
    simulator = simulated(migration_seconds=6)
    job = migration_create(lpar=server1, destination=p750b)
    assert wait_for(lambda: job_of(job.pk).progress >= 10, timeout=60)

    migration_stop(job=job_of(job.pk))

    job = wait_for(lambda: finished(job.pk), timeout=60)
    assert job.state == S.STOPPED, job.message
    assert simulator.hmc.commands_matching("migrlpar", "-o", "s")
    assert Lpar.objects.get(pk=server1.pk).frame.name == "p750-a"
    assert simulator.hmc.estate.frame("p750-a").lpar("server1") is not None


def test_a_worker_killed_mid_migration(estate, simulated, start_worker):
    server1, p750b = estate
    simulator = simulated(migration_seconds=6)
    first = start_worker()
    job = migration_create(lpar=server1, destination=p750b)
    assert wait_for(lambda: job_of(job.pk).progress >= 5, timeout=60), first.log_text()

    os.kill(first.process.pid, signal.SIGKILL)
    first.process.wait()
    second = start_worker()

    def reconciled():
        migrations_reconcile_task.delay()  # what beat sends every 30 s
        return finished(job.pk)

    job = wait_for(reconciled, timeout=60, interval=1.0)
    assert job and job.state == S.COMPLETED, (job and job.message, second.log_text())
    assert len(simulator.hmc.commands_matching("migrlpar", "-o", "m")) == 1
    assert Lpar.objects.get(pk=server1.pk).frame == p750b
    assert job.events.filter(message__contains="Its worker stopped reporting")


def test_the_broker_down_at_submit_then_up(estate, simulated, start_worker):
    server1, p750b = estate
    simulated(migration_seconds=1)
    waiting: dict[int, str] = {}
    with broker_unreachable():
        job = migration_create(lpar=server1, destination=p750b, on_dispatched=waiting.update)
    assert "broker is unreachable" in waiting[job.pk]
    assert job_of(job.pk).state == S.PENDING
    start_worker()

    def reconciled():
        migrations_reconcile_task.delay()
        return finished(job.pk)

    job = wait_for(reconciled, timeout=60, interval=1.0)
    assert job and job.state == S.COMPLETED, job and job.message


def test_limits_hold_a_job_queued_until_a_slot_frees(estate, simulated, start_worker):
    server1, p750b = estate
    Frame.objects.filter(pk=p750b.pk).update(max_active_migrations=1)
    p750b.refresh_from_db()
    simulated(migration_seconds=3)
    start_worker()
    start_worker()  # two workers: the second job is not held back by a busy worker
    jobs = [
        migration_create(lpar=server1, destination=p750b),
        migration_create(lpar=Lpar.objects.get(name="server2"), destination=p750b),
    ]

    def one_runs_one_waits():
        rows = sorted((job_of(job.pk).state, job.pk, job_of(job.pk).queued_reason) for job in jobs)
        return (
            rows
            if [(s, bool(r)) for s, _, r in rows] == [(S.MIGRATING, False), (S.QUEUED, True)]
            else None
        )

    states = wait_for(one_runs_one_waits, timeout=60, interval=0.1)
    assert states, [job_of(job.pk).state for job in jobs]
    waiting = job_of(states[1][1])
    assert waiting.queued_reason == "Waiting: p750-b runs 1 migrations, its limit is 1."

    assert all(wait_for(lambda job=job: finished(job.pk), timeout=60) for job in jobs)
    first, second = sorted((job_of(job.pk) for job in jobs), key=lambda job: job.started)
    assert first.state == second.state == S.COMPLETED, (first.message, second.message)
    assert first.hmc_ended <= second.started  # the slot came free when the HMC finished


def test_server1_moves_to_a_frame_of_another_hmc(
    estate,
    sim_host_key,
    migration_worker,
    api_client,
):
    server1, p750b = estate
    source, remote = cross_hmc_start(sim_host_key, migration_seconds=2)
    try:
        worker = migration_worker
        login(api_client, user_create("olga", role="Operator"))
        hmc, other = Hmc.objects.get(name="hmc-sim"), Hmc.objects.get(name="hmc-b")
        trust = api_client.post(
            f"/api/hmcs/{hmc.pk}/ssh-trust/",
            {"remote_hmc": other.pk, "password": DEFAULT_PASSWORD},
            format="json",
        )
        assert trust.status_code == 200, trust.json()
        answer = api_client.post(
            "/api/migrations/",
            {"lpar": server1.pk, "destination_frame": p750b.pk, "confirm_warnings": True},
            format="json",
        )
        assert answer.status_code == 201, answer.json()
        job_id = answer.json()["id"]
        job = wait_for(lambda: finished(job_id), timeout=60, interval=0.2)
        assert job and job.state == S.COMPLETED, (job and job.message, worker.log_text())
    finally:
        source.stop()
        remote.stop()
    [sent] = source.hmc.commands_matching("migrlpar", "-o", "m")
    assert f"-t p750-b --ip {REMOTE_HMC_HOST} -u hscroot -p server1" in sent
    assert remote.hmc.estate.frame("p750-b").lpar("server1") is not None
    server1.refresh_from_db()
    assert server1.frame == p750b and server1.frame.hmc == other
    messages = list(job.events.values_list("message", flat=True))
    assert "SSH trust from HMC hmc-sim to HMC hmc-b checked." in messages


def test_a_batch_sent_to_the_workers_by_a_worker(estate, simulated, start_worker, monkeypatch):
    _, p750b = estate
    monkeypatch.setattr(services, "DISPATCH_FAN_OUT", 1)  # two jobs go as one message
    simulator = simulated(migration_seconds=1)
    start_worker()
    items = [
        {"lpar": lpar, "destination_frame": p750b}
        for lpar in Lpar.objects.filter(name__in=["server1", "server2"])
    ]

    batch = batch_create(items=items, validate_only=True)

    jobs = [wait_for(lambda job=job: finished(job.pk), timeout=60) for job in batch.jobs.all()]
    assert [job.state for job in jobs] == [S.VALIDATED, S.VALIDATED], [j.message for j in jobs]
    assert all(job.dispatches == 1 for job in jobs)
    assert len(simulator.hmc.commands_matching("migrlpar", "-o", "v")) == 2
