"""objects_bulk_create: the rules of object_save, proved per batch, with history rows."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from simple_history.models import HistoricalRecords

from inventory.models import Lpar, SharedProcessorPool, Wwpn
from inventory.services import objects_bulk_change, objects_bulk_create
from tests.factories import FrameFactory, LparFactory, ViosFactory, user_create, vfc_client_create

pytestmark = pytest.mark.django_db


def lpar(frame, name: str, lpar_id: int, **fields) -> Lpar:
    values = {"kind": "aix", "proc_units": Decimal("0.5"), "virtual_procs": 1, "memory_mb": 1024}
    return Lpar(frame=frame, name=name, lpar_id=lpar_id, **values | fields)


def refusals(refused) -> dict[str, dict]:
    return {obj.name: error.message_dict for obj, error in refused}


def test_valid_rows_are_created_with_history_of_the_request():
    frame = FrameFactory()
    user = user_create("paul")
    HistoricalRecords.context.request = SimpleNamespace(id="req-1", user=user)
    try:
        created, refused = objects_bulk_create(
            instances=[lpar(frame, "a1", 501), lpar(frame, "a2", 502)]
        )
    finally:
        del HistoricalRecords.context.request
    assert refused == []
    assert all(row.pk for row in created)
    history = Lpar.history.filter(name__in=["a1", "a2"])
    assert set(history.values_list("history_type", "request_id", "history_user")) == {
        ("+", "req-1", user.pk)
    }


def test_each_rule_refuses_its_row_and_the_rest_are_created():
    frame, other = FrameFactory(), FrameFactory()
    LparFactory(frame=frame, name="taken", lpar_id=600)
    ViosFactory(frame=other, name="vios-b", lpar_id=1)
    created, refused = objects_bulk_create(
        instances=[
            lpar(frame, "taken", 601),  # unique name per frame, against the stored rows
            lpar(other, "elsewhere", 600),  # client ids are unique across the estate
            lpar(frame, "twice", 602),
            lpar(frame, "twice", 603),  # within the batch: the first one wins
            lpar(frame, "bad name!", 604),  # a field validator
            lpar(frame, "units", 605, proc_units=Decimal("3")),  # clean()
            lpar(frame, "msp", 606, msp=True),  # clean() and a check constraint
            lpar(frame, "vios-a", 1, kind="vios"),  # VIOS ids may repeat across frames
        ]
    )
    assert sorted(row.name for row in created) == ["twice", "vios-a"]
    why = refusals(refused)
    assert set(why) == {"taken", "elsewhere", "twice", "bad name!", "units", "msp"}
    assert why["taken"] == {"name": ["This frame already has an LPAR with this name."]}
    assert "unique across all frames" in why["elsewhere"]["lpar_id"][0]
    assert "processor units need" in why["units"]["proc_units"][0]
    assert "mover service partition" in why["msp"]["msp"][0]
    assert Lpar.objects.filter(name="twice").count() == 1


def test_unique_fields_and_checks_of_other_models():
    frame = FrameFactory()
    taken = vfc_client_create(LparFactory(frame=frame), 610)
    adapter = vfc_client_create(LparFactory(frame=frame), 611)
    adapter.wwpns.all().delete()
    in_use = taken.wwpns.first().value
    created, refused = objects_bulk_create(
        instances=[
            Wwpn(virtual_adapter=adapter, value=in_use, position=2),
            Wwpn(virtual_adapter=adapter, value="c050760000000002", position=3),
            Wwpn(virtual_adapter=adapter, value="c050760000000004", position=2, fabric_id=999),
            Wwpn(virtual_adapter=adapter, value="c050760000000003", position=1),
        ]
    )
    assert [row.value for row in created] == ["c050760000000003"]
    assert created[0].kind == "npiv_primary"
    why = {row.value: error.message_dict for row, error in refused}
    assert why[in_use] == {"value": ["This WWPN is already in the estate."]}
    assert why["c050760000000002"] == {"__all__": ["A vFC WWPN is position 1 or 2 of its pair."]}
    assert "999" in why["c050760000000004"]["fabric"][0]
    pool = SharedProcessorPool(frame=frame, pool_id=64, name="p")
    assert objects_bulk_create(instances=[pool])[1][0][1].message_dict["pool_id"]


def test_bulk_change_saves_each_rows_own_values_with_history_and_refuses_the_invalid():
    frame = FrameFactory()
    first, second, third = (
        LparFactory(frame=frame, name=n, lpar_id=i)
        for n, i in (("c1", 701), ("c2", 702), ("c3", 703))
    )
    user = user_create("paul")
    second_memory = second.memory_mb
    # c1 takes a free id; c2 takes c3's (the database checks each row as the UPDATE reaches
    # it: no swaps within a batch); c3 keeps its own and changes its memory.
    first.lpar_id, second.lpar_id = 710, 703
    first.memory_mb, second.memory_mb, third.memory_mb = 4096, 8192, 2048
    HistoricalRecords.context.request = SimpleNamespace(id="req-2", user=user)
    try:
        changed, refused = objects_bulk_change(
            instances=[first, second, third], fields=["lpar_id", "memory_mb"]
        )
    finally:
        del HistoricalRecords.context.request
    assert changed == [first, third]
    assert refusals(refused) == {
        "c2": {
            "lpar_id": [
                "This frame already has an LPAR with this LPAR id.",
                "Another client LPAR in the estate has this LPAR id: client LPAR ids must be "
                "unique across all frames so that they survive a migration.",
            ]
        }
    }
    stored = {
        name: (lpar_id, memory)
        for name, lpar_id, memory in Lpar.objects.filter(frame=frame).values_list(
            "name", "lpar_id", "memory_mb"
        )
    }
    assert stored == {"c1": (710, 4096), "c2": (702, second_memory), "c3": (703, 2048)}
    history = Lpar.history.filter(name__in=["c1", "c2", "c3"], history_type="~")
    assert set(history.values_list("name", "request_id", "history_user")) == {
        ("c1", "req-2", user.pk),
        ("c3", "req-2", user.pk),
    }
