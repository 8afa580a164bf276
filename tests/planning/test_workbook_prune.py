"""Old workbook uploads are deleted: the files of finished imports older than
WORKBOOK_UPLOAD_KEEP_DAYS go (by beat's task or `workbook_uploads_prune`), their rows, reports
and pages stay and say the file is gone; recent and unfinished imports keep their files."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from lpmplanner.celery import app as celery_app
from planning.models import WorkbookImport
from planning.tasks import workbook_uploads_prune_task
from planning.workbook.jobs import upload_path
from tests.factories import login

pytestmark = pytest.mark.django_db
State = WorkbookImport.State


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.WORKBOOK_UPLOAD_DIR = tmp_path / "workbook-imports"
    settings.WORKBOOK_UPLOAD_KEEP_DAYS = 30


def dry_run(api, days_old: int) -> WorkbookImport:
    """A finished dry run of a one-VLAN CSV, uploaded `days_old` days ago."""
    file = SimpleUploadedFile("VLANs.csv", b"VLAN,Name\n402,backup\n")
    answer = api.post("/api/workbook/import/", {"file": file}, format="multipart")
    assert answer.status_code == 200, answer.json()
    job = WorkbookImport.objects.get(pk=answer.json()["id"])
    assert job.state == State.SUCCEEDED and upload_path(job).exists()
    WorkbookImport.objects.filter(pk=job.pk).update(
        created=timezone.now() - timedelta(days=days_old)
    )
    return job


def unfinished(state: str, days_old: int) -> WorkbookImport:
    job = WorkbookImport.objects.create(
        filename="big.xlsx",
        stored_name=f"{state}.upload",
        dry_run=False,
        request_id=state,
        state=state,
    )
    upload_path(job).parent.mkdir(parents=True, exist_ok=True)
    upload_path(job).write_bytes(b"PK")
    WorkbookImport.objects.filter(pk=job.pk).update(
        created=timezone.now() - timedelta(days=days_old)
    )
    return job


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("workbook_uploads_prune", *args, stdout=out)
    return out.getvalue()


def test_an_old_finished_import_loses_its_file_and_keeps_its_row_and_page(
    api, client, planner, demo
):
    old = dry_run(api, days_old=31)
    report = WorkbookImport.objects.get(pk=old.pk).report

    printed = prune()

    assert not upload_path(old).exists()
    old.refresh_from_db()
    assert old.file_deleted is not None and old.report == report  # the summary stays
    assert f"Deleted the upload of Dry run of VLANs.csv #{old.pk} (succeeded, uploaded" in printed
    assert "1 upload deleted, older than 30 days." in printed

    login(client, planner)
    page = client.get(old.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert "The uploaded file was deleted after 31 days: upload it again to import it." in body
    assert "1 to create" in body  # the report is still shown
    assert "Commit the import" not in body

    refused = api.post(f"/api/workbook/imports/{old.pk}/commit/")
    assert refused.status_code == 400
    assert "was deleted after 31 days" in refused.json()["file"][0]
    assert api.get(f"/api/workbook/imports/{old.pk}/").json()["file_deleted"]
    back = client.post(f"/planning/workbook/imports/{old.pk}/commit/", follow=True)
    assert back.redirect_chain[-1][0] == old.get_absolute_url()
    assert "upload it again to import it" in back.content.decode()
    assert WorkbookImport.objects.count() == 1  # no commit was started


def test_recent_and_unfinished_imports_keep_their_files(api, demo):
    recent = dry_run(api, days_old=29)
    running = unfinished(State.RUNNING, days_old=90)
    queued = unfinished(State.QUEUED, days_old=90)

    assert "0 uploads deleted, older than 30 days." in prune()

    for job in (recent, running, queued):
        assert upload_path(job).exists(), job
        job.refresh_from_db()
        assert job.file_deleted is None


def test_days_override_the_setting_and_a_second_run_deletes_nothing_again(api, demo):
    job = dry_run(api, days_old=8)
    assert "1 upload deleted, older than 7 days." in prune("--days", "7")
    assert "0 uploads deleted" in prune("--days", "7")
    assert not upload_path(job).exists()


def test_beat_runs_the_pruning_task(api, demo):
    entry = settings.CELERY_BEAT_SCHEDULE["workbook-uploads-prune"]
    assert entry["task"] in celery_app.tasks  # beat sends a task the worker knows
    old = dry_run(api, days_old=45)
    assert workbook_uploads_prune_task() == 1
    assert not upload_path(old).exists()


def test_committing_a_dry_run_whose_file_went_meanwhile_is_a_400_not_a_crash(api, demo):
    job = dry_run(api, days_old=0)
    upload_path(job).unlink()  # as if pruned between the page and the click
    refused = api.post(f"/api/workbook/imports/{job.pk}/commit/")
    assert refused.status_code == 400
    assert "is gone: upload it again" in refused.json()["file"][0]
    assert WorkbookImport.objects.count() == 1
    assert list(upload_path(job).parent.iterdir()) == []  # no stray empty copy
