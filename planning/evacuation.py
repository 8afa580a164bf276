"""Evacuation plans: every client LPAR of a frame placed on another frame so that the frame can
be emptied for maintenance.

Placement, largest memory first (then processor units, then name): each LPAR goes to a frame
where the pre-flight checks pass, taken together with the placements before it (their processor
units, memory, names, ids and destination VIOS slots are consumed as the plan goes). Among the
frames that fit, those where the LPAR would not share a frame with a member of its twin family
(its original, its stub twins: a twin there protects nothing) come first, then those without
warnings; then the policy decides: *pack* takes the
frame left with the least free memory, *spread* the one left with the most. An LPAR that fits
nowhere is kept with, per frame, the errors that keep it off.

Waves: the placed LPARs in placement order, each in the first wave where the source and the
destination frame are under their `max_active_migrations` and (active mobility) a mover service
partition on each side is under the plan's per-MSP limit; the least loaded MSP carries it.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from inventory.choices import LparKind, LparState
from inventory.models import Frame, Lpar
from planning.choices import PlacementPolicy, Severity
from planning.models import EvacuationPlacement, EvacuationPlan
from planning.preflight import (
    TWIN_SAME_FRAME,
    EstateIndex,
    FrameFacts,
    LparFacts,
    PairResult,
    Preflight,
    PreflightOptions,
    Verdict,
)


@dataclass(frozen=True)
class PlannedMigration:
    """One migration of a plan, as the migrations app runs it: wave by wave."""

    lpar: int  # Lpar pk
    destination: int  # Frame pk
    wave: int
    source_msp: int | None  # VIOS Lpar pk
    destination_msp: int | None


def _order(lpar: LparFacts) -> tuple:
    return (-lpar.memory_mb, -lpar.units, lpar.name)


def _consume(index: EstateIndex, lpar: LparFacts, result: PairResult) -> None:
    """What a placed LPAR takes on its destination, so later placements see it gone."""
    frame = index.frames[result.frame]
    frame.take(lpar.units, lpar.memory_mb)
    frame.names.add(lpar.name)
    frame.lpar_ids.add(lpar.lpar_id)
    for vios_pk, slots in result.vios_slots.items():
        index.vioses[vios_pk].free_slots -= slots
    if lpar.pk in index.kin:
        index.kin[lpar.pk].frame_id = result.frame


def _choose(results: list[PairResult], policy: str, index: EstateIndex) -> PairResult | None:
    fitting = [r for r in results if r.verdict != Verdict.BLOCKED]
    if not fitting:
        return None
    sign = 1 if policy == PlacementPolicy.PACK else -1

    def key(result: PairResult) -> tuple:
        frame = index.frames[result.frame]
        beside_twin = any(f.code == TWIN_SAME_FRAME for f in result.findings)
        warned = result.verdict == Verdict.WARNINGS
        return (beside_twin, warned, sign * result.free_memory_after, frame.name)

    return min(fitting, key=key)


def _reasons(results: list[PairResult], index: EstateIndex) -> list[dict]:
    return [
        {
            "frame": r.frame,
            "frame_name": index.frames[r.frame].name,
            "findings": [f.as_dict() for f in r.findings if f.blocks],
        }
        for r in results
    ]


def _warnings(result: PairResult) -> list[dict]:
    return [f.as_dict() for f in result.findings if f.severity == Severity.WARNING]


class _Waves:
    """Wave by wave, how many migrations each frame and each MSP carries."""

    def __init__(self, index: EstateIndex, vios_limit: int) -> None:
        self.index = index
        self.vios_limit = vios_limit
        self.frames: list[Counter] = []
        self.msps: list[Counter] = []

    def _msp(self, frame: FrameFacts, load: Counter) -> int | None:
        free = [v for v in frame.vioses if v.msp and load[v.pk] < self.vios_limit]
        return min(free, key=lambda v: (load[v.pk], v.lpar_id)).pk if free else None

    def assign(self, lpar: LparFacts, destination: int) -> tuple[int, int | None, int | None]:
        source, target = self.index.frames[lpar.frame_id], self.index.frames[destination]
        active = lpar.state == LparState.RUNNING
        wave = 0
        while True:
            if wave == len(self.frames):
                self.frames.append(Counter())
                self.msps.append(Counter())
            frames, msps = self.frames[wave], self.msps[wave]
            fits = frames[source.pk] < max(source.max_active_migrations, 1) and frames[
                target.pk
            ] < max(target.max_active_migrations, 1)
            source_msp = self._msp(source, msps) if active else None
            target_msp = self._msp(target, msps) if active else None
            if (fits and (not active or (source_msp and target_msp))) or (
                not frames and not msps  # an empty wave takes anything: no endless search
            ):
                frames[source.pk] += 1
                frames[target.pk] += 1
                for msp in (source_msp, target_msp):
                    if msp:
                        msps[msp] += 1
                return wave + 1, source_msp, target_msp
            wave += 1


def _plan_lpars(frame: Frame) -> list[int]:
    return list(frame.lpars.exclude(kind=LparKind.VIOS).values_list("pk", flat=True))


def _candidates(plan: EvacuationPlan, index: EstateIndex) -> list[int]:
    chosen = {f.pk for f in plan.destinations.all()}
    return [pk for pk in index.frames if pk != plan.frame_id and (not chosen or pk in chosen)]


def _waves_assign(plan: EvacuationPlan, index: EstateIndex, placements: list) -> None:
    waves = _Waves(index, plan.vios_limit)
    for placement in sorted(placements, key=lambda p: p.position):
        if placement.destination_id is None:
            placement.wave = placement.source_msp_id = placement.destination_msp_id = None
            continue
        lpar = index.lpars[placement.lpar_id]
        placement.wave, placement.source_msp_id, placement.destination_msp_id = waves.assign(
            lpar, placement.destination_id
        )


@transaction.atomic
def evacuation_plan_create(
    *,
    frame: Frame,
    policy: str = PlacementPolicy.SPREAD,
    destinations: list[Frame] | None = None,
    vios_limit: int | None = None,
    user: AbstractBaseUser | None = None,
) -> EvacuationPlan:
    """Plan the evacuation of `frame` and save it with its inputs."""
    if policy not in PlacementPolicy.values:
        raise ValidationError({"policy": f"Choose one of {', '.join(PlacementPolicy.values)}."})
    if destinations and any(d.pk == frame.pk for d in destinations):
        raise ValidationError(
            {"destinations": f"{frame.name} is the frame being emptied: it cannot receive."}
        )
    plan = EvacuationPlan(frame=frame, policy=policy, created_by=user)
    if vios_limit is not None:
        plan.vios_limit = vios_limit
    plan.full_clean()
    plan.save()
    plan.destinations.set(destinations or [])
    index = EstateIndex.load(lpar_ids=_plan_lpars(frame))
    preflight = Preflight(index, PreflightOptions(vios_limit=plan.vios_limit))
    candidates = _candidates(plan, index)
    placements = []
    for position, lpar in enumerate(sorted(index.lpars.values(), key=_order), start=1):
        results = [preflight.check(lpar.pk, pk) for pk in candidates]
        chosen = _choose(results, plan.policy, index)
        placement = EvacuationPlacement(plan=plan, lpar_id=lpar.pk, position=position)
        if chosen is None:
            placement.reasons = _reasons(results, index)
        else:
            _consume(index, lpar, chosen)
            placement.destination_id = chosen.frame
            placement.findings = _warnings(chosen)
        placements.append(placement)
    _waves_assign(plan, index, placements)
    EvacuationPlacement.objects.bulk_create(placements)
    return plan


@transaction.atomic
def evacuation_plan_move(
    *, plan: EvacuationPlan, lpar: Lpar, destination: Frame, user: AbstractBaseUser | None = None
) -> EvacuationPlacement:
    """Move one LPAR of the plan to `destination` by hand, checked at once against the estate
    and the plan's other placements; the waves are worked out again. Refused (nothing changes)
    with every error of the check."""
    plan = EvacuationPlan.objects.select_for_update().get(pk=plan.pk)
    placements = list(plan.placements.all())
    moved = next((p for p in placements if p.lpar_id == lpar.pk), None)
    if moved is None:
        raise ValidationError({"lpar": f"{lpar.name} is not in this plan."})
    if destination.pk == plan.frame_id:
        raise ValidationError(
            {"destination_frame": f"{destination.name} is the frame this plan empties."}
        )
    index = EstateIndex.load(lpar_ids=[p.lpar_id for p in placements])
    preflight = Preflight(index, PreflightOptions(vios_limit=plan.vios_limit))
    for other in sorted(placements, key=lambda p: p.position):
        if other is not moved and other.destination_id in index.frames:
            _consume(
                index,
                index.lpars[other.lpar_id],
                preflight.check(other.lpar_id, other.destination_id),
            )
    result = preflight.check(lpar.pk, destination.pk)
    errors = [f.message for f in result.findings if f.blocks]
    if errors:
        raise ValidationError({"destination_frame": errors})
    moved.destination_id, moved.findings, moved.reasons = destination.pk, _warnings(result), []
    moved.adjusted = True
    _waves_assign(plan, index, placements)
    EvacuationPlacement.objects.bulk_update(
        placements,
        ["destination", "findings", "reasons", "adjusted", "wave", "source_msp", "destination_msp"],
    )
    plan.save(update_fields=["updated"])
    return moved


def evacuation_plan_migrations(*, plan: EvacuationPlan) -> list[PlannedMigration]:
    """The plan's placed LPARs in the order to run them: wave by wave, in placement order. The
    migrations app runs a plan as a batch from this."""
    placed = plan.placements.filter(destination__isnull=False).order_by("wave", "position")
    return [
        PlannedMigration(p.lpar_id, p.destination_id, p.wave, p.source_msp_id, p.destination_msp_id)
        for p in placed
    ]


def unplaced_summary(reasons: list[dict]) -> str:
    """Why an LPAR fits nowhere, in one sentence: each blocking code and on how many frames."""
    counts: Counter = Counter()
    for frame in reasons:
        counts.update({f["code"] for f in frame["findings"]})
    if not reasons:
        return "There is no other frame to place it on."
    parts = [f"{code} on {_frames(n)}" for code, n in counts.most_common()]
    return f"Fits on none of {_frames(len(reasons))}: {', '.join(parts)}."


def _frames(count: int) -> str:
    return f"{count} frame{'s' if count != 1 else ''}"


def plan_waves(plan: EvacuationPlan) -> dict[int | None, list[EvacuationPlacement]]:
    """The placements by wave (None: unplaced), for the pages and the API."""
    waves: dict[int | None, list[EvacuationPlacement]] = defaultdict(list)
    placements = plan.placements.select_related(
        "lpar", "destination", "source_msp", "destination_msp"
    ).order_by("wave", "position")
    for placement in placements:
        waves[placement.wave].append(placement)
    return dict(waves)
