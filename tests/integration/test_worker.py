"""A task sent by the web side is run by a separate worker process and lands in the database."""

import pytest

from migrations_app.models import WorkerHeartbeat
from migrations_app.selectors import worker_status_list
from migrations_app.tasks import worker_heartbeat
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def beats_of(hostname: str) -> int:
    beat = WorkerHeartbeat.objects.filter(hostname=hostname).first()
    return beat.beats if beat else 0


def test_heartbeat_task_round_trip_through_a_real_worker(celery_worker_process):
    hostname = celery_worker_process.hostname
    before = beats_of(hostname)

    worker_heartbeat.delay()
    assert wait_for(lambda: beats_of(hostname) == before + 1), celery_worker_process.log_text()

    worker_heartbeat.delay()
    assert wait_for(lambda: beats_of(hostname) == before + 2), celery_worker_process.log_text()
    [status] = worker_status_list()
    assert status.hostname == celery_worker_process.hostname
    assert status.alive
