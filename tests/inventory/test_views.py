"""The inventory pages: lists with filters, columns and export, detail pages with the slot map
and capacity, forms showing the failed rule at the field, bulk edit, grids, history."""

import csv
import html
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.db.models import RestrictedError
from django.urls import reverse

from inventory.identifiers import wwpn_colon
from inventory.models import Adapter, Lpar, VirtualAdapter, Vlan
from tests.factories import (
    AdapterFactory,
    DrawerFactory,
    FrameFactory,
    LparFactory,
    SharedProcessorPoolFactory,
    SlotFactory,
    ViosFactory,
    VirtualAdapterFactory,
    VlanFactory,
    login,
    user_create,
    vfc_client_create,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    frame = FrameFactory(name="p750-a", proc_units=Decimal("16"), memory_mb=65536)
    other = FrameFactory(name="p750-b")
    vios1 = ViosFactory(
        frame=frame, name="vios1", lpar_id=1, proc_units=Decimal("2"), memory_mb=8192
    )
    vios2 = ViosFactory(
        frame=frame, name="vios2", lpar_id=2, proc_units=Decimal("2"), memory_mb=8192
    )
    server1 = LparFactory(
        frame=frame,
        name="server1",
        lpar_id=10,
        proc_units=Decimal("1"),
        virtual_procs=1,
        memory_mb=2048,
    )
    drawer = DrawerFactory(frame=frame, location="U78A0.001.DNWHZS4")
    fc_slot = SlotFactory(drawer=drawer, location="P1-C1")
    AdapterFactory(slot=fc_slot, kind="fc", owner=vios1)
    eth_slot = SlotFactory(drawer=drawer, location="P1-C2")
    AdapterFactory(slot=eth_slot, kind="ethernet", owner=vios2)
    SlotFactory(drawer=drawer, location="P1-C3")
    VlanFactory(vlan_id=400)
    VirtualAdapterFactory(lpar=server1, kind="vscsi", slot=210, remote_lpar=vios1, remote_slot=210)
    VirtualAdapterFactory(
        lpar=vios1, kind="vscsi", role="server", slot=210, remote_lpar=server1, remote_slot=210
    )
    VirtualAdapterFactory(lpar=server1, kind="vscsi", slot=220, remote_lpar=vios2, remote_slot=220)
    vfc_client_create(server1, 610, vios1)
    return {"frame": frame, "other": other, "vios1": vios1, "vios2": vios2, "server1": server1}


def header_of(response) -> list[str]:
    """The column headings of the list's table (without the selection column)."""
    thead = response.content.decode().split("<thead", 1)[1].split("</thead>", 1)[0]
    cells = re.findall(r"<th[^>]*>(.*?)</th>", thead, re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in cells if "checkbox" not in c]


@pytest.fixture
def planner_client(client, planner):
    login(client, planner)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    login(client, viewer)
    return client


def test_lpar_list_filters_by_frame_name_and_search(viewer_client, estate):
    LparFactory(frame=estate["other"], name="db01", lpar_id=20)
    body = viewer_client.get("/inventory/lpars/", {"frame__name": "p750-b"}).content.decode()
    assert "db01" in body and "server1" not in body
    body = viewer_client.get("/inventory/lpars/", {"q": "serv"}).content.decode()
    assert "server1" in body and "db01" not in body and "vios1" not in body


def test_column_chooser_hides_columns_and_remembers_the_choice(viewer_client, estate):
    response = viewer_client.get("/inventory/lpars/", {"columns": ["name", "memory_mb"]})
    assert header_of(response) == ["Name", "Memory"]
    assert header_of(viewer_client.get("/inventory/lpars/")) == ["Name", "Memory"]


def test_export_csv_is_the_filtered_view_with_chosen_columns(viewer_client, estate):
    response = viewer_client.get(
        "/inventory/lpars/", {"kind": "vios", "columns": ["name", "lpar_id"], "export": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Name", "LPAR id"]
    assert sorted(rows[1:]) == [["vios1", "1"], ["vios2", "2"]]


def test_export_xlsx_opens_in_a_spreadsheet(viewer_client, estate):
    response = viewer_client.get("/inventory/frames/", {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    names = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert names == ["p750-a", "p750-b"]


def test_list_query_count_does_not_grow_with_rows(
    viewer_client, estate, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as few:
        viewer_client.get("/inventory/lpars/")
    for n in range(30):
        LparFactory(frame=estate["other"], name=f"bulk{n}", lpar_id=100 + n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        viewer_client.get("/inventory/lpars/")


def test_frame_detail_shows_slot_map_and_capacity(viewer_client, estate):
    frame = estate["frame"]
    body = viewer_client.get(frame.get_absolute_url()).content.decode()
    assert body.count('data-testid="slot"') == 3
    assert 'class="slot slot-fc owner-1"' in body and 'class="slot slot-empty"' in body
    assert 'class="slot slot-ethernet owner-2"' in body
    assert "vios1" in body
    # 2 + 2 + 1 units of 16 assigned; 8192 + 8192 + 2048 MB of 65536.
    assert "5 assigned · 11 free of 16 units" in body
    text = re.sub(r"<[^>]+>", "", body)
    assert "18 GB assigned · 46 GB free of 64 GB" in text
    assert 'title="65,536 MB"' in body


def test_lpar_detail_shows_adapters_in_slot_order_with_their_vios_side(viewer_client, estate):
    body = viewer_client.get(estate["server1"].get_absolute_url()).content.decode()
    assert body.index(">210<") < body.index(">220<") < body.index(">610<")
    assert "paired" in body  # 210 has its vhost on vios1
    assert "missing on remote" in body  # 220 has no server adapter on vios2
    wwpns = estate["server1"].virtual_adapters.get(slot=610).wwpns.order_by("position")
    for wwpn in wwpns:
        assert wwpn_colon(wwpn.value) in body


def test_form_shows_the_failed_rule_next_to_the_field(planner_client, estate):
    response = planner_client.post(
        "/inventory/virtual-adapters/add/",
        {
            "lpar": estate["server1"].pk,
            "kind": "vscsi",
            "role": "client",
            "slot": "1050",
            "backing_devices": "",
            "vswitch": "",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-field-error="slot"' in body
    assert "under 1000" in body
    assert not VirtualAdapter.objects.filter(slot=1050).exists()


def test_vfc_client_form_needs_two_wwpns(planner_client, estate):
    response = planner_client.post(
        "/inventory/virtual-adapters/add/",
        {
            "lpar": estate["server1"].pk,
            "kind": "vfc",
            "role": "client",
            "slot": "620",
            "remote_lpar": estate["vios2"].pk,
            "remote_slot": "620",
            "wwpn1": "c0:50:76:aa:bb:cc:00:01",
        },
    )
    assert "exactly two WWPNs" in response.content.decode()
    assert not VirtualAdapter.objects.filter(slot=620).exists()


def test_viewer_cannot_open_edit_pages(viewer_client, estate):
    assert viewer_client.get(f"/inventory/lpars/{estate['server1'].pk}/edit/").status_code == 403
    assert viewer_client.post(f"/inventory/lpars/{estate['server1'].pk}/delete/").status_code == 403


def test_san_admin_edits_fabrics_but_not_lpars(client, estate):
    login(client, user_create("sam", role="SAN admin"))
    assert client.get("/inventory/fabrics/add/").status_code == 200
    assert client.get(f"/inventory/lpars/{estate['server1'].pk}/edit/").status_code == 403


def test_delete_of_a_frame_with_lpars_is_refused_with_a_reason(planner_client, estate):
    frame = estate["frame"]
    response = planner_client.post(f"/inventory/frames/{frame.pk}/delete/", follow=True)
    # The same words as the API's 409: what still uses it, counted.
    assert "Frame p750-a is still used by 3 LPARs; change or delete those first." in html.unescape(
        response.content.decode()
    )
    assert type(frame).objects.filter(pk=frame.pk).exists()


def test_delete_refused_by_a_restricted_reference_is_a_message_not_an_error_page(
    planner_client, estate, monkeypatch
):
    vlan = Vlan.objects.get(vlan_id=400)
    blocker = estate["server1"]

    def restricted(self, *args, **kwargs):
        raise RestrictedError("restricted", {blocker})

    monkeypatch.setattr(Vlan, "delete", restricted)
    response = planner_client.post(f"/inventory/vlans/{vlan.pk}/delete/", follow=True)
    assert response.status_code == 200
    message = f"VLAN {vlan} is still used by 1 LPAR; change or delete those first."
    assert message in html.unescape(response.content.decode())
    assert Vlan.objects.filter(pk=vlan.pk).exists()


def test_bulk_edit_moves_lpars_to_another_pool_all_or_nothing(planner_client, estate):
    frame, other = estate["frame"], estate["other"]
    pool = SharedProcessorPoolFactory(frame=frame, pool_id=1, name="prod")
    stray = LparFactory(frame=other, name="elsewhere", lpar_id=30)
    same = [estate["server1"], LparFactory(frame=frame, name="app2", lpar_id=11)]
    pks = [str(p.pk) for p in [*same, stray]]
    response = planner_client.post(
        "/inventory/lpars/bulk-edit/", {"pk": pks, "apply": "1", "shared_pool": pool.pk}
    )
    assert (
        "elsewhere: shared processor pool: Pick a shared processor pool of frame"
        in response.content.decode()
    )
    assert not Lpar.objects.filter(shared_pool=pool).exists()

    response = planner_client.post(
        "/inventory/lpars/bulk-edit/",
        {"pk": [str(p.pk) for p in same], "apply": "1", "shared_pool": pool.pk},
    )
    assert response.status_code == 302
    assert set(Lpar.objects.filter(shared_pool=pool)) == set(same)


def grid_data(lpar, changes: dict[int, dict] | None = None, extra: dict | None = None) -> dict:
    """The POST the grid sends: every adapter of the LPAR as a row, with `changes` by slot."""
    adapters = list(lpar.virtual_adapters.order_by("slot"))
    data = {
        "va-TOTAL_FORMS": str(len(adapters) + (1 if extra else 0)),
        "va-INITIAL_FORMS": str(len(adapters)),
        "va-MIN_NUM_FORMS": "0",
        "va-MAX_NUM_FORMS": "1000",
    }
    for i, adapter in enumerate(adapters):
        row = {
            "id": adapter.pk,
            "kind": adapter.kind,
            "role": adapter.role,
            "slot": adapter.slot,
            "remote_lpar": adapter.remote_lpar_id or "",
            "remote_slot": adapter.remote_slot or "",
            "pvid": adapter.pvid_id or "",
            "device_name": adapter.device_name,
        }
        for wwpn in adapter.wwpns.all():
            row[f"wwpn{wwpn.position}"] = wwpn.value
        row.update((changes or {}).get(adapter.slot, {}))
        data.update({f"va-{i}-{k}": v for k, v in row.items()})
    if extra:
        data.update({f"va-{len(adapters)}-{k}": v for k, v in extra.items()})
    return data


def test_grid_saves_all_rows_or_none_and_marks_the_bad_cell(planner_client, estate):
    server1 = estate["server1"]
    url = reverse("inventory:lpar-grid", args=[server1.pk])
    data = grid_data(server1, {210: {"slot": "230"}, 220: {"slot": "610"}})
    response = planner_client.post(url, data)
    body = html.unescape(response.content.decode())
    assert 'data-cell-error="va-1-slot"' in body
    # The grid also runs the planning scheme's rule: 610 is no vSCSI slot.
    assert "vSCSI slot 610 is outside the scheme's vSCSI range 200–400" in body
    assert "Nothing was saved" in body
    assert set(server1.virtual_adapters.values_list("slot", flat=True)) == {210, 220, 610}

    response = planner_client.post(url, grid_data(server1, {210: {"slot": "230"}}))
    assert response.status_code == 302
    assert set(server1.virtual_adapters.values_list("slot", flat=True)) == {230, 220, 610}


def test_grid_adds_a_row(planner_client, estate):
    server1 = estate["server1"]
    url = reverse("inventory:lpar-grid", args=[server1.pk])
    extra = {"kind": "ethernet", "role": "client", "slot": "10", "pvid": "400"}
    assert planner_client.post(url, grid_data(server1, extra=extra)).status_code == 302
    assert server1.virtual_adapters.get(slot=10).pvid_id == 400


def test_slot_grid_sets_adapters_in_one_save(planner_client, estate):
    frame = estate["frame"]
    slots = list(frame.drawers.get().slots.order_by("location"))
    data = {
        "slot-TOTAL_FORMS": "3",
        "slot-INITIAL_FORMS": "3",
        "slot-MIN_NUM_FORMS": "0",
        "slot-MAX_NUM_FORMS": "1000",
    }
    rows = [("fc", estate["vios1"].pk), ("", ""), ("sas", estate["vios2"].pk)]
    for i, (slot, (kind, owner)) in enumerate(zip(slots, rows, strict=True)):
        data.update(
            {
                f"slot-{i}-id": slot.pk,
                f"slot-{i}-adapter_kind": kind,
                f"slot-{i}-owner": owner,
                f"slot-{i}-description": f"row {i}",
            }
        )
    response = planner_client.post(reverse("inventory:frame-slot-grid", args=[frame.pk]), data)
    assert response.status_code == 302
    kinds = {a.slot.location: a.kind for a in Adapter.objects.filter(slot__drawer__frame=frame)}
    assert kinds == {"P1-C1": "fc", "P1-C3": "sas"}


def test_history_lists_who_changed_what_with_before_and_after(planner_client, planner, estate):
    server1 = estate["server1"]
    planner_client.post(
        f"/inventory/lpars/{server1.pk}/edit/",
        {
            "frame": server1.frame_id,
            "name": "server1",
            "lpar_id": 10,
            "kind": "aix",
            "state": "running",
            "proc_mode": "shared",
            "proc_units": "1.0",
            "virtual_procs": 1,
            "memory_mb": 4096,
            "compat_mode": "default",
        },
    )
    body = planner_client.get("/inventory/history/", {"user": "paul"}).content.decode()
    assert "Memory: 2 GB → 4 GB" in re.sub(r"<[^>]+>", "", body)
    assert 'title="2,048 MB"' in body and 'title="4,096 MB"' in body
    detail = planner_client.get(server1.get_absolute_url()).content.decode()
    assert "Memory: 2 GB → 4 GB" in re.sub(r"<[^>]+>", "", detail)
    assert (
        planner_client.get("/inventory/history/", {"user": "nobody"}).content.decode().count("→")
        == 0
    )
