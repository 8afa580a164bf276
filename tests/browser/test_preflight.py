"""A planner opens the migratability matrix, filters it to p750-a, and opens a cell's findings
beside the matrix (htmx) without leaving the page."""

import pytest
from playwright.sync_api import expect

from planning.models import EnumerationScheme
from tests.demo_estate import demo_estate_restore

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_matrix_opens_a_cells_findings(planner, page, live_server, sign_in):
    EnumerationScheme.objects.get_or_create(
        is_default=True, defaults={"name": "Default", "vios_lpar_ids": [1, 2]}
    )
    demo_estate_restore()
    page.goto(f"{live_server.url}/planning/")
    sign_in(planner)
    page.get_by_role("link", name="Migratability matrix").click()
    page.get_by_label("LPARs of frame").select_option(label="p750-a")
    page.get_by_role("button", name="Show").click()
    matrix = page.get_by_test_id("matrix")
    expect(matrix.get_by_role("link", name="server1", exact=True)).to_be_visible()
    expect(matrix.get_by_role("link", name="app1", exact=True)).to_have_count(0)
    url = page.url
    # Its own frame is no destination: a plain cell, not a "cannot move" to open.
    expect(matrix.get_by_label("server1 lives on p750-a")).to_be_visible()
    expect(matrix.get_by_label("server1 to p750-a: blocked")).to_have_count(0)
    findings = page.get_by_test_id("cell-findings")
    matrix.get_by_label("server1 to p750-b: ok").click()
    expect(findings).to_contain_text("server1 (p750-a) → p750-b")
    expect(findings).to_contain_text("No finding.")
    assert page.url == url  # opened beside the matrix
