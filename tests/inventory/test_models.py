"""The inventory's invariants, each on both sides: what full_clean() accepts, what it refuses
(on the field a form would show it against, with the rule in words), and what the database
itself refuses when full_clean() is bypassed."""

from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction

from inventory.models import (
    Adapter,
    Drawer,
    Frame,
    Hmc,
    Lpar,
    Port,
    SharedProcessorPool,
    Slot,
    StoragePort,
    VirtualAdapter,
    Vlan,
    Wwpn,
)
from tests.factories import (
    AdapterFactory,
    DrawerFactory,
    FabricFactory,
    FrameFactory,
    HmcFactory,
    LparFactory,
    PortFactory,
    SharedProcessorPoolFactory,
    SlotFactory,
    StoragePortFactory,
    ViosFactory,
    VirtualAdapterFactory,
    VlanFactory,
    next_wwpn,
    vfc_client_create,
    wwpn_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def inventory_rules_only(monkeypatch):
    """The inventory's own rules, without those other apps register (the planning scheme's slot
    ranges): these tests are about the hard limits every scheme lives within."""
    monkeypatch.setattr("inventory.rules._rules", {})


def refused(instance, field: str, *words: str) -> str:
    """full_clean() refuses `instance` on `field` with a message containing each of `words`."""
    with pytest.raises(ValidationError) as caught:
        instance.full_clean()
    errors = caught.value.message_dict
    assert field in errors, errors
    message = " ".join(errors[field])
    for word in words:
        assert word in message, message
    return message


def accepted(instance):
    """full_clean() passes and the row saves."""
    instance.full_clean()
    instance.save()
    return instance


def db_refuses(*instances) -> None:
    """The database itself refuses the rows, full_clean() or not."""
    with pytest.raises(IntegrityError), transaction.atomic():
        type(instances[0]).objects.bulk_create(instances)


def frame_build(**fields) -> Frame:
    return FrameFactory.build(hmc=None, **fields)


# --- uniqueness: one duplicate refused, its near twin accepted, the database agrees ----------


def _frame_name():
    frame = FrameFactory()
    return frame_build(name=frame.name), frame_build()


def _frame_mtms():
    frame = FrameFactory()
    same = {"machine_type": frame.machine_type, "model": frame.model}
    return frame_build(serial=frame.serial, **same), frame_build(serial="9999999", **same)


def _drawer_location():
    drawer = DrawerFactory()
    return (
        Drawer(frame=drawer.frame, location=drawer.location),
        Drawer(frame=FrameFactory(), location=drawer.location),
    )


def _slot_location():
    slot = SlotFactory()
    return (
        Slot(drawer=slot.drawer, location=slot.location),
        Slot(drawer=DrawerFactory(frame=slot.drawer.frame), location=slot.location),
    )


def _adapter_per_slot():
    adapter = AdapterFactory()
    return Adapter(slot=adapter.slot, kind="fc"), Adapter(slot=SlotFactory(), kind="fc")


def _port_name():
    port = PortFactory(name="T1")
    return Port(adapter=port.adapter, name="T1"), Port(adapter=port.adapter, name="T2")


def _lpar_name():
    lpar = LparFactory()
    return (
        LparFactory.build(frame=lpar.frame, name=lpar.name),
        LparFactory.build(frame=FrameFactory(), name=lpar.name),
    )


def _lpar_id_per_frame():
    vios = ViosFactory(lpar_id=1)
    return (
        ViosFactory.build(frame=vios.frame, lpar_id=1),
        ViosFactory.build(frame=FrameFactory(), lpar_id=1),  # every frame has its VIOS 1
    )


def _virtual_slot():
    vlan = VlanFactory()
    ethernet = VirtualAdapterFactory(kind="ethernet", slot=210, pvid=vlan)
    return (
        VirtualAdapterFactory.build(lpar=ethernet.lpar, kind="vscsi", slot=210),
        VirtualAdapterFactory.build(lpar=LparFactory(frame=ethernet.lpar.frame), slot=210),
    )


def _vlan_id():
    VlanFactory(vlan_id=400)
    return Vlan(vlan_id=400), Vlan(vlan_id=401)


def _fabric_name():
    fabric = FabricFactory()
    return FabricFactory.build(name=fabric.name), FabricFactory.build()


def _storage_port_name():
    port = StoragePortFactory()
    return (
        StoragePort(array=port.array, name=port.name, fabric=port.fabric),
        StoragePort(array="ds8k2", name=port.name, fabric=port.fabric),
    )


def _pool_id():
    pool = SharedProcessorPoolFactory(pool_id=1)
    return (
        SharedProcessorPool(frame=pool.frame, pool_id=1, name="other"),
        SharedProcessorPool(frame=FrameFactory(), pool_id=1, name="other"),
    )


def _pool_name():
    pool = SharedProcessorPoolFactory(name="prod")
    return (
        SharedProcessorPool(frame=pool.frame, pool_id=7, name="prod"),
        SharedProcessorPool(frame=FrameFactory(), pool_id=7, name="prod"),
    )


def _wwpn_value():
    taken = wwpn_create(port=PortFactory())
    return Wwpn(value=taken.value, port=PortFactory()), Wwpn(value=next_wwpn(), port=PortFactory())


@pytest.mark.parametrize(
    ("make", "field", "words"),
    [
        pytest.param(_frame_name, "name", "already exists", id="frame name"),
        pytest.param(_frame_mtms, "serial", "machine type, model and serial", id="frame mtms"),
        pytest.param(_drawer_location, "location", "already has a drawer", id="drawer per frame"),
        pytest.param(_slot_location, "location", "already has a slot", id="slot per drawer"),
        pytest.param(_adapter_per_slot, "slot", "already exists", id="one adapter per slot"),
        pytest.param(_port_name, "name", "already has a port", id="port per adapter"),
        pytest.param(_lpar_name, "name", "already has an LPAR with this name", id="lpar name"),
        pytest.param(_lpar_id_per_frame, "lpar_id", "this LPAR id", id="lpar id per frame"),
        pytest.param(
            _virtual_slot,
            "slot",
            "already has an adapter in this virtual slot",
            id="virtual slot per lpar across kinds",
        ),
        pytest.param(_vlan_id, "vlan_id", "already exists", id="vlan id"),
        pytest.param(_fabric_name, "name", "already exists", id="fabric name"),
        pytest.param(_storage_port_name, "name", "already has a port", id="storage port"),
        pytest.param(_pool_id, "pool_id", "already has a pool with this id", id="pool id"),
        pytest.param(_pool_name, "name", "already has a pool with this name", id="pool name"),
        pytest.param(_wwpn_value, "value", "already in the estate", id="wwpn"),
    ],
)
def test_uniqueness_rule(make, field, words):
    duplicate, twin = make()
    refused(duplicate, field, words)
    accepted(twin)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_revalidating_a_saved_row_does_not_collide_with_itself():
    lpar = LparFactory()
    vios = ViosFactory(frame=lpar.frame)
    for instance in (lpar, vios, lpar.frame, VirtualAdapterFactory(lpar=lpar)):
        instance.full_clean()


# --- LPAR ids across the estate --------------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [("aix", "aix"), ("aix", "linux"), ("ibmi", "aix")])
def test_client_lpar_id_is_unique_across_frames(first, second):
    LparFactory(kind=first, lpar_id=10)
    other_frame = LparFactory.build(kind=second, lpar_id=10, frame=FrameFactory())
    refused(other_frame, "lpar_id", "unique across all frames")
    with pytest.raises(ValidationError) as caught:
        other_frame.save()  # save() alone holds the rule too, under its lock
    assert "unique across all frames" in " ".join(caught.value.message_dict["lpar_id"])
    # A rule of our scheme, not of the HMC: the database itself takes the row (discovery).
    with transaction.atomic():
        Lpar.objects.bulk_create([other_frame])
        transaction.set_rollback(True)
    accepted(LparFactory.build(kind=second, lpar_id=11, frame=other_frame.frame))


def test_vios_ids_repeat_on_every_frame():
    first, second = FrameFactory(), FrameFactory()
    for frame in (first, second):
        accepted(ViosFactory.build(frame=frame, lpar_id=1))
        accepted(ViosFactory.build(frame=frame, lpar_id=2))
    assert Lpar.objects.filter(lpar_id=1).count() == 2


# --- Hmc -------------------------------------------------------------------------------------


def _raw_column(table: str, column: str, pk: int) -> str:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_hmc_password_is_encrypted_at_rest_and_read_back_in_clear():
    hmc = HmcFactory(password="Pa55-w0rd-of-hmc1")
    stored = _raw_column(Hmc._meta.db_table, "password", hmc.pk)
    assert "Pa55-w0rd-of-hmc1" not in stored
    assert Fernet(settings.FIELD_ENCRYPTION_KEY.encode()).decrypt(stored.encode()) == (
        b"Pa55-w0rd-of-hmc1"
    )
    assert Hmc.objects.get(pk=hmc.pk).password == "Pa55-w0rd-of-hmc1"

    hmc.password = "n3w-secret"
    hmc.save()
    assert "n3w-secret" not in _raw_column(Hmc._meta.db_table, "password", hmc.pk)
    assert Hmc.objects.get(pk=hmc.pk).password == "n3w-secret"


def test_hmc_history_keeps_no_password():
    hmc = HmcFactory(password="Pa55-w0rd-of-hmc1")
    hmc.password = "n3w-secret"
    hmc.version = "V10R3"
    hmc.save()
    history_table = Hmc.history.model._meta.db_table
    with connection.cursor() as cursor:
        columns = [
            c.name for c in connection.introspection.get_table_description(cursor, history_table)
        ]
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(history_table)}")  # noqa: S608
        rows = cursor.fetchall()
    assert "password" not in columns
    assert len(rows) == 2
    assert not any("secret" in str(v) or "Pa55" in str(v) for row in rows for v in row)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("ssh_port", 22, None),
        ("ssh_port", 0, "greater than or equal to 1"),
        ("ssh_port", 65536, "between 1 and 65535"),
        ("rest_port", 443, None),
        ("rest_port", 70000, "between 1 and 65535"),
    ],
)
def test_hmc_ports_are_tcp_ports(field, value, words):
    hmc = HmcFactory.build(**{field: value})
    if words is None:
        accepted(hmc)
    else:
        refused(hmc, field, words)
        db_refuses(hmc)


