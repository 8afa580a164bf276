"""Notifications without a worker: subscription and webhook refusals by field and rule, the
signing secret never returned and stored encrypted, each user seeing only their own, who gets a
notification (by kind, frame, the frame's HMC), the e-mail's content, and a webhook that refuses
for good (404) not retried."""

import ipaddress

import pytest
from django.core import mail
from django.db import connection

from inventory.models import Frame, Hmc
from lpmplanner.notifications.models import Channel, Delivery, Kind, Subscription, Webhook
from lpmplanner.notifications.services import delivery_attempt, notify
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create
from tests.receivers import webhook_receiver

pytestmark = pytest.mark.django_db
SECRET = "whsec-0123456789abcdef"


@pytest.fixture
def frames(db):
    demo_estate_restore()
    return Frame.objects.get(name="p750-a"), Frame.objects.get(name="p750-b")


@pytest.fixture
def paula(db):
    return user_create("paula", role="Viewer", email="paula@example.com")


@pytest.fixture
def paula_client(api_client, paula):
    login(api_client, paula)
    return api_client


def test_webhook_refusals_and_the_secret_never_returned(paula_client):
    refused = paula_client.post(
        "/api/webhooks/", {"name": "ops", "url": "ftp://hooks.example.com/x", "secret": SECRET}
    )
    assert refused.status_code == 400
    assert "http:// or https://" in refused.json()["url"][0]
    refused = paula_client.post(
        "/api/webhooks/", {"name": "ops", "url": "https://hooks.example.com/x", "secret": "short"}
    )
    assert refused.json() == {"secret": ["The signing secret has at least 16 characters."]}
    assert not Webhook.objects.exists()

    created = paula_client.post(
        "/api/webhooks/", {"name": "ops", "url": "https://hooks.example.com/x", "secret": SECRET}
    )
    assert created.status_code == 201, created.json()
    assert SECRET not in created.content.decode()
    assert SECRET not in paula_client.get("/api/webhooks/").content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM lpmplanner_webhook")
        stored = cursor.fetchone()[0]
    assert SECRET not in stored
    assert Webhook.objects.get().secret == SECRET


def test_subscription_refusals_name_the_field_and_the_rule(paula_client, paula, frames):
    p750a, _ = frames
    kind = Kind.MIGRATION_NEEDS_ATTENTION.value
    refused = paula_client.post(
        "/api/notification-subscriptions/", {"kind": kind, "channel": "webhook"}
    )
    assert refused.json() == {
        "webhook": ["Choose one of your webhooks for a webhook subscription."]
    }
    someone = user_create("otto", role="Viewer")
    theirs = Webhook.objects.create(user=someone, name="x", url="https://x.example", secret=SECRET)
    refused = paula_client.post(
        "/api/notification-subscriptions/",
        {"kind": kind, "channel": "webhook", "webhook": theirs.pk},
    )
    assert refused.json() == {"webhook": ["Choose one of your own webhooks."]}
    refused = paula_client.post(
        "/api/notification-subscriptions/",
        {"kind": kind, "frame": p750a.pk, "hmc": p750a.hmc_id},
    )
    assert "not both" in refused.json()["hmc"][0]
    refused = paula_client.post("/api/notification-subscriptions/", {"kind": "weather.rain"})
    assert refused.status_code == 400 and "kind" in refused.json()
    paula.email = ""
    paula.save()
    refused = paula_client.post("/api/notification-subscriptions/", {"kind": kind})
    assert "no e-mail address" in refused.json()["channel"][0]
    assert not Subscription.objects.exists()


def test_each_user_sees_only_their_own_subscriptions(paula_client, paula):
    kind = Kind.BATCH_FINISHED
    mine = paula_client.post("/api/notification-subscriptions/", {"kind": kind.value})
    assert mine.status_code == 201, mine.json()
    other = user_create("otto", role="Viewer", email="otto@example.com")
    Subscription.objects.create(user=other, kind=kind)
    listed = paula_client.get("/api/notification-subscriptions/").json()
    assert [s["id"] for s in listed["results"]] == [mine.json()["id"]]


def test_who_gets_a_notification_and_the_email(paula, frames):
    p750a, p750b = frames
    kind = Kind.READINESS_NOT_READY
    Subscription.objects.create(user=paula, kind=kind, frame=p750a)
    by_hmc = user_create("hans", role="Viewer", email="hans@example.com")
    Subscription.objects.create(user=by_hmc, kind=kind, hmc=Hmc.objects.get())
    elsewhere = user_create("otto", role="Viewer", email="otto@example.com")
    Subscription.objects.create(user=elsewhere, kind=kind, frame=p750b)
    other_kind = user_create("kim", role="Viewer", email="kim@example.com")
    Subscription.objects.create(user=other_kind, kind=Kind.BATCH_FINISHED)

    notification = notify(
        kind,
        subject="server1 is not ready",
        body="vfc slot 620: WWPN not zoned.",
        data={"lpar": "server1"},
        frames=[p750a],
    )

    deliveries = Delivery.objects.filter(notification=notification)
    assert sorted(d.recipient for d in deliveries) == ["hans@example.com", "paula@example.com"]
    for delivery in deliveries:
        assert delivery_attempt(delivery=delivery) is False
    assert sorted(m.to[0] for m in mail.outbox) == ["hans@example.com", "paula@example.com"]
    assert mail.outbox[0].subject == "[lpmplanner] server1 is not ready"
    assert mail.outbox[0].body == "vfc slot 620: WWPN not zoned."
    assert {d.state for d in deliveries.all()} == {Delivery.State.DELIVERED}


