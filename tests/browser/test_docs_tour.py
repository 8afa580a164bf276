"""The tour of the demo estate the guides walk through, one role at a time: each page shows what
its guide says, its Help link opens that guide, and `make docs-screenshots` keeps the pictures the
guides show (docs/images/)."""

import re

import pytest
from playwright.sync_api import expect

from inventory.models import Hmc, Lpar
from tests.demo_estate import demo_estate_restore
from tests.factories import user_create

pytestmark = [
    pytest.mark.browser,
    pytest.mark.docs_screenshot,
    pytest.mark.django_db(transaction=True),
]


def help_of(page) -> str:
    return page.get_by_test_id("help-link").get_attribute("href")


def test_a_planners_tour(page, live_server, sign_in, docs_screenshot):
    demo_estate_restore()
    sign_in(user_create("paula", role="Planner"))
    docs_screenshot(page, "dashboard")

    page.get_by_role("link", name="LPARs", exact=True).click()
    expect(page.get_by_role("link", name="server1", exact=True)).to_be_visible()
    assert help_of(page) == "/docs/guides/planner/estate.html"
    docs_screenshot(page, "lpar-list")

    server1 = Lpar.objects.get(name="server1")
    page.goto(f"{live_server.url}/planning/lpars/{server1.pk}/")
    expect(page.get_by_role("heading", name=re.compile(r"^server1"))).to_be_visible()
    assert help_of(page) == "/docs/guides/planner/planning.html"
    docs_screenshot(page, "planning-lpar")

    page.goto(f"{live_server.url}/planning/matrix/")
    expect(page.get_by_role("heading", name="Migratability matrix")).to_be_visible()
    assert help_of(page) == "/docs/guides/planner/preflight-and-evacuation.html"
    docs_screenshot(page, "matrix")

    page.get_by_role("link", name="Workbook", exact=True).click()
    expect(page.get_by_role("heading", name="Planning workbook")).to_be_visible()
    assert help_of(page) == "/docs/guides/planner/workbook.html"
    docs_screenshot(page, "workbook")


def test_a_san_admins_and_an_operators_tour(page, live_server, sign_in, docs_screenshot):
    demo_estate_restore()
    sign_in(user_create("sam", role="SAN admin"))
    page.get_by_role("link", name="Zoning", exact=True).click()
    expect(page.get_by_test_id("fabric-FAB_A")).to_contain_text("cfg_FAB_A")
    assert help_of(page) == "/docs/guides/san-admin.html"
    docs_screenshot(page, "zoning")
    page.get_by_role("button", name="Sign out").click()

    sign_in(user_create("olga", role="Operator"))
    page.get_by_role("link", name="Migrations", exact=True).click()
    expect(page.get_by_role("heading", name="Migrations", exact=True)).to_be_visible()
    assert help_of(page) == "/docs/guides/operator/migrate.html"
    docs_screenshot(page, "migrations")
    page.get_by_role("link", name="HMCs", exact=True).click()
    hmc = Hmc.objects.get()  # the demo estate's one HMC (its name depends on the setup)
    expect(page.get_by_role("link", name=hmc.name, exact=True)).to_be_visible()
    assert help_of(page) == "/docs/operations/hmcs-and-simulator.html"
