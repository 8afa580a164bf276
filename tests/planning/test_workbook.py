"""The planning workbook: export, the template, and imports (dry run, commit, bad files)."""

import io
import zipfile
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inventory.history import history_list
from inventory.models import Frame, Lpar, VirtualAdapter, Vlan
from planning.models import WorkbookImport
from planning.stubs import lpar_create_stub_twin
from planning.workbook.columns import SHEETS
from tests.factories import login, user_create
from tests.planning.workbook_helpers import (
    book_of,
    cell_of,
    estate_dump,
    inventory_empty,
    one_sheet_book,
    saved,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.WORKBOOK_UPLOAD_DIR = tmp_path / "workbook-imports"


def export(api) -> bytes:
    response = api.get("/api/workbook/?format=xlsx")
    assert response.status_code == 200, response.content
    return response.content


def upload(api, content: bytes, *, name: str = "estate.xlsx", dry_run: bool = True, **extra):
    file = SimpleUploadedFile(name, content)
    data = {"file": file, "dry_run": "true" if dry_run else "false", **extra}
    return api.post("/api/workbook/import/", data, format="multipart")


def problem_texts(response) -> list[str]:
    return [p["text"] for p in response.json()["report"]["problems"]]


def test_export_has_a_sheet_per_model_with_text_wwpns_and_dropdowns(api, demo):
    book = book_of(export(api))
    assert book.sheetnames == ["README", *(spec.title for spec in SHEETS)]
    adapters = book["Virtual adapters"]
    wwpn = cell_of(adapters, "WWPN 1", LPAR="server1", Slot=610)
    assert (wwpn.value, wwpn.data_type) == ("c050760431670010", "s")
    assert cell_of(adapters, "Kind", LPAR="server1", Slot=610).value == "vFC"
    assert cell_of(adapters, "Remote LPAR", LPAR="server1", Slot=610).value == "vios1"
    lists = [v.formula1 for v in adapters.data_validations.dataValidation]
    assert '"Ethernet,vSCSI,vFC"' in lists
    lpars = book["LPARs"]
    assert cell_of(lpars, "State", Name="ibmi1").value == "Not Activated"
    assert cell_of(lpars, "id", Name="server1").value == demo["server1"].pk


def test_the_template_is_blank_with_a_readme(api, demo):
    response = api.get("/api/workbook/template/")
    assert response.status_code == 200
    book = book_of(response.content)
    assert book.sheetnames[0] == "README"
    readme = [row[:3] for row in book["README"].iter_rows(values_only=True)]
    assert ("Virtual adapters", "Slot", "yes") in readme
    for spec in SHEETS:
        rows = list(book[spec.title].iter_rows(values_only=True))
        assert rows == [tuple(c.header for c in spec.columns)]


def test_export_then_import_of_the_same_file_changes_nothing(api, demo):
    before = estate_dump()
    response = upload(api, export(api), dry_run=False)
    assert response.status_code == 200, response.json()
    report = response.json()["report"]
    assert report["problems"] == []
    assert report["total"]["created"] == report["total"]["updated"] == 0
    assert report["sheets"]["Virtual adapters"]["unchanged"] == VirtualAdapter.objects.count()
    assert estate_dump() == before


def test_three_edited_cells_change_exactly_those_fields_and_the_history_lists_them(api, demo):
    book = book_of(export(api))
    cell_of(book["LPARs"], "Memory (MB)", Name="server1").value = 4096
    cell_of(book["Frames"], "Firmware level", Name="p750-a").value = "AM780_100"
    cell_of(book["Virtual adapters"], "Device name", LPAR="server1", Slot=210).value = "vscsi7"

    preview = upload(api, saved(book))
    assert preview.status_code == 200
    assert preview.json()["committed"] is False
    assert Lpar.objects.get(name="server1").memory_mb == 2048
    changes = preview.json()["report"]["changes"]
    assert {(c["sheet"], tuple(map(tuple, c["fields"]))) for c in changes} == {
        ("LPARs", (("Memory (MB)", "2048", "4096"),)),
        ("Frames", (("Firmware level", "AM780_084", "AM780_100"),)),
        ("Virtual adapters", (("Device name", "vscsi0", "vscsi7"),)),
    }

    response = api.post(f"/api/workbook/imports/{preview.json()['id']}/commit/")
    assert response.status_code == 200, response.json()
    job = response.json()
    assert job["committed"] is True
    assert job["report"]["total"]["updated"] == 3
    assert Lpar.objects.get(name="server1").memory_mb == 4096
    assert Frame.objects.get(name="p750-a").firmware_level == "AM780_100"
    recorded = history_list(request_id=job["request_id"])
    assert sorted((c.model_name, c.action, [f for f, _, _ in c.changes]) for c in recorded) == [
        ("LPAR", "changed", ["Memory"]),
        ("frame", "changed", ["Firmware level"]),
        ("virtual adapter", "changed", ["Device name"]),
    ]
    assert {c.user.username for c in recorded} == {"paul"}


def test_the_demo_estate_comes_back_whole_into_an_empty_database(api, demo):
    content = export(api)
    before = estate_dump()
    inventory_empty()
    assert Lpar.objects.count() == 0

    response = upload(api, content, dry_run=False)
    assert response.status_code == 200, response.json()
    assert problem_texts(response) == []
    assert response.json()["report"]["total"]["updated"] == 0
    assert estate_dump() == before


def test_a_stub_twin_comes_back_linked_to_its_original(api, demo):
    lpar_create_stub_twin(lpar=demo["server1"], destination_frame=demo["p750-b"])
    content = export(api)
    before = estate_dump()
    inventory_empty()

    response = upload(api, content, dry_run=False)
    assert problem_texts(response) == []
    assert estate_dump() == before
    twin = Lpar.objects.get(name="server1-stub")
    assert (twin.stub_of.name, twin.stub_of.frame.name) == ("server1", "p750-a")


def test_row_problems_name_sheet_row_and_column_and_nothing_changes(api, demo):
    book = book_of(export(api))
    adapters = book["Virtual adapters"]
    slot = cell_of(adapters, "Slot", LPAR="server1", Slot=210)
    slot.value = 450
    cell_of(adapters, "Remote LPAR", LPAR="server1", Slot=220).value = "vios9"
    cell_of(book["LPARs"], "Memory (MB)", Name="server1").value = "lots"
    before = estate_dump()

    response = upload(api, saved(book), dry_run=False)
    assert response.status_code == 200
    texts = problem_texts(response)
    assert (
        f"Virtual adapters row {slot.row}, Slot: vSCSI slot 450 is outside the scheme's vSCSI "
        "range 200–400." in texts
    )
    assert any(t.endswith("Remote LPAR: no LPAR vios9 on frame p750-a") for t in texts)
    assert any(
        t.startswith("LPARs row") and "Memory (MB): lots is not a whole number" in t for t in texts
    )
    assert response.json()["committed"] is False
    assert response.json()["state"] == "failed"
    assert estate_dump() == before


def test_a_bad_row_at_the_end_leaves_the_whole_estate_unchanged(api, demo):
    book = book_of(export(api))
    cell_of(book["LPARs"], "Memory (MB)", Name="server1").value = 4096
    adapters = book["Virtual adapters"]
    adapters.append(["", "p750-b", "app1", 30, "Ethernet", "Client", "", "", 999])
    before = estate_dump()

    response = upload(api, saved(book), dry_run=False)
    [problem] = response.json()["report"]["problems"]
    assert problem["sheet"] == "Virtual adapters"
    assert problem["row"] == adapters.max_row
    assert problem["column"] == "PVID"
    assert Lpar.objects.get(name="server1").memory_mb == 2048
    assert estate_dump() == before


def test_headers_are_read_through_synonyms_and_unknown_columns_are_ignored(api, demo):
    content = one_sheet_book(
        "Partitions",
        [
            [
                "managed system",
                "LPAR Name",
                "LPAR_ID",
                "os",
                "Entitlement",
                "VP",
                "MEMORY",
                "Shared Pool",
                "Owner team",
            ],
            ["p750-a", "web1", 30, "AIX", 0.5, 1, 4096, "DefaultPool", "web"],
        ],
    )
    response = upload(api, content, dry_run=False)
    assert response.status_code == 200, response.json()
    job = response.json()
    assert job["report"]["problems"] == []
    assert [n["text"] for n in job["report"]["notes"]] == [
        "Partitions, Owner team: unknown column, ignored"
    ]
    assert job["report"]["sheets"]["LPARs"] == {"created": 1, "updated": 0, "unchanged": 0}
    web1 = Lpar.objects.get(name="web1")
    assert (web1.frame.name, web1.lpar_id, web1.shared_pool.name) == ("p750-a", 30, "DefaultPool")


def test_a_missing_required_column_is_an_error_for_its_sheet(api, demo):
    content = one_sheet_book("LPARs", [["Frame", "Name"], ["p750-a", "web1"]])
    response = upload(api, content)
    assert problem_texts(response) == [
        "LPARs: required columns LPAR id, Kind, Processor units, Virtual processors, "
        "Memory (MB) missing"
    ]


def test_a_csv_file_is_one_sheet(api, demo):
    csv = b"VLAN,Name\n402,backup\n400,app\n"
    response = upload(api, csv, name="vlans.csv", dry_run=False)
    assert response.status_code == 200, response.json()
    assert response.json()["report"]["sheets"]["VLANs"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 1,
    }


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 2**20))
    return out.getvalue()