# --- Frame -----------------------------------------------------------------------------------


def test_frame_compat_modes_are_a_list_of_names_kept_once():
    frame = frame_build(compat_modes=["default", " POWER8", "POWER8", "POWER9 "])
    accepted(frame)
    frame.refresh_from_db()
    assert frame.compat_modes == ["default", "POWER8", "POWER9"]
    refused(frame_build(compat_modes="POWER9"), "compat_modes", "e.g. POWER9")
    refused(frame_build(compat_modes=["POWER9", 9]), "compat_modes", "as names")


def test_frame_compat_mode_of_only_spaces_is_refused():
    refused(frame_build(compat_modes=["POWER9", "  "]), "compat_modes")


@pytest.mark.parametrize(("field", "value"), [("proc_units", Decimal("0")), ("memory_mb", 0)])
def test_frame_capacity_is_positive(field, value):
    refused(frame_build(**{field: value}), field, "more than 0")
    db_refuses(frame_build(**{field: value}))


# --- Drawer, slot, adapter, port -------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "location", "ok"),
    [
        (Drawer, "U787F.001.DPM0XLZ", True),
        (Drawer, "787F.001.DPM0XLZ", False),
        (Drawer, "U787F.001.DPM0XLZ-P1", False),
        (Slot, "P1-C4", True),
        (Slot, "P2-C11", True),
        (Slot, "U787F.001.DPM0XLZ-P1-C4", False),
        (Slot, "C4", False),
    ],
)
def test_location_codes_follow_the_ibm_format(model, location, ok):
    instance = (
        Drawer(frame=FrameFactory(), location=location)
        if model is Drawer
        else Slot(drawer=DrawerFactory(), location=location)
    )
    if ok:
        accepted(instance)
    else:
        refused(instance, "location", "looks like")


