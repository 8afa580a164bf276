"""Hostile files at the workbook import: too large, damaged, lying about their size, full of
blank rows, binary or in the wrong encoding. Each is a 400 with a sentence saying why, no import
is left queued or running, and a refused file is not kept."""

import io
import struct
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from planning.models import WorkbookImport
from planning.workbook import jobs, read
from planning.workbook.jobs import workbook_import_start
from planning.workbook.read import (
    MB,
    CountingZip,
    Inflation,
    WorkbookRefused,
    workbook_measure,
    workbook_read,
)
from planning.workbook.uploads import TooLargeUpload, UploadLimitHandler
from tests.factories import login
from tests.planning.workbook_helpers import one_sheet_book

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.WORKBOOK_UPLOAD_DIR = tmp_path / "workbook-imports"
    return settings.WORKBOOK_UPLOAD_DIR


def upload(api, content: bytes, *, name: str = "estate.xlsx", **extra):
    file = SimpleUploadedFile(name, content)
    return api.post(
        "/api/workbook/import/", {"file": file, "dry_run": "true", **extra}, format="multipart"
    )


def kept(uploads) -> list:
    return sorted(uploads.iterdir()) if uploads.exists() else []


def vlans() -> bytes:
    return one_sheet_book("VLANs", [["VLAN", "Name"], [402, "backup"], [403, "nfs"]])


def with_member(content: bytes, member: str, data: bytes) -> bytes:
    """The xlsx with one member's content replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = data if info.filename == member else source.read(info)
            target.writestr(info.filename, body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def lying_directory(content: bytes, member: str, size: int) -> bytes:
    """The xlsx whose zip directory (and local header) under-declares `member`'s size."""
    data = bytearray(content)
    name = member.encode()
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            header = 46 if signature == b"PK\x01\x02" else 30
            if data[start + header : start + header + len(name)] == name:
                struct.pack_into("<I", data, start + offset, size)
            start += 4
    return bytes(data)


def sheet_xml(rows: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'
    ).encode()


HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>VLAN</t></is></c></row>'


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("estate.xlsx", b"", "empty"),
        ("estate.xlsx", vlans()[: len(vlans()) // 2], "damaged"),
        ("estate.xlsx", lying_directory(vlans(), SHEET, 40), "damaged"),
        ("estate.xlsx", with_member(vlans(), SHEET, b"<worksheet><sheetData><row"), "readable"),
        ("VLANs.csv", b"VLAN,Name\n402,back\x00up\n", "NUL bytes"),
        ("VLANs.csv", "VLAN,Name\n402,backup\n".encode("utf-16"), "UTF-16"),
        ("VLANs.csv", b"VLAN,Name\n402,\x81\x8d\x90\n", "neither UTF-8 nor Windows-1252"),
        ("estate.xlsx", b"VLAN,Name\n402,backup\n", "not an xlsx workbook nor a CSV file"),
        ("VLANs.csv", b"VLAN,Name\n402," + b"x" * (200 * 1024) + b"\n", "cannot be read"),
    ],
    ids=[
        "empty",
        "truncated-zip",
        "lying-zip-directory",
        "broken-sheet-xml",
        "nul-bytes",
        "utf-16",
        "wrong-encoding",
        "csv-named-xlsx",
        "giant-csv-field",
    ],
)
def test_a_malformed_file_is_a_400_with_a_sentence_and_is_not_kept(
    api, uploads, name, content, words
):
    response = upload(api, content, name=name)
    assert response.status_code == 400, response.content
    [message] = response.json()["file"]
    assert words in message and message.endswith(".")
    assert kept(uploads) == []
    for job in WorkbookImport.objects.all():
        assert job.state == WorkbookImport.State.FAILED
        assert job.file_deleted is not None


def test_a_refused_import_cannot_be_committed(api, uploads):
    refused = upload(api, b"VLAN,Name\n402,back\x00up\n", name="VLANs.csv").json()["import"]
    response = api.post(f"/api/workbook/imports/{refused['id']}/commit/")
    assert response.status_code == 400
    assert "was refused (The file holds NUL bytes" in response.json()["file"][0]
    assert WorkbookImport.objects.count() == 1


def test_an_upload_over_the_limit_is_refused_before_anything_is_kept(api, uploads, settings):
    settings.WORKBOOK_MAX_UPLOAD_MB = 1
    response = upload(api, b"x" * (MB + 1), name="VLANs.csv")
    assert response.status_code == 400
    assert response.json()["file"] == [
        "The file is 1.0 MB; an upload may be at most 1 MB (setting WORKBOOK_MAX_UPLOAD_MB). "
        "Split the workbook or import it sheet by sheet."
    ]
    assert kept(uploads) == [] and not WorkbookImport.objects.exists()


def test_past_the_limit_the_rest_of_an_upload_is_dropped_not_spooled(settings):
    settings.WORKBOOK_MAX_UPLOAD_MB = 1
    handler = UploadLimitHandler()
    handler.new_file("file", "big.xlsx", "application/octet-stream", None)
    chunk = b"x" * (256 * 1024)
    passed = [handler.receive_data_chunk(chunk, n * len(chunk)) for n in range(8)]
    assert [part is not None for part in passed] == [True] * 4 + [False] * 4
    upload = handler.file_complete(8 * len(chunk))
    assert isinstance(upload, TooLargeUpload) and upload.size == 2 * MB
    assert upload.read() == b""