def _with_formula() -> bytes:
    return one_sheet_book("VLANs", [["VLAN", "Name"], [402, "backup"], ["=A2+1", "next"]])


def _with_merged_header() -> bytes:
    book = book_of(one_sheet_book("VLANs", [["VLAN", "Name", ""], [402, "backup"]]))
    book["VLANs"].merge_cells("B1:C1")
    return saved(book)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"frame,name\nnot a workbook", "not an xlsx workbook"),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600, "password protected"),
        (b"PK\x03\x04 damaged", "damaged"),
        (_zip_bomb(), "zip bomb"),
        (_with_formula(), "formula where a value is expected (row 3, VLAN: =A2+1)"),
        (_with_merged_header(), "merged header cells (B1:C1)"),
    ],
    ids=["not-xlsx", "encrypted", "damaged", "zip-bomb", "formula", "merged-header"],
)
def test_a_bad_file_is_refused_whole_and_changes_nothing(api, demo, content, words):
    before = estate_dump()
    response = upload(api, content, name="estate.xlsx", dry_run=False)
    assert response.status_code == 400
    [message] = response.json()["file"]
    assert words in message
    assert estate_dump() == before
    assert WorkbookImport.objects.get().state == WorkbookImport.State.FAILED


def test_too_many_rows_are_refused(api, demo, settings):
    settings.WORKBOOK_MAX_ROWS = 3
    content = one_sheet_book("VLANs", [["VLAN"], *([n] for n in range(500, 504))])
    response = upload(api, content)
    assert response.status_code == 400
    assert "more than 3 rows" in response.json()["file"][0]


