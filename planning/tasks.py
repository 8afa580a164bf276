"""Celery tasks of planning: thin, each loads its row by id and calls one service."""

from celery import shared_task

from planning.models import WorkbookImport
from planning.workbook.jobs import workbook_import_run


@shared_task
def workbook_import_task(job_id: int) -> str:
    """Import (or dry-run) one uploaded workbook; the outcome is on the WorkbookImport row."""
    job = WorkbookImport.objects.select_related("requested_by").get(pk=job_id)
    return workbook_import_run(job=job).state
