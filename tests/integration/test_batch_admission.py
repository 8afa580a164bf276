"""A large batch admitted by a real Celery worker (Redis or the test broker, the test database,
the HMC simulator over SSH): the API answers 202 at once, the worker's batch admission job
admits the migrations with progress, then they run on the HMC as any batch's do."""

import pytest

from inventory.models import Frame, Hmc, Lpar
from migrations_app.models import BatchAdmission, MigrationJob, MigrationState
from migrations_app.simulator.estate import estate_from_db
from migrations_app.simulator.hmc import SimulatedHmc
from migrations_app.simulator.server import SimulatorThread
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create
from tests.simulators import pinned_line
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
S = MigrationState
FINISHED = (S.COMPLETED, S.FAILED, S.VALIDATION_FAILED, S.VALIDATED)


@pytest.fixture
def simulator(db, sim_host_key):
    demo_estate_restore()
    running = SimulatorThread(
        SimulatedHmc(estate_from_db(), migration_seconds=1), host_key=sim_host_key
    ).start()
    Hmc.objects.filter(name="hmc-sim").update(
        host=running.host, ssh_port=running.port, host_key=pinned_line(running)
    )
    yield running
    running.stop()


def test_a_large_batch_is_admitted_by_the_worker_and_its_jobs_run(
    simulator, celery_worker_process, api_client, settings
):
    settings.BATCH_ADMIT_INLINE_MAX = 1
    p750b = Frame.objects.get(name="p750-b")
    lpars = Lpar.objects.filter(name__in=["server1", "server2"]).order_by("name")
    login(api_client, user_create("olga", role="Operator"))

    answer = api_client.post(
        "/api/migration-batches/",
        {
            "validate_only": True,
            "jobs": [{"lpar": lpar.pk, "destination_frame": p750b.pk} for lpar in lpars],
        },
        format="json",
    )

    assert answer.status_code == 202, answer.json()
    url = answer["Location"]
    assert answer.json()["jobs"] == [] and answer.json()["admission"]["items"] == 2

    def ran() -> dict | None:
        body = api_client.get(url).json()
        done = body["jobs"] and all(j["state"] in FINISHED for j in body["jobs"])
        return body if done else None

    body = wait_for(ran, timeout=90)
    assert body, celery_worker_process.log_text()
    assert body["admission"] is None  # admitted: the batch ran as any other
    admission = BatchAdmission.objects.get(batch=body["id"])
    assert admission.state == "succeeded" and admission.progress == 100
    assert admission.worker == celery_worker_process.hostname
    assert admission.message == "2 validations admitted."
    jobs = MigrationJob.objects.filter(batch=body["id"]).order_by("lpar_name")
    assert [(j.lpar_name, j.state) for j in jobs] == [
        ("server1", S.VALIDATED),
        ("server2", S.VALIDATED),
    ], [j.message for j in jobs]
    assert len(simulator.hmc.commands_matching("migrlpar", "-o", "v")) == 2