def test_a_wwpn_turned_into_a_number_or_a_name_into_a_date_is_refused_with_why(api, demo):
    book = book_of(export(api))
    wwpn = cell_of(book["Virtual adapters"], "WWPN 1", LPAR="server1", Slot=610)
    wwpn.value = 1.2e15
    name = cell_of(book["LPARs"], "Name", Name="lnx1")
    name.value = datetime(2026, 3, 1)
    response = upload(api, saved(book), dry_run=False)
    texts = problem_texts(response)
    assert (
        f"Virtual adapters row {wwpn.row}, WWPN 1: is a number (1.2E+15) in the file, not text: "
        "spreadsheets turn long digit strings into numbers and lose digits or leading zeros. "
        "Format the WWPN 1 column as Text and type the value again." in texts
    )
    assert any(t.startswith(f"LPARs row {name.row}, Name: is a date") for t in texts)
    assert response.json()["committed"] is False


def test_exporting_needs_to_read_the_inventory_and_importing_the_planner_role(api_client, demo):
    viewer = user_create("vic", role="Viewer")
    api_client.force_authenticate(viewer)
    assert api_client.get("/api/workbook/?format=xlsx").status_code == 200
    response = upload(api_client, b"VLAN\n5\n", name="vlans.csv")
    assert response.status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get("/api/workbook/").status_code == 401


def test_the_workbook_page_previews_and_commits(client, planner, demo):
    client.force_login(planner)
    page = client.get("/planning/workbook/")
    assert b"Export the estate (xlsx)" in page.content
    content = b"VLAN,Name\n402,backup\n"
    response = client.post(
        "/planning/workbook/", {"file": SimpleUploadedFile("VLANs.csv", content), "sheet": ""}
    )
    job = WorkbookImport.objects.get()
    assert response.url == f"/planning/workbook/imports/{job.pk}/"
    preview = client.get(response.url)
    assert b"Commit the import" in preview.content
    committed = client.post(f"/planning/workbook/imports/{job.pk}/commit/", follow=True)
    assert b"Committed: 1 created" in committed.content


def test_a_wwpn_in_scientific_notation_in_a_csv_is_refused_with_why(api, demo):
    csv = b"Frame,Drawer,Slot,Port,WWPN\np750-a,U78A0.001.DNWHZS4,P1-C1,T1,1.2E+15\n"
    response = upload(api, csv, name="Ports and WWPNs.csv")
    [text] = problem_texts(response)
    assert text.startswith("Ports and WWPNs row 2, WWPN: is a number (1.2E+15) in the file")