def test_adapter_owner_is_on_the_frame_that_holds_the_slot():
    slot = SlotFactory()
    vios_here = ViosFactory(frame=slot.drawer.frame)
    vios_elsewhere = ViosFactory()
    refused(Adapter(slot=slot, kind="fc", owner=vios_elsewhere), "owner", "on the frame")
    accepted(Adapter(slot=slot, kind="fc", owner=vios_here))


@pytest.mark.parametrize(
    "spelling",
    [
        "AABBCCDDEE0F",
        "aabbccddee0f",
        "AA:BB:CC:DD:EE:0F",
        "aa-bb-cc-dd-ee-0f",
        "aabb.ccdd.ee0f",
    ],
)
def test_ethernet_port_mac_is_stored_canonically(spelling):
    port = Port(adapter=AdapterFactory(kind="ethernet"), name="T1", mac=spelling)
    accepted(port)
    port.refresh_from_db()
    assert port.mac == "aabbccddee0f"


def test_port_mac_must_be_a_mac_and_only_on_ethernet():
    ethernet = AdapterFactory(kind="ethernet")
    refused(Port(adapter=ethernet, name="T1", mac="aabbccddeeXX"), "mac", "not a MAC address")
    refused(
        Port(adapter=AdapterFactory(kind="fc"), name="T1", mac="aabbccddee0f"),
        "mac",
        "Only an Ethernet port",
    )
    accepted(Port(adapter=AdapterFactory(kind="fc"), name="T1"))


