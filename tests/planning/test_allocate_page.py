"""The "Allocate next free slot" button of an LPAR's planning page: the API's service, so the
same lowest free slot on the LPAR and its VIOS, and the same refusals in words."""

import pytest

from planning.models import SlotReservation
from tests.factories import login
from tests.planning.helpers import vios

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, planner, demo):
    login(client, planner)
    return f"/planning/lpars/{demo['server1'].pk}/"


def test_the_button_reserves_the_next_free_slot_on_the_lpar_and_its_vios(client, page, demo):
    body = client.get(page).content.decode()
    assert "Allocate next free slot" in body and "allocate-slot/</code>" not in body
    vios1 = vios("p750-a", "vios1")
    response = client.post(f"{page}allocate-slot/", {"kind": "vfc", "vios": vios1.pk}, follow=True)
    body = response.content.decode()
    assert "Reserved vFC slot 600 on server1 and slot 600 on vios1." in body
    assert "Reserved: vFC slot 600." in body
    again = client.post(f"{page}allocate-slot/", {"kind": "vfc", "vios": vios1.pk}, follow=True)
    assert "Reserved vFC slot 601 on server1 and slot 601 on vios1." in again.content.decode()
    assert set(SlotReservation.objects.values_list("lpar__name", "slot")) == {
        ("server1", 600),
        ("server1", 601),
        ("vios1", 600),
        ("vios1", 601),
    }


def test_a_client_pair_without_its_vios_is_refused_in_words(client, page):
    response = client.post(f"{page}allocate-slot/", {"kind": "vscsi"}, follow=True)
    assert "Name the VIOS that serves this adapter." in response.content.decode()
    assert not SlotReservation.objects.exists()


def test_a_viewer_sees_no_button_and_may_not_allocate(client, viewer, demo):
    login(client, viewer)
    page = f"/planning/lpars/{demo['server1'].pk}/"
    assert "Allocate next free slot" not in client.get(page).content.decode()
    assert client.post(f"{page}allocate-slot/", {"kind": "ethernet"}).status_code == 403
    assert not SlotReservation.objects.exists()
