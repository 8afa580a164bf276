"""Reads on the execution side that take more than one queryset line."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from migrations_app.models import MigrationBatch, MigrationJob, MigrationState, WorkerHeartbeat
from planning.models import EvacuationPlacement, EvacuationPlan
from planning.timeline import (
    ESTIMATE,
    Bar,
    Timeline,
    limit_sentences,
    planned_seconds,
    wave_loads,
)

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


FAILED_STATES = (
    MigrationState.VALIDATION_FAILED,
    MigrationState.FAILED,
    MigrationState.NEEDS_ATTENTION,
    MigrationState.STOPPED,
)


def batch_timeline(*, batch: MigrationBatch, jobs: list[MigrationJob]) -> Timeline:
    """The batch's jobs against time from when it was asked: each planned (wave by wave, the
    plan's waves when it runs a plan, with estimated durations), then as it ran (started to
    finished, or to now while it runs)."""
    now = timezone.now()
    waves: dict[int, list[MigrationJob]] = {}
    planned_wave = {}
    if batch.evacuation_plan_id:
        planned_wave = dict(
            EvacuationPlacement.objects.filter(plan_id=batch.evacuation_plan_id).values_list(
                "lpar_id", "wave"
            )
        )
    for job in jobs:
        waves.setdefault(planned_wave.get(job.lpar_id) or 1, []).append(job)
    bars: list[Bar] = []
    start = 0.0
    frame_limits: dict[str, int] = {}
    moves: dict[int, list] = {}
    for wave, in_wave in sorted(waves.items()):
        longest = 0
        for job in in_wave:
            seconds = planned_seconds(
                memory_mb=job.lpar.memory_mb, active=job.source_msp_id is not None
            )
            longest = max(longest, seconds)
            group = f"Wave {wave}"
            target = f"→ {job.destination_frame.name}"
            bars.append(
                Bar(
                    job.lpar_name,
                    group,
                    start,
                    start + seconds,
                    f"{target}, about {seconds / 60:.1f} min",
                )
            )
            began = job.started or job.migrate_sent
            if began is not None:
                ended = job.finished or job.hmc_ended or now
                bars.append(
                    Bar(
                        job.lpar_name,
                        group,
                        (began - batch.created).total_seconds(),
                        (ended - batch.created).total_seconds(),
                        f"{target}, {job.get_state_display().lower()}",
                        actual=True,
                        failed=job.state in FAILED_STATES,
                        running=job.is_active,
                    )
                )
            for frame in (job.source_frame, job.destination_frame):
                frame_limits[frame.name] = frame.max_active_migrations
        moves[wave] = [
            (
                j.source_frame.name,
                j.destination_frame.name,
                _msp_name(j.source_msp),
                _msp_name(j.dest_msp),
            )
            for j in in_wave
        ]
        start += longest
    msp_limit = (
        batch.evacuation_plan.vios_limit
        if batch.evacuation_plan_id
        else settings.LPM_MSP_MAX_MIGRATIONS
    )
    limits = limit_sentences(frame_limits, msp_limit)
    return Timeline(
        f"Timeline of {batch}", bars, limits, wave_loads(moves, frame_limits, msp_limit), [ESTIMATE]
    )


def _msp_name(vios) -> str | None:
    return f"{vios.name} ({vios.frame.name})" if vios is not None else None


def scheduled_migrations(*, limit: int = 10) -> list[MigrationJob]:
    """The migrations waiting for their change window or time, the soonest first."""
    jobs = MigrationJob.objects.filter(state=MigrationState.SCHEDULED)
    jobs = jobs.select_related("window", "destination_frame").order_by("scheduled_for", "pk")
    return list(jobs[:limit])
