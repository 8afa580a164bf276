"""Estate checks: each one quiet on the demo estate and loud on an estate that breaks it."""

import pytest

from inventory.models import Lpar, SharedProcessorPool, VirtualAdapter, Wwpn
from planning.checks import estate_check
from planning.models import EnumerationScheme
from planning.services import scheme_save
from planning.stubs import lpar_create_stub_twin
from tests.factories import FrameFactory, LparFactory, ViosFactory, login
from tests.planning.helpers import vios

pytestmark = pytest.mark.django_db


def found(check: str) -> list:
    return [v for v in estate_check() if v.check == check]


def test_the_demo_estate_is_clean(demo):
    assert estate_check() == []


def test_slots_outside_a_narrowed_range_are_listed_not_refused(demo):
    scheme = EnumerationScheme.objects.get(is_default=True)
    scheme.vfc_last = 615
    scheme_save(scheme=scheme)
    messages = {(v.object, v.message) for v in found("slot_range")}
    assert (
        "server1 (p750-a) vFC slot 620",
        "vFC slot 620 is outside the scheme's vFC range 600–615.",
    ) in messages
    [violation] = [v for v in found("slot_range") if v.object == "server1 (p750-a) vFC slot 620"]
    assert violation.severity == "error"
    assert violation.fix_url.endswith("/edit/")


def test_a_client_id_held_on_another_frame(demo):
    LparFactory(frame=FrameFactory(hmc=demo["p750-a"].hmc), lpar_id=1, name="early")
    [violation] = found("lpar_id_reused")
    assert violation.message.startswith("LPAR id 1 is also used by vios1 (p750-a), vios1 (p750-b)")


def test_a_vios_off_the_scheme_ids(demo):
    ViosFactory(frame=demo["p750-b"], lpar_id=5, name="vios5")
    [violation] = found("vios_id")
    assert violation.message == "VIOS vios5 has LPAR id 5; the scheme gives a VIOS LPAR id 1 and 2."


def test_a_missing_and_a_misdirected_vios_side(demo):
    vios1, vios2 = vios("p750-a", "vios1"), vios("p750-a", "vios2")
    VirtualAdapter.objects.filter(lpar=vios1, slot=610).delete()
    VirtualAdapter.objects.filter(lpar=vios2, slot=210).update(remote_slot=299)
    messages = {v.object: v.message for v in found("vios_side")}
    assert messages["server1 (p750-a) vFC slot 610"] == "vios1 has no server adapter in slot 610."
    assert messages["server1 (p750-a) vSCSI slot 220"] == (
        "vios2 slot 210 serves server1 slot 299, not this adapter."
    )


def test_storage_through_one_vios(demo):
    VirtualAdapter.objects.filter(lpar=demo["server1"], slot__in=[220, 620]).delete()
    [violation] = found("single_vios")
    assert violation.message.startswith("server1 reaches its storage through vios1 only")


def test_a_vfc_pair_missing_a_wwpn(demo):
    Wwpn.objects.filter(virtual_adapter__lpar=demo["server1"], position=2).first().delete()
    [violation] = found("wwpn_pair")
    assert "has 1 of its 2 WWPNs" in violation.message


def test_a_wwpn_on_no_fabric(demo):
    row = Wwpn.objects.filter(virtual_adapter__lpar=demo["server1"]).first()
    Wwpn.objects.filter(pk=row.pk).update(fabric=None)
    [violation] = found("wwpn_fabric")
    assert (
        violation.message == f"WWPN {row.value} is on no fabric, so no zoning export includes it."
    )


def test_a_vlan_not_bridged_on_another_frame(demo):
    for trunk in VirtualAdapter.objects.filter(lpar__frame__name="p750-b", role="trunk"):
        trunk.vlans.remove(*trunk.vlans.filter(vlan_id=401))
    messages = {v.message for v in found("vlan_bridge")}
    assert (
        "VLAN 401 of db1 is bridged by no VIOS on p750-b: it loses that network if it moves "
        "there." in messages
    )
    assert all("VLAN 401" in message for message in messages)


def test_disks_in_another_order_on_the_second_vios(demo):
    server = VirtualAdapter.objects.get(lpar=vios("p750-a", "vios2"), slot=210)
    VirtualAdapter.objects.filter(pk=server.pk).update(backing_devices=["hdisk3", "hdisk2"])
    [violation] = found("disk_order")
    assert violation.message == (
        "The vSCSI disks of server1 are not mapped in the same order on its VIOS "
        "(vios1: hdisk2, hdisk3; vios2: hdisk3, hdisk2)."
    )


def test_a_frame_missing_a_pool_its_peers_have(demo):
    SharedProcessorPool.objects.create(frame=demo["p750-a"], pool_id=1, name="prod")
    [violation] = found("shared_pools")
    assert violation.object == "p750-b"
    assert "has no shared pool named prod" in violation.message


def test_stub_drift_lists_each_difference(demo):
    twin = lpar_create_stub_twin(lpar=demo["server1"], destination_frame=demo["p750-b"])
    assert found("stub_drift") == []
    Lpar.objects.filter(pk=demo["server1"].pk).update(memory_mb=4096)
    [violation] = found("stub_drift")
    assert violation.object == "server1-stub (p750-b)"
    assert violation.message == (
        "Twin of server1: memory (MB) is 4096 on the original, 2048 on the twin."
    )
    assert violation.fix_url == f"/planning/lpars/{twin.pk}/"


def test_the_checks_api_and_page_are_read_by_everyone(api_client, viewer, client, demo):
    Lpar.objects.filter(pk=demo["server1"].pk).update(lpar_id=10)
    ViosFactory(frame=demo["p750-b"], lpar_id=5, name="vios5")
    login(api_client, viewer)
    body = api_client.get("/api/checks/").json()
    assert (body["count"], body["errors"]) == (1, 1)
    assert body["results"][0]["check"] == "vios_id"
    assert set(body["results"][0]) == {
        "check",
        "severity",
        "object",
        "object_url",
        "message",
        "fix_url",
    }
    assert api_client.get("/api/checks/?severity=warning").json()["count"] == 0
    login(client, viewer)
    page = client.get("/planning/checks/")
    assert page.status_code == 200
    assert "VIOS vios5 has LPAR id 5" in page.content.decode()
