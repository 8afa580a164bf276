"""The inventory's write services: a vFC client's WWPN pair, physical and storage WWPNs, and
bulk edits that change every row or none."""

import contextlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q

from inventory.models import Lpar, VirtualAdapter, Wwpn
from inventory.services import (
    object_save,
    objects_bulk_update,
    port_wwpn_set,
    storage_port_wwpn_set,
    virtual_adapter_save,
)
from tests.factories import (
    FabricFactory,
    FrameFactory,
    LparFactory,
    PortFactory,
    StoragePortFactory,
    ViosFactory,
    VlanFactory,
    next_wwpn,
    vfc_client_create,
)

pytestmark = pytest.mark.django_db


def messages_of(caught, field: str) -> str:
    errors = caught.value.message_dict
    assert field in errors, errors
    return " ".join(errors[field])


@pytest.fixture
def vios():
    return ViosFactory(name="vios1", lpar_id=1)


@pytest.fixture
def aix(vios):
    return LparFactory(frame=vios.frame, name="server1", lpar_id=10)


def vfc_client(lpar, slot: int = 610, vios=None) -> VirtualAdapter:
    return VirtualAdapter(lpar=lpar, kind="vfc", role="client", slot=slot, remote_lpar=vios)


# --- virtual_adapter_save: the vFC client's WWPN pair ----------------------------------------


def test_vfc_client_is_saved_with_its_pair_in_canonical_form(aix, vios):
    adapter = virtual_adapter_save(
        adapter=vfc_client(aix, vios=vios),
        wwpns=["C0:50:76:04:A2:B1:00:10", "0xc0507604a2b10011"],
    )
    assert list(adapter.wwpns.order_by("position").values_list("value", "position", "kind")) == [
        ("c0507604a2b10010", 1, "npiv_primary"),
        ("c0507604a2b10011", 2, "npiv_secondary"),
    ]


@pytest.mark.parametrize("count", [0, 1, 3])
def test_vfc_client_has_exactly_two_wwpns(aix, count):
    with pytest.raises(ValidationError) as caught:
        virtual_adapter_save(adapter=vfc_client(aix), wwpns=[next_wwpn() for _ in range(count)])
    assert f"exactly two WWPNs, not {count}" in messages_of(caught, "wwpns")
    assert not VirtualAdapter.objects.filter(lpar=aix).exists()
    assert not Wwpn.objects.exists()


def test_new_vfc_client_without_wwpns_is_refused(aix):
    with pytest.raises(ValidationError) as caught:
        virtual_adapter_save(adapter=vfc_client(aix))
    assert "needs its two WWPNs" in messages_of(caught, "wwpns")
    assert not VirtualAdapter.objects.exists()


def test_pair_of_the_same_wwpn_twice_is_refused_however_spelled(aix):
    with pytest.raises(ValidationError) as caught:
        virtual_adapter_save(
            adapter=vfc_client(aix), wwpns=["c0507604a2b10010", "C0:50:76:04:A2:B1:00:10"]
        )
    assert "must differ" in messages_of(caught, "wwpns")
    assert not VirtualAdapter.objects.exists()


def test_pair_with_a_malformed_wwpn_is_refused_naming_it(aix):
    with pytest.raises(ValidationError) as caught:
        virtual_adapter_save(adapter=vfc_client(aix), wwpns=[next_wwpn(), "c05076zz"])
    assert "c05076zz" in messages_of(caught, "wwpns")
    assert not VirtualAdapter.objects.exists()


@pytest.mark.parametrize(("kind", "role"), [("vscsi", "client"), ("vfc", "server")])
def test_only_a_vfc_client_takes_wwpns(vios, aix, kind, role):
    lpar = vios if role == "server" else aix
    adapter = VirtualAdapter(lpar=lpar, kind=kind, role=role, slot=300)
    with pytest.raises(ValidationError) as caught:
        virtual_adapter_save(adapter=adapter, wwpns=[next_wwpn(), next_wwpn()])
    assert "Only a vFC client" in messages_of(caught, "wwpns")
    assert not VirtualAdapter.objects.exists()


