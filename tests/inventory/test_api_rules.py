"""The API obeys the inventory's rules: a refused write is a 400 naming the field in the
planner's words (or a 409), saves nothing, and the WWPN and VLAN rows go with their owner."""

import pytest

from inventory.models import Frame, Lpar, Port, StoragePort, VirtualAdapter, Wwpn
from inventory.services import virtual_adapter_save
from tests.factories import (
    AdapterFactory,
    FabricFactory,
    FrameFactory,
    HmcFactory,
    LparFactory,
    PortFactory,
    StoragePortFactory,
    ViosFactory,
    VlanFactory,
    login,
    next_wwpn,
    vfc_client_create,
    wwpn_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client, planner):
    login(api_client, planner)
    return api_client


@pytest.fixture
def server1():
    return LparFactory(name="server1", lpar_id=10, frame=FrameFactory(name="p750-a"))


@pytest.fixture
def vios(server1):
    return ViosFactory(frame=server1.frame, name="vios1", lpar_id=1)


def vfc_body(lpar, vios, **fields):
    return {
        "lpar": lpar.pk,
        "kind": "vfc",
        "role": "client",
        "slot": 610,
        "remote_lpar": vios.pk,
        "remote_slot": 610,
        **fields,
    }


# Virtual adapters: slots, WWPN pairs, VLANs


def test_a_vfc_client_with_one_wwpn_is_refused_and_not_saved(api, server1, vios):
    response = api.post(
        "/api/virtual-adapters/", vfc_body(server1, vios, wwpns=[next_wwpn()]), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"wwpns": ["A vFC client adapter has exactly two WWPNs, not 1."]}
    assert not VirtualAdapter.objects.exists()


def test_a_vfc_client_without_wwpns_is_refused(api, server1, vios):
    response = api.post("/api/virtual-adapters/", vfc_body(server1, vios), format="json")
    assert response.status_code == 400
    assert response.json() == {"wwpns": ["A vFC client adapter needs its two WWPNs."]}


def test_slot_1050_is_refused_with_the_reason(api, server1, vios):
    body = vfc_body(server1, vios, slot=1050, wwpns=[next_wwpn(), next_wwpn()])
    response = api.post("/api/virtual-adapters/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "slot": [
            "Virtual slot numbers must be under 1000: the HMC re-numbers slots of 1000 and above "
            "during LPM."
        ]
    }


