"""Deliveries that should be on their way and are not: the beat's sweep hands them to a worker
again (a hand-off the broker did not take, a worker that stopped while sending), and one
conditional claim keeps two tasks for one delivery from sending it twice (threads racing)."""

import ipaddress
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from lpmplanner.celery import app as celery_app
from lpmplanner.notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    Kind,
    Subscription,
    Webhook,
)
from lpmplanner.notifications.services import deliveries_resend, delivery_attempt, notify
from tests.factories import user_create
from tests.receivers import webhook_receiver

SECRET = "whsec-0123456789abcdef"
RACERS = 6


@pytest.fixture
def receiver(settings):
    settings.NOTIFY_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture
def eager():
    """Tasks the sweep hands over run in this process, as a worker would run them."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def delivery_to(receiver) -> Delivery:
    paula = user_create("paula", role="Viewer", email="paula@example.com")
    hook = Webhook.objects.create(user=paula, name="ops", url=receiver.url, secret=SECRET)
    Subscription.objects.create(
        user=paula, kind=Kind.BATCH_FINISHED, channel=Channel.WEBHOOK, webhook=hook
    )
    notification = notify(Kind.BATCH_FINISHED, subject="Batch #1 finished", body="…")
    return Delivery.objects.get(notification=notification)


@pytest.mark.django_db
def test_a_delivery_the_broker_did_not_take_is_sent_by_the_sweep(receiver, eager, settings):
    delivery = delivery_to(receiver)  # on_commit never ran: as if the broker refused it
    assert deliveries_resend() == [] and receiver.requests == []  # not yet overdue
    later = timezone.now() + timedelta(seconds=settings.NOTIFY_RESEND_AFTER_SECONDS + 1)
    assert deliveries_resend(now=later) == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED and len(receiver.requests) == 1
    assert deliveries_resend(now=later) == []  # delivered: never again


@pytest.mark.django_db
def test_a_delivery_whose_worker_stopped_while_sending_is_sent_again(receiver, eager, settings):
    delivery = delivery_to(receiver)
    claimed = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        state=Delivery.State.SENDING, sending_since=claimed
    )
    assert deliveries_resend(now=claimed + timedelta(seconds=60)) == []  # may still be sending
    grace = settings.NOTIFY_RESEND_AFTER_SECONDS + settings.NOTIFY_WEBHOOK_TIMEOUT_SECONDS
    assert deliveries_resend(now=claimed + timedelta(seconds=grace + 1)) == [delivery.pk]
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED and len(receiver.requests) == 1


@pytest.mark.django_db
def test_a_retry_not_yet_due_is_not_sent_early(receiver, settings):
    """A second task for a retrying delivery (the sweep's, a broker's redelivery) before its
    backoff is over sends nothing: the retry the first task scheduled will."""
    receiver.statuses = [503]
    delivery = delivery_to(receiver)
    assert delivery_attempt(delivery=delivery) is True
    again = Delivery.objects.get(pk=delivery.pk)
    assert again.state == Delivery.State.RETRYING
    assert delivery_attempt(delivery=again) is False
    assert len(receiver.requests) == 1 and again.attempts == 1
    settings.NOTIFY_RETRY_SECONDS = 0
    assert delivery_attempt(delivery=Delivery.objects.get(pk=delivery.pk)) is False  # delivered
    assert len(receiver.requests) == 2
    assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.DELIVERED


@pytest.mark.django_db(transaction=True)
def test_tasks_racing_for_one_delivery_send_it_once(receiver):
    """Tasks for the same delivery in several workers at once (a hand-off and the sweep's):
    each reads it pending, one claims it, the receiver gets one request."""
    delivery = delivery_to(receiver)
    barrier = threading.Barrier(RACERS)
    errors: list[str] = []

    def send() -> None:
        try:
            mine = Delivery.objects.select_related("notification", "webhook").get(pk=delivery.pk)
            barrier.wait()
            delivery_attempt(delivery=mine)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(receiver.requests) == 1
    assert DeliveryAttempt.objects.filter(delivery=delivery).count() == 1
    assert Delivery.objects.get(pk=delivery.pk).state == Delivery.State.DELIVERED
