"""Celery tasks of planning: thin, each loads its row by id and calls one service."""

from celery import shared_task

from planning.cache import summaries_refresh
from planning.models import WorkbookImport
from planning.workbook.jobs import workbook_import_run, workbook_uploads_prune


@shared_task(bind=True)
def workbook_import_task(self, job_id: int) -> str:
    """Import (or dry-run) one uploaded workbook; the outcome is on the WorkbookImport row."""
    job = WorkbookImport.objects.select_related("requested_by").get(pk=job_id)
    return workbook_import_run(job=job, worker=self.request.hostname or "").state


@shared_task
def workbook_uploads_prune_task() -> int:
    """Beat, every hour: delete the uploads of imports older than WORKBOOK_UPLOAD_KEEP_DAYS."""
    return len(workbook_uploads_prune())


@shared_task
def estate_summaries_refresh_task() -> dict[str, float]:
    """Beat, every minute: check the estate again if it changed, so overview pages read counts
    computed at the current estate version instead of waiting for them."""
    return summaries_refresh()
