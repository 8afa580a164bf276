"""Evacuation plans on the demo estate: capacity consumed as the plan goes, an LPAR that fits
nowhere and why, waves under the frame and MSP limits, moves by hand, the order the migrations
app runs them in."""

import pytest
from django.core.exceptions import ValidationError

from inventory.models import Frame, Lpar
from planning.choices import PlacementPolicy
from planning.evacuation import (
    PlannedMigration,
    _choose,
    evacuation_plan_create,
    evacuation_plan_migrations,
    evacuation_plan_move,
    unplaced_summary,
)
from planning.preflight import EstateIndex, FrameFacts, PairResult, Verdict, preflight_check
from tests.factories import user_create
from tests.planning.helpers import DemoTestCase


def _free_memory(frame: Frame, gb: int) -> None:
    used = sum(p.memory_mb for p in frame.lpars.all())
    Frame.objects.filter(pk=frame.pk).update(memory_mb=used + gb * 1024)


def _by_name(plan) -> dict:
    return {p.lpar.name: p for p in plan.placements.select_related("lpar", "destination")}


class EvacuationPlans(DemoTestCase):
    def test_every_client_goes_to_p750b_largest_memory_first_in_one_wave(self):
        paul = user_create("paul", role="Planner")
        plan = evacuation_plan_create(frame=self.a, policy=PlacementPolicy.PACK, user=paul)
        placements = list(plan.placements.order_by("position").select_related("lpar"))
        assert [p.lpar.name for p in placements] == ["db1", "server2", "lnx1", "server1"]
        assert {p.destination_id for p in placements} == {self.b.pk}
        assert {p.wave for p in placements} == {1}  # p750-a and p750-b migrate 4 at a time
        assert (plan.created_by, plan.policy) == (paul, PlacementPolicy.PACK)
        assert not Lpar.objects.filter(
            frame=self.a, kind="vios", pk__in=[p.lpar_id for p in placements]
        ).exists()

    def test_capacity_is_consumed_as_the_plan_goes_and_the_lpar_that_fits_nowhere_says_why(self):
        _free_memory(self.b, 22)  # db1 16 GB + server2 4 GB leave 2 GB: lnx1 (4 GB) no longer fits
        lnx1 = Lpar.objects.get(name="lnx1")
        assert preflight_check(lpar=lnx1, destination=self.b) == []  # alone, it would fit
        plan = evacuation_plan_create(frame=self.a)
        placed = _by_name(plan)
        assert {n: p.destination_id for n, p in placed.items()} == {
            "db1": self.b.pk,
            "server2": self.b.pk,
            "lnx1": None,
            "server1": self.b.pk,
        }
        (reason,) = placed["lnx1"].reasons
        assert reason["frame_name"] == "p750-b"
        assert [f["message"] for f in reason["findings"]] == [
            "lnx1 needs 4 GB of memory; p750-b has 2 GB free."
        ]
        assert unplaced_summary(placed["lnx1"].reasons) == (
            "Fits on none of 1 frame: CAPACITY_MEMORY on 1 frame."
        )
        assert placed["lnx1"].wave is None

    def test_waves_respect_the_frames_limit(self):
        Frame.objects.filter(pk=self.a.pk).update(max_active_migrations=2)
        plan = evacuation_plan_create(frame=self.a)
        waves = {n: p.wave for n, p in _by_name(plan).items()}
        assert waves == {"db1": 1, "server2": 1, "lnx1": 2, "server1": 2}

    def test_waves_respect_the_msp_limit_and_spread_over_both_msps(self):
        plan = evacuation_plan_create(frame=self.a, vios_limit=1)
        placed = _by_name(plan)
        assert [placed[n].wave for n in ("db1", "server2", "lnx1", "server1")] == [1, 1, 2, 2]
        first = {placed["db1"].source_msp.name, placed["server2"].source_msp.name}
        assert first == {"vios1", "vios2"}
        assert placed["db1"].destination_msp.frame_id == self.b.pk

    def test_the_migrations_app_gets_the_placements_in_wave_order(self):
        Frame.objects.filter(pk=self.a.pk).update(max_active_migrations=1)
        plan = evacuation_plan_create(frame=self.a)
        migrations = evacuation_plan_migrations(plan=plan)
        names = dict(Lpar.objects.values_list("pk", "name"))
        assert [(names[m.lpar], m.wave) for m in migrations] == [
            ("db1", 1),
            ("server2", 2),
            ("lnx1", 3),
            ("server1", 4),
        ]
        assert all(
            isinstance(m, PlannedMigration) and m.destination == self.b.pk for m in migrations
        )
        assert all(m.source_msp and m.destination_msp for m in migrations)

    def test_a_move_by_hand_is_checked_at_once_and_refused_with_the_reason(self):
        _free_memory(self.b, 22)
        plan = evacuation_plan_create(frame=self.a)
        lnx1 = Lpar.objects.get(name="lnx1")
        with pytest.raises(ValidationError) as refused:
            evacuation_plan_move(plan=plan, lpar=lnx1, destination=self.b)
        # server1 took the last 2 GB after lnx1 was passed over
        assert refused.value.message_dict == {
            "destination_frame": ["lnx1 needs 4 GB of memory; p750-b has 0 GB free."]
        }
        assert _by_name(plan)["lnx1"].destination_id is None  # nothing changed
        with pytest.raises(ValidationError, match="the frame this plan empties"):
            evacuation_plan_move(plan=plan, lpar=lnx1, destination=self.a)

    def test_a_move_by_hand_that_passes_is_saved_and_the_waves_follow(self):
        _free_memory(self.b, 22)
        plan = evacuation_plan_create(frame=self.a)
        Frame.objects.filter(pk=self.b.pk).update(memory_mb=self.b.memory_mb)  # room again
        lnx1 = Lpar.objects.get(name="lnx1")
        placement = evacuation_plan_move(plan=plan, lpar=lnx1, destination=self.b)
        assert (placement.destination_id, placement.adjusted, placement.reasons) == (
            self.b.pk,
            True,
            [],
        )
        assert placement.wave == 1 and placement.source_msp_id

    def test_a_frame_cannot_receive_its_own_lpars(self):
        with pytest.raises(ValidationError, match="being emptied"):
            evacuation_plan_create(frame=self.a, destinations=[self.a])


