"""Discovery of the simulator's estate into the inventory: an empty plan is filled, a second
run finds no drift, differences wait for accept or keep, and failures change nothing."""

from decimal import Decimal

import pytest
from django.db import transaction

from inventory.demo import demo_estate_load
from inventory.models import Adapter, Frame, Lpar, Slot, VirtualAdapter, Wwpn
from migrations_app.models import DriftItem, HmcSync
from migrations_app.services import drift_item_resolve, hmc_sync_run
from tests.factories import login, user_create

pytestmark = pytest.mark.django_db


def estate_fingerprint() -> list[tuple]:
    """What an HMC knows of the estate, by natural keys."""
    return sorted(
        [
            *Frame.objects.values_list(
                "name", "machine_type", "model", "serial", "compat_modes", "proc_units",
                "memory_mb", "memory_region_mb", "processor_generation", "state",
            ),
            *Lpar.objects.values_list(
                "frame__name", "name", "lpar_id", "kind", "state", "proc_mode", "proc_units",
                "virtual_procs", "memory_mb", "compat_mode", "shared_pool__name", "msp",
                "profile_name",
            ),
            *VirtualAdapter.objects.values_list(
                "lpar__name", "lpar__frame__name", "slot", "kind", "role", "remote_lpar__name",
                "remote_slot", "pvid", "vswitch", "trunk_priority",
            ),
            *Wwpn.objects.filter(virtual_adapter__isnull=False).values_list(
                "value", "virtual_adapter__slot", "virtual_adapter__lpar__name", "position"
            ),
            *Slot.objects.values_list("drawer__location", "location", "drc_index"),
            *Adapter.objects.values_list("slot__drc_index", "kind", "feature_code", "owner__name"),
        ],
        key=repr,
    )  # fmt: skip


def sync_of(hmc) -> HmcSync:
    return hmc_sync_run(sync=HmcSync.objects.create(hmc=hmc))


@pytest.fixture
def demo_fingerprint() -> list[tuple]:
    with transaction.atomic():
        demo_estate_load()
        result = estate_fingerprint()
        transaction.set_rollback(True)
    return result


def test_discovery_into_an_empty_plan_reproduces_the_demo_estate(sim_hmc, demo_fingerprint):
    assert Frame.objects.count() == 0
    sync = sync_of(sim_hmc)
    assert sync.state == "succeeded", sync.message
    assert sync.progress == 100
    assert estate_fingerprint() == demo_fingerprint
    assert set(Frame.objects.values_list("hmc", flat=True)) == {sim_hmc.pk}
    assert not sync.drift.exclude(kind="added").exists()
    assert sync.drift.filter(kind="added", model="lpar").count() == 11

    again = sync_of(sim_hmc)
    assert again.state == "succeeded"
    assert list(again.drift.all()) == []
    assert "0 row(s) added, 0 difference(s)" in again.message


def test_drift_is_reported_and_waits_for_the_planner(sim_hmc, simulator, planner):
    sync_of(sim_hmc)
    server1 = Lpar.objects.get(name="server1")
    Lpar.objects.filter(pk=server1.pk).update(memory_mb=4096)  # the planner's plan
    planned = Lpar.objects.create(
        frame=server1.frame, name="planned1", lpar_id=30, kind="aix", proc_units=Decimal("0.5"),
        virtual_procs=1, memory_mb=1024,
    )  # fmt: skip
    simulator.hmc.estate.frame("p750-a").lpar("server2").proc_units = "0.75"

    sync = sync_of(sim_hmc)
    drift = {(d.label.split(" (")[0], d.field): d for d in sync.drift.all()}
    memory = drift["LPAR p750-a/server1", "memory_mb"]
    assert (memory.kind, memory.plan_value, memory.hmc_value) == ("differs", 4096, 2048)
    assert drift["LPAR p750-a/server2", "proc_units"].hmc_value == "0.75"
    assert drift["LPAR p750-a/planned1", ""].kind == "missing_on_hmc"
    assert Lpar.objects.get(name="server1").memory_mb == 4096  # not overwritten silently
    assert Lpar.objects.filter(pk=planned.pk).exists()

    drift_item_resolve(item=memory, accept=True, user=planner)
    assert Lpar.objects.get(name="server1").memory_mb == 2048
    drift_item_resolve(item=drift["LPAR p750-a/server2", "proc_units"], accept=False)
    assert Lpar.objects.get(name="server2").proc_units == Decimal("0.5")
    drift_item_resolve(item=drift["LPAR p750-a/planned1", ""], accept=True)
    assert not Lpar.objects.filter(pk=planned.pk).exists()
    assert set(sync.drift.values_list("resolution", flat=True)) == {"accepted", "kept"}