def test_only_a_fibre_channel_port_has_a_wwpn():
    ethernet_port = PortFactory(adapter__kind="ethernet")
    refused(Wwpn(value=next_wwpn(), port=ethernet_port), "port", "Only a Fibre Channel port")
    fc_port = PortFactory(adapter__kind="fc")
    wwpn = accepted(Wwpn(value=next_wwpn(), port=fc_port))
    assert wwpn.kind == "physical"


# --- LPAR ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "virtual_procs", "ok"),
    [
        ("0.05", 1, True),
        ("0.10", 2, True),
        ("2.00", 2, True),
        ("0.09", 2, False),
        ("2.01", 2, False),
        ("1.50", 1, False),
    ],
)
def test_shared_lpar_units_are_between_a_twentieth_and_one_per_virtual_processor(
    units, virtual_procs, ok
):
    lpar = LparFactory.build(
        frame=FrameFactory(),
        proc_mode="shared",
        proc_units=Decimal(units),
        virtual_procs=virtual_procs,
    )
    if ok:
        accepted(lpar)
    else:
        refused(lpar, "proc_units", "virtual processor")


def test_shared_lpar_with_too_few_virtual_processors_is_told_how_many_it_needs():
    lpar = LparFactory.build(frame=FrameFactory(), proc_units=Decimal("0.09"), virtual_procs=2)
    refused(lpar, "proc_units", "at least 0.10 processor units")


def test_shared_lpar_with_more_units_than_virtual_processors_is_told_the_right_count():
    lpar = LparFactory.build(frame=FrameFactory(), proc_units=Decimal("2.5"), virtual_procs=2)
    refused(lpar, "proc_units", "at least 3 virtual processors")


def test_dedicated_lpar_has_whole_processors_and_no_pool():
    frame = FrameFactory()
    accepted(
        LparFactory.build(
            frame=frame, proc_mode="dedicated", proc_units=Decimal("2"), virtual_procs=2
        )
    )
    refused(
        LparFactory.build(
            frame=frame, proc_mode="dedicated", proc_units=Decimal("1.5"), virtual_procs=2
        ),
        "proc_units",
        "equal the virtual processors (2)",
    )
    pool = SharedProcessorPoolFactory(frame=frame)
    refused(
        LparFactory.build(
            frame=frame,
            proc_mode="dedicated",
            proc_units=Decimal("2"),
            virtual_procs=2,
            shared_pool=pool,
        ),
        "shared_pool",
        "dedicated",
    )


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("proc_units", Decimal("0"), "0.05"),
        ("memory_mb", 0, "more than 0 MB"),
        ("virtual_procs", 0, "at least one virtual processor"),
        ("lpar_id", 0, "1 or more"),
    ],
)
def test_lpar_sizes_and_id_are_positive(field, value, words):
    lpar = LparFactory.build(frame=FrameFactory(), **{field: value})
    refused(lpar, field, words)
    db_refuses(lpar)


