"""`Sync now` through a real Celery worker: the task reads the simulator over SSH and the
inventory fills in, with progress and outcome on the sync row."""

import pytest

from inventory.models import Frame, Lpar
from migrations_app.models import HmcSync
from migrations_app.services import hmc_sync_request
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_sync_task_runs_on_a_real_worker(celery_worker_process, sim_hmc):
    sync = hmc_sync_request(hmc=sim_hmc)

    def finished():
        return HmcSync.objects.filter(pk=sync.pk, state__in=["succeeded", "failed"]).first()

    done = wait_for(finished, timeout=60)
    assert done, celery_worker_process.log_text()
    assert done.state == "succeeded", done.message
    assert done.progress == 100
    assert Frame.objects.count() == 2
    assert Lpar.objects.get(name="server1").frame.name == "p750-a"
