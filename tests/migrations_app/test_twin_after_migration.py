"""server1 migrated onto the frame of its stub twin (in-process against the simulator over real
SSH): the wizard's pre-flight warned, and afterwards the estate checks and the twin's planning
page say the twin protects nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from inventory.models import Frame, Hmc, Lpar
from migrations_app.lpm.runner import migration_job_run
from migrations_app.lpm.services import migration_create
from migrations_app.models import MigrationState
from migrations_app.simulator.estate import estate_from_db
from planning.checks import estate_check
from planning.preflight import preflight_check
from planning.stubs import lpar_create_stub_twin
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create
from tests.simulators import pinned_line, simulator_start


@pytest.fixture(autouse=True)
def _quick_polls(settings):
    settings.LPM_MIGRATION_POLL_SECONDS = 0.1


@pytest.fixture
def twinned(db, sim_host_key):
    """The demo estate with server1's twin on p750-b, known to the simulated HMC."""
    demo_estate_restore()
    server1, p750b = Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")
    twin = lpar_create_stub_twin(lpar=server1, destination_frame=p750b)
    running = simulator_start(estate_from_db(), sim_host_key)
    Hmc.objects.filter(name="hmc-sim").update(
        host=running.host, ssh_port=running.port, host_key=pinned_line(running)
    )
    yield server1, p750b, twin
    running.stop()


def test_migrating_server1_onto_its_twins_frame_leaves_the_twin_protecting_nothing(twinned):
    server1, p750b, twin = twinned
    warned = [f.code for f in preflight_check(lpar=server1, destination=p750b)]
    assert "TWIN_SAME_FRAME" in warned
    assert not [v for v in estate_check() if v.check == "twin_same_frame"]
    with pytest.raises(ValidationError, match="p750-b holds its stub twin server1-stub"):
        migration_create(lpar=server1, destination=p750b)  # a warning: confirmed, it may go

    job = migration_create(lpar=server1, destination=p750b, confirm_warnings=True)
    assert migration_job_run(job=job, worker="w1") == MigrationState.COMPLETED

    server1.refresh_from_db()
    assert server1.frame == p750b
    [violation] = [v for v in estate_check() if v.check == "twin_same_frame"]
    assert violation.object == "server1-stub (p750-b)"
    assert "with its original server1" in violation.message
    client = Client()
    login(client, user_create("paul", role="Planner"))
    page = client.get(f"/planning/lpars/{twin.pk}/").content.decode()
    assert "On the same frame as its original: no protection." in page