def test_lpar_compatibility_mode_must_be_one_the_frame_accepts():
    frame = FrameFactory(name="p750-a", compat_modes=["default", "POWER7"])
    accepted(LparFactory.build(frame=frame, compat_mode="POWER7"))
    refused(
        LparFactory.build(frame=frame, compat_mode="POWER8"),
        "compat_mode",
        "p750-a does not accept compatibility mode POWER8",
        "POWER7",
    )


@pytest.mark.parametrize("modes", [[], ["POWER9"]])
def test_default_compatibility_mode_is_always_accepted(modes):
    accepted(LparFactory.build(frame=FrameFactory(compat_modes=modes), compat_mode="default"))


def test_shared_pool_must_be_on_the_lpars_frame():
    frame = FrameFactory(name="p750-a")
    refused(
        LparFactory.build(frame=frame, shared_pool=SharedProcessorPoolFactory()),
        "shared_pool",
        "pool of frame p750-a",
    )
    accepted(LparFactory.build(frame=frame, shared_pool=SharedProcessorPoolFactory(frame=frame)))


def test_only_a_vios_is_a_mover_service_partition():
    frame = FrameFactory()
    accepted(ViosFactory.build(frame=frame, msp=True))
    aix = LparFactory.build(frame=frame, kind="aix", msp=True)
    refused(aix, "msp", "Only a VIOS")
    db_refuses(aix)


def test_stub_twin_lives_on_another_frame():
    original = LparFactory()
    refused(LparFactory.build(frame=original.frame, stub_of=original), "stub_of", "another frame")
    accepted(LparFactory.build(frame=FrameFactory(), stub_of=original))
    original.stub_of = original
    refused(original, "stub_of", "its own stub")


# --- virtual adapters ------------------------------------------------------------------------


@pytest.fixture
def frame():
    return FrameFactory(name="p750-a")


@pytest.fixture
def vios(frame):
    return ViosFactory(frame=frame, name="vios1", lpar_id=1)


@pytest.fixture
def aix(frame):
    return LparFactory(frame=frame, name="server1", lpar_id=10)


@pytest.mark.parametrize(
    ("slot", "words"),
    [
        (2, None),
        (999, None),
        (1000, "the HMC re-numbers slots of 1000 and above during LPM"),
        (1, "slots 0 and 1 are the serial adapters"),
        (0, "slots 0 and 1 are the serial adapters"),
    ],
)
def test_virtual_slot_is_between_2_and_999(aix, slot, words, inventory_rules_only):
    adapter = VirtualAdapter(lpar=aix, kind="vscsi", role="client", slot=slot)
    if words is None:
        accepted(adapter)
    else:
        refused(adapter, "slot", words)
        db_refuses(adapter)


@pytest.mark.parametrize(("remote_slot", "ok"), [(999, True), (1000, False), (1, False)])
def test_remote_virtual_slot_is_between_2_and_999(aix, vios, remote_slot, ok):
    adapter = VirtualAdapter(
        lpar=aix, kind="vscsi", slot=210, remote_lpar=vios, remote_slot=remote_slot
    )
    if ok:
        accepted(adapter)
    else:
        refused(adapter, "remote_slot")
        db_refuses(adapter)


def test_client_adapter_pairs_with_a_vios_on_the_same_frame(aix, vios):
    accepted(VirtualAdapter(lpar=aix, kind="vscsi", slot=210, remote_lpar=vios, remote_slot=21))
    other_frame_vios = ViosFactory(name="vios-b1")
    refused(
        VirtualAdapter(lpar=aix, kind="vscsi", slot=220, remote_lpar=other_frame_vios),
        "remote_lpar",
        "same frame",
    )
    other_client = LparFactory(frame=aix.frame, name="server2")
    refused(
        VirtualAdapter(lpar=aix, kind="vfc", slot=610, remote_lpar=other_client),
        "remote_lpar",
        "must be a VIOS",
        "server2",
    )
    refused(
        VirtualAdapter(lpar=aix, kind="vscsi", slot=230, remote_lpar=aix),
        "remote_lpar",
        "its own LPAR",
    )


