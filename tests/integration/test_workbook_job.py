"""A large workbook import runs as a job on a real Celery worker, with its progress on the row."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inventory.history import history_list
from inventory.models import Lpar
from planning.models import WorkbookImport
from tests.demo_estate import demo_estate_restore
from tests.factories import user_create
from tests.planning.workbook_helpers import book_of, cell_of, saved
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_large_import_is_queued_and_a_worker_commits_it(
    celery_worker_process, api_client, settings
):
    demo_estate_restore()
    planner = user_create("paula", role="Planner")
    api_client.force_authenticate(planner)
    settings.WORKBOOK_ASYNC_ROWS = 10  # the demo's ~140 rows count as large
    book = book_of(api_client.get("/api/workbook/?format=xlsx").content)
    cell_of(book["LPARs"], "Memory (MB)", Name="server1").value = 3072
    file = SimpleUploadedFile("estate.xlsx", saved(book))

    response = api_client.post(
        "/api/workbook/import/", {"file": file, "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response.json()["state"] == "queued"

    def finished():
        job = WorkbookImport.objects.get(pk=job_id)
        return job if job.done else None

    job = wait_for(finished, timeout=90)
    assert job, celery_worker_process.log_text()
    assert job.state == WorkbookImport.State.SUCCEEDED, job.message
    assert (job.committed, job.progress) == (True, 100)
    assert job.rows > 100
    assert job.report["sheets"]["LPARs"]["updated"] == 1
    assert Lpar.objects.get(name="server1").memory_mb == 3072
    [change] = history_list(request_id=job.request_id)
    # The history shows the change as the pages do: the field's label, memory in GB.
    [(label, old, new)] = change.changes
    assert (change.user, label) == (planner, "Memory")
    assert 'data-mb="2048"' in old and 'data-mb="3072"' in new
    status = api_client.get(f"/api/workbook/imports/{job_id}/").json()
    assert (status["state"], status["progress"]) == ("succeeded", 100)
