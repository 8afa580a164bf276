"""Stub-LPAR twins: the worked example, every refusal (creating nothing), bulk twinning of a
frame, drift and refresh, and the failover runbook."""

import pytest
from django.db.models import Q

from inventory.models import Lpar, SharedProcessorPool, VirtualAdapter, Vlan, Wwpn
from planning.checks import twin_drift
from planning.models import EnumerationScheme, PlannedServerAdapter
from planning.services import scheme_save
from planning.stubs import lpar_create_stub_twin, stub_twin_refresh
from tests.factories import login
from tests.planning.helpers import vios

pytestmark = pytest.mark.django_db


def twin_post(api, lpar, frame):
    return api.post(f"/api/lpars/{lpar.pk}/stub-twin/", {"destination_frame": frame.pk})


def adapters_of(body: dict) -> dict[int, dict]:
    return {a["slot"]: a for a in body["virtual_adapters"]}


def test_the_worked_example_through_the_api(api, demo):
    server1, p750b = demo["server1"], demo["p750-b"]
    response = twin_post(api, server1, p750b)
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["lpar_id"], body["frame"]["id"]) == ("server1-stub", 110, p750b.pk)
    assert (body["state"], body["proc_units"], body["memory_mb"]) == ("not_activated", 1.0, 2048)
    assert body["stub_of"]["id"] == server1.pk
    assert body["shared_pool"]["display"] == "p750-b/DefaultPool"
    adapters = adapters_of(body)
    assert sorted(adapters) == [10, 310, 320, 710, 720]
    assert adapters[10]["pvid"] == 400
    vios1, vios2 = vios("p750-b", "vios1"), vios("p750-b", "vios2")
    assert {s: adapters[s]["remote_lpar"]["id"] for s in (310, 320, 710, 720)} == {
        310: vios1.pk,
        320: vios2.pk,
        710: vios1.pk,
        720: vios2.pk,
    }
    for slot in (710, 720):
        assert len(adapters[slot]["wwpns"]) == 2
        assert all(w.startswith("c05076e") for w in adapters[slot]["wwpns"])
    twin = Lpar.objects.get(pk=body["id"])
    servers = VirtualAdapter.objects.filter(remote_lpar=twin, role="server")
    assert {(s.lpar.name, s.kind, s.remote_slot) for s in servers} == {
        ("vios1", "vscsi", 310),
        ("vios2", "vscsi", 320),
        ("vios1", "vfc", 710),
        ("vios2", "vfc", 720),
    }
    assert PlannedServerAdapter.objects.filter(adapter__in=servers).count() == 4


def test_the_twins_wwpns_sit_on_the_originals_fabrics(demo):
    twin = lpar_create_stub_twin(lpar=demo["server1"], destination_frame=demo["p750-b"])
    fabrics = dict(
        Wwpn.objects.filter(virtual_adapter__lpar=twin).values_list("value", "fabric__name")
    )
    assert sorted(fabrics.values()) == ["FAB_A", "FAB_A", "FAB_B", "FAB_B"]


def refused(api, lpar, frame, words: str) -> None:
    before = (Lpar.objects.count(), VirtualAdapter.objects.count(), Wwpn.objects.count())
    response = twin_post(api, lpar, frame)
    assert response.status_code == 400, response.content
    assert any(words in message for message in response.json()["destination_frame"]), (
        response.json()
    )
    assert (Lpar.objects.count(), VirtualAdapter.objects.count(), Wwpn.objects.count()) == before


def test_an_offset_slot_outside_its_range_is_refused(api, demo):
    VirtualAdapter.objects.filter(lpar=demo["server1"], slot=220).update(slot=350)
    VirtualAdapter.objects.filter(lpar=vios("p750-a", "vios2"), slot=210).update(remote_slot=350)
    refused(
        api,
        demo["server1"],
        demo["p750-b"],
        "vSCSI slot 350 → 450: vSCSI slot 450 is outside the scheme's vSCSI range 200–400.",
    )


def test_an_id_over_the_ceiling_is_refused(api, demo):
    scheme = EnumerationScheme.objects.get(is_default=True)
    scheme.lpar_id_ceiling = 100
    scheme_save(scheme=scheme)
    refused(
        api,
        demo["server1"],
        demo["p750-b"],
        "LPAR id 10 + 100 = 110 is not under the scheme's LPAR id ceiling 100.",
    )


def test_an_id_already_used_on_the_destination_is_refused(api, demo):
    Lpar.objects.filter(name="app1").update(lpar_id=110)
    refused(api, demo["server1"], demo["p750-b"], "LPAR id 110 is already used by app1 on p750-b.")


def test_a_destination_without_the_vios_id_is_refused(api, demo):
    Lpar.objects.filter(frame=demo["p750-b"], name="vios2").update(lpar_id=3)
    refused(
        api,
        demo["server1"],
        demo["p750-b"],
        "p750-b has no VIOS with LPAR id 2 to serve vSCSI slot 320",
    )