def test_remote_slot_needs_a_remote_lpar(aix):
    refused(VirtualAdapter(lpar=aix, kind="vscsi", slot=210, remote_slot=21), "remote_lpar")


def test_server_adapter_lives_on_a_vios_and_serves_a_client(aix, vios, inventory_rules_only):
    accepted(
        VirtualAdapter(
            lpar=vios, kind="vscsi", role="server", slot=21, remote_lpar=aix, remote_slot=210
        )
    )
    refused(
        VirtualAdapter(lpar=aix, kind="vscsi", role="server", slot=21),
        "role",
        "Only a VIOS has server adapters",
    )
    other_vios = ViosFactory(frame=vios.frame, lpar_id=2)
    refused(
        VirtualAdapter(lpar=vios, kind="vscsi", role="server", slot=22, remote_lpar=other_vios),
        "remote_lpar",
        "not another VIOS",
    )
    refused(
        VirtualAdapter(lpar=vios, kind="vfc", role="client", slot=23), "role", "use role server"
    )


def test_trunk_adapter_lives_on_a_vios(aix, vios):
    vlan = VlanFactory(vlan_id=400)
    accepted(VirtualAdapter(lpar=vios, kind="ethernet", role="trunk", slot=11, pvid=vlan))
    refused(
        VirtualAdapter(lpar=aix, kind="ethernet", role="trunk", slot=11, pvid=vlan),
        "role",
        "Only a VIOS has trunk adapters",
    )


@pytest.mark.parametrize("kind", ["vscsi", "vfc"])
def test_only_ethernet_can_be_a_trunk_in_the_database(vios, kind):
    db_refuses(VirtualAdapter(lpar=vios, kind=kind, role="trunk", slot=300))


@pytest.mark.parametrize("kind", ["vscsi", "vfc"])
def test_only_ethernet_can_be_a_trunk(vios, kind):
    refused(VirtualAdapter(lpar=vios, kind=kind, role="trunk", slot=300), "role", "trunk")


def test_trunk_of_another_kind_is_refused(vios):
    with pytest.raises(ValidationError, match="Only a virtual Ethernet adapter can be a trunk"):
        VirtualAdapter(lpar=vios, kind="vscsi", role="trunk", slot=300).full_clean()


def test_ethernet_needs_a_pvid_and_no_remote_side(aix, vios):
    vlan = VlanFactory(vlan_id=400)
    accepted(VirtualAdapter(lpar=aix, kind="ethernet", slot=10, pvid=vlan))
    refused(VirtualAdapter(lpar=aix, kind="ethernet", slot=11), "pvid", "needs a PVID")
    refused(
        VirtualAdapter(lpar=aix, kind="ethernet", slot=12, pvid=vlan, remote_lpar=vios),
        "remote_lpar",
        "no remote side",
    )
    refused(
        VirtualAdapter(lpar=vios, kind="ethernet", role="server", slot=13, pvid=vlan),
        "role",
        "client or a trunk",
    )


@pytest.mark.parametrize("kind", ["vscsi", "vfc"])
def test_storage_adapters_refuse_a_pvid(aix, kind):
    refused(
        VirtualAdapter(lpar=aix, kind=kind, slot=210, pvid=VlanFactory(vlan_id=400)),
        "pvid",
        "Only Ethernet adapters have a PVID",
    )


