"""Change history: every create, update and delete of the inventory leaves a record that shows
what changed, including a virtual adapter's tagged VLANs."""

from collections import Counter

import pytest

from inventory.models import VirtualAdapter, Wwpn
from inventory.services import object_save, virtual_adapter_save
from tests.factories import (
    FabricFactory,
    FrameFactory,
    LparFactory,
    PortFactory,
    VirtualAdapterFactory,
    VlanFactory,
    next_wwpn,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    [
        (FrameFactory, "memory_mb", 524288),
        (LparFactory, "memory_mb", 4096),
        (VirtualAdapterFactory, "device_name", "vscsi0"),
        (FabricFactory, "zoneset_name", "cfg_prod"),
        (PortFactory, "switch_port", "fcsw1 port 12"),
        (VlanFactory, "name", "backup"),
    ],
)
def test_create_update_and_delete_each_leave_a_record(factory, field, value):
    instance = factory()
    old = getattr(instance, field)
    setattr(instance, field, value)
    object_save(instance=instance)
    pk = instance.pk
    instance.delete()

    records = list(type(instance).history.filter(id=pk).order_by("history_date", "history_id"))
    assert [r.history_type for r in records] == ["+", "~", "-"]
    created, updated, _ = records
    delta = updated.diff_against(created)
    assert delta.changed_fields == [field]
    [change] = delta.changes
    assert (change.old, change.new) == (old, value)


def test_tagged_vlans_of_a_virtual_adapter_are_tracked():
    lpar = LparFactory()
    pvid, v400, v401 = VlanFactory(vlan_id=1), VlanFactory(vlan_id=400), VlanFactory(vlan_id=401)
    adapter = VirtualAdapter(lpar=lpar, kind="ethernet", slot=10, pvid=pvid)
    virtual_adapter_save(adapter=adapter, vlans=[v400])
    before = adapter.history.latest()
    virtual_adapter_save(adapter=adapter, vlans=[v400, v401])
    after = adapter.history.latest()

    assert after.history_id != before.history_id
    assert sorted(row.vlan.vlan_id for row in after.vlans.all()) == [400, 401]
    assert sorted(row.vlan.vlan_id for row in before.vlans.all()) == [400]
    assert "vlans" in after.diff_against(before).changed_fields


def test_swapping_a_wwpn_pair_records_each_deletion_once():
    first, second = next_wwpn(), next_wwpn()
    adapter = VirtualAdapter(lpar=LparFactory(), kind="vfc", role="client", slot=610)
    virtual_adapter_save(adapter=adapter, wwpns=[first, second])
    virtual_adapter_save(adapter=adapter, wwpns=[second, first])
    deletions = Counter(Wwpn.history.filter(history_type="-").values_list("id", flat=True))
    assert all(count == 1 for count in deletions.values()), deletions
