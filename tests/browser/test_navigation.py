"""A new user finds their way: the navigation bar at 1024 px (collapsed, Sign out reachable,
nothing wider than the window), the global search from "/" with a WWPN typed with colons, and
a related filter chosen by name."""

import pytest
from playwright.sync_api import expect

from inventory.identifiers import wwpn_colon
from inventory.models import Lpar, Wwpn
from tests.browser.conftest import ARTIFACTS
from tests.demo_estate import demo_estate_restore

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_estate():
    demo_estate_restore()


def _console_errors(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_at_1024_px_the_navigation_collapses_and_sign_out_stays_in_reach(
    planner, page, live_server, sign_in
):
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(planner)
    page.goto(f"{live_server.url}/inventory/lpars/")
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_hidden()  # collapsed behind the toggler
    page.get_by_role("button", name="Toggle navigation").click()
    expect(sign_out).to_be_visible()
    box = sign_out.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1024
    # Nothing pushes the page wider than the window: tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / "navigation-1024px.png", full_page=False)
    # Wide enough, the bar is one row with Sign out inside the window.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.reload()
    expect(sign_out).to_be_visible()
    box = sign_out.bounding_box()
    assert box["x"] + box["width"] <= 1280
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server.url}/inventory/lpars/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_slash_opens_the_search_which_finds_a_wwpn_typed_with_colons(
    planner, page, live_server, sign_in, demo_estate
):
    wwpn = Wwpn.objects.filter(virtual_adapter__isnull=False).first()
    sign_in(planner)
    page.goto(f"{live_server.url}/inventory/")
    page.keyboard.press("/")
    search = page.get_by_role("searchbox", name="Search the estate")
    expect(search).to_be_focused()
    search.fill(wwpn_colon(wwpn.value).upper())
    search.press("Enter")
    group = page.locator('[data-testid="search-group"][data-kind="WWPNs"]')
    expect(group.get_by_role("link", name=wwpn_colon(wwpn.value))).to_be_visible()
    dashed = "-".join(wwpn.value[i : i + 4] for i in range(0, 16, 4))
    page.goto(f"{live_server.url}/search/?q={dashed}")
    expect(group.get_by_role("link", name=wwpn_colon(wwpn.value))).to_be_visible()


def test_a_filter_picks_an_lpar_by_name_with_its_frame_and_the_url_keeps_its_id(
    planner, page, live_server, sign_in, demo_estate
):
    errors = _console_errors(page)
    vios = Lpar.objects.get(name="vios1", frame__name="p750-b")
    sign_in(planner)
    page.goto(f"{live_server.url}/inventory/virtual-adapters/")
    expect(page.get_by_text("LPAR", exact=True).first).to_be_visible()
    control = page.locator("#id_lpar + .ts-wrapper .ts-control")
    control.click()
    page.keyboard.type("vios1")
    option = page.locator(".ts-dropdown .option", has_text="vios1 (p750-b)")
    expect(option).to_be_visible()
    expect(page.locator(".ts-dropdown .option", has_text="vios1 (p750-a)")).to_be_visible()
    option.click()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    assert f"lpar={vios.pk}&" in page.url, page.url
    expect(page.locator("#id_lpar + .ts-wrapper")).to_contain_text("vios1 (p750-b)")
    rows = page.locator("table.inventory-table tbody tr")
    expect(rows.first).to_contain_text("vios1")
    assert not [e for e in errors if "Content Security Policy" in e], errors
