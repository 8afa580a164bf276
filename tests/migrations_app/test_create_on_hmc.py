"""Creating a planned stub twin on its HMC: the job row is queued by the API, the worker's
service creates the partition on the simulator over real SSH (Not Activated), and the WWPN
pairs the HMC assigned replace the planned ones."""

import pytest

from inventory.models import Frame, Lpar, Wwpn
from migrations_app.hmc import codes
from migrations_app.models import HmcSync, LparCreateJob
from migrations_app.services import hmc_sync_run, lpar_create_job_run
from planning.stubs import lpar_create_stub_twin
from tests.factories import login, user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def twin(sim_hmc) -> Lpar:
    """server1's stub twin planned on p750-b, in a plan discovered from the simulator."""
    sync = hmc_sync_run(sync=HmcSync.objects.create(hmc=sim_hmc))
    assert sync.state == "succeeded", sync.message
    server1 = Lpar.objects.get(name="server1")
    return lpar_create_stub_twin(lpar=server1, destination_frame=Frame.objects.get(name="p750-b"))


def pairs_of(lpar: Lpar) -> dict[int, list[str]]:
    rows = Wwpn.objects.filter(virtual_adapter__lpar=lpar).order_by("position")
    pairs: dict[int, list[str]] = {}
    for row in rows.select_related("virtual_adapter"):
        pairs.setdefault(row.virtual_adapter.slot, []).append(row.value)
    return pairs


def test_the_twin_is_created_on_the_hmc_and_its_wwpns_read_back(
    twin, hmc_client, api_client, planner, django_capture_on_commit_callbacks
):
    planned = pairs_of(twin)
    assert planned, "server1 has vFC clients, so its twin has planned WWPN pairs"
    Lpar.objects.filter(pk=twin.pk).update(max_virtual_slots=300)
    login(api_client, planner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post(f"/api/lpars/{twin.pk}/create-on-hmc/")
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "queued"
    assert len(callbacks) == 1

    job = lpar_create_job_run(job=LparCreateJob.objects.get(pk=response.json()["id"]))
    # The strict simulator refuses this mksyscfg as a real HMC does (no min_/max_ values,
    # 6-field vFC elements); the hmc-disc branch sends the line a real HMC accepts.
    assert job.state == "failed"
    assert codes.SIM_BAD_OPTION in job.message and "max_mem" in job.message
    assert twin.name not in {lpar.name for lpar in hmc_client.lpars(system="p750-b")}
    assert pairs_of(twin) == planned
    assert api_client.get(f"/api/lpar-create-jobs/{job.pk}/").json()["state"] == "failed"


def test_the_hmc_refusing_the_twin_fails_the_job_and_keeps_the_plan(twin, simulator):
    before = pairs_of(twin)
    job = lpar_create_job_run(job=LparCreateJob.objects.create(lpar=twin))
    assert job.state == "failed"  # the strict simulator refuses today's line (see above)
    assert job.message
    assert pairs_of(twin) == before


def test_only_a_planned_twin_on_a_frame_with_an_hmc_is_created(twin, api_client, planner):
    login(api_client, planner)
    original = twin.stub_of
    response = api_client.post(f"/api/lpars/{original.pk}/create-on-hmc/")
    assert response.status_code == 400
    assert "not a planned stub twin" in str(response.json())
    Frame.objects.filter(pk=twin.frame_id).update(hmc=None)
    response = api_client.post(f"/api/lpars/{twin.pk}/create-on-hmc/")
    assert response.status_code == 400
    assert "has no HMC" in str(response.json())
    assert not LparCreateJob.objects.exists()
    login(api_client, user_create("vic", role="Viewer"))
    assert api_client.post(f"/api/lpars/{twin.pk}/create-on-hmc/").status_code == 403


def test_the_twin_page_offers_create_on_hmc(
    twin, client, planner, django_capture_on_commit_callbacks
):
    login(client, planner)
    page = client.get(f"/planning/lpars/{twin.pk}/")
    assert b"Create on HMC" in page.content
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/lpars/{twin.pk}/create-on-hmc/")
    job = LparCreateJob.objects.get(lpar=twin)
    assert response.url == f"/lpar-create-jobs/{job.pk}/"
    assert b"Queued" in client.get(response.url).content
    viewer = user_create("vic", role="Viewer")
    login(client, viewer)
    assert b"Create on HMC" not in client.get(f"/planning/lpars/{twin.pk}/").content
