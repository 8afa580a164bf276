"""The enumeration scheme as data: the default one, validated edits, and the slot rule that
every path saving a virtual adapter obeys."""

import pytest
from django.core.exceptions import ValidationError

from inventory.models import Lpar, VirtualAdapter
from inventory.services import virtual_adapter_save
from planning.models import EnumerationScheme
from planning.rules import SlotRuleLookups, slot_rule_lookups, virtual_adapter_slot_rule
from planning.services import frame_scheme_set, scheme_save
from tests.factories import next_wwpn
from tests.planning.helpers import vios

pytestmark = pytest.mark.django_db


def test_the_default_scheme_is_created_by_the_migration():
    scheme = EnumerationScheme.objects.get(is_default=True)
    assert [scheme.slot_range(k) for k in ("ethernet", "vscsi", "vfc")] == [
        (10, 100),
        (200, 400),
        (600, 800),
    ]
    assert scheme.slot_ceiling == 1000
    assert scheme.vios_lpar_ids == [1, 2]
    assert (scheme.stub_lpar_id_offset, scheme.stub_slot_offset, scheme.stub_suffix) == (
        100,
        100,
        "-stub",
    )
    assert scheme.stub_keeps_ethernet_slots


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"vscsi_first": 90}, "vscsi_first", "overlaps the Ethernet range 10–100"),
        ({"vfc_last": 1000}, "vfc_last", "must lie inside 2–999"),
        ({"ethernet_first": 1}, "ethernet_last", "must lie inside 2–999"),
        ({"vfc_first": 900, "vfc_last": 850}, "vfc_first", "starts after it ends"),
        ({"vios_lpar_ids": [1, 1]}, "vios_lpar_ids", "appears once"),
    ],
)
def test_a_scheme_edit_is_validated(changes, field, words):
    scheme = EnumerationScheme.objects.get(is_default=True)
    for name, value in changes.items():
        setattr(scheme, name, value)
    with pytest.raises(ValidationError) as raised:
        scheme_save(scheme=scheme)
    assert words in " ".join(raised.value.message_dict[field])


def test_a_second_default_scheme_is_refused():
    with pytest.raises(ValidationError, match="already the default"):
        scheme_save(scheme=EnumerationScheme(name="Other", is_default=True, vios_lpar_ids=[1, 2]))


def test_a_vfc_slot_outside_the_range_is_refused_through_the_api(api, demo):
    server1 = demo["server1"]
    body = {
        "lpar": server1.pk,
        "kind": "vfc",
        "role": "client",
        "slot": 850,
        "remote_lpar": vios("p750-a", "vios1").pk,
        "remote_slot": 611,
        "wwpns": [next_wwpn(), next_wwpn()],
    }
    response = api.post("/api/virtual-adapters/", body)
    assert response.status_code == 400
    assert response.json()["slot"] == ["vFC slot 850 is outside the scheme's vFC range 600–800."]
    assert not VirtualAdapter.objects.filter(lpar=server1, slot=850).exists()


def test_the_rule_holds_in_the_service_every_path_uses(demo):
    adapter = VirtualAdapter(lpar=demo["server1"], kind="vscsi", slot=450)
    with pytest.raises(ValidationError) as raised:
        virtual_adapter_save(adapter=adapter)
    assert raised.value.message_dict["slot"] == [
        "vSCSI slot 450 is outside the scheme's vSCSI range 200–400."
    ]


def test_a_trunk_follows_the_ethernet_range(demo):
    trunk = VirtualAdapter.objects.get(lpar=vios("p750-a", "vios1"), role="trunk")
    trunk.slot = 150
    with pytest.raises(ValidationError, match="Ethernet slot 150 is outside"):
        virtual_adapter_save(adapter=trunk)


def test_data_saved_before_a_scheme_change_is_not_refused_retroactively(demo):
    scheme = EnumerationScheme.objects.get(is_default=True)
    scheme.vfc_last = 615
    scheme_save(scheme=scheme)
    adapter = VirtualAdapter.objects.get(lpar=demo["server1"], slot=620)
    adapter.device_name = "fcs9"
    virtual_adapter_save(adapter=adapter)  # unchanged slot: accepted
    adapter.slot = 630
    with pytest.raises(ValidationError, match="vFC slot 630 is outside the scheme's vFC range"):
        virtual_adapter_save(adapter=adapter)


def test_a_frame_that_names_another_scheme_follows_it(demo):
    narrow = scheme_save(
        scheme=EnumerationScheme(
            name="Narrow", vscsi_first=200, vscsi_last=250, vios_lpar_ids=[1, 2]
        )
    )
    frame_scheme_set(frame=demo["p750-a"], scheme=narrow)
    with pytest.raises(ValidationError, match="vSCSI range 200–250"):
        virtual_adapter_save(adapter=VirtualAdapter(lpar=demo["server1"], kind="vscsi", slot=300))
    frame_scheme_set(frame=demo["p750-a"], scheme=None)
    virtual_adapter_save(adapter=VirtualAdapter(lpar=demo["server1"], kind="vscsi", slot=300))


def test_a_batch_hands_the_slot_rule_its_schemes_and_stored_slots(demo, django_assert_num_queries):
    """What the workbook import and stub twins know already is used, not asked again: the
    batch's scheme decides, and a stored slot it loaded counts as the stored one."""
    narrow = EnumerationScheme(name="Narrow", vscsi_first=200, vscsi_last=250)
    server1 = Lpar.objects.select_related("frame").get(pk=demo["server1"].pk)
    adapter = VirtualAdapter.objects.get(lpar=server1, slot=620)
    adapter.lpar = server1
    adapter.slot = 850  # outside every vFC range
    lookups = SlotRuleLookups(schemes={server1.frame_id: narrow})
    lookups.stored[adapter.pk] = (850, "vfc", server1.pk)
    with slot_rule_lookups(lookups), django_assert_num_queries(0):
        assert virtual_adapter_slot_rule(VirtualAdapter(lpar=server1, kind="vscsi", slot=300)) == {
            "slot": "vSCSI slot 300 is outside the scheme's vSCSI range 200–250."
        }
        assert virtual_adapter_slot_rule(adapter) == {}  # unchanged, as the batch loaded it
    # Outside the batch the database is asked: slot 620 is stored, so 850 is a change.
    assert virtual_adapter_slot_rule(adapter) == {
        "slot": "vFC slot 850 is outside the scheme's vFC range 600–800."
    }
