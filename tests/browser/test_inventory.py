"""A planner works the inventory in the browser: the slot map, and the adapter grid that
refuses an occupied slot on the cell that caused it."""

import pytest
from playwright.sync_api import expect

from tests.demo_estate import demo_estate_restore

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_estate():
    demo_estate_restore()


def test_planner_fixes_an_occupied_slot_in_the_grid(
    planner, page, live_server, sign_in, demo_estate
):
    sign_in(planner)
    page.get_by_role("link", name="Frames", exact=True).click()
    page.get_by_role("link", name="p750-a", exact=True).click()

    expect(page.get_by_role("heading", name="p750-a")).to_be_visible()
    slots = page.get_by_test_id("slot")
    expect(slots.first).to_be_visible()
    assert slots.count() >= 4
    expect(page.locator(".slot.slot-fc").first).to_contain_text("vios1")
    expect(page.get_by_test_id("capacity-units")).to_contain_text("free of 32 units")

    page.get_by_role("link", name="server1", exact=True).click()
    page.get_by_role("link", name="Edit adapters in a grid").click()

    slot_220 = page.locator('td[data-column="slot"] input[value="220"]')
    slot_220.fill("210")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Nothing was saved")).to_be_visible()
    bad_cell = page.locator("td.grid-cell.has-error")
    expect(bad_cell).to_have_count(1)
    expect(bad_cell).to_contain_text("210 is also used in row")
    expect(bad_cell.locator("input")).to_have_value("210")

    bad_cell.locator("input").fill("230")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Saved the virtual adapters of server1.")).to_be_visible()
    adapters = page.get_by_test_id("virtual-adapters")
    expect(adapters.get_by_role("link", name="230", exact=True)).to_be_visible()
    expect(adapters.get_by_role("link", name="220", exact=True)).to_have_count(0)


def test_pasting_spreadsheet_rows_fills_the_grid(planner, page, live_server, sign_in, demo_estate):
    from inventory.models import Lpar

    server1 = Lpar.objects.get(name="server1")
    sign_in(planner)
    page.goto(f"{live_server.url}/inventory/lpars/{server1.pk}/grid/")
    rows_before = page.locator("tr[data-row]").count()
    first_empty = page.locator("tr[data-row]").last.locator('td[data-column="slot"] input')
    first_empty.focus()
    rows = "11\tEthernet\tClient\t\t\t401\n12\tEthernet\tClient\t\t\t400\n"
    page.evaluate(
        """(text) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            const paste = new ClipboardEvent("paste", {clipboardData: data, bubbles: true});
            document.activeElement.dispatchEvent(paste);
        }""",
        rows,
    )
    expect(page.locator("tr[data-row]")).to_have_count(rows_before + 1)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved the virtual adapters of server1.")).to_be_visible()
    ethernet = set(server1.virtual_adapters.filter(kind="ethernet").values_list("slot", "pvid"))
    assert {(11, 401), (12, 400)} <= ethernet