def test_a_slot_taken_on_the_lpar_is_refused(api, server1, vios):
    vfc_client_create(server1, 610, vios)
    body = vfc_body(server1, vios, wwpns=[next_wwpn(), next_wwpn()])
    response = api.post("/api/virtual-adapters/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"slot": ["This LPAR already has an adapter in this virtual slot."]}


def test_the_wwpn_pair_is_written_in_any_spelling_and_read_canonical(api, server1, vios):
    body = vfc_body(server1, vios, wwpns=["C0:50:76:05:AB:CD:00:10", "c050-7605-abcd-0011"])
    response = api.post("/api/virtual-adapters/", body, format="json")
    assert response.status_code == 201
    assert response.json()["wwpns"] == ["c0507605abcd0010", "c0507605abcd0011"]
    adapter = VirtualAdapter.objects.get(pk=response.json()["id"])
    assert [(w.position, w.value, w.kind) for w in adapter.wwpns.order_by("position")] == [
        (1, "c0507605abcd0010", "npiv_primary"),
        (2, "c0507605abcd0011", "npiv_secondary"),
    ]


def test_a_wwpn_already_in_the_estate_refuses_the_whole_adapter(api, server1, vios):
    taken = wwpn_create(port=PortFactory())
    body = vfc_body(server1, vios, wwpns=[next_wwpn(), taken.value.upper()])
    response = api.post("/api/virtual-adapters/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"wwpns": [f"WWPN {taken.value} is already in the estate."]}
    assert not VirtualAdapter.objects.exists()
    assert Wwpn.objects.count() == 1


def test_a_bad_wwpn_spelling_names_the_field(api, server1, vios):
    body = vfc_body(server1, vios, wwpns=["c05076", next_wwpn()])
    response = api.post("/api/virtual-adapters/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["wwpns"]
    assert "is not a WWPN" in response.json()["wwpns"][0]


def test_patching_wwpns_replaces_the_pair_and_other_changes_keep_it(api, server1, vios):
    adapter = vfc_client_create(server1, 610, vios)
    pair = [next_wwpn(), next_wwpn()]
    response = api.patch(f"/api/virtual-adapters/{adapter.pk}/", {"wwpns": pair}, format="json")
    assert response.status_code == 200
    assert response.json()["wwpns"] == pair
    response = api.patch(
        f"/api/virtual-adapters/{adapter.pk}/", {"device_name": "fcs0"}, format="json"
    )
    assert response.json()["wwpns"] == pair
    assert sorted(Wwpn.objects.values_list("value", flat=True)) == sorted(pair)


def test_a_refused_change_leaves_the_pair_as_it_was(api, server1, vios):
    adapter = vfc_client_create(server1, 610, vios)
    before = sorted(adapter.wwpns.values_list("value", flat=True))
    taken = wwpn_create(port=PortFactory()).value
    response = api.patch(
        f"/api/virtual-adapters/{adapter.pk}/",
        {"wwpns": [next_wwpn(), taken], "slot": 620},
        format="json",
    )
    assert response.status_code == 400
    adapter.refresh_from_db()
    assert adapter.slot == 610
    assert sorted(adapter.wwpns.values_list("value", flat=True)) == before


def test_pvid_and_tagged_vlans_are_vlan_numbers(api, server1):
    VlanFactory(vlan_id=400)
    VlanFactory(vlan_id=401)
    VlanFactory(vlan_id=402)
    body = {"lpar": server1.pk, "kind": "ethernet", "slot": 10, "pvid": 400, "vlans": [402, 401]}
    response = api.post("/api/virtual-adapters/", body, format="json")
    assert response.status_code == 201
    assert (response.json()["pvid"], sorted(response.json()["vlans"])) == (400, [401, 402])
    adapter = VirtualAdapter.objects.get(pk=response.json()["id"])
    assert adapter.vlan_ids == [400, 401, 402]


def test_an_unknown_vlan_number_is_refused_with_a_hint(api, server1):
    VlanFactory(vlan_id=400)
    body = {"lpar": server1.pk, "kind": "ethernet", "slot": 10, "pvid": 400, "vlans": [999]}
    response = api.post("/api/virtual-adapters/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "vlans": ["VLAN 999 is not in the inventory; add it under /api/vlans/ first."]
    }


def test_tagged_vlans_on_a_vscsi_adapter_are_refused_and_nothing_is_saved(api, server1, vios):
    VlanFactory(vlan_id=401)
    body = {
        "lpar": server1.pk,
        "kind": "vscsi",
        "slot": 210,
        "remote_lpar": vios.pk,
        "remote_slot": 210,
        "vlans": [401],
    }
    response = api.post("/api/virtual-adapters/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"vlans": ["Only Ethernet adapters carry tagged VLANs."]}
    assert not VirtualAdapter.objects.exists()


def test_a_client_adapter_must_pair_with_a_vios_on_its_frame(api, server1):
    elsewhere = ViosFactory(frame=FrameFactory())
    body = {
        "lpar": server1.pk,
        "kind": "vscsi",
        "slot": 210,
        "remote_lpar": elsewhere.pk,
        "remote_slot": 210,
    }
    response = api.post("/api/virtual-adapters/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["remote_lpar"]
    assert "must be on the same frame" in response.json()["remote_lpar"][0]


# LPARs and frames


def lpar_body(frame, **fields):
    return {
        "frame": frame.pk,
        "name": "server2",
        "lpar_id": 20,
        "kind": "aix",
        "proc_units": 0.5,
        "virtual_procs": 1,
        "memory_mb": 4096,
        **fields,
    }


def test_a_client_lpar_id_reused_on_another_frame_is_refused(api, server1):
    other = FrameFactory(name="p750-b")
    response = api.post("/api/lpars/", lpar_body(other, lpar_id=10), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "lpar_id": [
            "Another client LPAR in the estate has this LPAR id: client LPAR ids must be unique "
            "across all frames so that they survive a migration."
        ]
    }
    assert not Lpar.objects.filter(frame=other).exists()


def test_a_vios_may_reuse_id_1_on_another_frame(api, vios):
    other = FrameFactory(name="p750-b")
    body = lpar_body(other, name="vios1", lpar_id=1, kind="vios", msp=True)
    assert api.post("/api/lpars/", body, format="json").status_code == 201


def test_a_name_taken_on_the_frame_is_named(api, server1):
    response = api.post(
        "/api/lpars/", lpar_body(server1.frame, name="server1", lpar_id=21), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"name": ["This frame already has an LPAR with this name."]}


def test_every_broken_rule_is_reported_at_once(api, server1):
    body = lpar_body(server1.frame, name="server1", proc_units=3, virtual_procs=1)
    response = api.post("/api/lpars/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "proc_units"}


def test_a_clash_found_by_a_patch_is_named_too(api, server1):
    other = LparFactory(frame=server1.frame, name="server2", lpar_id=11)
    response = api.patch(f"/api/lpars/{other.pk}/", {"name": "server1"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This frame already has an LPAR with this name."]}


def test_processor_units_are_numbers(api, server1):
    response = api.patch(f"/api/lpars/{server1.pk}/", {"proc_units": "1.25"}, format="json")
    assert response.status_code == 200
    assert response.json()["proc_units"] == 1.25


def test_a_related_object_is_written_as_an_id_or_as_an_object_with_one(api, server1):
    new_frame = FrameFactory(name="p750-c")
    response = api.patch(
        f"/api/lpars/{server1.pk}/", {"frame": {"id": new_frame.pk}}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["frame"] == {
        "id": new_frame.pk,
        "url": f"http://testserver/api/frames/{new_frame.pk}/",
        "display": "p750-c",
    }


def test_a_related_id_that_does_not_exist_is_named(api, server1):
    response = api.patch(f"/api/lpars/{server1.pk}/", {"frame": 999999}, format="json")
    assert response.status_code == 400
    assert response.json() == {"frame": ['Invalid pk "999999" - object does not exist.']}


def test_a_frames_serial_clash_names_the_serial(api):
    frame = FrameFactory()
    body = {
        "name": "p750-z",
        "machine_type": frame.machine_type,
        "model": frame.model,
        "serial": frame.serial,
        "proc_units": 8,
        "memory_mb": 65536,
    }
    response = api.post("/api/frames/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"serial": ["Another frame has this machine type, model and serial."]}


def test_a_unique_name_clash_names_the_field(api):
    HmcFactory(name="hmc1")
    response = api.post("/api/hmcs/", {"name": "hmc1", "host": "10.9.9.9"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["HMC with this Name already exists."]}


def test_values_are_saved_in_the_form_the_model_cleans_them_to(api):
    response = api.post(
        "/api/frames/",
        {
            "name": "p9-a",
            "machine_type": "9009",
            "model": "42A",
            "serial": "7800001",
            "proc_units": 8,
            "memory_mb": 65536,
            "compat_modes": ["POWER8", "POWER9", "POWER8"],
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["compat_modes"] == ["POWER8", "POWER9"]
    assert Frame.objects.get(name="p9-a").compat_modes == ["POWER8", "POWER9"]


def test_deleting_a_frame_that_holds_lpars_is_a_409_that_says_why(api, server1):
    response = api.delete(f"/api/frames/{server1.frame.pk}/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Frame p750-a is still used by 1 LPAR; change or delete those first."
    }
    assert Frame.objects.filter(pk=server1.frame.pk).exists()


def test_deleting_a_vlan_that_is_a_pvid_is_a_409_that_counts_the_users(api, server1):
    vlan = VlanFactory(vlan_id=400, name="")
    for slot in (10, 11):
        virtual_adapter_save(
            adapter=VirtualAdapter(lpar=server1, kind="ethernet", slot=slot, pvid=vlan)
        )
    response = api.delete(f"/api/vlans/{vlan.pk}/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "VLAN 400 is still used by 2 virtual adapters; change or delete those first."
    }


def test_unreadable_json_is_a_400(api):
    response = api.post("/api/lpars/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


# Physical and storage ports and their WWPNs


def test_an_fc_ports_wwpn_and_fabric_are_saved_with_it(api):
    fabric = FabricFactory()
    adapter = AdapterFactory(kind="fc")
    body = {
        "adapter": adapter.pk,
        "name": "T1",
        "wwpn": "10:00:00:00:C9:AA:BB:01",
        "fabric": fabric.pk,
    }
    response = api.post("/api/ports/", body, format="json")
    assert response.status_code == 201
    assert response.json()["wwpn"] == "10000000c9aabb01"
    assert response.json()["fabric"]["id"] == fabric.pk
    wwpn = Wwpn.objects.get(value="10000000c9aabb01")
    assert (wwpn.port_id, wwpn.fabric, wwpn.kind) == (response.json()["id"], fabric, "physical")


def test_a_duplicate_port_wwpn_names_the_field_and_saves_no_port(api):
    taken = wwpn_create(port=PortFactory())
    adapter = AdapterFactory(kind="fc")
    body = {"adapter": adapter.pk, "name": "T1", "wwpn": taken.value}
    response = api.post("/api/ports/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"wwpn": ["This WWPN is already in the estate."]}
    assert not Port.objects.filter(adapter=adapter).exists()


def test_an_ethernet_port_has_no_wwpn(api):
    adapter = AdapterFactory(kind="ethernet")
    body = {"adapter": adapter.pk, "name": "T1", "wwpn": next_wwpn()}
    response = api.post("/api/ports/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"wwpn": ["Only a Fibre Channel port has a WWPN."]}


def test_an_ethernet_ports_mac_is_saved_canonical(api):
    adapter = AdapterFactory(kind="ethernet")
    body = {"adapter": adapter.pk, "name": "T1", "mac": "AA:BB:CC:DD:EE:0F"}
    response = api.post("/api/ports/", body, format="json")
    assert response.status_code == 201
    assert response.json()["mac"] == "aabbccddee0f"


def test_a_port_goes_on_a_fabric_only_with_a_wwpn(api):
    port = PortFactory()
    response = api.patch(f"/api/ports/{port.pk}/", {"fabric": FabricFactory().pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"fabric": ["Give the port a WWPN before putting it on a fabric."]}


def test_changing_a_ports_fabric_keeps_its_wwpn_and_null_removes_it(api):
    port = PortFactory()
    wwpn = wwpn_create(port=port, fabric=FabricFactory())
    new_fabric = FabricFactory()
    response = api.patch(f"/api/ports/{port.pk}/", {"fabric": new_fabric.pk}, format="json")
    assert response.status_code == 200
    assert (response.json()["wwpn"], response.json()["fabric"]["id"]) == (
        wwpn.value,
        new_fabric.pk,
    )
    response = api.patch(f"/api/ports/{port.pk}/", {"wwpn": None}, format="json")
    assert response.status_code == 200
    assert (response.json()["wwpn"], response.json()["fabric"]) == (None, None)
    assert not Wwpn.objects.exists()


def test_a_storage_ports_wwpn_follows_it_to_another_fabric(api):
    storage_port = StoragePortFactory()
    api.patch(f"/api/storage-ports/{storage_port.pk}/", {"wwpn": "5005076801234567"}, format="json")
    new_fabric = FabricFactory()
    response = api.patch(
        f"/api/storage-ports/{storage_port.pk}/", {"fabric": new_fabric.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["wwpn"] == "5005076801234567"
    assert Wwpn.objects.get(storage_port=storage_port).fabric == new_fabric


def test_a_storage_port_without_a_wwpn_reads_null_and_writing_null_keeps_it(api):
    storage_port = StoragePortFactory()
    assert api.get(f"/api/storage-ports/{storage_port.pk}/").json()["wwpn"] is None
    api.patch(f"/api/storage-ports/{storage_port.pk}/", {"wwpn": "5005076801234567"}, format="json")
    response = api.patch(f"/api/storage-ports/{storage_port.pk}/", {"wwpn": None}, format="json")
    assert response.status_code == 200
    assert response.json()["wwpn"] == "5005076801234567"


def test_a_storage_ports_duplicate_wwpn_saves_nothing(api):
    taken = wwpn_create(port=PortFactory())
    body = {"array": "fs9k1", "name": "n9p9", "fabric": FabricFactory().pk, "wwpn": taken.value}
    response = api.post("/api/storage-ports/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"wwpn": ["This WWPN is already in the estate."]}
    assert not StoragePort.objects.filter(name="n9p9").exists()


def test_a_wwpn_is_put_on_a_fabric_through_its_own_endpoint(api, server1, vios):
    adapter = vfc_client_create(server1, 610, vios)
    first = adapter.wwpns.get(position=1)
    fabric = FabricFactory()
    response = api.patch(f"/api/wwpns/{first.pk}/", {"fabric": fabric.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["kind"] == "npiv_primary"
    assert response.json()["virtual_adapter"]["display"] == "server1 vFC slot 610"
    first.refresh_from_db()
    assert first.fabric == fabric


def test_a_wwpns_value_cannot_be_changed_through_its_endpoint(api):
    wwpn = wwpn_create(port=PortFactory())
    response = api.patch(f"/api/wwpns/{wwpn.pk}/", {"value": next_wwpn()}, format="json")
    assert response.status_code == 200
    assert response.json()["value"] == wwpn.value


def test_a_storage_targets_wwpn_stays_on_its_ports_fabric(api):
    storage_port = StoragePortFactory()
    wwpn = wwpn_create(storage_port=storage_port, fabric=storage_port.fabric)
    response = api.patch(f"/api/wwpns/{wwpn.pk}/", {"fabric": FabricFactory().pk}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["fabric"]
    wwpn.refresh_from_db()
    assert wwpn.fabric == storage_port.fabric
