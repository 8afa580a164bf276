"""Workbook imports as jobs: the upload is kept under LPM_VAR_DIR (at most
WORKBOOK_MAX_UPLOAD_MB, counted as it is written) and a WorkbookImport row made first; a small
file is imported at once, a large one by a Celery task that writes its progress on the row.
Small is decided on a streaming look at the file itself (its real rows and inflated bytes, not
what its zip directory claims), so the web process never reads a large file. A refused file is
deleted at once. Everything an import changes carries the row's request id in the change
history. Kept uploads of finished imports are deleted after WORKBOOK_UPLOAD_KEEP_DAYS; the rows
stay."""

import logging
import shutil
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from inventory.history import change_author
from lpmplanner.jobs import JobRun, job_enqueue
from planning.models import WorkbookImport
from planning.workbook.importer import workbook_apply
from planning.workbook.read import MB, WorkbookRefused, workbook_measure, workbook_read

READ_SHARE = 10  # percent of the progress bar for reading the file
# An xlsx that inflates past this is read by a worker, however few its rows: the web process
# holds what openpyxl makes of it while it answers, and openpyxl reads a shared strings table at
# about 25,000 strings a second (a 2,000-row sheet fills well under 3 MB).
REQUEST_MAX_INFLATED = 8 * MB

logger = logging.getLogger(__name__)


def upload_path(job: WorkbookImport) -> Path:
    return Path(settings.WORKBOOK_UPLOAD_DIR) / job.stored_name


def upload_refusal(size: int) -> str | None:
    """Why an upload of `size` bytes is refused (too large), or None."""
    limit = settings.WORKBOOK_MAX_UPLOAD_MB
    if size <= limit * MB:
        return None
    return (
        f"The file is {size / MB:,.1f} MB; an upload may be at most {limit:,} MB (setting "
        "WORKBOOK_MAX_UPLOAD_MB). Split the workbook or import it sheet by sheet."
    )


def _keep(chunks: Iterable[bytes]) -> str:
    """Store the upload, counting its bytes as they come: past the limit nothing is kept."""
    directory = Path(settings.WORKBOOK_UPLOAD_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}.upload"
    size = 0
    with (directory / name).open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            refusal = upload_refusal(size)
            if refusal:
                out.close()
                (directory / name).unlink()
                raise ValidationError({"file": [refusal]})
            out.write(chunk)
    return name


def _refuse(job: WorkbookImport, reason: str) -> WorkbookImport:
    """The file is refused whole: the job fails with the reason and the file goes at once."""
    upload_path(job).unlink(missing_ok=True)
    return JobRun(job).fail(reason, file_deleted=timezone.now())


def _start(job: WorkbookImport) -> WorkbookImport:
    """Run the job now when the file is small (its real rows and inflated size, measured
    streaming and only as far as needed), else queue it for a worker."""
    try:
        measure = workbook_measure(
            upload_path(job),
            filename=job.filename,
            sheet=job.sheet,
            rows_at_most=settings.WORKBOOK_ASYNC_ROWS,
            bytes_at_most=REQUEST_MAX_INFLATED,
        )
    except WorkbookRefused as refused:
        return _refuse(job, str(refused))
    if measure.fits:
        return workbook_import_run(job=job)
    from planning.tasks import workbook_import_task

    job_enqueue(job=job, task=workbook_import_task)
    return job


def workbook_import_start(
    *, chunks: Iterable[bytes], filename: str, user, dry_run: bool = True, sheet: str = ""
) -> WorkbookImport:
    """Keep the upload and import it (a dry run unless `dry_run` is False). An upload larger
    than WORKBOOK_MAX_UPLOAD_MB raises ValidationError and leaves nothing behind."""
    job = WorkbookImport.objects.create(
        filename=Path(filename or "upload").name[:255],
        sheet=sheet,
        stored_name=_keep(chunks),
        dry_run=dry_run,
        requested_by=user if user and user.is_authenticated else None,
        request_id=str(uuid.uuid4()),
    )
    return _start(job)


