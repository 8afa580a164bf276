"""Discovery of the simulator's estate into the inventory: an empty plan is filled, a second
run finds no drift, differences wait for accept or keep, and failures change nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from inventory.models import Adapter, Frame, Lpar, Slot, VirtualAdapter, Wwpn
from migrations_app import discovery
from migrations_app.discovery import max_virtual_slots_of, profile_of, wwpn_pair_of
from migrations_app.hmc.client import FrameInfo, LparInfo, ProfileSlots
from migrations_app.models import DriftItem, HmcSync
from migrations_app.services import drift_item_resolve, hmc_sync_run
from migrations_app.simulator.estate import SimLpar
from planning.checks import estate_check
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create

pytestmark = pytest.mark.django_db


def estate_fingerprint() -> list[tuple]:
    """What an HMC knows of the estate, by natural keys."""
    return sorted(
        [
            *Frame.objects.values_list(
                "name",
                "machine_type",
                "model",
                "serial",
                "compat_modes",
                "proc_units",
                "memory_mb",
                "memory_region_mb",
                "processor_generation",
                "state",
            ),
            *Lpar.objects.values_list(
                "frame__name",
                "name",
                "lpar_id",
                "kind",
                "state",
                "proc_mode",
                "proc_units",
                "virtual_procs",
                "memory_mb",
                "compat_mode",
                "shared_pool__name",
                "msp",
                "profile_name",
                "max_virtual_slots",
            ),
            *VirtualAdapter.objects.values_list(
                "lpar__name",
                "lpar__frame__name",
                "slot",
                "kind",
                "role",
                "remote_lpar__name",
                "remote_slot",
                "pvid",
                "vswitch",
                "trunk_priority",
            ),
            *Wwpn.objects.filter(virtual_adapter__isnull=False).values_list(
                "value", "virtual_adapter__slot", "virtual_adapter__lpar__name", "position"
            ),
            *Slot.objects.values_list("drawer__location", "location", "drc_index"),
            *Adapter.objects.values_list("slot__drc_index", "kind", "feature_code", "owner__name"),
        ],
        key=repr,
    )


def sync_of(hmc) -> HmcSync:
    return hmc_sync_run(sync=HmcSync.objects.create(hmc=hmc))


@pytest.fixture
def demo_fingerprint() -> list[tuple]:
    with transaction.atomic():
        demo_estate_restore()
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
        frame=server1.frame,
        name="planned1",
        lpar_id=30,
        kind="aix",
        proc_units=Decimal("0.5"),
        virtual_procs=1,
        memory_mb=1024,
    )
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


def lpar_info(profile: str | None, default_profile: str | None = None) -> LparInfo:
    return LparInfo(
        name="aix01",
        lpar_id=3,
        env="aixlinux",
        os_type="aix",
        state="Running",
        profile=profile,
        msp=False,
        compat_mode=None,
        default_profile=default_profile,
    )


def test_the_profile_read_is_the_current_one_else_the_default_else_the_only_one():
    normal, spare = (ProfileSlots("aix01", n, v) for n, v in (("normal", "256"), ("spare", "64")))
    assert profile_of(lpar_info("spare", "normal"), [normal, spare]) is spare
    assert profile_of(lpar_info(None, "normal"), [normal, spare]) is normal
    assert profile_of(lpar_info("gone", None), [spare]) is spare
    assert profile_of(lpar_info(None, None), [normal, spare]) is None  # which one: unknown


@pytest.mark.parametrize(
    ("printed", "rule"),
    [
        ("lots", "Profile normal: max_virtual_slots “lots” is not a whole number."),
        ("25.5", "Profile normal: max_virtual_slots “25.5” is not a whole number."),
        ("2", "Profile normal: max_virtual_slots 2: A partition has at least 3 virtual slots."),
        ("40000", "Profile normal: max_virtual_slots 40000: The HMC allows at most 32767"),
    ],
)
def test_a_max_virtual_slots_the_plan_cannot_take_says_which_rule(printed, rule):
    assert max_virtual_slots_of(ProfileSlots("aix01", "normal", "300")) == 300
    with pytest.raises(ValidationError) as refused:
        max_virtual_slots_of(ProfileSlots("aix01", "normal", printed))
    assert refused.value.messages[0].startswith(rule)


def test_a_wwpn_pair_is_two_different_wwpns_of_16_hex_digits():
    assert wwpn_pair_of(["C0:50:76:04:31:67:00:10", "c050760431670011"]) == [
        "c050760431670010",
        "c050760431670011",
    ]
    cases = {
        ("c050760431670010",): "The HMC lists 1 WWPN(s) (c050760431670010): a vFC client "
        "adapter has exactly two.",
        ("c0507604316700zz", "c050760431670011"): "“c0507604316700zz” is not a WWPN: a WWPN "
        "is 16 hexadecimal digits",
        ("c050760431670010", "C050760431670010"): "The HMC lists c050760431670010 twice: the "
        "two WWPNs of a pair must differ.",
    }
    for wwpns, rule in cases.items():
        with pytest.raises(ValidationError) as refused:
            wwpn_pair_of(list(wwpns))
        assert refused.value.messages[0].startswith(rule), refused.value.messages


def adapter_pair(lpar_name: str, slot: int) -> list[str]:
    adapter = VirtualAdapter.objects.get(lpar__name=lpar_name, slot=slot)
    return [w.value for w in adapter.wwpns.order_by("position")]


def test_a_first_sync_takes_each_partitions_max_virtual_slots(sim_hmc, simulator):
    simulator.hmc.estate.frame("p750-a").lpar("vios1").max_virtual_slots = 2000
    assert sync_of(sim_hmc).state == "succeeded"
    assert Lpar.objects.get(frame__name="p750-a", name="vios1").max_virtual_slots == 2000
    assert Lpar.objects.get(frame__name="p750-a", name="vios2").max_virtual_slots == 1000


def test_a_changed_wwpn_pair_and_max_virtual_slots_arrive_with_history(
    sim_hmc, simulator, api_client, planner
):
    sync_of(sim_hmc)
    old_pair = adapter_pair("server1", 610)
    zoned = Wwpn.objects.get(value=old_pair[0]).fabric
    frame = simulator.hmc.estate.frame("p750-a")
    fc = next(a for a in frame.lpar("server1").storage if a.slot == 610)
    fc.wwpns = [old_pair[0], "c05076ffee000001"]  # the HMC gave the adapter a new secondary
    frame.lpar("vios1").max_virtual_slots = 500

    sync = sync_of(sim_hmc)
    drift = {(d.label, d.field): d for d in sync.drift.all()}
    assert set(drift) == {
        ("server1 slot 610 (vfc)", "wwpns"),
        ("LPAR p750-a/vios1 (id 1)", "max_virtual_slots"),
    }
    pair = drift["server1 slot 610 (vfc)", "wwpns"]
    assert (pair.kind, pair.plan_value) == ("differs", old_pair)
    assert pair.hmc_value == [old_pair[0], "c05076ffee000001"]
    slots = drift["LPAR p750-a/vios1 (id 1)", "max_virtual_slots"]
    assert (slots.kind, slots.plan_value, slots.hmc_value) == ("differs", 1000, 500)
    assert adapter_pair("server1", 610) == old_pair  # waits for the planner
    assert Lpar.objects.get(frame__name="p750-a", name="vios1").max_virtual_slots == 1000

    login(api_client, planner)
    for item in (pair, slots):
        answer = api_client.post(f"/api/drift-items/{item.pk}/resolve/", {"accept": True})
        assert answer.status_code == 200, answer.content
    assert adapter_pair("server1", 610) == [old_pair[0], "c05076ffee000001"]
    assert Wwpn.objects.get(value=old_pair[0]).fabric == zoned  # the kept WWPN stays zoned
    assert not Wwpn.objects.filter(value=old_pair[1]).exists()
    vios1 = Lpar.objects.get(frame__name="p750-a", name="vios1")
    assert vios1.max_virtual_slots == 500
    change = vios1.history.order_by("-history_date").first()
    assert (change.history_user, change.max_virtual_slots) == (planner, 500)
    assert change.prev_record.max_virtual_slots == 1000
    wwpn_changes = Wwpn.history.filter(history_user=planner)
    assert set(wwpn_changes.values_list("history_type", "value")) == {
        ("-", old_pair[1]),
        ("+", "c05076ffee000001"),
    }
    assert list(sync_of(sim_hmc).drift.all()) == []  # the plan now matches the HMC


def test_bad_values_from_the_hmc_are_conflicts_and_change_nothing(
    sim_hmc, simulator, api_client, planner
):
    sync_of(sim_hmc)
    before = estate_fingerprint()
    frame = simulator.hmc.estate.frame("p750-a")
    server1 = frame.lpar("server1")
    first, second = (next(a for a in server1.storage if a.slot == s) for s in (610, 620))
    first.wwpns = [first.wwpns[0], "c0507604316700zz"]
    second.wwpns = second.wwpns[:1]
    frame.lpar("vios2").max_virtual_slots = "lots"

    sync = sync_of(sim_hmc)
    assert sync.state == "succeeded", sync.message
    conflicts = {(d.label, d.field): d for d in sync.drift.all()}
    assert {d.kind for d in conflicts.values()} == {"conflict"}
    assert (
        conflicts["server1 slot 610 (vfc)", "wwpns"]
        .hmc_value[0]
        .startswith("“c0507604316700zz” is not a WWPN")
    )
    assert conflicts["server1 slot 620 (vfc)", "wwpns"].hmc_value == [
        f"The HMC lists 1 WWPN(s) ({second.wwpns[0]}): a vFC client adapter has exactly two."
    ]
    slots = conflicts["LPAR p750-a/vios2 (id 2)", "max_virtual_slots"]
    assert slots.hmc_value == ["Profile default: max_virtual_slots “lots” is not a whole number."]
    assert len(conflicts) == 3
    assert estate_fingerprint() == before  # not one WWPN of a pair replaced

    login(api_client, planner)
    refused = api_client.post(f"/api/drift-items/{slots.pk}/resolve/", {"accept": True})
    assert refused.status_code == 400
    assert estate_fingerprint() == before


def test_a_new_partition_with_bad_values_is_added_without_them(sim_hmc, simulator):
    frame = simulator.hmc.estate.frame("p750-a")
    frame.lpar("vios2").max_virtual_slots = "2"
    fc = next(a for a in frame.lpar("server1").storage if a.slot == 620)
    fc.wwpns = []
    sync = sync_of(sim_hmc)
    assert sync.state == "succeeded", sync.message
    assert (
        Lpar.objects.get(frame__name="p750-a", name="vios2").max_virtual_slots == 1000
    )  # the plan's default
    assert not VirtualAdapter.objects.filter(lpar__name="server1", slot=620).exists()
    conflicts = {(d.label, d.field): d.hmc_value for d in sync.drift.filter(kind="conflict")}
    assert conflicts == {
        ("LPAR p750-a/vios2 (id 2)", "max_virtual_slots"): [
            "Profile default: max_virtual_slots 2: A partition has at least 3 virtual slots."
        ],
        ("server1 slot 620 (vfc)", "wwpns"): [
            "The HMC lists 0 WWPN(s) (none): a vFC client adapter has exactly two."
        ],
    }


@pytest.mark.parametrize(
    ("env", "os_type", "os_version", "kind"),
    [
        ("aixlinux", None, "AIX 7.2 7200-05-03-2148", "aix"),
        ("aixlinux", None, "Linux/Red Hat 8.6", "linux"),
        ("aixlinux", "Linux", None, "linux"),
        ("aixlinux", None, "IBM i 7.4", "ibmi"),
        ("vioserver", None, "VIOS 3.1.4.10", "vios"),
        ("os400", None, None, "ibmi"),
    ],
)
def test_the_os_comes_from_os_version_when_the_hmc_prints_no_os_type(
    env, os_type, os_version, kind
):
    info = LparInfo("x", 3, env, os_type, "Running", None, False, None, os_version=os_version)
    assert discovery._kind_of(info) == kind


@pytest.mark.parametrize(
    ("type_model", "modes", "generation"),
    [
        ("8205-E6C", ("default", "POWER6", "POWER6_Plus", "POWER7"), "POWER7"),
        ("9105-42A", ("default", "POWER9_base", "Power10"), "Power10"),
        ("8408-E8E", (), "POWER8"),  # no modes printed: known from the type
        ("1234-ABC", (), None),  # neither: the plan's default, never the newest
    ],
)
def test_the_processor_generation_is_read_from_what_the_frame_reports(
    type_model, modes, generation
):
    machine_type, model = type_model.split("-")
    info = FrameInfo("f", machine_type, model, "1234567", "Operating", modes)
    assert discovery._generation(info) == generation


def test_an_lpar_id_reused_on_another_frame_is_recorded_and_listed_by_the_estate_check(
    sim_hmc, simulator
):
    """LPAR ids are per frame on an HMC: a client with server1's id 10 on p750-b is a fact,
    recorded; the planning rule (ids unique across frames) is the estate check's to show."""
    frame = simulator.hmc.estate.frame("p750-b")
    frame.lpars.append(SimLpar(name="aix10", lpar_id=10, kind="aix"))
    sync = sync_of(sim_hmc)
    assert sync.state == "succeeded", sync.message
    assert not sync.drift.filter(kind="conflict").exists()
    assert set(Lpar.objects.filter(lpar_id=10).values_list("frame__name", "name")) == {
        ("p750-a", "server1"),
        ("p750-b", "aix10"),
    }
    reused = {v.object: v.message for v in estate_check() if v.check == "lpar_id_reused"}
    assert reused == {
        "server1 (p750-a)": "LPAR id 10 is also used by aix10 (p750-b): server1 cannot keep its "
        "id when it moves there.",
        "aix10 (p750-b)": "LPAR id 10 is also used by server1 (p750-a): aix10 cannot keep its "
        "id when it moves there.",
    }
