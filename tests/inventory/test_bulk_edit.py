"""Bulk edit changes exactly the fields the user set: on every list that has bulk edit, setting
one field leaves every other field of every row (selected or not) as it was; a field can be
cleared on purpose where the model allows it empty."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import lxml.html
import pytest
from django.db import transaction

from inventory import choices
from inventory.views import BY_SLUG, OBJECT_TYPES
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
    login,
    user_create,
    vfc_client_create,
    wwpn_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def estate(django_db_setup, django_db_blocker):
    """Built once for the module (each test's changes are rolled back inside it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield estate_build()
        transaction.set_rollback(True)


@pytest.fixture
def planner_client(client, estate):
    login(client, estate["planner"])
    return client


def estate_build() -> dict:
    """A Planner, and rows of every bulk-editable model whose fields hold values other than the
    model's defaults (the values a form pre-filled with defaults would overwrite)."""
    hmc1, hmc2 = HmcFactory(name="hmc-a"), HmcFactory(name="hmc-b")
    frame = FrameFactory(
        name="p750-a",
        hmc=hmc1,
        state=choices.FrameState.STANDBY,
        firmware_level="AL740_100",
        max_active_migrations=8,
        compat_modes=["default", "POWER6", "POWER7"],
    )
    frame2 = FrameFactory(
        name="p750-b", hmc=None, state=choices.FrameState.POWER_OFF, max_active_migrations=2
    )
    vios1 = ViosFactory(frame=frame, name="vios1", lpar_id=1, proc_units=Decimal("1"))
    vios2 = ViosFactory(frame=frame, name="vios2", lpar_id=2, proc_units=Decimal("1"))
    pool1 = SharedProcessorPoolFactory(frame=frame, pool_id=1, name="prod")
    pool2 = SharedProcessorPoolFactory(frame=frame, pool_id=2, name="test")
    lpars = [
        LparFactory(
            frame=frame,
            name="app1",
            lpar_id=11,
            state=choices.LparState.RUNNING,
            compat_mode="POWER7",
            shared_pool=pool1,
            profile_name="normal",
        ),
        LparFactory(
            frame=frame,
            name="app2",
            lpar_id=12,
            state=choices.LparState.OPEN_FIRMWARE,
            compat_mode="POWER6",
            profile_name="backup",
        ),
        LparFactory(
            frame=frame,
            name="db1",
            lpar_id=13,
            state=choices.LparState.ERROR,
            proc_mode=choices.ProcMode.DEDICATED,
            proc_units=Decimal("2"),
            virtual_procs=2,
            compat_mode="POWER7",
        ),
    ]
    io_drawer = DrawerFactory(frame=frame, kind=choices.DrawerKind.IO, location="U5802.001.DPM0XLZ")
    cec_drawer = DrawerFactory(
        frame=frame, kind=choices.DrawerKind.CEC, location="U78A0.001.DNWHZS4"
    )
    slots = [
        SlotFactory(drawer=io_drawer, location="P1-C1", description="FC card, left"),
        SlotFactory(drawer=io_drawer, location="P1-C2", description=""),
        SlotFactory(drawer=cec_drawer, location="P1-C3", description="spare"),
    ]
    adapters = [
        AdapterFactory(
            slot=slots[0], kind=choices.AdapterKind.FC, feature_code="5735", owner=vios1
        ),
        AdapterFactory(
            slot=slots[1], kind=choices.AdapterKind.ETHERNET, feature_code="", owner=None
        ),
    ]
    ports = [
        PortFactory(adapter=adapters[0], name="T1", speed_gbps=8),
        PortFactory(adapter=adapters[0], name="T2", speed_gbps=None),
    ]
    brocade = FabricFactory(name="FAB_A", zoning_style=choices.ZoningStyle.PEER)
    cisco = FabricFactory(
        name="FAB_B",
        side=choices.FabricSide.B,
        vendor=choices.FabricVendor.CISCO,
        vsan=10,
        zoning_style=choices.ZoningStyle.SMART,
    )
    storage_ports = [
        StoragePortFactory(array="fs9k1", name="n1p1", fabric=brocade),
        StoragePortFactory(array="v7k", name="n2p1", fabric=cisco),
    ]
    vlan = VlanFactory(vlan_id=400)
    ethernet = [
        VirtualAdapterFactory(
            lpar=lpars[0], kind="ethernet", slot=10, pvid=vlan, vswitch="ETHERNET0"
        ),
        VirtualAdapterFactory(lpar=lpars[1], kind="ethernet", slot=11, pvid=vlan, vswitch=""),
    ]
    vscsi = [
        VirtualAdapterFactory(lpar=lpars[0], slot=210, remote_lpar=vios1, remote_slot=210),
        VirtualAdapterFactory(lpar=lpars[1], slot=220, remote_lpar=None),
        VirtualAdapterFactory(lpar=lpars[1], slot=230, remote_lpar=vios2),
    ]
    vfc = vfc_client_create(lpars[0], 610, vios1)
    wwpns = [*vfc.wwpns.all(), wwpn_create(storage_port=storage_ports[1], fabric=cisco)]
    wwpns[0].fabric = brocade
    wwpns[0].save()
    return {
        "hmc2": hmc2,
        "frames": [frame, frame2],
        "vios2": vios2,
        "pool2": pool2,
        "lpars": lpars,
        "drawers": [io_drawer, cec_drawer],
        "slots": slots,
        "adapters": adapters,
        "ports": ports,
        "fabrics": [brocade, cisco],
        "storage-ports": storage_ports,
        "ethernet": ethernet,
        "vscsi": vscsi,
        "wwpns": wwpns,
        "cisco": cisco,
        "planner": user_create("paul", role="Planner"),
    }


@dataclass(frozen=True)
class Case:
    """Set `field` of the rows `rows(estate)` of the list `slug` to `value(estate)`, which is
    stored as `stored(estate)`; `clear=True` ticks Clear instead."""

    slug: str
    field: str
    value: Callable[[dict], object] = lambda e: None
    stored: Callable[[dict], object] | None = None
    rows: Callable[[dict], list] | None = None
    clear: bool = False

    def __str__(self) -> str:
        return f"{self.slug}.{self.field}{' cleared' if self.clear else ''}"


def constant(value) -> Callable[[dict], object]:
    return lambda e: value


def pk_of(key: str) -> Callable[[dict], object]:
    return lambda e: e[key].pk


CASES = [
    Case("frames", "hmc", pk_of("hmc2")),
    Case("frames", "hmc", clear=True),
    Case("frames", "state", constant("error")),
    Case("frames", "firmware_level", constant("FW860.10")),
    Case("frames", "firmware_level", clear=True),
    Case("frames", "max_active_migrations", constant("16"), constant(16)),
    Case("drawers", "kind", constant("io")),
    Case("slots", "description", constant("moved to rack 4")),
    Case("slots", "description", clear=True),
    Case("adapters", "kind", constant("sas")),
    Case("adapters", "feature_code", constant("577D")),
    Case("adapters", "feature_code", clear=True),
    Case("adapters", "owner", pk_of("vios2")),
    Case("adapters", "owner", clear=True),
    Case("ports", "speed_gbps", constant("16"), constant(16)),
    Case("ports", "speed_gbps", clear=True),
    Case("fabrics", "zoning_style", constant("single_initiator")),
    Case("storage-ports", "array", constant("ds8k")),
    Case("lpars", "state", constant("not_activated")),
    Case("lpars", "shared_pool", pk_of("pool2"), rows=lambda e: e["lpars"][:2]),
    Case("lpars", "shared_pool", clear=True),
    Case("lpars", "compat_mode", constant("POWER6")),
    Case("lpars", "proc_mode", constant("shared"), rows=lambda e: e["lpars"][1:]),
    Case("lpars", "profile_name", constant("lpm")),
    Case("lpars", "profile_name", clear=True),
    Case("virtual-adapters", "vswitch", constant("ETHERNET1"), rows=lambda e: e["ethernet"]),
    Case("virtual-adapters", "vswitch", clear=True, rows=lambda e: e["ethernet"]),
    Case("virtual-adapters", "remote_lpar", pk_of("vios2"), rows=lambda e: e["vscsi"]),
    Case("virtual-adapters", "remote_lpar", clear=True, rows=lambda e: e["vscsi"][2:]),
    Case("wwpns", "fabric", pk_of("cisco")),
    # A storage target's WWPN is on its port's fabric: only the NPIV pair's is cleared.
    Case("wwpns", "fabric", clear=True, rows=lambda e: e["wwpns"][:2]),
]


def test_every_bulk_edit_field_has_a_case():
    covered = {(case.slug, case.field) for case in CASES}
    wanted = {(t.slug, name) for t in OBJECT_TYPES for name in t.bulk_fields}
    assert wanted - covered == set()


def form_as_a_browser_sends_it(response) -> dict[str, list]:
    """The bulk edit form's fields as a browser submits the page untouched: every text field's
    value, each select's selected (else first) option, ticked boxes only."""
    [form] = [f for f in lxml.html.fromstring(response.content).forms if "apply" in f.fields]
    data: dict[str, list] = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    for element in form.inputs:  # an empty text field is sent empty (lxml leaves it out)
        if getattr(element, "type", None) in ("text", "number") and element.name not in data:
            data[element.name] = [""]
    return data


def errors_of(response) -> str:
    body = response.content.decode()
    return body.split('data-testid="form-errors">', 1)[-1].split("</div></div>", 1)[0][:500]


def rows_of(model) -> dict[int, dict]:
    return {row["id"]: row for row in model.objects.order_by("pk").values()}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bulk_edit_changes_only_the_field_set(planner_client, estate, case):
    object_type = BY_SLUG[case.slug]
    model = object_type.model
    field = model._meta.get_field(case.field)
    before = rows_of(model)
    assert len(before) >= 2
    selected = [obj.pk for obj in case.rows(estate)] if case.rows else list(before)
    url = f"/inventory/{case.slug}/bulk-edit/"
    data = form_as_a_browser_sends_it(planner_client.post(url, {"pk": selected}))
    if case.clear:
        data[f"clear_{case.field}"] = ["on"]
        new = None if field.null else ""
    else:
        data[case.field] = [case.value(estate)]
        new = (case.stored or case.value)(estate)
    assert any(before[pk][field.attname] != new for pk in selected), "the edit changes nothing"

    response = planner_client.post(url, data)

    assert response.status_code == 302, errors_of(response)
    expected = {pk: dict(row) for pk, row in before.items()}
    for pk in selected:
        expected[pk][field.attname] = new
    assert rows_of(model) == expected


@pytest.mark.parametrize("slug", [t.slug for t in OBJECT_TYPES if t.bulk_fields])
def test_the_untouched_form_changes_nothing(planner_client, estate, slug):
    model = BY_SLUG[slug].model
    before = rows_of(model)
    url = f"/inventory/{slug}/bulk-edit/"
    page = planner_client.post(url, {"pk": list(before)})
    data = form_as_a_browser_sends_it(page)
    assert {name: data[name] for name in BY_SLUG[slug].bulk_fields} == {
        name: [""] for name in BY_SLUG[slug].bulk_fields
    }
    response = planner_client.post(url, data)
    assert "Choose at least one field to change." in response.content.decode()
    assert rows_of(model) == before


def test_setting_a_value_and_clear_together_is_refused_and_changes_nothing(planner_client, estate):
    lpars = estate["lpars"][:2]
    before = rows_of(type(lpars[0]))
    response = planner_client.post(
        "/inventory/lpars/bulk-edit/",
        {
            "pk": [str(lpar.pk) for lpar in lpars],
            "apply": "1",
            "profile_name": "lpm",
            "clear_profile_name": "on",
        },
    )
    assert response.status_code == 200
    assert "Set a value or tick Clear, not both." in response.content.decode()
    assert rows_of(type(lpars[0])) == before
