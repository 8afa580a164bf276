"""Reads on the execution side that take more than one queryset line."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from migrations_app.models import WorkerHeartbeat

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