def test_a_destination_without_the_shared_pool_is_refused(api, demo):
    SharedProcessorPool.objects.filter(frame=demo["p750-b"]).update(name="OtherPool")
    refused(api, demo["server1"], demo["p750-b"], "p750-b has no shared pool named DefaultPool.")


def test_a_destination_that_bridges_no_vlan_400_is_refused(api, demo):
    for trunk in VirtualAdapter.objects.filter(lpar__frame=demo["p750-b"], role="trunk"):
        trunk.vlans.remove(Vlan.objects.get(vlan_id=400))
    refused(
        api,
        demo["server1"],
        demo["p750-b"],
        "No VIOS on p750-b bridges VLAN 400 of Ethernet slot 10.",
    )


def test_the_same_frame_is_refused(api, demo):
    refused(api, demo["server1"], demo["p750-a"], "p750-a is the frame server1 is on")


def test_a_second_twin_is_a_conflict_that_offers_a_refresh(api, demo):
    assert twin_post(api, demo["server1"], demo["p750-b"]).status_code == 201
    response = twin_post(api, demo["server1"], demo["p750-b"])
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "server1 already has a stub twin, server1-stub on p750-b: refresh it instead."
    )


def test_a_viewer_may_not_create_a_twin(api_client, viewer, demo):
    login(api_client, viewer)
    assert twin_post(api_client, demo["server1"], demo["p750-b"]).status_code == 403


def test_bulk_twinning_creates_every_twin(api, demo):
    response = api.post(
        f"/api/frames/{demo['p750-a'].pk}/stub-twins/", {"destination_frame": demo["p750-b"].pk}
    )
    assert response.status_code == 201
    names = sorted(t["name"] for t in response.json()["created"])
    assert names == ["db1-stub", "lnx1-stub", "server1-stub", "server2-stub"]
    assert Lpar.objects.filter(frame=demo["p750-b"], stub_of__isnull=False).count() == 4


