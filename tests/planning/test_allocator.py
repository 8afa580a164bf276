"""Next free slot: the lowest free slot of the kind's range on the client and on the VIOS,
reserved under a lock, 409 when the range is full."""

import threading

import pytest
from django.db import connection, connections

from inventory.models import Lpar
from planning.models import EnumerationScheme, SlotReservation
from planning.services import scheme_save, slot_allocate
from tests.factories import login
from tests.planning.helpers import vios


def allocate(api, lpar, **body):
    return api.post(f"/api/lpars/{lpar.pk}/allocate-slot/", body)


@pytest.mark.django_db
def test_the_lowest_free_slot_is_reserved_on_both_sides(api, demo):
    server1, vios1 = demo["server1"], vios("p750-a", "vios1")
    first = allocate(api, server1, kind="vfc", vios=vios1.pk)
    assert first.status_code == 201
    assert (first.json()["slot"], first.json()["vios_slot"]) == (600, 600)
    assert first.json()["vios"]["id"] == vios1.pk
    second = allocate(api, server1, kind="vfc", vios=vios1.pk).json()
    assert (second["slot"], second["vios_slot"]) == (601, 601)
    assert SlotReservation.objects.filter(lpar=server1).count() == 2


@pytest.mark.django_db
def test_ethernet_needs_no_vios_and_skips_used_slots(api, demo):
    assert allocate(api, demo["server1"], kind="ethernet").json()["slot"] == 11


@pytest.mark.django_db
def test_a_client_pair_needs_its_vios(api, demo):
    response = allocate(api, demo["server1"], kind="vscsi")
    assert response.status_code == 400
    assert "Name the VIOS" in response.json()["vios"][0]
    response = allocate(api, demo["server1"], kind="vscsi", vios=vios("p750-b", "vios1").pk)
    assert "is not a VIOS of frame p750-a" in response.json()["vios"][0]


@pytest.mark.django_db
def test_a_full_range_is_a_conflict(api, demo):
    scheme = EnumerationScheme.objects.get(is_default=True)
    scheme.ethernet_first, scheme.ethernet_last = 10, 11
    scheme_save(scheme=scheme)
    assert allocate(api, demo["server1"], kind="ethernet").json()["slot"] == 11
    response = allocate(api, demo["server1"], kind="ethernet")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The Ethernet range 10–11 of server1 is full: every slot is in use or reserved."
    )


@pytest.mark.django_db
def test_a_viewer_may_not_allocate(api_client, viewer, demo):
    login(api_client, viewer)
    assert allocate(api_client, demo["server1"], kind="ethernet").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_two_planners_at_once_get_distinct_slots(default_scheme, demo):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    server1, vios1 = demo["server1"], vios("p750-a", "vios1")
    barrier, results, errors = threading.Barrier(2), [], []

    def work() -> None:
        try:
            barrier.wait()
            lpar = Lpar.objects.get(pk=server1.pk)
            allocation = slot_allocate(lpar=lpar, kind="vscsi", vios=vios1)
            results.append((allocation.slot, allocation.vios_slot))
        except Exception as error:  # reported below: a thread's exception is otherwise lost
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(results) == [(200, 200), (201, 201)]
