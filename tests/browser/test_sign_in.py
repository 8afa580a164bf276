"""A planner signs in through the browser, sees the dashboard, and signs out."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_shows_the_dashboard_with_navigation(planner, page, live_server, sign_in):
    page.goto(f"{live_server.url}/migrations/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/migrations/"))

    sign_in(planner)

    expect(page).to_have_url(f"{live_server.url}/migrations/")
    page.get_by_role("link", name="lpmplanner").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_test_id("signed-in-as")).to_have_text("paul")
    expect(page.get_by_text("Planner: Edits the inventory")).to_be_visible()
    for section in ("Inventory", "Planning", "Zoning", "Migrations", "HMCs"):
        expect(page.get_by_role("link", name=section, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def test_wrong_password_says_so_and_stays_signed_out(planner, page, live_server, sign_in):
    sign_in(planner, password="not the password")

    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))


def test_swagger_ui_renders_from_local_files_only(planner, page, live_server, sign_in):
    outside = []
    page.on(
        "request",
        lambda req: (
            None if req.url.startswith((live_server.url, "data:")) else outside.append(req.url)
        ),
    )
    sign_in(planner)
    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("lpmplanner API")
    # Swagger UI renders the operations' sections as they scroll into view.
    me = page.get_by_text("/api/me/")
    for _ in range(60):
        if me.count():
            break
        page.mouse.wheel(0, 1500)
        page.wait_for_timeout(100)
    expect(me).to_be_visible()
    assert outside == []