@pytest.mark.parametrize("fault", ["refuse_login", "changed_key", "unreachable"])
def test_a_failed_sync_says_why_and_changes_nothing(sim_hmc, simulator, fault):
    if fault == "refuse_login":
        simulator.hmc.faults.refuse_login = True
        reason = "refused the login"
    elif fault == "changed_key":
        sim_hmc.host_key = (
            sim_hmc.host_key.rsplit(" ", 1)[0]
            + " "
            + ("AAAAC3NzaC1lZDI1NTE5AAAAIFb0FxTngBxW1Qp0UmjW6fdFzTVcbbyGuE8YVZTCHGcV")
        )
        sim_hmc.save()
        reason = "different host key"
    else:
        simulator.stop()
        reason = "unreachable"
    sync = sync_of(sim_hmc)
    assert sync.state == "failed"
    assert reason in sync.message
    assert Frame.objects.count() == 0 and not sync.drift.exists()


def test_sync_now_over_the_api_queues_one_sync(
    sim_hmc, api_client, django_capture_on_commit_callbacks
):
    operator = user_create("olga", role="Operator")
    login(api_client, operator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client.post(f"/api/hmcs/{sim_hmc.pk}/sync/")
        second = api_client.post(f"/api/hmcs/{sim_hmc.pk}/sync/")
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "queued"
    assert second.json()["id"] == response.json()["id"]
    assert len(callbacks) == 1
    viewer = user_create("vic", role="Viewer")
    login(api_client, viewer)
    assert api_client.post(f"/api/hmcs/{sim_hmc.pk}/sync/").status_code == 403


def test_trusting_a_host_key_shows_the_fingerprint_first(simulator, api_client, planner):
    from inventory.models import Hmc

    hmc = Hmc.objects.create(name="new-hmc", host=simulator.host, ssh_port=simulator.port)
    login(api_client, planner)
    scanned = api_client.get(f"/api/hmcs/{hmc.pk}/host-key/").json()
    assert scanned["fingerprint"] == simulator.host_key.get_fingerprint("sha256")
    hmc.refresh_from_db()
    assert hmc.host_key == ""  # seeing the key does not trust it
    response = api_client.post(
        f"/api/hmcs/{hmc.pk}/host-key/", {"known_hosts_line": scanned["known_hosts_line"]}
    )
    assert response.status_code == 200
    hmc.refresh_from_db()
    assert hmc.host_key == scanned["known_hosts_line"]


def test_the_hmc_page_offers_sync_now_and_the_sync_page_shows_drift(sim_hmc, client, planner):
    operator = user_create("olga", role="Operator")
    login(client, operator)
    page = client.get(sim_hmc.get_absolute_url())
    assert b"Sync now" in page.content
    sync = sync_of(sim_hmc)
    page = client.get(f"/hmc-syncs/{sync.pk}/")
    assert b"No drift" in page.content
    assert DriftItem.objects.filter(sync=sync, kind="added").exists()


def test_what_a_sync_adds_is_credited_to_who_asked_for_it(sim_hmc, planner):
    sync = hmc_sync_run(sync=HmcSync.objects.create(hmc=sim_hmc, requested_by=planner))
    assert sync.state == "succeeded", sync.message
    added = Lpar.history.filter(history_type="+")
    assert added.count() == 11
    assert set(added.values_list("history_user", "request_id")) == {
        (planner.pk, f"hmc-sync-{sync.pk}")
    }
