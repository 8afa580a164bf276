"""The virtual adapter's edit page: the fields of its kind and role only, one message per
broken rule, a heading that names the adapter as saved."""

import re

import pytest

from inventory.models import VirtualAdapter
from tests.demo_estate import demo_estate_restore
from tests.factories import login

pytestmark = pytest.mark.django_db

KIND_FIELDS = {
    "remote_lpar",
    "remote_slot",
    "pvid",
    "vlans",
    "vswitch",
    "trunk_priority",
    "physical_port",
    "backing_devices",
    "wwpn1",
    "wwpn2",
}


@pytest.fixture
def adapters(client, planner):
    demo_estate_restore()
    login(client, planner)
    found = VirtualAdapter.objects.select_related("lpar")
    return {
        "vscsi client": found.get(lpar__name="server1", slot=210),
        "vfc client": found.get(lpar__name="server1", slot=610),
        "ethernet client": found.get(lpar__name="server1", kind="ethernet"),
        "vscsi server": found.get(lpar__frame__name="p750-a", lpar__name="vios1", slot=210),
        "vfc server": found.get(lpar__frame__name="p750-a", lpar__name="vios1", slot=610),
        "trunk": found.filter(lpar__frame__name="p750-a", role="trunk").first(),
    }


def fields_shown(body: str) -> set[str]:
    form = body.split('class="card card-body" novalidate>', 1)[1].split("</form>", 1)[0]
    return set(re.findall(r'name="(\w+)"', form)) & KIND_FIELDS


def edit_page(client, adapter, **query) -> str:
    return client.get(f"/inventory/virtual-adapters/{adapter.pk}/edit/", query).content.decode()


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        ("vscsi client", {"remote_lpar", "remote_slot"}),
        ("vfc client", {"remote_lpar", "remote_slot", "wwpn1", "wwpn2"}),
        ("ethernet client", {"pvid", "vlans", "vswitch"}),
        ("vscsi server", {"remote_lpar", "remote_slot", "backing_devices"}),
        ("vfc server", {"remote_lpar", "remote_slot", "physical_port"}),
        ("trunk", {"pvid", "vlans", "vswitch", "trunk_priority"}),
    ],
)
def test_the_form_shows_the_fields_of_the_adapters_kind_and_role(client, adapters, which, expected):
    assert fields_shown(edit_page(client, adapters[which])) == expected


def test_choosing_another_kind_shows_its_fields(client, adapters):
    body = edit_page(client, adapters["vscsi client"], kind="vfc", role="client")
    assert fields_shown(body) == {"remote_lpar", "remote_slot", "wwpn1", "wwpn2"}
    assert 'data-reload-on-change=""' in body  # the page reloads so when the kind changes


def test_slot_1000_gets_one_message_and_the_heading_names_the_saved_slot(client, adapters):
    adapter = adapters["vscsi client"]
    response = client.post(
        f"/inventory/virtual-adapters/{adapter.pk}/edit/",
        {
            "lpar": adapter.lpar_id,
            "kind": "vscsi",
            "role": "client",
            "slot": "1000",
            "remote_lpar": adapter.remote_lpar_id,
            "remote_slot": adapter.remote_slot,
        },
    )
    body = response.content.decode()
    assert body.count('data-field-error="slot"') == 1
    assert "Virtual slot numbers must be under 1000" in body
    assert "<h1" in body and "Edit server1 vSCSI slot 210</h1>" in body
    assert "slot 1000" not in body.split("<form", 1)[0]
    adapter.refresh_from_db()
    assert adapter.slot == 210


def test_a_save_empties_what_belongs_to_another_kind(client, adapters):
    server = adapters["vscsi server"]
    assert server.backing_devices
    response = client.post(
        f"/inventory/virtual-adapters/{server.pk}/edit/",
        {
            "lpar": server.lpar_id,
            "kind": "vscsi",
            "role": "server",
            "slot": server.slot,
            "remote_lpar": server.remote_lpar_id,
            "remote_slot": server.remote_slot,
            "backing_devices": "hdisk9",
            "device_name": "vhost0",
        },
    )
    assert response.status_code == 302
    server.refresh_from_db()
    assert server.backing_devices == ["hdisk9"]
    client_adapter = adapters["vscsi client"]
    response = client.post(
        f"/inventory/virtual-adapters/{client_adapter.pk}/edit/",
        {
            "lpar": client_adapter.lpar_id,
            "kind": "vscsi",
            "role": "client",
            "slot": 210,
            "remote_lpar": client_adapter.remote_lpar_id,
            "remote_slot": 210,
            "vswitch": "ETHERNET0",
            "backing_devices": "hdisk1",
        },
    )
    assert response.status_code == 302  # another kind's fields posted anyway are ignored
    client_adapter.refresh_from_db()
    assert (client_adapter.vswitch, client_adapter.backing_devices) == ("", [])