def test_the_workbook_endpoints_are_in_the_schema(client, viewer):
    client.force_login(viewer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert set(paths["/api/workbook/"]) == {"get"}
    assert set(paths["/api/workbook/template/"]) == {"get"}
    upload_operation = paths["/api/workbook/import/"]["post"]
    assert "multipart/form-data" in upload_operation["requestBody"]["content"]
    assert {"200", "202", "400", "401", "403"} <= set(upload_operation["responses"])
    assert set(paths["/api/workbook/imports/{id}/"]) == {"get"}
    assert set(paths["/api/workbook/imports/{id}/commit/"]) == {"post"}


def test_a_row_with_an_id_renames_its_object_and_without_one_matches_by_name(api, demo):
    book = book_of(export(api))
    # A rename as a planner makes it: find and replace across the workbook.
    for sheet in book.worksheets[1:]:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if cell.value == "server2":
                    cell.value = "server2-renamed"
    lpars = book["LPARs"]
    cell_of(lpars, "id", Name="lnx1").value = None
    cell_of(lpars, "Memory (MB)", Name="lnx1").value = 6144
    server2 = Lpar.objects.get(name="server2")
    adapters = set(server2.virtual_adapters.values_list("id", flat=True))

    response = upload(api, saved(book), dry_run=False)
    report = response.json()["report"]
    assert report["problems"] == []
    assert report["sheets"]["LPARs"] == {
        "created": 0,
        "updated": 2,
        "unchanged": Lpar.objects.count() - 2,
    }
    assert report["sheets"]["Virtual adapters"]["updated"] == 0
    server2.refresh_from_db()
    assert server2.name == "server2-renamed"
    assert set(server2.virtual_adapters.values_list("id", flat=True)) == adapters
    assert Lpar.objects.get(name="lnx1").memory_mb == 6144


def test_unknown_sheets_are_reported_and_ignored(api, demo):
    book = book_of(one_sheet_book("VLANs", [["VLAN", "Name"], [402, "backup"]]))
    book.create_sheet("Cabling").append(["Cable", "From"])
    response = upload(api, saved(book))
    assert [n["text"] for n in response.json()["report"]["notes"]] == [
        "Cabling: not a sheet lpmplanner reads, ignored"
    ]
    assert response.json()["report"]["sheets"]["VLANs"]["created"] == 1


def test_a_queued_import_shows_its_progress_until_it_is_done(client, planner):
    job = WorkbookImport.objects.create(
        filename="big.xlsx",
        stored_name="x.upload",
        dry_run=False,
        request_id="r-1",
        state=WorkbookImport.State.RUNNING,
        progress=40,
        rows=50_000,
    )
    client.force_login(planner)
    partial = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in partial
    assert "40%" in partial
    assert "<html" not in partial
    WorkbookImport.objects.filter(pk=job.pk).update(
        state=WorkbookImport.State.FAILED, message="Nothing was changed: 2 problems in the file."
    )
    done = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done
    assert "Nothing was changed: 2 problems in the file." in done


def test_a_new_adapters_tagged_vlans_are_in_its_history(api, client, planner, demo):
    """The creation's history row holds the tagged VLANs, so the adapter's history shows them
    and a later change of its VLANs reads from what it was created with."""
    header = b"Frame,LPAR,Slot,Kind,Role,vSwitch,PVID,Tagged VLANs\n"
    created = upload(
        api,
        header + b'p750-a,vios1,30,ethernet,trunk,ETHERNET0,1,"400,401"\n',
        name="Virtual adapters.csv",
        dry_run=False,
    )
    assert created.json()["report"]["sheets"]["Virtual adapters"]["created"] == 1, created.json()
    adapter = VirtualAdapter.objects.get(lpar__name="vios1", lpar__frame__name="p750-a", slot=30)
    record = adapter.history.get()
    assert record.history_type == "+" and record.history_user == planner
    assert sorted(row.vlan.vlan_id for row in record.vlans.all()) == [400, 401]

    changed = upload(
        api,
        header + b"p750-a,vios1,30,ethernet,trunk,ETHERNET0,1,401\n",
        name="Virtual adapters.csv",
        dry_run=False,
    )
    assert changed.json()["report"]["sheets"]["Virtual adapters"]["updated"] == 1, changed.json()
    latest = adapter.history.order_by("-history_date", "-history_id").first()
    [vlans] = [c for c in latest.diff_against(latest.prev_record).changes if c.field == "vlans"]
    assert sorted(row["vlan"] for row in vlans.old) == sorted(
        Vlan.objects.filter(vlan_id__in=[400, 401]).values_list("pk", flat=True)
    )
    login(client, planner)
    page = client.get(adapter.get_absolute_url()).content.decode()
    # The history names the field as the form does, and the VLANs by their numbers.
    assert "<li>Tagged VLANs: " in page
