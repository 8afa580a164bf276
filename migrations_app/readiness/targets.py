"""Which LPARs a readiness run checks, and where each one would go: the destination its frame's
current evacuation plan gives it, else the frame of its stub twin, else its frame's evacuation
target. Read in a fixed number of queries, whatever the scope's size."""

from dataclasses import dataclass

from django.db.models import Q

from inventory.choices import LparKind
from inventory.models import Frame, Lpar
from migrations_app.readiness.models import ReadinessRun
from planning.models import EvacuationPlacement, EvacuationPlan


@dataclass(frozen=True)
class Target:
    lpar_pk: int
    lpar_name: str
    frame: Frame
    target: Frame | None
    source: str  # "plan", "stub", "frame" or "" (no target)


def scope_lpars(run: ReadinessRun) -> list[Lpar]:
    """The client LPARs of the run's scope: never a VIOS (a VIOS never migrates), never a stub
    twin (a cold copy, not a partition to move)."""
    lpars = Lpar.objects.exclude(kind=LparKind.VIOS).filter(stub_of__isnull=True)
    if run.scope == ReadinessRun.Scope.FRAME:
        lpars = lpars.filter(frame=run.scope_frame_id)
    elif run.scope == ReadinessRun.Scope.HMC:
        lpars = lpars.filter(frame__hmc=run.scope_hmc_id)
    elif run.scope == ReadinessRun.Scope.LPARS:
        lpars = lpars.filter(pk__in=run.scope_lpars.values("pk"))
    return list(lpars.select_related("frame__hmc").order_by("frame__name", "name"))


def targets_resolve(lpars: list[Lpar]) -> list[Target]:
    frame_ids = {lpar.frame_id for lpar in lpars}
    frames = Frame.objects.select_related("hmc").in_bulk()
    latest_plans: dict[int, int] = {}
    for plan_pk, frame_pk in (
        EvacuationPlan.objects.filter(frame__in=frame_ids)
        .order_by("frame", "-created", "-pk")
        .values_list("pk", "frame")
    ):
        latest_plans.setdefault(frame_pk, plan_pk)
    planned = dict(
        EvacuationPlacement.objects.filter(
            plan__in=latest_plans.values(), destination__isnull=False
        ).values_list("lpar", "destination")
    )
    stubs: dict[int, int] = {}
    for original, frame_pk in (
        Lpar.objects.filter(Q(stub_of__in=[lpar.pk for lpar in lpars]))
        .order_by("pk")
        .values_list("stub_of", "frame")
    ):
        stubs.setdefault(original, frame_pk)
    targets = []
    for lpar in lpars:
        frame = frames[lpar.frame_id]
        for source, target_pk in (
            ("plan", planned.get(lpar.pk)),
            ("stub", stubs.get(lpar.pk)),
            ("frame", frame.evacuation_target_id),
        ):
            if target_pk and target_pk != lpar.frame_id:
                targets.append(Target(lpar.pk, lpar.name, frame, frames[target_pk], source))
                break
        else:
            targets.append(Target(lpar.pk, lpar.name, frame, None, ""))
    return targets