def test_the_service_counts_the_bytes_it_stores_whatever_the_caller_checked(
    planner, uploads, settings
):
    settings.WORKBOOK_MAX_UPLOAD_MB = 1
    chunks = (b"x" * (256 * 1024) for _ in range(5))
    with pytest.raises(ValidationError) as refused:
        workbook_import_start(chunks=chunks, filename="VLANs.csv", user=planner)
    assert "at most 1 MB" in refused.value.message_dict["file"][0]
    assert kept(uploads) == [] and not WorkbookImport.objects.exists()


def test_the_inflation_guard_counts_real_bytes_and_stops_at_the_limit(tmp_path, settings):
    settings.WORKBOOK_MAX_UNCOMPRESSED_MB = 3
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(with_member(vlans(), SHEET, sheet_xml(" " * (50 * MB))))
    inflation = Inflation(path)
    with CountingZip(path, inflation) as archive, pytest.raises(WorkbookRefused) as refused:
        archive.read(SHEET)
    assert "zip bomb" in str(refused.value)
    assert 3 * MB < inflation.total <= 4 * MB  # it stopped there, 46 MB unread
    with pytest.raises(WorkbookRefused, match="inflates to more than 3 MB"):
        workbook_read(path, filename="bomb.xlsx")


def test_a_part_read_whole_is_refused_past_its_own_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "WHOLE_PART_MAX", 2 * MB)
    path = tmp_path / "styles.xlsx"
    path.write_bytes(with_member(vlans(), "xl/styles.xml", b" " * (5 * MB)))
    with pytest.raises(WorkbookRefused, match=r"part xl/styles\.xml inflates past 2 MB"):
        workbook_read(path, filename="styles.xlsx")


def test_blank_rows_count_against_the_row_limit(api, tmp_path, settings):
    """3 million blank rows once took 24 s in the request without counting: every row read
    counts, blank ones and the gap before a far row number too."""
    settings.WORKBOOK_MAX_ROWS = 1000
    blank = with_member(vlans(), SHEET, sheet_xml(HEADER_ROW + '<row r="5000"/>'))
    path = tmp_path / "blank.xlsx"
    path.write_bytes(blank)
    with pytest.raises(WorkbookRefused, match="more than 1,000 rows"):
        workbook_read(path, filename="blank.xlsx")
    many = with_member(
        vlans(), SHEET, sheet_xml(HEADER_ROW + "".join("<row/>" for _ in range(3000)))
    )
    path.write_bytes(many)
    with pytest.raises(WorkbookRefused, match="more than 1,000 rows"):
        workbook_read(path, filename="blank.xlsx")
    measure = workbook_measure(path, filename="x.xlsx", rows_at_most=2000, bytes_at_most=MB)
    assert (measure.rows, measure.fits) == (2001, False)


def test_a_file_of_many_rows_goes_to_a_worker_on_its_real_count(api, uploads, settings):
    settings.WORKBOOK_ASYNC_ROWS = 100
    rows = '<row r="1"><c r="A1" t="inlineStr"><is><t>VLAN</t></is></c></row><row r="400"/>'
    response = upload(api, with_member(vlans(), SHEET, sheet_xml(rows)))
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "queued"
    assert response.json()["rows"] == 0  # not read in the request: the worker reads it


def test_a_file_that_inflates_past_the_request_budget_goes_to_a_worker(api, uploads, monkeypatch):
    inflated = sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(vlans())).infolist())
    monkeypatch.setattr(jobs, "REQUEST_MAX_INFLATED", inflated + 4096)
    padded = with_member(vlans(), "docProps/app.xml", b" " * 8192)
    response = upload(api, padded)
    assert response.status_code == 202, response.content
    assert upload(api, vlans()).status_code == 200


def test_a_small_file_is_still_answered_at_once(api, uploads):
    response = upload(api, vlans())
    assert response.status_code == 200, response.content
    assert response.json()["report"]["sheets"]["VLANs"]["created"] == 2
    csv = upload(api, b"VLAN;Name\r\n404;caf\xe9\r\n", name="VLANs.csv")
    assert csv.status_code == 200, csv.content  # Windows-1252, as Excel saves it


def test_the_page_says_why_a_file_was_refused_and_that_it_is_gone(client, planner, uploads):
    login(client, planner)
    bad = SimpleUploadedFile("VLANs.csv", b"VLAN,Name\n402,back\x00up\n")
    response = client.post("/planning/workbook/", {"file": bad, "sheet": ""}, follow=True)
    page = response.content.decode()
    assert "The file holds NUL bytes: it is binary data, not a CSV text file." in page
    assert "The file was refused and deleted at once." in page
    assert kept(uploads) == []
    too_large = SimpleUploadedFile("VLANs.csv", b"x" * (26 * MB))
    page = client.post("/planning/workbook/", {"file": too_large}).content.decode()
    assert "The file is 26.0 MB; an upload may be at most 25 MB" in page
