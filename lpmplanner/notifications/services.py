"""`notify`: record an event and deliver it to its subscribers, by e-mail (Django's mail
backend, the EMAIL_* settings) and to their webhooks (signed JSON), each delivery sent by a
Celery task once committed and retried with backoff; every attempt is kept."""

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from inventory.models import Frame, Hmc
from lpmplanner.notifications.destinations import RefusedDestination, opener
from lpmplanner.notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    Kind,
    Notification,
    Subscription,
    Webhook,
)
from lpmplanner.notifications.signing import HEADER, signature_header

logger = logging.getLogger(__name__)
State = Delivery.State


def _ids(objects: Iterable[Any]) -> list[int]:
    return sorted({o.pk if hasattr(o, "pk") else int(o) for o in objects if o is not None})


def subscriptions_matching(
    kind: str, *, frame_ids: Iterable[int], hmc_ids: Iterable[int]
) -> list[Subscription]:
    """Subscriptions to `kind` about everything, about one of the frames, or about one of the
    HMCs."""
    about = Q(frame__isnull=True, hmc__isnull=True)
    about |= Q(frame__in=list(frame_ids)) | Q(hmc__in=list(hmc_ids))
    return list(
        Subscription.objects.filter(about, kind=kind, user__is_active=True).select_related(
            "user", "webhook"
        )
    )


def notify(
    kind: str,
    *,
    subject: str,
    body: str,
    data: Mapping[str, Any] | None = None,
    frames: Iterable[Frame | int] = (),
    hmcs: Iterable[Hmc | int] = (),
) -> Notification:
    """Tell the subscribers of `kind` (a `Kind` value) about an event concerning `frames` and
    `hmcs` (objects or ids; a frame brings its HMC): one e-mail per address, one signed POST per
    webhook, sent by workers once the caller's transaction commits. `data` (JSON-able) goes
    into the webhook payload as is."""
    if kind not in Kind.values:
        raise ValueError(f"Unknown notification kind {kind!r}.")
    frame_ids = _ids(frames)
    hmc_ids = set(_ids(hmcs))
    hmc_ids |= set(
        Frame.objects.filter(pk__in=frame_ids, hmc__isnull=False).values_list("hmc", flat=True)
    )
    with transaction.atomic():
        notification = Notification.objects.create(
            kind=kind,
            subject=subject[:255],
            body=body,
            data=json.loads(json.dumps(dict(data or {}), cls=DjangoJSONEncoder)),
            frame_ids=frame_ids,
            hmc_ids=sorted(hmc_ids),
        )
        deliveries: dict[tuple, Delivery] = {}
        for subscription in subscriptions_matching(kind, frame_ids=frame_ids, hmc_ids=hmc_ids):
            if subscription.channel == Channel.WEBHOOK:
                hook = subscription.webhook
                deliveries.setdefault(
                    ("webhook", hook.pk),
                    Delivery(
                        notification=notification,
                        channel=Channel.WEBHOOK,
                        webhook=hook,
                        recipient=hook.url,
                    ),
                )
            elif subscription.user.email:
                address = subscription.user.email
                deliveries.setdefault(
                    ("email", address.lower()),
                    Delivery(notification=notification, channel=Channel.EMAIL, recipient=address),
                )
        created = Delivery.objects.bulk_create(deliveries.values())
        ids = [delivery.pk for delivery in created]
        transaction.on_commit(lambda: deliveries_send(delivery_ids=ids))
    return notification


def deliveries_send(*, delivery_ids: Iterable[int]) -> None:
    """Hand each delivery to a worker. One the broker does not take stays pending (logged)."""
    from lpmplanner.tasks import notification_deliver_task

    for pk in delivery_ids:
        try:
            notification_deliver_task.apply_async(args=[pk], retry=False)
        except Exception as error:
            logger.warning("Notification delivery %s not sent to a worker: %s", pk, error)


def payload(delivery: Delivery) -> bytes:
    """The JSON a webhook receives: the notification and this delivery's id (to drop a
    duplicate)."""
    notification = delivery.notification
    document = {
        "id": notification.pk,
        "delivery": delivery.pk,
        "kind": notification.kind,
        "subject": notification.subject,
        "body": notification.body,
        "data": notification.data,
        "frames": notification.frame_ids,
        "hmcs": notification.hmc_ids,
        "created": notification.created,
    }
    return json.dumps(document, cls=DjangoJSONEncoder, sort_keys=True).encode()


class DeliveryError(Exception):
    def __init__(self, message: str, *, status_code: int | None = None, retry: bool = True):
        super().__init__(message)
        self.status_code, self.retry = status_code, retry


def _webhook_post(delivery: Delivery) -> int:
    """POST the signed payload; the HTTP status, or DeliveryError (retry unless the receiver
    refused it for good: a 4xx other than 408 and 429)."""
    body = payload(delivery)
    request = urllib.request.Request(  # noqa: S310 (the URL's scheme is http(s), see Webhook)
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "lpmplanner",
            "X-Lpmplanner-Event": delivery.notification.kind,
            "X-Lpmplanner-Delivery": str(delivery.pk),
            HEADER: signature_header(delivery.webhook.secret, body),
        },
    )
    try:
        with opener().open(request, timeout=settings.NOTIFY_WEBHOOK_TIMEOUT_SECONDS) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        code = error.code
        retry = code >= 500 or code in (408, 429)
        raise DeliveryError(f"HTTP {code} {error.reason}", status_code=code, retry=retry) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, RefusedDestination):
            raise DeliveryError(f"Not sent: {reason}", retry=False) from None
        raise DeliveryError(f"Not reached: {reason}") from None