def test_vfc_server_maps_to_an_fc_port_of_its_own_vios(aix, vios, frame, inventory_rules_only):
    own_fc = PortFactory(
        adapter__kind="fc", adapter__owner=vios, adapter__slot__drawer__frame=frame
    )
    accepted(
        VirtualAdapter(
            lpar=vios, kind="vfc", role="server", slot=61, remote_lpar=aix, physical_port=own_fc
        )
    )
    own_ethernet = PortFactory(
        adapter__kind="ethernet", adapter__owner=vios, adapter__slot__drawer__frame=frame
    )
    refused(
        VirtualAdapter(lpar=vios, kind="vfc", role="server", slot=62, physical_port=own_ethernet),
        "physical_port",
        "not a Fibre Channel port",
    )
    vios2 = ViosFactory(frame=frame, name="vios2", lpar_id=2)
    vios2_fc = PortFactory(
        adapter__kind="fc", adapter__owner=vios2, adapter__slot__drawer__frame=frame
    )
    refused(
        VirtualAdapter(lpar=vios, kind="vfc", role="server", slot=63, physical_port=vios2_fc),
        "physical_port",
        "not owned by vios1",
    )
    refused(
        VirtualAdapter(lpar=aix, kind="vfc", role="client", slot=610, physical_port=own_fc),
        "physical_port",
        "Only a vFC server",
    )


def test_backing_devices_only_on_a_vscsi_server(aix, vios, inventory_rules_only):
    accepted(
        VirtualAdapter(
            lpar=vios, kind="vscsi", role="server", slot=21, backing_devices=["hdisk4", "hdisk5"]
        )
    )
    refused(
        VirtualAdapter(lpar=aix, kind="vscsi", slot=210, backing_devices=["hdisk4"]),
        "backing_devices",
        "Only a vSCSI server",
    )
    refused(
        VirtualAdapter(lpar=vios, kind="vscsi", role="server", slot=22, backing_devices=[""]),
        "backing_devices",
        "by name",
    )


# --- VLAN, fabric, storage -------------------------------------------------------------------


@pytest.mark.parametrize(("vlan_id", "ok"), [(1, True), (4094, True), (0, False), (4095, False)])
def test_vlan_id_is_between_1_and_4094(vlan_id, ok):
    vlan = Vlan(vlan_id=vlan_id)
    if ok:
        accepted(vlan)
    else:
        refused(vlan, "vlan_id", "between 1 and 4094")
        db_refuses(vlan)


@pytest.mark.parametrize(
    ("vendor", "vsan", "style", "field", "words"),
    [
        ("cisco", 10, "single_initiator", None, None),
        ("cisco", 10, "smart", None, None),
        ("brocade", None, "single_initiator", None, None),
        ("brocade", None, "peer", None, None),
        ("cisco", None, "single_initiator", "vsan", "needs its VSAN"),
        ("brocade", 10, "single_initiator", "vsan", "no VSAN"),
        ("cisco", 10, "peer", "zoning_style", "Peer zones are a Brocade feature"),
        ("brocade", None, "smart", "zoning_style", "Smart zoning is a Cisco feature"),
        ("cisco", 1, "single_initiator", "vsan", "2 to 4093"),
        ("cisco", 4094, "single_initiator", "vsan", "2 to 4093"),
    ],
)
def test_fabric_vendor_rules(vendor, vsan, style, field, words):
    fabric = FabricFactory.build(vendor=vendor, vsan=vsan, zoning_style=style)
    if field is None:
        accepted(fabric)
    else:
        refused(fabric, field, words)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("FAB_A", True),
        ("fab-a$1^x", True),
        ("a" * 64, True),
        ("1fab", False),
        ("_fab", False),
        ("fab a", False),
        ("fab.a", False),
        ("a" * 65, False),
    ],
)
@pytest.mark.parametrize("field", ["name", "zoneset_name"])
def test_fabric_zoning_names_follow_the_switch_rules(name, ok, field):
    fabric = FabricFactory.build(**{"name": "FAB_Z", "zoneset_name": "cfg_z", field: name})
    if ok:
        accepted(fabric)
    else:
        refused(fabric, field)


def test_storage_array_name_follows_the_switch_rules():
    fabric = FabricFactory()
    accepted(StoragePort(array="fs9k1", name="n1p1", fabric=fabric))
    refused(StoragePort(array="fs 9k1", name="n1p1", fabric=fabric), "array", "switches' rule")