def test_swapping_the_pair_swaps_positions_and_kinds_and_keeps_fabrics(aix):
    fabric_a, fabric_b = FabricFactory(side="A"), FabricFactory(side="B")
    first, second = next_wwpn(), next_wwpn()
    adapter = virtual_adapter_save(
        adapter=vfc_client(aix), wwpns=[first, second], wwpn_fabrics=[fabric_a, fabric_b]
    )
    virtual_adapter_save(adapter=adapter, wwpns=[second, first])
    rows = {w.value: w for w in Wwpn.objects.filter(virtual_adapter=adapter)}
    assert (rows[second].position, rows[second].kind) == (1, "npiv_primary")
    assert (rows[first].position, rows[first].kind) == (2, "npiv_secondary")
    assert (rows[first].fabric, rows[second].fabric) == (fabric_a, fabric_b)


def test_replacing_one_wwpn_frees_the_old_one_for_reuse(aix):
    first, second, third = next_wwpn(), next_wwpn(), next_wwpn()
    adapter = virtual_adapter_save(adapter=vfc_client(aix), wwpns=[first, second])
    virtual_adapter_save(adapter=adapter, wwpns=[first, third])
    assert list(adapter.wwpns.order_by("position").values_list("value", flat=True)) == [
        first,
        third,
    ]
    other = virtual_adapter_save(adapter=vfc_client(aix, slot=620), wwpns=[second, next_wwpn()])
    assert Wwpn.objects.get(value=second).virtual_adapter == other


def test_update_without_wwpns_keeps_the_pair(aix):
    adapter = vfc_client_create(aix, 610)
    pair = sorted(adapter.wwpns.values_list("value", flat=True))
    adapter.device_name = "fcs0"
    virtual_adapter_save(adapter=adapter)
    assert sorted(adapter.wwpns.values_list("value", flat=True)) == pair


def test_update_of_a_pair_to_a_bad_count_changes_nothing(aix):
    adapter = vfc_client_create(aix, 610)
    pair = sorted(adapter.wwpns.values_list("value", flat=True))
    adapter.device_name = "fcs9"
    with pytest.raises(ValidationError):
        virtual_adapter_save(adapter=adapter, wwpns=[pair[0]])
    assert sorted(Wwpn.objects.filter(virtual_adapter=adapter).values_list("value", flat=True)) == (
        pair
    )
    assert VirtualAdapter.objects.get(pk=adapter.pk).device_name == ""


def test_one_fabric_for_a_pair_is_refused_not_a_crash(aix):
    with pytest.raises(ValidationError):
        virtual_adapter_save(
            adapter=vfc_client(aix),
            wwpns=[next_wwpn(), next_wwpn()],
            wwpn_fabrics=[FabricFactory()],
        )


@pytest.mark.parametrize(("kind", "role"), [("vscsi", "client"), ("vfc", "server")])
def test_adapter_that_stops_being_a_vfc_client_keeps_no_wwpns(vios, aix, kind, role):
    adapter = vfc_client_create(aix, 610)
    adapter.kind, adapter.role = kind, role
    if role == "server":
        adapter.lpar = vios
    # Refusing the change keeps the invariant as well as dropping the pair does.
    with contextlib.suppress(ValidationError):
        virtual_adapter_save(adapter=adapter)
    orphans = Wwpn.objects.filter(virtual_adapter=adapter).exclude(
        virtual_adapter__kind="vfc", virtual_adapter__role="client"
    )
    assert not orphans.exists(), list(orphans)


# --- one WWPN, once in the estate ------------------------------------------------------------


def _on_port(value: str) -> None:
    port_wwpn_set(port=PortFactory(), value=value)


def _on_npiv(value: str) -> None:
    virtual_adapter_save(adapter=vfc_client(LparFactory()), wwpns=[value, next_wwpn()])


def _on_storage(value: str) -> None:
    storage_port_wwpn_set(storage_port=StoragePortFactory(), value=value)


