"""Stub twins that protect nothing: a twin on its original's frame (or two twins of one LPAR on
one frame) shows in the estate checks, on the planning page, in pre-flight and in evacuation
plans."""

from django.test import Client

from inventory.models import Lpar
from planning.checks import estate_check
from planning.choices import PlacementPolicy, Severity
from planning.evacuation import _choose, evacuation_plan_create
from planning.preflight import (
    EstateIndex,
    Finding,
    FrameFacts,
    PairResult,
    Verdict,
    preflight_check,
)
from planning.stubs import lpar_create_stub_twin
from tests.factories import login, user_create
from tests.planning.helpers import DemoTestCase


def _twin_checks() -> list[str]:
    return [v.message for v in estate_check() if v.check == "twin_same_frame"]


def _codes(findings) -> list[str]:
    return [f.code for f in findings]


class TwinProtection(DemoTestCase):
    def setUp(self) -> None:
        self.twin = lpar_create_stub_twin(lpar=self.server1, destination_frame=self.b)

    def test_a_twin_on_another_frame_is_not_reported(self):
        assert _twin_checks() == []
        assert "TWIN_SAME_FRAME" not in _codes(
            preflight_check(lpar=Lpar.objects.get(name="server2"), destination=self.b)
        )

    def test_a_twin_on_its_originals_frame_is_an_estate_check(self):
        Lpar.objects.filter(pk=self.server1.pk).update(frame=self.b)  # as a sync records it
        assert _twin_checks() == [
            "server1-stub is on p750-b with its original server1: one frame failure takes "
            "both, so the twin protects nothing."
        ]

    def test_two_twins_of_one_lpar_on_one_frame_are_an_estate_check(self):
        Lpar.objects.filter(name="app1").update(stub_of=self.server1)
        assert _twin_checks() == [
            "server1-stub is on p750-b with app1, another twin of server1: one of them "
            "protects nothing."
        ]

    def test_preflight_warns_moving_an_lpar_onto_its_twins_frame_and_back(self):
        [finding] = [
            f
            for f in preflight_check(lpar=self.server1, destination=self.b)
            if f.code == "TWIN_SAME_FRAME"
        ]
        assert finding.severity == Severity.WARNING
        assert finding.message == (
            "p750-b holds its stub twin server1-stub: with server1 there too, one frame failure "
            "takes both and the twin protects nothing."
        )
        [back] = [
            f.message
            for f in preflight_check(lpar=self.twin, destination=self.a)
            if f.code == "TWIN_SAME_FRAME"
        ]
        assert back.startswith("p750-a holds its original server1: with server1-stub there")

    def test_preflight_warns_moving_a_twin_onto_another_twins_frame(self):
        Lpar.objects.filter(name="lnx1").update(stub_of=self.server1)
        lnx1 = Lpar.objects.get(name="lnx1")
        assert [
            f.message
            for f in preflight_check(lpar=lnx1, destination=self.b)
            if f.code == "TWIN_SAME_FRAME"
        ] == [
            "p750-b holds server1-stub (another twin of server1): with lnx1 there too, one frame "
            "failure takes both and the twin protects nothing."
        ]

    def test_the_planning_pages_say_the_twin_protects_nothing(self):
        client = Client()
        login(client, user_create("paul", role="Planner"))
        page = client.get(f"/planning/lpars/{self.twin.pk}/").content.decode()
        assert "In line with its original." in page
        assert "no protection" not in page

        Lpar.objects.filter(pk=self.server1.pk).update(frame=self.b)
        page = client.get(f"/planning/lpars/{self.twin.pk}/").content.decode()
        assert "On the same frame as its original: no protection." in page
        assert "In line with its original." not in page
        original = client.get(f"/planning/lpars/{self.server1.pk}/").content.decode()
        assert "On the same frame as server1: no protection." in original

    def test_an_evacuation_plan_places_an_lpar_beside_its_twin_only_with_the_warning(self):
        plan = evacuation_plan_create(frame=self.a)
        placement = plan.placements.get(lpar=self.server1)
        assert placement.destination_id == self.b.pk  # the only other frame
        assert "TWIN_SAME_FRAME" in [f["code"] for f in placement.findings]
        others = plan.placements.exclude(lpar=self.server1)
        assert not any(f["code"] == "TWIN_SAME_FRAME" for p in others for f in p.findings)


def test_an_evacuation_plan_prefers_any_frame_away_from_the_twin():
    frames = {pk: FrameFacts(pk, f"f{pk}", "operating", frozenset(), 256, 4, 0, 0) for pk in (1, 2)}
    index = EstateIndex(frames, {}, {})
    twin = Finding("TWIN_SAME_FRAME", Severity.WARNING, "beside its twin")
    remote = Finding("REMOTE_HMC", Severity.WARNING, "another HMC")
    beside = PairResult(1, 1, [twin], 0, 10_000, {}, Verdict.WARNINGS)
    away = PairResult(1, 2, [remote], 0, 100, {}, Verdict.WARNINGS)
    for policy in PlacementPolicy.values:
        assert _choose([beside, away], policy, index).frame == 2
    assert _choose([beside], PlacementPolicy.PACK, index).frame == 1
