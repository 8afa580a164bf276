"""Every CSV and xlsx the app writes follows one rule: names that a spreadsheet would evaluate
(`=cmd|' /C calc'!A0`, `+SUM(1)`, `@evil`, a leading `-`, tab or carriage return) come out as
text. In CSV they carry a leading `'`; in xlsx they are string cells, never formulas. WWPNs and
numbers stay what they are."""

import csv
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from openpyxl import Workbook, load_workbook

from inventory.models import Frame, Lpar, StoragePort, Vlan
from lpmplanner.security.spreadsheets import csv_value, xlsx_cell
from tests.factories import login, user_create

LPAR_NAME = "=cmd|' /C calc'!A0"
STORAGE_PORT = "+SUM(1)"
USER_NAME = "@evil"
FRAME_NAME = "-1+2"
VLAN_NAME = "\t=1+1"
HOSTILE = {LPAR_NAME, STORAGE_PORT, USER_NAME, FRAME_NAME, VLAN_NAME}
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_estate(django_db_setup, django_db_blocker):
    """The demo estate with hostile names, and a failed sign-in as `@evil`, built once for the
    module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        Lpar.objects.filter(name="server1").update(name=LPAR_NAME)
        Frame.objects.filter(name="p750-b").update(name=FRAME_NAME)
        port = StoragePort.objects.select_related("wwpn").filter(fabric__isnull=False).first()
        StoragePort.objects.filter(pk=port.pk).update(name=STORAGE_PORT)
        Vlan.objects.update_or_create(vlan_id=400, defaults={"name": VLAN_NAME})
        admin = user_create("root", is_superuser=True, is_staff=True)
        yield {"fabric": port.fabric, "port_wwpn": port.wwpn.value, "admin": admin}
        transaction.set_rollback(True)


@pytest.fixture
def admin(client, hostile_estate, db):
    client.post("/login/", {"username": USER_NAME, "password": "wrong"})
    login(client, hostile_estate["admin"])
    return client


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_csv_is_inert(text: str, expected: set[str]) -> None:
    cells = csv_cells(text)
    assert not [cell for cell in cells if cell.startswith(TRIGGERS)]
    for name in expected:
        assert any(cell.startswith("'" + name) for cell in cells), name


def xlsx_text_cells(content: bytes) -> list:
    book = load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def assert_xlsx_is_inert(content: bytes, expected: set[str]) -> None:
    cells = xlsx_text_cells(content)
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    for name in expected:
        holding = {
            cell.data_type for cell in cells if isinstance(cell.value, str) and name in cell.value
        }
        assert holding == {"s"}, name


@pytest.mark.parametrize(
    ("list_slug", "expected"),
    [
        ("lpars", {LPAR_NAME, FRAME_NAME}),
        ("frames", {FRAME_NAME}),
        ("storage-ports", {STORAGE_PORT}),
        ("vlans", {VLAN_NAME}),
    ],
)
def test_inventory_list_exports_write_names_as_text(admin, list_slug, expected):
    response = admin.get(f"/inventory/{list_slug}/", {"export": "csv"})
    assert response.status_code == 200
    assert_csv_is_inert(response.content.decode(), expected)
    response = admin.get(f"/inventory/{list_slug}/", {"export": "xlsx"})
    assert_xlsx_is_inert(response.content, expected)


def test_zoning_csv_and_xlsx_write_port_and_lpar_names_as_text_and_wwpns_as_they_are(
    admin, hostile_estate
):
    url = f"/api/zoning/fabrics/{hostile_estate['fabric'].pk}/export/"
    text = admin.get(url, {"format": "csv"}).content.decode()
    assert_csv_is_inert(text, {STORAGE_PORT, LPAR_NAME})
    rows = list(csv.DictReader(io.StringIO(text)))
    wwpn = ":".join(hostile_estate["port_wwpn"][i : i + 2] for i in range(0, 16, 2))
    assert any(wwpn in row["Target_WWPN"].lower() for row in rows)
    assert {row["LPAR_ID"] for row in rows} <= {str(i) for i in range(1, 1000)}
    response = admin.get(url, {"format": "xlsx"})
    assert_xlsx_is_inert(response.content, {STORAGE_PORT, LPAR_NAME})
    everything = admin.get("/zoning/download/", {"format": "csv"}).content.decode()
    assert_csv_is_inert(everything, {STORAGE_PORT, LPAR_NAME})


def test_the_planning_workbook_writes_names_as_text(admin):
    response = admin.get("/api/workbook/", {"format": "xlsx"})
    assert response.status_code == 200
    assert_xlsx_is_inert(response.content, {LPAR_NAME, FRAME_NAME, STORAGE_PORT, VLAN_NAME})


def test_the_migratability_matrix_writes_names_as_text(admin):
    response = admin.get("/planning/matrix/export.xlsx")
    assert response.status_code == 200
    assert_xlsx_is_inert(response.content, {LPAR_NAME, FRAME_NAME})


def test_the_security_log_writes_a_typed_user_name_as_text(admin):
    response = admin.get("/security-log.csv", {"kind": "sign_in_failed"})
    text = b"".join(response.streaming_content).decode()
    assert_csv_is_inert(text, {USER_NAME})
    assert [row["username"] for row in csv.DictReader(io.StringIO(text))] == ["'" + USER_NAME]


def test_numbers_stay_numbers_and_only_leading_characters_count():
    assert csv_value(-5) == -5 and csv_value(1.5) == 1.5
    assert csv_value("c050760000000001") == "c050760000000001"
    assert csv_value("a=b") == "a=b"
    assert [csv_value(t + "x") for t in TRIGGERS] == ["'" + t + "x" for t in TRIGGERS]
    sheet = Workbook(write_only=True).create_sheet()
    assert (xlsx_cell(sheet, -5).value, xlsx_cell(sheet, -5).data_type) == (-5, "n")
    assert xlsx_cell(sheet, "=1+1").data_type == "s"