# --- WWPN rows -------------------------------------------------------------------------------


def test_wwpn_row_is_stored_canonically():
    wwpn = accepted(Wwpn(value="C0507604A2B100AA", port=PortFactory()))
    wwpn.refresh_from_db()
    assert wwpn.value == "c0507604a2b100aa"


@pytest.mark.parametrize("spelling", ["c0:50:76:04:a2:b1:00:aa", "0xC0507604A2B100AA"])
def test_wwpn_row_accepts_the_separated_spellings(spelling):
    wwpn = accepted(Wwpn(value=spelling, port=PortFactory()))
    assert wwpn.value == "c0507604a2b100aa"


def test_wwpn_in_another_spelling_is_still_the_same_wwpn():
    taken = wwpn_create(port=PortFactory())
    refused(Wwpn(value=taken.value.upper(), port=PortFactory()), "value", "already in the estate")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0000000000000000", "all-zero"),
        ("c05076xx00000001", "16 hexadecimal"),
        ("c05076000001", "16 hexadecimal"),
    ],
)
def test_wwpn_row_refuses_what_is_not_a_wwpn(value, words):
    refused(Wwpn(value=value, port=PortFactory()), "value", words)


def test_all_zero_wwpn_is_refused_by_the_database():
    db_refuses(Wwpn(value="0" * 16, port=PortFactory()))


def test_wwpn_belongs_to_exactly_one_owner():
    port, storage = PortFactory(), StoragePortFactory()
    refused(Wwpn(value=next_wwpn()), NON_FIELD_ERRORS, "exactly one of")
    refused(
        Wwpn(value=next_wwpn(), port=port, storage_port=storage), NON_FIELD_ERRORS, "exactly one of"
    )
    db_refuses(Wwpn(value=next_wwpn(), kind="physical"))


def test_wwpn_pair_positions_are_1_and_2(aix):
    adapter = vfc_client_create(aix, 610)
    assert sorted(adapter.wwpns.values_list("position", "kind")) == [
        (1, "npiv_primary"),
        (2, "npiv_secondary"),
    ]
    third = Wwpn(value=next_wwpn(), virtual_adapter=adapter, position=3)
    refused(third, NON_FIELD_ERRORS, "position 1 or 2")
    db_refuses(third)
    refused(
        Wwpn(value=next_wwpn(), virtual_adapter=adapter, position=2),
        "position",
        "already has a WWPN in that position",
    )


def test_only_a_vfc_client_has_wwpns(aix, vios):
    vscsi = VirtualAdapterFactory(lpar=aix, kind="vscsi", slot=210)
    refused(
        Wwpn(value=next_wwpn(), virtual_adapter=vscsi, position=1),
        "virtual_adapter",
        "Only a vFC client",
    )
    server = VirtualAdapter.objects.create(lpar=vios, kind="vfc", role="server", slot=61)
    refused(Wwpn(value=next_wwpn(), virtual_adapter=server, position=1), "virtual_adapter")


def test_storage_target_wwpn_is_on_its_ports_fabric():
    storage = StoragePortFactory()
    refused(
        Wwpn(value=next_wwpn(), storage_port=storage, fabric=FabricFactory()),
        "fabric",
        "change the fabric of storage port",
    )
    wwpn = accepted(Wwpn(value=next_wwpn(), storage_port=storage, fabric=storage.fabric))
    assert (wwpn.kind, wwpn.fabric) == ("storage_target", storage.fabric)


@pytest.mark.parametrize(
    ("kind", "role", "expected"),
    [
        ("vfc", "client", True),
        ("vfc", "server", False),
        ("vscsi", "client", False),
        ("ethernet", "client", False),
        ("ethernet", "trunk", False),
    ],
)
def test_only_a_vfc_client_is_a_vfc_client_in_python_and_in_a_query(kind, role, expected):
    adapter = VirtualAdapter(kind=kind, role=role)
    assert adapter.is_vfc_client is expected
    assert VirtualAdapter.vfc_client(kind, role) is expected
    assert VirtualAdapter.VFC_CLIENT.check({"kind": kind, "role": role}) is expected
