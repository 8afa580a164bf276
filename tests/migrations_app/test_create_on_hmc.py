"""Creating a planned stub twin on its HMC: the job row is queued by the API, the worker's
service creates the partition on the simulator over real SSH (Not Activated), and the WWPN
pairs the HMC assigned replace the planned ones."""

import pytest

from inventory.models import Fabric, Frame, Lpar, Wwpn
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
    assert job.state == "succeeded", job.message

    on_hmc = {lpar.name: lpar for lpar in hmc_client.lpars(system="p750-b")}
    assert on_hmc[twin.name].lpar_id == twin.lpar_id
    assert on_hmc[twin.name].state == "Not Activated"
    profiles = {p.lpar_name: p for p in hmc_client.profile_slots(system="p750-b")}
    assert profiles[twin.name].max_virtual_slots == "300"  # the plan's, so no drift later
    assigned = {
        a.slot: list(a.wwpns)
        for a in hmc_client.virtual_fc_adapters(system="p750-b")
        if a.lpar_id == twin.lpar_id and a.role == "client"
    }
    assert pairs_of(twin) == assigned
    assert set(assigned) == set(planned)
    assert all(w.startswith("c05076") for pair in assigned.values() for w in pair)
    assert api_client.get(f"/api/lpar-create-jobs/{job.pk}/").json()["state"] == "succeeded"


# The worked example's twin (server1 on p750-a, twinned onto p750-b) as a real HMC takes it:
# min/desired/max memory, processors and processing units with the sharing mode, the Ethernet
# element slot/ieee/pvid/additional_vlans/trunk/required/vswitch, and 7-field vFC elements whose
# empty sixth field lets the HMC assign the WWPN pair.
WORKED_EXAMPLE_MKSYSCFG = (
    "mksyscfg -r lpar -m p750-b -i 'name=server1-stub,lpar_id=110,profile_name=default,"
    "lpar_env=aixlinux,min_mem=1024,desired_mem=2048,max_mem=4096,proc_mode=shared,min_procs=1,"
    "desired_procs=1,max_procs=2,min_proc_units=0.1,desired_proc_units=1.00,max_proc_units=2,"
    "sharing_mode=uncap,uncap_weight=128,shared_proc_pool_name=DefaultPool,"
    "lpar_proc_compat_mode=default,max_virtual_slots=1000,"
    "virtual_eth_adapters=10/0/400//0/1/ETHERNET0,"
    '"virtual_scsi_adapters=310/client/1/vios1/310/1,320/client/2/vios2/310/1",'
    '"virtual_fc_adapters=710/client/1/vios1/710//1,720/client/2/vios2/710//1"' + "'"
)


def test_the_worked_examples_twin_is_sent_as_a_real_hmc_takes_it_and_keeps_its_fabrics(
    twin, simulator
):
    sides = {
        side: Fabric.objects.create(name=f"fab-{side}", side=side, vendor="brocade")
        for side in "AB"
    }
    for row in Wwpn.objects.filter(virtual_adapter__lpar=twin):
        row.fabric = sides["A" if row.position == 1 else "B"]
        row.save()
    fabrics = {
        (w.virtual_adapter.slot, w.position): w.fabric_id
        for w in Wwpn.objects.filter(virtual_adapter__lpar=twin).select_related("virtual_adapter")
    }
    assert len(fabrics) == 4
    planned = set(Wwpn.objects.filter(virtual_adapter__lpar=twin).values_list("value", flat=True))

    job = lpar_create_job_run(job=LparCreateJob.objects.create(lpar=twin))

    assert job.state == "succeeded", job.message
    assert simulator.hmc.commands_matching("mksyscfg") == [WORKED_EXAMPLE_MKSYSCFG]
    after = {
        (w.virtual_adapter.slot, w.position): w.fabric_id
        for w in Wwpn.objects.filter(virtual_adapter__lpar=twin).select_related("virtual_adapter")
    }
    assert after == fabrics
    # The pairs the HMC assigned took the planned ones' places.
    assigned = set(Wwpn.objects.filter(virtual_adapter__lpar=twin).values_list("value", flat=True))
    assert len(assigned) == 4 and not assigned & planned


def test_the_hmc_refusing_the_twin_fails_the_job_and_keeps_the_plan(twin, simulator):
    job = lpar_create_job_run(job=LparCreateJob.objects.create(lpar=twin))
    assert job.state == "succeeded", job.message
    before = pairs_of(twin)
    again = lpar_create_job_run(job=LparCreateJob.objects.create(lpar=twin))
    assert again.state == "failed"
    assert again.message
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
