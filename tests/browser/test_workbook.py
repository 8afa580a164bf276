"""A planner exports the workbook, edits it, uploads it, reads the preview and commits."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from inventory.models import Lpar
from tests.demo_estate import demo_estate_restore
from tests.factories import user_create
from tests.planning.workbook_helpers import book_of, cell_of, saved

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.WORKBOOK_UPLOAD_DIR = tmp_path / "workbook-imports"


def test_planner_uploads_an_edited_workbook_previews_it_and_commits(
    page, live_server, sign_in, tmp_path
):
    demo_estate_restore()
    sign_in(user_create("pia", role="Planner"))
    page.get_by_role("link", name="Workbook", exact=True).click()
    with page.expect_download() as info:
        page.get_by_test_id("export").click()
    book = book_of(Path(info.value.path()).read_bytes())
    cell_of(book["LPARs"], "Memory (MB)", Name="server1").value = 8192
    edited = tmp_path / "estate.xlsx"
    edited.write_bytes(saved(book))

    page.get_by_label("Workbook (xlsx) or one sheet (CSV)").set_input_files(str(edited))
    page.get_by_role("button", name="Preview the import").click()

    preview = page.get_by_test_id("preview")
    expect(preview.get_by_role("row", name="LPARs 0 1 10")).to_be_visible()
    expect(page.get_by_test_id("changes")).to_contain_text("Memory (MB): 2048 → 8192")
    assert Lpar.objects.get(name="server1").memory_mb == 2048

    page.get_by_role("button", name="Commit the import").click()
    expect(page.get_by_test_id("committed")).to_contain_text("0 created, 1 changed")
    assert Lpar.objects.get(name="server1").memory_mb == 8192
    page.get_by_role("link", name="What this import changed").click()
    expect(page.locator("body")).to_contain_text("server1")
    expect(page.locator("body")).to_contain_text("Memory: 2 GB → 8 GB")
    expect(page.locator('[title="8,192 MB"]').first).to_be_visible()  # the MB on hover


def test_a_refused_file_shows_why(page, live_server, sign_in, tmp_path):
    sign_in(user_create("pim", role="Planner"))
    page.goto(f"{live_server.url}/planning/workbook/")
    bogus = tmp_path / "estate.xlsx"
    bogus.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600)
    page.get_by_label("Workbook (xlsx) or one sheet (CSV)").set_input_files(str(bogus))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_test_id("refused")).to_contain_text("password protected")
