"""Celery tasks of the execution side: thin, each calls one service."""

from celery import shared_task
from celery.signals import worker_ready

from migrations_app.services import worker_heartbeat_record


@shared_task(bind=True)
def worker_heartbeat(self) -> str:
    """Run by beat every minute; whichever worker takes it records that it is alive."""
    return worker_heartbeat_record(hostname=self.request.hostname or "unknown").hostname


@worker_ready.connect
def heartbeat_on_start(sender, **kwargs) -> None:
    """A worker shows as alive as soon as it is ready, not a minute later at the first beat."""
    worker_heartbeat_record(hostname=sender.hostname)
