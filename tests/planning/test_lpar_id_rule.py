"""Client LPAR ids unique across the estate: a rule of what a person or our tools set or change
(every edit path refuses with the same field and message), not of what an HMC reports (recorded
as it is; the estate check lists it). Two planners at once cannot both pass the rule."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from inventory.models import Frame, Lpar
from inventory.rules import facts_recorded
from inventory.services import object_save, objects_bulk_create, objects_bulk_update
from planning.checks import estate_check
from planning.models import EnumerationScheme
from planning.stubs import lpar_create_stub_twin
from tests.factories import FrameFactory, LparFactory
from tests.planning.test_workbook import export, problem_texts, upload
from tests.planning.workbook_helpers import book_of, cell_of, saved

MESSAGE = (
    "Another client LPAR in the estate has this LPAR id: client LPAR ids must be unique across "
    "all frames so that they survive a migration."
)


def recorded(frame: Frame, *, lpar_id: int = 10, name: str = "fact10") -> Lpar:
    """An LPAR as discovery records it: what the HMC reports, the planning rules aside."""
    with facts_recorded():
        created, refused = objects_bulk_create(
            instances=[LparFactory.build(frame=frame, lpar_id=lpar_id, name=name)]
        )
    assert refused == []
    return Lpar.objects.get(pk=created[0].pk)


def reused() -> set[str]:
    return {v.object for v in estate_check() if v.check == "lpar_id_reused"}


@pytest.mark.django_db
class TestEditPaths:
    def test_a_recorded_reuse_is_taken_and_listed_by_the_estate_check(self, demo):
        recorded(demo["p750-b"])
        assert reused() == {"server1 (p750-a)", "fact10 (p750-b)"}

    def test_object_save_refuses_a_new_lpar(self, demo):
        with pytest.raises(ValidationError) as caught:
            object_save(instance=LparFactory.build(frame=demo["p750-b"], lpar_id=10))
        assert caught.value.message_dict == {"lpar_id": [MESSAGE]}

    def test_the_api_refuses_a_changed_id(self, api, demo):
        app1 = Lpar.objects.get(name="app1")
        response = api.patch(f"/api/lpars/{app1.pk}/", {"lpar_id": 10}, format="json")
        assert response.status_code == 400
        assert response.json() == {"lpar_id": [MESSAGE]}

    def test_the_bulk_edit_refuses_with_the_field_and_message(self, demo):
        with pytest.raises(ValidationError) as caught:
            objects_bulk_update(queryset=Lpar.objects.filter(name="app1"), changes={"lpar_id": 10})
        assert caught.value.messages == [f"app1: LPAR id: {MESSAGE}"]
        assert Lpar.objects.get(name="app1").lpar_id == 20

    def test_the_bulk_create_refuses_within_the_batch_too(self, demo):
        first = LparFactory.build(frame=demo["p750-a"], lpar_id=90, name="n1")
        second = LparFactory.build(frame=demo["p750-b"], lpar_id=90, name="n2")
        created, refused = objects_bulk_create(instances=[first, second])
        assert created == [first]
        assert [error.message_dict for _, error in refused] == [{"lpar_id": [MESSAGE]}]

    def test_the_workbook_import_refuses_with_the_column_and_message(self, api, demo):
        book = book_of(export(api))
        cell_of(book["LPARs"], "LPAR id", Name="app1").value = 10
        response = upload(api, saved(book), dry_run=False)
        assert response.json()["committed"] is False
        assert any(t.endswith(f"LPAR id: {MESSAGE}") for t in problem_texts(response))
        assert Lpar.objects.get(name="app1").lpar_id == 20

    def test_a_stub_twin_on_a_held_id_is_refused(self, demo):
        offset = EnumerationScheme.objects.get(is_default=True).stub_lpar_id_offset
        recorded(FrameFactory(hmc=demo["p750-a"].hmc), lpar_id=10 + offset, name="holder")
        with pytest.raises(ValidationError) as caught:
            lpar_create_stub_twin(lpar=demo["server1"], destination_frame=demo["p750-b"])
        assert f"LPAR id {10 + offset} is already used by holder" in " ".join(caught.value.messages)
        assert not Lpar.objects.filter(stub_of=demo["server1"]).exists()

    def test_a_recorded_reuse_does_not_block_editing_another_field(self, api, demo):
        fact = recorded(demo["p750-b"])
        fact.notes = "from the HMC"
        object_save(instance=fact)
        objects_bulk_update(queryset=Lpar.objects.filter(pk=fact.pk), changes={"memory_mb": 4096})
        response = api.patch(f"/api/lpars/{fact.pk}/", {"memory_mb": 8192}, format="json")
        assert response.status_code == 200, response.json()
        # Changing the id itself is judged: to another reused id it is refused.
        response = api.patch(f"/api/lpars/{fact.pk}/", {"lpar_id": 11}, format="json")
        assert response.json() == {"lpar_id": [MESSAGE]}


# Two planners at once: N threads, each saving id 77 on a frame of its own --------------------

CALLERS = 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["object_save", "bulk_create", "mixed"])
def test_concurrent_saves_of_one_id_on_different_frames_let_one_through(path):
    frames = [FrameFactory(name=f"f{n}") for n in range(CALLERS)]
    barrier = threading.Barrier(CALLERS)
    created, refusals, errors = [], [], []

    def save(n: int) -> None:
        lpar = LparFactory.build(frame=frames[n], lpar_id=77, name=f"c{n}")
        try:
            barrier.wait()
            if path == "object_save" or (path == "mixed" and n % 2):
                object_save(instance=lpar)
                created.append(n)
            else:
                done, refused = objects_bulk_create(instances=[lpar])
                created.extend(n for _ in done)
                refusals.extend(error.message_dict for _, error in refused)
        except ValidationError as error:
            refusals.append(error.message_dict)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(created) == 1
    assert refusals == [{"lpar_id": [MESSAGE]}] * (CALLERS - 1)
    assert Lpar.objects.filter(lpar_id=77).count() == 1
