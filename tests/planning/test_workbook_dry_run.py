"""A dry run skips what only a rollback would undo (history rows): its report is still, to the
last count and message, the report of the commit of the same file."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inventory.history import history_list
from inventory.models import Lpar
from tests.planning.workbook_helpers import (
    book_of,
    cell_of,
    estate_dump,
    inventory_empty,
    saved,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.WORKBOOK_UPLOAD_DIR = tmp_path / "workbook-imports"


def _export(api) -> bytes:
    response = api.get("/api/workbook/?format=xlsx")
    assert response.status_code == 200
    return response.content


def _import(api, content: bytes, *, dry_run: bool) -> dict:
    data = {
        "file": SimpleUploadedFile("estate.xlsx", content),
        "dry_run": "true" if dry_run else "false",
    }
    response = api.post("/api/workbook/import/", data, format="multipart")
    assert response.status_code == 200, response.content
    return response.json()


def _without_committed(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "committed"}


def test_a_dry_run_of_the_whole_estate_reports_what_its_commit_creates(api, demo):
    """Every sheet creates rows: tagged VLANs, WWPN pairs, stub-less LPARs, adapters."""
    content = _export(api)
    before = estate_dump()
    inventory_empty()

    dry = _import(api, content, dry_run=True)
    assert Lpar.objects.count() == 0
    done = _import(api, content, dry_run=False)

    assert done["committed"] is True and dry["committed"] is False
    assert dry["report"]["total"]["created"] > 0
    assert _without_committed(dry["report"]) == _without_committed(done["report"])
    assert estate_dump() == before


def test_a_dry_run_of_edits_reports_what_its_commit_changes_and_the_commit_has_history(api, demo):
    book = book_of(_export(api))
    cell_of(book["LPARs"], "Memory (MB)", Name="server1").value = 4096
    cell_of(book["Frames"], "Firmware level", Name="p750-a").value = "AM780_100"
    cell_of(book["Virtual adapters"], "Device name", LPAR="server1", Slot=210).value = "vscsi7"
    content = saved(book)

    dry = _import(api, content, dry_run=True)
    assert Lpar.objects.get(name="server1").memory_mb == 2048
    done = _import(api, content, dry_run=False)

    assert dry["report"]["total"]["updated"] == 3
    assert _without_committed(dry["report"]) == _without_committed(done["report"])
    recorded = history_list(request_id=done["request_id"])
    assert sorted(c.model_name for c in recorded) == ["LPAR", "frame", "virtual adapter"]


def test_a_dry_run_finds_the_same_problems_as_the_commit(api, demo):
    book = book_of(_export(api))
    adapters = book["Virtual adapters"]
    cell_of(adapters, "Slot", LPAR="server1", Slot=210).value = 450
    cell_of(adapters, "Remote LPAR", LPAR="server1", Slot=220).value = "vios9"
    cell_of(book["LPARs"], "Memory (MB)", Name="server1").value = 4096
    content = saved(book)
    before = estate_dump()

    dry = _import(api, content, dry_run=True)
    done = _import(api, content, dry_run=False)

    assert len(dry["report"]["problems"]) == 2
    assert dry["report"] == done["report"]
    assert done["committed"] is False
    assert estate_dump() == before
