"""A planner changes a virtual adapter's kind on its edit page: the form reloads with the fields
of the new kind, keeping what was typed."""

import pytest
from playwright.sync_api import expect

from inventory.models import VirtualAdapter
from planning.models import EnumerationScheme
from tests.demo_estate import demo_estate_restore

pytestmark = pytest.mark.django_db(transaction=True)


def test_changing_the_kind_shows_the_fields_of_that_kind(planner, page, live_server, sign_in):
    EnumerationScheme.objects.get_or_create(
        is_default=True, defaults={"name": "Default", "vios_lpar_ids": [1, 2]}
    )
    demo_estate_restore()
    adapter = VirtualAdapter.objects.get(lpar__name="server1", slot=210)
    page.goto(f"{live_server.url}/inventory/virtual-adapters/{adapter.pk}/edit/")
    sign_in(planner)
    expect(page.get_by_label("Remote slot")).to_be_visible()
    expect(page.get_by_label("WWPN 1")).to_have_count(0)
    expect(page.get_by_label("Vswitch")).to_have_count(0)
    page.get_by_label("Device name").fill("fcs7")

    page.get_by_label("Kind").select_option(label="vFC")

    expect(page.get_by_label("WWPN 1")).to_be_visible()
    expect(page.get_by_label("WWPN 2")).to_be_visible()
    expect(page.get_by_label("Backing devices")).to_have_count(0)
    expect(page.get_by_label("Device name")).to_have_value("fcs7")
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit server1 vSCSI slot 210")