def _email_send(delivery: Delivery) -> None:
    notification = delivery.notification
    try:
        send_mail(
            subject=f"[lpmplanner] {notification.subject}",
            message=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[delivery.recipient],
        )
    except OSError as error:  # smtplib's errors are OSErrors, so are refused connections
        raise DeliveryError(f"Not sent: {type(error).__name__}: {error}") from None


def delivery_due(delivery: Delivery, now) -> bool:
    """Pending, or retrying and its backoff over (a second early allowed: the broker's
    countdown is not exact)."""
    if delivery.state == State.PENDING:
        return True
    if delivery.state != State.RETRYING:
        return False
    last = delivery.tries.order_by("-number").values_list("time", flat=True).first()
    if last is None:
        return True
    return (now - last).total_seconds() + 1 >= delivery_backoff(delivery.attempts)


def delivery_claim(delivery: Delivery) -> bool:
    """Take the delivery to send it (state `sending`), if it is due and no other worker took
    it since it was read: one conditional UPDATE, so of two tasks for one delivery (a hand-off
    and the sweep's, or a broker's redelivery) only one sends."""
    now = timezone.now()
    if not delivery_due(delivery, now):
        return False
    taken = Delivery.objects.filter(
        pk=delivery.pk, state=delivery.state, attempts=delivery.attempts
    ).update(state=State.SENDING, sending_since=now)
    if taken:
        delivery.state, delivery.sending_since = State.SENDING, now
    return bool(taken)


def delivery_attempt(*, delivery: Delivery) -> bool:
    """Try the delivery once, if it is due and this worker claims it, and record the attempt.
    True when it should be tried again later (state `retrying`); a delivery that fails
    NOTIFY_MAX_ATTEMPTS times, or is refused for good, is `failed`."""
    if not delivery_claim(delivery):
        return False
    number = delivery.attempts + 1
    status_code, error, retry = None, "", False
    try:
        if delivery.channel == Channel.WEBHOOK:
            status_code = _webhook_post(delivery)
        else:
            _email_send(delivery)
    except DeliveryError as problem:
        status_code, error, retry = problem.status_code, str(problem), problem.retry
    ok = not error
    retry = retry and number < settings.NOTIFY_MAX_ATTEMPTS
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery=delivery, number=number, ok=ok, status_code=status_code, error=error
        )
        delivery.attempts = number
        delivery.state = State.DELIVERED if ok else State.RETRYING if retry else State.FAILED
        delivery.delivered = timezone.now() if ok else None
        delivery.sending_since = None
        delivery.save(update_fields=["attempts", "state", "delivered", "sending_since"])
    logger.info(
        "Notification %s %s to %s, attempt %s: %s",
        delivery.notification_id,
        delivery.channel,
        delivery.recipient,
        number,
        "delivered" if ok else error,
    )
    return retry


def deliveries_resend(*, now=None) -> list[int]:
    """Beat, every minute: hand to a worker again the deliveries that should be on their way
    and are not, NOTIFY_RESEND_AFTER_SECONDS after they were due: pending ones whose hand-off
    the broker did not take, retrying ones whose retry was lost (a worker that stopped), and
    ones a worker claimed and never finished (they are tried again: a webhook receiver drops a
    duplicate by its delivery id). The claim keeps a second task for one delivery from sending
    it twice."""
    now = now or timezone.now()
    grace = settings.NOTIFY_RESEND_AFTER_SECONDS
    resend = list(
        Delivery.objects.filter(
            state=State.PENDING, created__lte=now - timedelta(seconds=grace)
        ).values_list("pk", flat=True)
    )
    stuck = now - timedelta(seconds=grace + settings.NOTIFY_WEBHOOK_TIMEOUT_SECONDS)
    for pk, since in Delivery.objects.filter(
        state=State.SENDING, sending_since__lte=stuck
    ).values_list("pk", "sending_since"):
        if Delivery.objects.filter(pk=pk, state=State.SENDING, sending_since=since).update(
            state=State.RETRYING, sending_since=None
        ):
            logger.warning("Notification delivery %s: its worker stopped while sending", pk)
    for delivery in Delivery.objects.filter(state=State.RETRYING).annotate(last=Max("tries__time")):
        due = delivery.last is None or (now - delivery.last).total_seconds() >= (
            delivery_backoff(delivery.attempts) + grace
        )
        if due:
            resend.append(delivery.pk)
    if resend:
        logger.info("Notification deliveries handed to a worker again: %s", resend)
        deliveries_send(delivery_ids=resend)
    return resend


def delivery_backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: NOTIFY_RETRY_SECONDS, doubled
    each time."""
    return settings.NOTIFY_RETRY_SECONDS * 2 ** max(0, attempts - 1)


def subscription_create(*, user, **fields) -> Subscription:
    subscription = Subscription(user=user, **fields)
    subscription.full_clean()
    subscription.save()
    return subscription


def webhook_save(*, webhook: Webhook) -> Webhook:
    webhook.full_clean()
    webhook.save()
    return webhook