OWNERS = {"physical port": _on_port, "NPIV pair": _on_npiv, "storage target": _on_storage}


@pytest.mark.parametrize("taker", OWNERS)
@pytest.mark.parametrize("holder", OWNERS)
def test_a_wwpn_exists_once_in_the_estate(holder, taker):
    OWNERS[holder]("c0507604a2b10010")
    rows = list(Wwpn.objects.values_list("pk", "value", "kind"))
    with pytest.raises(ValidationError) as caught:
        OWNERS[taker]("C0:50:76:04:A2:B1:00:10")
    assert "already in the estate" in " ".join(caught.value.messages)
    assert list(Wwpn.objects.values_list("pk", "value", "kind")) == rows


# --- port_wwpn_set and storage_port_wwpn_set -------------------------------------------------


def test_fc_port_wwpn_is_set_replaced_and_removed():
    port, fabric = PortFactory(adapter__kind="fc"), FabricFactory()
    row = port_wwpn_set(port=port, value="10:00:00:00:C9:AB:CD:EF", fabric=fabric)
    assert (row.value, row.kind, row.fabric) == ("10000000c9abcdef", "physical", fabric)
    port_wwpn_set(port=port, value="10000000c9abcd00")
    assert Wwpn.objects.get(port=port).value == "10000000c9abcd00"
    assert port_wwpn_set(port=port, value=None) is None
    assert not Wwpn.objects.exists()


def test_ethernet_port_gets_no_wwpn():
    with pytest.raises(ValidationError) as caught:
        port_wwpn_set(port=PortFactory(adapter__kind="ethernet"), value=next_wwpn())
    assert "Only a Fibre Channel port" in messages_of(caught, "wwpn")
    assert not Wwpn.objects.exists()


@pytest.mark.parametrize(
    ("value", "words"),
    [("10000000c9abcd", "“10000000c9abcd” is not a WWPN"), ("0000000000000000", "all-zero")],
)
def test_port_wwpn_that_is_not_a_wwpn_is_refused(value, words):
    with pytest.raises(ValidationError) as caught:
        port_wwpn_set(port=PortFactory(), value=value)
    assert words in messages_of(caught, "wwpn")
    assert not Wwpn.objects.exists()


def test_storage_target_wwpn_is_on_the_storage_ports_fabric():
    storage = StoragePortFactory()
    row = storage_port_wwpn_set(storage_port=storage, value="50:05:07:68:10:11:22:33")
    assert (row.value, row.kind, row.fabric) == (
        "5005076810112233",
        "storage_target",
        storage.fabric,
    )
    storage_port_wwpn_set(storage_port=storage, value="5005076810112234")
    assert list(Wwpn.objects.values_list("value", flat=True)) == ["5005076810112234"]


def test_storage_target_wwpn_follows_its_port_to_another_fabric():
    storage = StoragePortFactory()
    storage_port_wwpn_set(storage_port=storage, value="5005076810112233")
    storage.fabric = FabricFactory(side="B")
    object_save(instance=storage)
    assert Wwpn.objects.get(storage_port=storage).fabric == storage.fabric


# --- tagged VLANs ----------------------------------------------------------------------------


def test_ethernet_adapter_carries_tagged_vlans(vios):
    pvid, tagged = VlanFactory(vlan_id=1), [VlanFactory(vlan_id=400), VlanFactory(vlan_id=401)]
    trunk = VirtualAdapter(lpar=vios, kind="ethernet", role="trunk", slot=11, pvid=pvid)
    virtual_adapter_save(adapter=trunk, vlans=tagged)
    assert trunk.vlan_ids == [1, 400, 401]


def test_storage_adapter_carries_no_tagged_vlans(aix):
    adapter = VirtualAdapter(lpar=aix, kind="vscsi", slot=210)
    with pytest.raises(ValidationError) as caught:
        virtual_adapter_save(adapter=adapter, vlans=[VlanFactory(vlan_id=400)])
    assert "Only Ethernet adapters" in messages_of(caught, "vlans")
    assert not VirtualAdapter.objects.exists()


