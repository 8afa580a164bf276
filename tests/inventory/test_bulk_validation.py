"""The bulk validation engine: every rule of one-row saves, proved for a batch in a few
queries; a condition judged in Python where it can be."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from inventory.bulk_validation import bulk_errors, condition_holds
from inventory.models import Drawer, Lpar, Vlan
from inventory.rules import facts_recorded
from tests.factories import FrameFactory, LparFactory, VlanFactory


@pytest.mark.parametrize(
    ("condition", "instance", "expected"),
    [
        (Q(vlan_id__gte=1, vlan_id__lte=4094), Vlan(vlan_id=400), True),
        (Q(vlan_id__gte=1, vlan_id__lte=4094), Vlan(vlan_id=5000), False),
        (~Q(vlan_id=400), Vlan(vlan_id=400), False),
        (Q(vlan_id__in=[1, 2]) | Q(name__regex=r"^prod"), Vlan(vlan_id=3, name="prod-a"), True),
        (Q(stub_of__isnull=True), Lpar(), True),
        # across a relation Python cannot tell: the database must say …
        (Q(frame__name="p750-a"), Lpar(lpar_id=5), None),
        # … unless another part decides: one true part of an OR, one false part of an AND
        (Q(lpar_id=5) | Q(frame__name="p750-a"), Lpar(lpar_id=5), True),
        (Q(lpar_id=6) & Q(frame__name="p750-a"), Lpar(lpar_id=5), False),
        (Q(lpar_id=6) | Q(frame__name="p750-a"), Lpar(lpar_id=5), None),
    ],
)
def test_a_condition_is_judged_in_python_where_it_can_be(condition, instance, expected):
    assert condition_holds(condition, instance) is expected


def messages(errors: dict) -> dict:
    """What a planner reads for each refused row."""
    return {index: ValidationError(found).message_dict for index, found in errors.items()}


@pytest.mark.django_db
def test_each_broken_rule_names_its_row_and_field_and_the_first_of_a_duplicate_wins():
    VlanFactory(vlan_id=20)
    frame = FrameFactory()
    vlans = [Vlan(vlan_id=10), Vlan(vlan_id=10), Vlan(vlan_id=5000), Vlan(vlan_id=20)]
    assert messages(bulk_errors(vlans, Vlan)) == {
        1: {"vlan_id": ["This VLAN id already exists."]},
        2: {"vlan_id": ["A VLAN id is between 1 and 4094."]},
        3: {"vlan_id": ["This VLAN id already exists."]},
    }
    drawers = [
        Drawer(frame=frame, location="U78A0.001.DNWHZS4"),
        Drawer(frame_id=999_999, location="U78A0.001.DNWHZS5"),
    ]
    errors = messages(bulk_errors(drawers, Drawer))
    assert list(errors) == [1]
    assert errors[1]["frame"] == ["frame instance with id 999999 is not a valid choice."]


@pytest.mark.django_db
def test_the_queries_do_not_grow_with_the_rows():
    def queries(count: int) -> int:
        rows = [Vlan(vlan_id=100 + n) for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            assert bulk_errors(rows, Vlan) == {}
        return len(captured)

    assert queries(3) == queries(300)


@pytest.mark.django_db
def test_a_rule_constraint_judges_only_the_rows_new_or_changed_in_what_it_reads():
    """`rule_constraints` (not held by the database): a fact recorded before, its id reused on
    another frame, may have another field changed; a new row or a changed id on it is refused."""
    first, second = FrameFactory(), FrameFactory()
    LparFactory(frame=first, lpar_id=40, name="held40")
    with facts_recorded():
        LparFactory(frame=second, lpar_id=40, name="fact40")
    fact = Lpar.objects.get(name="fact40")
    fact.name = "fact40b"  # the id stays: the rule does not judge it
    other = Lpar.objects.get(name="held40")
    other.lpar_id = 41  # free
    new = LparFactory.build(frame=second, lpar_id=41, name="new41")  # the first wins
    errors = messages(bulk_errors([fact, other, new], Lpar))
    assert list(errors) == [2]
    assert list(errors[2]) == ["lpar_id"]
