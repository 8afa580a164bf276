"""How long a migration is expected to take: the LPAR's memory at the rate the last completed
migration measured (its LPAR's memory over the time the HMC took), preferring one between the
same frames, then one on the same HMC, then any; the LPM_MIGRATION_RATE_MB_S setting when none
has completed; plus LPM_MIGRATION_OVERHEAD_SECONDS."""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from migrations_app.models import MigrationJob, MigrationState


@dataclass(frozen=True)
class Expected:
    duration: timedelta
    rate_mb_s: float
    source: str  # where the rate comes from, in words

    def describe(self, memory_mb: int) -> str:
        minutes = max(1, round(self.duration.total_seconds() / 60))
        return (
            f"about {minutes} min ({memory_mb} MB at {self.rate_mb_s:.0f} MB/s, {self.source}, "
            f"plus {settings.LPM_MIGRATION_OVERHEAD_SECONDS:.0f} s to prepare and switch)"
        )


def measured_rate(job: MigrationJob) -> tuple[float, str]:
    """MB/s and where it comes from."""
    completed = MigrationJob.objects.filter(
        state=MigrationState.COMPLETED, migrate_sent__isnull=False, hmc_ended__isnull=False
    ).order_by("-hmc_ended")
    scopes = (
        Q(source_frame=job.source_frame_id, destination_frame=job.destination_frame_id),
        Q(hmc=job.hmc_id),
        Q(),
    )
    for scope in scopes:
        rows = completed.filter(scope).values("pk", "lpar__memory_mb", "migrate_sent", "hmc_ended")
        last = rows.first()
        if last and last["hmc_ended"] and last["migrate_sent"]:
            seconds = max(1.0, (last["hmc_ended"] - last["migrate_sent"]).total_seconds())
            return last["lpar__memory_mb"] / seconds, f"measured by migration #{last['pk']}"
    return settings.LPM_MIGRATION_RATE_MB_S, "the default rate, none measured yet"


def expected_duration(job: MigrationJob, *, memory_mb: int) -> Expected:
    rate, source = measured_rate(job)
    seconds = memory_mb / max(rate, 0.001) + settings.LPM_MIGRATION_OVERHEAD_SECONDS
    return Expected(timedelta(seconds=seconds), rate, source)