def test_bulk_twinning_leaves_one_history_row_per_created_object(api, planner, demo):
    request_id = "0f6c2d3e-8a4b-4c5d-9e6f-7a8b9c0d1e2f"
    response = api.post(
        f"/api/frames/{demo['p750-a'].pk}/stub-twins/",
        {"destination_frame": demo["p750-b"].pk},
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 201
    twins = Lpar.objects.filter(frame=demo["p750-b"], stub_of__isnull=False)
    adapters = VirtualAdapter.objects.filter(Q(lpar__in=twins) | Q(remote_lpar__in=twins))
    wwpns = Wwpn.objects.filter(virtual_adapter__lpar__in=twins)
    for model, created in ((Lpar, twins), (VirtualAdapter, adapters), (Wwpn, wwpns)):
        rows = model.history.filter(request_id=request_id)
        assert sorted(rows.values_list("id", flat=True)) == sorted(c.pk for c in created)
        assert set(rows.values_list("history_type", "history_user")) == {("+", planner.pk)}
    ethernet = adapters.get(lpar__name="server1-stub", slot=10)
    record = ethernet.history.get()
    assert sorted(r.vlan_id for r in record.vlans.all()) == sorted(
        v.vlan_id for v in ethernet.vlans.all()
    )


def test_bulk_twinning_is_all_or_nothing_with_the_reasons(api, demo):
    Lpar.objects.filter(name="app1").update(lpar_id=112)  # db1 (id 12) would become 112
    before = Lpar.objects.count()
    response = api.post(
        f"/api/frames/{demo['p750-a'].pk}/stub-twins/", {"destination_frame": demo["p750-b"].pk}
    )
    assert response.status_code == 400
    messages = response.json()["non_field_errors"]
    assert messages[0] == "Nothing was created: 1 reason(s)."
    assert messages[1] == "db1: LPAR id 112 is already used by app1 on p750-b."
    assert Lpar.objects.count() == before


def test_drift_is_detected_and_refresh_keeps_slots_and_wwpns(api, demo):
    server1 = demo["server1"]
    twin = lpar_create_stub_twin(lpar=server1, destination_frame=demo["p750-b"])
    wwpns = set(Wwpn.objects.filter(virtual_adapter__lpar=twin).values_list("value", flat=True))
    assert twin_drift(twin=twin) == []
    Lpar.objects.filter(pk=server1.pk).update(memory_mb=4096, proc_units="2.0", virtual_procs=2)
    ethernet = VirtualAdapter.objects.get(lpar=server1, slot=10)
    ethernet.vlans.add(Vlan.objects.get(vlan_id=401))
    VirtualAdapter.objects.filter(lpar=server1, slot=620).delete()
    drift = twin_drift(twin=twin)
    assert "memory (MB) is 4096 on the original, 2048 on the twin." in drift
    assert "processor units is 2.00 on the original, 1.00 on the twin." in drift
    assert "Ethernet slot 10 carries VLAN 400, 401 on the original, 400 on the twin." in drift
    assert "the twin's vFC slot 720 matches no adapter of the original." in drift

    response = api.post(f"/api/lpars/{twin.pk}/refresh-twin/")
    assert response.status_code == 201
    assert twin_drift(twin=twin) == []
    twin.refresh_from_db()
    assert (twin.memory_mb, twin.lpar_id, twin.state) == (4096, 110, "not_activated")
    assert sorted(twin.virtual_adapters.values_list("slot", flat=True)) == [10, 310, 320, 710]
    kept = set(Wwpn.objects.filter(virtual_adapter__lpar=twin).values_list("value", flat=True))
    assert kept < wwpns and len(kept) == 2
    assert not VirtualAdapter.objects.filter(remote_lpar=twin, remote_slot=720).exists()


def test_refresh_adds_a_new_adapter_of_the_original(demo):
    server1 = demo["server1"]
    twin = lpar_create_stub_twin(lpar=server1, destination_frame=demo["p750-b"])
    VirtualAdapter.objects.create(
        lpar=server1, kind="vscsi", slot=230, remote_lpar=vios("p750-a", "vios1"), remote_slot=230
    )
    stub_twin_refresh(twin=twin)
    added = twin.virtual_adapters.get(slot=330)
    assert (added.remote_lpar.name, added.remote_lpar.frame.name) == ("vios1", "p750-b")
    server = VirtualAdapter.objects.get(lpar=added.remote_lpar, slot=added.remote_slot)
    assert PlannedServerAdapter.objects.filter(adapter=server).exists()


def test_refresh_refuses_what_the_destination_cannot_hold(demo):
    twin = lpar_create_stub_twin(lpar=demo["server1"], destination_frame=demo["p750-b"])
    Lpar.objects.filter(pk=demo["server1"].pk).update(memory_mb=8192)
    SharedProcessorPool.objects.filter(frame=demo["p750-b"]).update(name="OtherPool")
    with pytest.raises(Exception, match="p750-b has no shared pool named DefaultPool"):
        stub_twin_refresh(twin=twin)
    twin.refresh_from_db()
    assert twin.memory_mb == 2048


WORKED_RUNBOOK_STEPS = [
    "1. Make sure the original is down [HMC]",
    "   $ lssyscfg -r lpar -m p750-a --filter lpar_names=server1 -F state",
    "2. On vios1 (LPAR id 1) of p750-b, map the twin's adapters [vios1 as padmin]",
    "3. On vios2 (LPAR id 2) of p750-b, map the twin's adapters [vios2 as padmin]",
    "4. Activate the twin into SMS [HMC]",
    "   $ chsysstate -r lpar -m p750-b -n server1-stub -o on -f default -b sms",
    "5. Boot from the original's disks and fix the boot list [server1-stub console]",
    "   $ bootlist -m normal -o",
    "6. Check the paths [server1-stub and HMC]",
    "   $ lspath",
]


def test_the_runbook_of_the_worked_example(api, demo):
    twin = lpar_create_stub_twin(lpar=demo["server1"], destination_frame=demo["p750-b"])
    VirtualAdapter.objects.filter(lpar=vios("p750-b", "vios1"), slot=310).update(
        device_name="vhost7", backing_devices=["hdisk8", "hdisk9"]
    )
    text = api.get(f"/api/lpars/{twin.pk}/failover-runbook/?format=text")
    assert text.status_code == 200
    assert text["Content-Type"].startswith("text/plain")
    lines = text.content.decode().splitlines()
    positions = [lines.index(step) for step in WORKED_RUNBOOK_STEPS]
    assert positions == sorted(positions)
    assert "   $ mkvdev -vdev hdisk8 -vadapter vhost7" in lines
    assert "   $ mkvdev -vdev hdisk9 -vadapter vhost7" in lines
    body = text.content.decode()
    assert "MISSING: the vfchost device name of vios1 slot 710 (serving vFC slot 710)" in body
    assert "MISSING: the fcs device name of port U5802.001.0086A12-P1-C1-T1" in body
    assert "Paths through fcs0 show as Missing: it was the original's adapter in slot 610" in body

    data = api.get(f"/api/lpars/{twin.pk}/failover-runbook/").json()
    assert data["twin"] == "server1-stub" and data["complete"] is False
    assert data["steps"][3]["commands"] == [
        "chsysstate -r lpar -m p750-b -n server1-stub -o on -f default -b sms"
    ]
    assert any("vhost device name of vios2 slot 310" in m for m in data["missing"])


def test_an_lpar_that_is_no_twin_has_no_runbook(api, demo):
    response = api.get(f"/api/lpars/{demo['server1'].pk}/failover-runbook/")
    assert response.status_code == 400
    assert "server1 is not a stub twin" in response.json()["non_field_errors"][0]


def test_the_runbook_text_errors_in_json(api, demo):
    """The error contract holds when the text was asked for: a 400 and a 404 answer JSON."""
    refused = api.get(f"/api/lpars/{demo['server1'].pk}/failover-runbook/?format=text")
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/json"
    assert "server1 is not a stub twin" in refused.json()["non_field_errors"][0]
    missing = api.get("/api/lpars/0/failover-runbook/", HTTP_ACCEPT="text/plain")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert "detail" in missing.json()
