"""Reads on the execution side that take more than one queryset line."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from migrations_app.models import MigrationJob, MigrationState, WorkerHeartbeat
from planning.models import EvacuationPlacement, EvacuationPlan

# Beat sends the heartbeat every 60 s; three missed beats make a worker stale.
STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class WorkerStatus:
    hostname: str
    last_seen: datetime
    beats: int
    alive: bool


def worker_status_list(*, now: datetime | None = None) -> list[WorkerStatus]:
    now = now or timezone.now()
    return [
        WorkerStatus(
            hostname=beat.hostname,
            last_seen=beat.last_seen,
            beats=beat.beats,
            alive=now - beat.last_seen <= STALE_AFTER,
        )
        for beat in WorkerHeartbeat.objects.order_by("-last_seen")
    ]


@dataclass(frozen=True)
class BatchTotals:
    """A batch as one: how many of its jobs are in each state (by state value, in the order the
    jobs are given), their mean progress (0–100), and whether any is still active."""

    states: dict[str, int]
    progress: int
    active: bool

    @property
    def state_labels(self) -> dict[str, int]:
        """The same counts by the states' names, for pages."""
        return {MigrationState(state).label: count for state, count in self.states.items()}


def batch_totals(jobs: Iterable[MigrationJob]) -> BatchTotals:
    """The totals of a batch's jobs: the batch page and the API both read them from here."""
    jobs = list(jobs)
    states: dict[str, int] = {}
    for job in jobs:
        states[job.state] = states.get(job.state, 0) + 1
    progress = sum(job.progress for job in jobs) // len(jobs) if jobs else 0
    return BatchTotals(states=states, progress=progress, active=any(j.is_active for j in jobs))


def evacuation_plan_rows(
    *, plan: EvacuationPlan
) -> tuple[list[EvacuationPlacement], list[EvacuationPlacement]]:
    """A plan as "Migrate this plan" shows it: the placed LPARs in the order the batch asks for
    them (wave, then placement order, as `evacuation_plan_migrations` gives them), each with its
    LPAR's frame now; and the LPARs that fit nowhere, which the batch leaves out."""
    placements = plan.placements.select_related(
        "lpar__frame", "destination", "source_msp", "destination_msp"
    ).order_by("wave", "position")
    placed = [p for p in placements if p.destination_id is not None]
    unplaced = [p for p in placements if p.destination_id is None]
    return placed, unplaced


def scheduled_migrations(*, limit: int = 10) -> list[MigrationJob]:
    """The migrations waiting for their change window or time, the soonest first."""
    jobs = MigrationJob.objects.filter(state=MigrationState.SCHEDULED)
    jobs = jobs.select_related("window", "destination_frame").order_by("scheduled_for", "pk")
    return list(jobs[:limit])