def workbook_import_commit(*, source: WorkbookImport, user) -> WorkbookImport:
    """Commit the file a dry run read, as it was uploaded."""
    if source.state == WorkbookImport.State.FAILED and not source.report:
        raise ValidationError({"file": [f"{source} was refused ({source.message})."]})
    if source.file_deleted:
        raise ValidationError(
            {
                "file": [
                    f"The uploaded file of {source} was deleted after {source.file_kept_days} days "
                    "(WORKBOOK_UPLOAD_KEEP_DAYS): upload it again to import it."
                ]
            }
        )
    stored = _keep([])
    try:
        shutil.copyfile(upload_path(source), Path(settings.WORKBOOK_UPLOAD_DIR) / stored)
    except FileNotFoundError:  # deleted meanwhile
        (Path(settings.WORKBOOK_UPLOAD_DIR) / stored).unlink()
        raise ValidationError(
            {"file": [f"The uploaded file of {source} is gone: upload it again to import it."]}
        ) from None
    job = WorkbookImport.objects.create(
        filename=source.filename,
        sheet=source.sheet,
        stored_name=stored,
        dry_run=False,
        requested_by=user if user and user.is_authenticated else None,
        request_id=str(uuid.uuid4()),
    )
    return _start(job)


def workbook_import_run(*, job: WorkbookImport, worker: str = "") -> WorkbookImport:
    """Read the job's file and apply it (or try it, for a dry run); the outcome is on the row.
    A job that is not queued (another worker took it, or it is over) is left as it is."""
    with JobRun(job, worker=worker) as run:
        if not run.claimed:
            return job
        run.progress(1, f"Reading {job.filename}")
        return _import(job, run)


def _import(job: WorkbookImport, run: JobRun) -> WorkbookImport:
    try:
        parsed = workbook_read(upload_path(job), filename=job.filename, sheet=job.sheet)
    except WorkbookRefused as refused:
        return _refuse(job, str(refused))
    except Exception:  # a file no check foresaw: still a refusal with a sentence, never stuck
        logger.exception("workbook import %s: the file could not be read", job.pk)
        return _refuse(job, "The file could not be read: it is damaged or not what its name says.")
    WorkbookImport.objects.filter(pk=job.pk).update(rows=parsed.row_count)
    applying = "Importing" if not job.dry_run else "Trying"
    run.progress(READ_SHARE, f"{applying} {parsed.row_count:,} rows")
    # The import holds its transaction open: its progress goes through a connection of its own.
    with run.progress_outside() as write:

        def progress(done: int, total: int) -> None:
            percent = READ_SHARE + (100 - READ_SHARE) * done // max(total, 1)
            write(min(percent, 99), f"{applying} rows: {done:,} of {total:,}")

        try:
            with change_author(user=job.requested_by, request_id=job.request_id):
                report = workbook_apply(parsed, commit=not job.dry_run, progress=progress)
        except IntegrityError as error:
            # A rule the checks above did not foresee: the transaction is rolled back whole.
            return run.fail(f"Nothing was changed: the database refused the import ({error}).")
    outcome = {"report": report.as_dict(), "rows": parsed.row_count, "committed": report.committed}
    if report.problems and not job.dry_run:
        count = len(report.problems)
        reason = f"Nothing was changed: {count} problem{'s' if count > 1 else ''} in the file."
        return run.fail(reason, progress=100, **outcome)
    problems = f", {len(report.problems)} problem(s)" if report.problems else ""
    done = "committed" if report.committed else "tried (dry run)"
    run.event(f"{parsed.row_count:,} rows read and {done}{problems}.")
    return run.finish(**outcome)


def workbook_uploads_prune(
    *, keep_days: int | None = None, now: datetime | None = None
) -> list[WorkbookImport]:
    """Delete the kept uploads of finished (succeeded or failed) imports created more than
    `keep_days` (WORKBOOK_UPLOAD_KEEP_DAYS) ago; never a queued or running one's. Each row stays,
    with its report, marked with when its file went. Returns the imports whose file was deleted."""
    keep_days = settings.WORKBOOK_UPLOAD_KEEP_DAYS if keep_days is None else keep_days
    now = now or timezone.now()
    old = WorkbookImport.objects.filter(
        state__in=[WorkbookImport.State.SUCCEEDED, WorkbookImport.State.FAILED],
        created__lt=now - timedelta(days=keep_days),
        file_deleted__isnull=True,
    ).order_by("created", "pk")
    pruned = []
    for job in old:
        upload_path(job).unlink(missing_ok=True)
        job.file_deleted = now
        job.save(update_fields=["file_deleted"])
        pruned.append(job)
    return pruned
