"""Delete the kept uploads of workbook imports older than WORKBOOK_UPLOAD_KEEP_DAYS (what beat
does every hour); the imports' rows and reports stay in the history."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from planning.workbook.jobs import workbook_uploads_prune


class Command(BaseCommand):
    help = (
        "Delete the uploaded files of finished workbook imports older than "
        "WORKBOOK_UPLOAD_KEEP_DAYS; the imports stay in the history."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days instead of WORKBOOK_UPLOAD_KEEP_DAYS.",
        )

    def handle(self, *args, days: int | None = None, **options) -> None:
        if days is not None and days < 1:
            raise CommandError(f"--days {days}: keep uploads at least 1 day.")
        keep_days = settings.WORKBOOK_UPLOAD_KEEP_DAYS if days is None else days
        pruned = workbook_uploads_prune(keep_days=keep_days)
        for job in pruned:
            who = f" by {job.requested_by}" if job.requested_by else ""
            self.stdout.write(
                f"Deleted the upload of {job} ({job.get_state_display().lower()}, uploaded "
                f"{job.created:%Y-%m-%d}{who})."
            )
        count = len(pruned)
        self.stdout.write(
            f"{count} upload{'s' if count != 1 else ''} deleted, older than {keep_days} days."
        )