def _result(frame: int, free_memory: int, verdict: str = Verdict.OK) -> PairResult:
    from planning.preflight import Finding

    findings = [] if verdict == Verdict.OK else [Finding("LPAR_ID_IN_USE", "warning", "…")]
    return PairResult(1, frame, findings, 100, free_memory, {}, verdict)


def test_pack_takes_the_fullest_frame_and_spread_the_emptiest_warnings_last():
    frames = {
        pk: FrameFacts(pk, f"f{pk}", "operating", frozenset({"default"}), 256, 4, 100, 1024)
        for pk in (1, 2, 3)
    }
    index = EstateIndex(frames, {}, {})
    results = [_result(1, 500), _result(2, 100), _result(3, 50, Verdict.WARNINGS)]
    assert _choose(results, PlacementPolicy.PACK, index).frame == 2
    assert _choose(results, PlacementPolicy.SPREAD, index).frame == 1
    assert _choose(results[2:], PlacementPolicy.PACK, index).frame == 3


@pytest.mark.django_db
def test_a_plan_never_promises_more_than_a_frame_has_nor_runs_more_than_the_limits():
    from collections import Counter, defaultdict

    from inventory.seeding import estate_seed

    estate_seed(frames=4, lpars_per_frame=40, seed=11)
    source, *others = Frame.objects.order_by("name")
    Frame.objects.filter(pk__in=[f.pk for f in others]).update(max_active_migrations=3)
    free = {f.pk: f.memory_mb - sum(p.memory_mb for p in f.lpars.all()) for f in others}
    units = {f.pk: f.proc_units - sum(p.proc_units for p in f.lpars.all()) for f in others}
    plan = evacuation_plan_create(frame=source, policy=PlacementPolicy.PACK, vios_limit=2)
    placements = list(plan.placements.select_related("lpar"))
    assert len(placements) == 40
    # the frames fill up: some LPARs are left over, kept off by capacity the plan gave away
    left = [unplaced_summary(p.reasons) for p in placements if not p.destination_id]
    assert left and all("CAPACITY_" in summary for summary in left)
    taken_memory, taken_units = defaultdict(int), defaultdict(int)
    for p in placements:
        if p.destination_id:
            taken_memory[p.destination_id] += p.lpar.memory_mb
            taken_units[p.destination_id] += p.lpar.proc_units
        else:
            assert p.reasons and all(r["findings"] for r in p.reasons)
    assert taken_memory and all(taken_memory[f] <= free[f] for f in taken_memory)
    assert all(taken_units[f] <= units[f] for f in taken_units)
    per_wave_frame, per_wave_msp = Counter(), Counter()
    for p in placements:
        if p.wave:
            per_wave_frame[p.wave, p.destination_id] += 1
            per_wave_frame[p.wave, source.pk] += 1
            for msp in (p.source_msp_id, p.destination_msp_id):
                if msp:
                    per_wave_msp[p.wave, msp] += 1
    assert max(n for (w, f), n in per_wave_frame.items() if f != source.pk) <= 3
    assert max(n for (w, f), n in per_wave_frame.items() if f == source.pk) <= 4
    assert max(per_wave_msp.values()) <= 2
