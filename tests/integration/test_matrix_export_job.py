"""The migratability matrix of the whole estate is written by a real Celery worker as a job with
progress, and the Matrix page offers the file to the user who asked for it (and no one else)."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from inventory.models import Frame, Lpar
from planning.matrix import MatrixFilter, matrix_workbook
from planning.matrix_exports import matrix_export_path
from planning.models import MatrixExport
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create
from tests.integration.test_worker import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _values(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True)["Migratability"]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_a_worker_writes_the_whole_matrix_and_the_page_offers_it(celery_worker_process):
    demo_estate_restore()
    viewer, other = user_create("vera", role="Viewer"), user_create("otto", role="Viewer")
    client = Client()
    login(client, viewer)
    response = client.post("/planning/matrix/exports/", {"kind": "clients"})
    assert response.status_code == 302
    job = MatrixExport.objects.get()
    assert (job.requested_by, job.lpar_kind) == (viewer, "clients")

    def finished():
        job.refresh_from_db()
        return job if not job.is_active else None

    assert wait_for(finished, timeout=90), celery_worker_process.log_text()
    assert job.state == "succeeded", job.message
    assert job.progress == 100
    assert job.rows == Lpar.objects.exclude(kind="vios").count()
    assert job.cells == job.rows * Frame.objects.count()

    page = client.get("/planning/matrix/").content.decode()
    url = f"/planning/matrix/exports/{job.pk}/download/"
    assert url in page
    download = client.get(url)
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    # The same rows as the direct download of the same filter.
    assert _values(content) == _values(matrix_workbook(matrix=MatrixFilter(kind="clients")))

    stranger = Client()
    login(stranger, other)
    assert stranger.get(url).status_code == 403
    assert url not in stranger.get("/planning/matrix/").content.decode()
    matrix_export_path(job).unlink()  # the worker wrote it under the shared LPM_VAR_DIR
