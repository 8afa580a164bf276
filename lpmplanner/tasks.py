"""Celery tasks of the project app: thin, each loads its row by id and calls one service."""

from celery import shared_task

from lpmplanner.jobs.run import jobs_stale_fail
from lpmplanner.notifications.models import Delivery
from lpmplanner.notifications.services import (
    deliveries_resend,
    delivery_attempt,
    delivery_backoff,
)


@shared_task(bind=True, max_retries=None)
def notification_deliver_task(self, delivery_id: int) -> str:
    """Send one notification delivery (an e-mail, a webhook POST); try again later, with
    backoff, while it fails in a way that may pass."""
    delivery = (
        Delivery.objects.select_related("notification", "webhook").filter(pk=delivery_id).first()
    )
    if delivery is None:
        return "gone"
    if delivery_attempt(delivery=delivery):
        raise self.retry(countdown=delivery_backoff(delivery.attempts))
    return delivery.state


@shared_task
def notification_deliveries_resend_task() -> int:
    """Beat, every minute: hand to a worker again the deliveries that should be on their way."""
    return len(deliveries_resend())


@shared_task
def jobs_stale_fail_task() -> int:
    """Beat, every minute: fail the running jobs whose worker stopped reporting."""
    return len(jobs_stale_fail())
