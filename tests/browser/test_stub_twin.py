"""A planner creates server1's stub twin from its LPAR page and finds it on p750-b."""

import pytest
from playwright.sync_api import expect

from planning.models import EnumerationScheme
from tests.demo_estate import demo_estate_restore

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_stub_twin_is_created_from_the_lpar_page(planner, page, live_server, sign_in):
    # The default scheme, as the migration makes it: an earlier transactional test flushed it.
    EnumerationScheme.objects.get_or_create(
        is_default=True, defaults={"name": "Default", "vios_lpar_ids": [1, 2]}
    )
    demo_estate_restore()
    page.goto(f"{live_server.url}/inventory/lpars/?name=server1")
    sign_in(planner)
    page.get_by_role("link", name="server1").first.click()
    page.get_by_role("link", name="Stub twin & slots").click()
    page.get_by_label("Destination frame").select_option(label="p750-b")
    page.get_by_role("button", name="Create stub twin").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Created server1-stub (LPAR id 110) on p750-b"
    )
    page.goto(f"{live_server.url}/inventory/frames/?name=p750-b")
    page.get_by_role("link", name="p750-b").first.click()
    expect(page.get_by_role("link", name="server1-stub")).to_be_visible()
