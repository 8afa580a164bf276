"""Matrix exports without a worker: who may download, and the files' bounded lifetime."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from planning.matrix import MatrixFilter
from planning.matrix_exports import matrix_export_path, matrix_export_run, matrix_exports_prune
from planning.models import MatrixExport
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_export(settings, tmp_path):
    settings.MATRIX_EXPORT_DIR = tmp_path
    demo_estate_restore()
    owner = user_create("olga", role="Viewer")
    job = MatrixExport.objects.create(requested_by=owner, lpar_kind=MatrixFilter().kind)
    return matrix_export_run(job=job)


def test_the_run_writes_a_file_with_progress(finished_export):
    job = finished_export
    assert (job.state, job.progress) == ("succeeded", 100)
    assert matrix_export_path(job).is_file() and job.size > 0
    assert not list(matrix_export_path(job).parent.glob("*.part"))


def test_only_the_owner_and_administrators_download(finished_export):
    url = f"/planning/matrix/exports/{finished_export.pk}/download/"
    for user, status in (
        (finished_export.requested_by, 200),
        (user_create("pete", role="Planner"), 403),
        (user_create("root", is_superuser=True, is_staff=True), 200),
    ):
        client = Client()
        login(client, user)
        assert client.get(url).status_code == status, user


def test_files_older_than_the_keep_hours_are_deleted_and_no_longer_served(
    finished_export, settings
):
    job = finished_export
    settings.MATRIX_EXPORT_KEEP_HOURS = 1
    assert matrix_exports_prune() == []
    assert matrix_exports_prune(now=timezone.now() + timedelta(hours=2)) == [job.pk]
    job.refresh_from_db()
    assert job.file_deleted and not matrix_export_path(job).exists()
    client = Client()
    login(client, job.requested_by)
    assert client.get(f"/planning/matrix/exports/{job.pk}/download/").status_code == 404