# --- object_save and objects_bulk_update -----------------------------------------------------


def test_object_save_validates_before_saving():
    lpar = LparFactory.build(frame=FrameFactory(), memory_mb=0)
    with pytest.raises(ValidationError):
        object_save(instance=lpar)
    assert not Lpar.objects.exists()


@pytest.fixture
def five_lpars():
    """Five LPARs in the bulk edit's order; the third has a single virtual processor."""
    frame = FrameFactory()
    return [
        LparFactory(frame=frame, name=f"lpar{n}", lpar_id=10 + n, virtual_procs=1 if n == 3 else 2)
        for n in range(1, 6)
    ]


def test_bulk_update_changes_every_row(five_lpars):
    updated = objects_bulk_update(
        queryset=Lpar.objects.all(), changes={"memory_mb": 8192, "proc_units": Decimal("0.5")}
    )
    assert len(updated) == 5
    assert set(Lpar.objects.values_list("memory_mb", "proc_units")) == {(8192, Decimal("0.5"))}


def test_bulk_update_is_all_or_nothing_and_names_the_row_and_field(five_lpars):
    before = {lpar.pk: lpar.history.count() for lpar in five_lpars}
    with pytest.raises(ValidationError) as caught:
        objects_bulk_update(
            queryset=Lpar.objects.all(), changes={"proc_units": Decimal("1.5"), "memory_mb": 4096}
        )
    [message] = caught.value.messages
    assert message.startswith("lpar3: processor units:")
    assert set(Lpar.objects.values_list("proc_units", "memory_mb")) == {(Decimal("1"), 2048)}
    assert {lpar.pk: lpar.history.count() for lpar in five_lpars} == before


def test_bulk_update_that_makes_rows_collide_changes_none(five_lpars):
    with pytest.raises(ValidationError, match="already has an LPAR with this name"):
        objects_bulk_update(queryset=Lpar.objects.all(), changes={"name": "same"})
    assert not Lpar.objects.filter(name="same").exists()


def test_bulk_update_needs_a_change(five_lpars):
    with pytest.raises(ValidationError, match="at least one field"):
        objects_bulk_update(queryset=Lpar.objects.all(), changes={})


def test_bulk_update_of_a_field_that_does_not_exist_is_refused(five_lpars):
    with pytest.raises(ValidationError):
        objects_bulk_update(queryset=Lpar.objects.all(), changes={"memroy_mb": 4096})


def test_bulk_update_with_a_value_that_is_not_a_number_is_refused_not_a_crash(five_lpars):
    with pytest.raises(ValidationError, match="proc_units"):
        objects_bulk_update(queryset=Lpar.objects.all(), changes={"proc_units": "lots"})


def _distinct_over_adapters(vlan):
    return Lpar.objects.filter(virtual_adapters__pvid=vlan).distinct()


def _either_through_a_nullable_relation(vlan):
    return Lpar.objects.filter(Q(shared_pool__name="prod") | Q(name__in=["lpar1", "lpar2"]))


@pytest.mark.parametrize("filtered", [_distinct_over_adapters, _either_through_a_nullable_relation])
def test_bulk_update_of_a_filtered_queryset(five_lpars, filtered):
    # What a list page filtered across relations hands over (e.g. the LPARs on a VLAN).
    vlan = VlanFactory(vlan_id=400)
    for lpar, slot in [(five_lpars[0], 10), (five_lpars[0], 11), (five_lpars[1], 10)]:
        virtual_adapter_save(
            adapter=VirtualAdapter(lpar=lpar, kind="ethernet", slot=slot, pvid=vlan)
        )
    updated = objects_bulk_update(queryset=filtered(vlan), changes={"memory_mb": 4096})
    assert sorted(lpar.name for lpar in updated) == ["lpar1", "lpar2"]
    assert Lpar.objects.filter(memory_mb=4096).count() == 2
