"""Writes on the execution side, each a business operation callable from tasks and views."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from migrations_app.models import WorkerHeartbeat


def worker_heartbeat_record(*, hostname: str) -> WorkerHeartbeat:
    """Note that the worker `hostname` is alive now."""
    with transaction.atomic():
        beat, created = WorkerHeartbeat.objects.select_for_update().get_or_create(
            hostname=hostname, defaults={"last_seen": timezone.now(), "beats": 1}
        )
        if not created:
            WorkerHeartbeat.objects.filter(pk=beat.pk).update(
                last_seen=timezone.now(), beats=F("beats") + 1
            )
            beat.refresh_from_db()
    return beat
