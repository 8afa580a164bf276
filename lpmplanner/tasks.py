"""Celery tasks that belong to no app: thin, each calls one service."""

from celery import shared_task

from lpmplanner.jobs.run import jobs_stale_fail


@shared_task
def jobs_stale_fail_task() -> int:
    """Beat, every minute: fail the running jobs whose worker stopped reporting."""
    return len(jobs_stale_fail())
