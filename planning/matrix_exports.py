"""The migratability matrix exported by a worker: any size, the whole estate included. A
MatrixExport row is made first with the matrix filter; the worker writes the xlsx under
MATRIX_EXPORT_DIR (in LPM_VAR_DIR) with its progress on the row; the Matrix page offers the
download to the user who asked (and administrators) until MATRIX_EXPORT_KEEP_HOURS have passed,
when beat deletes the file. Every value is written as text by `xlsx_cell` (formulas
neutralised), as in the direct download."""

import logging
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone

from lpmplanner.jobs import JobRun, job_enqueue
from planning.matrix import MatrixFilter, matrix_workbook_write
from planning.models import MatrixExport

logger = logging.getLogger(__name__)


def matrix_export_path(job: MatrixExport) -> Path:
    return Path(settings.MATRIX_EXPORT_DIR) / job.stored_name


def matrix_export_start(*, matrix: MatrixFilter, user: User) -> MatrixExport:
    """The row first, the task once it is committed."""
    from planning.tasks import matrix_export_task

    job = MatrixExport.objects.create(
        frame=matrix.frame,
        lpar_kind=matrix.kind,
        destination=matrix.destination,
        requested_by=user,
        step="Waiting for a worker",
    )
    job_enqueue(job=job, task=matrix_export_task)
    return job


def matrix_export_run(*, job: MatrixExport, worker: str = "") -> MatrixExport:
    """Write the file, reporting the rows done as progress."""
    with JobRun(job, worker=worker) as run:
        if not run.claimed:
            return job
        matrix = MatrixFilter(frame=job.frame, kind=job.lpar_kind, destination=job.destination)
        directory = Path(settings.MATRIX_EXPORT_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.xlsx"
        partial = directory / f"{name}.part"
        run.progress(1, "Checking every LPAR against every frame")

        def progress(done: int, total: int) -> None:
            run.progress(min(99, 1 + 98 * done // max(total, 1)), f"{done:,} of {total:,} LPARs")

        try:
            rows, cells = matrix_workbook_write(matrix=matrix, out=str(partial), progress=progress)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.rename(directory / name)
        job.stored_name, job.rows, job.cells = name, rows, cells
        job.size = (directory / name).stat().st_size
        job.save(update_fields=["stored_name", "rows", "cells", "size"])
        return run.finish(f"{rows:,} LPARs × {cells // max(rows, 1):,} frames ready to download.")


def matrix_export_may_download(job: MatrixExport, user: User) -> bool:
    """Only the user who asked, or an administrator."""
    return user.is_authenticated and (user.is_superuser or job.requested_by_id == user.pk)


def matrix_exports_of(user: User, *, limit: int = 5) -> list[MatrixExport]:
    """The user's latest matrix exports, for the Matrix page."""
    return list(MatrixExport.objects.filter(requested_by=user).order_by("-created", "-pk")[:limit])


def matrix_exports_prune(*, now: datetime | None = None) -> list[int]:
    """Delete the files of exports finished more than MATRIX_EXPORT_KEEP_HOURS ago (the rows
    stay, marked `file_deleted`); the ids whose file went."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.MATRIX_EXPORT_KEEP_HOURS)
    pruned = []
    for job in MatrixExport.objects.filter(finished__lt=cutoff, file_deleted__isnull=True).exclude(
        stored_name=""
    ):
        matrix_export_path(job).unlink(missing_ok=True)
        job.file_deleted = now
        job.save(update_fields=["file_deleted"])
        pruned.append(job.pk)
    if pruned:
        logger.info("matrix exports pruned: %s", pruned)
    return pruned
