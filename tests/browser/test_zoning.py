"""A SAN admin downloads the zoning workbook of fabric A from the Zoning page."""

import io
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.demo_estate import demo_estate_restore
from tests.factories import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_san_admin_downloads_the_workbook_for_fabric_a(page, live_server, sign_in):
    demo_estate_restore()
    sign_in(user_create("sam", role="SAN admin"))
    page.get_by_role("link", name="Zoning", exact=True).click()

    card = page.get_by_test_id("fabric-FAB_A")
    expect(card).to_contain_text("cfg_FAB_A")
    expect(card.get_by_test_id("last-export")).to_contain_text("Never exported")
    with page.expect_download() as info:
        card.get_by_role("link", name="Workbook (xlsx)").click()
    download = info.value
    assert download.suggested_filename == "zoning-FAB_A.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert "Zoning" in book.sheetnames
    fabrics = {row[3].value for row in book["Zoning"].iter_rows(min_row=2)}
    assert fabrics == {"FAB_A"}

    page.reload()
    expect(card.get_by_test_id("last-export")).to_contain_text("Last export")
    expect(card.get_by_test_id("last-export")).to_contain_text("by sam (xlsx)")