@pytest.fixture
def local_receivers_allowed(settings):
    """The test's receivers listen on 127.0.0.1, which webhooks may reach only when allowed."""
    settings.NOTIFY_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]


def test_a_webhook_that_refuses_for_good_is_not_retried(paula, frames, local_receivers_allowed):
    with webhook_receiver() as receiver:
        receiver.statuses = [404]
        hook = Webhook.objects.create(user=paula, name="ops", url=receiver.url, secret=SECRET)
        Subscription.objects.create(
            user=paula, kind=Kind.BATCH_FINISHED, channel=Channel.WEBHOOK, webhook=hook
        )
        notification = notify(Kind.BATCH_FINISHED, subject="Batch #1 finished", body="…")
        delivery = Delivery.objects.get(notification=notification)
        assert delivery_attempt(delivery=delivery) is False
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED and delivery.attempts == 1
    assert delivery.tries.get().error.startswith("HTTP 404")


def test_the_notifications_page_subscribes_and_shows_refusals_at_the_field(client, paula, frames):
    p750a, _ = frames
    login(client, paula)
    page = client.get("/account/notifications/")
    assert page.status_code == 200 and "No subscriptions" in page.content.decode()

    refused = client.post(
        "/account/notifications/webhooks/",
        {"name": "ops", "url": "gopher://x.example/", "secret": SECRET},
    )
    assert refused.status_code == 400
    assert 'data-field-error="url"' in refused.content.decode()
    added = client.post(
        "/account/notifications/webhooks/",
        {"name": "ops", "url": "https://hooks.example.com/lpm", "secret": SECRET},
    )
    assert added.status_code == 302
    hook = Webhook.objects.get(user=paula)
    refused = client.post(
        "/account/notifications/subscriptions/",
        {"kind": Kind.BATCH_FINISHED.value, "channel": "webhook"},
    )
    assert refused.status_code == 400
    assert "Choose one of your webhooks" in refused.content.decode()
    client.post(
        "/account/notifications/subscriptions/",
        {
            "kind": Kind.BATCH_FINISHED.value,
            "frame": p750a.pk,
            "channel": "webhook",
            "webhook": hook.pk,
        },
    )
    page = client.get("/account/notifications/").content.decode()
    assert "frame p750-a" in page and "webhook ops" in page and SECRET not in page
    assert Subscription.objects.get(user=paula).webhook == hook


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "https://[::1]/hooks",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://[::ffff:10.1.2.3]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_a_webhook_may_not_point_into_the_internal_network(paula_client, url):
    refused = paula_client.post("/api/webhooks/", {"name": "ops", "url": url, "secret": SECRET})
    assert refused.status_code == 400
    assert "webhooks reach public addresses only" in refused.json()["url"][0]
    assert "NOTIFY_WEBHOOK_ALLOWED_NETWORKS" in refused.json()["url"][0]
    assert not Webhook.objects.exists()


def test_an_internal_network_an_administrator_allows_may_be_used(paula_client, settings):
    settings.NOTIFY_WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("10.20.0.0/16")]
    allowed = {"name": "chat", "url": "https://10.20.3.4/hooks", "secret": SECRET}
    assert paula_client.post("/api/webhooks/", allowed).status_code == 201
    other = {"name": "other", "url": "https://10.21.3.4/hooks", "secret": SECRET}
    assert paula_client.post("/api/webhooks/", other).status_code == 400


def test_a_webhook_whose_name_resolves_to_an_internal_address_is_not_sent(paula, frames):
    """A name is checked when the delivery connects, on the addresses it resolves to: a hook
    saved while its name was public and pointed inside later gets nothing sent."""
    with webhook_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", "localhost")
        hook = Webhook.objects.create(user=paula, name="ops", url=url, secret=SECRET)
        Subscription.objects.create(
            user=paula, kind=Kind.BATCH_FINISHED, channel=Channel.WEBHOOK, webhook=hook
        )
        notification = notify(Kind.BATCH_FINISHED, subject="Batch #1 finished", body="…")
        delivery = Delivery.objects.get(notification=notification)
        assert delivery_attempt(delivery=delivery) is False
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED and delivery.attempts == 1
    error = delivery.tries.get().error
    assert error.startswith("Not sent: localhost (") and "public addresses only" in error


def test_a_webhook_redirect_is_not_followed(paula, frames, local_receivers_allowed):
    with webhook_receiver() as elsewhere, webhook_receiver() as receiver:
        receiver.statuses, receiver.location = [307], elsewhere.url
        hook = Webhook.objects.create(user=paula, name="ops", url=receiver.url, secret=SECRET)
        Subscription.objects.create(
            user=paula, kind=Kind.BATCH_FINISHED, channel=Channel.WEBHOOK, webhook=hook
        )
        notification = notify(Kind.BATCH_FINISHED, subject="Batch #1 finished", body="…")
        delivery = Delivery.objects.get(notification=notification)
        assert delivery_attempt(delivery=delivery) is False
    assert (len(receiver.requests), elsewhere.requests) == (1, [])
    delivery.refresh_from_db()
    assert delivery.tries.get().error.startswith("HTTP 307")
