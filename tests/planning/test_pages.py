"""The Planning pages: scheme, checks and twins for everyone; edits for planners only."""

import pytest

from inventory.models import Lpar
from planning.models import EnumerationScheme
from tests.factories import login

pytestmark = pytest.mark.django_db


def test_the_planning_page_shows_the_scheme_checks_and_twins(client, viewer, demo):
    login(client, viewer)
    body = client.get("/planning/").content.decode()
    assert "200–400" in body and "600–800" in body
    assert "0 violations" in body
    assert "Create stub twins" not in body  # a viewer changes nothing


def test_a_planner_twins_from_the_lpar_page(client, planner, demo):
    login(client, planner)
    page = client.get(f"/planning/lpars/{demo['server1'].pk}/").content.decode()
    assert "Create stub twin" in page
    response = client.post(
        f"/planning/lpars/{demo['server1'].pk}/stub-twin/",
        {"destination_frame": demo["p750-b"].pk},
        follow=True,
    )
    assert "Created server1-stub (LPAR id 110) on p750-b." in response.content.decode()
    twin = Lpar.objects.get(name="server1-stub")
    runbook = client.get(f"/planning/lpars/{twin.pk}/runbook/").content.decode()
    assert "chsysstate -r lpar -m p750-b -n server1-stub -o on -f default -b sms" in runbook


def test_a_refused_twin_shows_the_reason(client, planner, demo):
    login(client, planner)
    response = client.post(
        f"/planning/lpars/{demo['server1'].pk}/stub-twin/",
        {"destination_frame": demo["p750-a"].pk},
        follow=True,
    )
    assert "p750-a is the frame server1 is on" in response.content.decode()
    assert not Lpar.objects.filter(name="server1-stub").exists()


def test_the_scheme_form_refuses_overlapping_ranges(client, planner, demo):
    login(client, planner)
    scheme = EnumerationScheme.objects.get(is_default=True)
    data = {
        "name": "Default",
        "ethernet_first": 10,
        "ethernet_last": 100,
        "vscsi_first": 90,
        "vscsi_last": 400,
        "vfc_first": 600,
        "vfc_last": 800,
        "slot_ceiling": 1000,
        "lpar_id_ceiling": 1000,
        "vios_lpar_ids": "1, 2",
        "stub_lpar_id_offset": 100,
        "stub_slot_offset": 100,
        "stub_keeps_ethernet_slots": "on",
        "stub_suffix": "-stub",
        "stub_wwpn_prefix": "c05076e",
    }
    response = client.post(f"/planning/schemes/{scheme.pk}/edit/", data)
    assert "overlaps the Ethernet range 10–100" in response.content.decode()
    data["vscsi_first"] = 150
    assert client.post(f"/planning/schemes/{scheme.pk}/edit/", data).status_code == 302
    scheme.refresh_from_db()
    assert scheme.vscsi_first == 150


def test_a_viewer_may_not_edit_the_scheme(client, viewer, demo):
    login(client, viewer)
    scheme = EnumerationScheme.objects.get(is_default=True)
    assert client.get(f"/planning/schemes/{scheme.pk}/edit/").status_code == 403
