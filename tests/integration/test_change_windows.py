"""Change windows and notifications end to end: a real worker (which reads the test's clock,
tests.clock), the HMC simulator over SSH, a real SMTP server and a real webhook receiver. A
batch scheduled in a window starts when the window opens; the job that could not finish before
it closes is not run, with its reason; the running one is reported as ran over and finishes;
the subscriber gets the e-mails; a webhook gets a signed payload, and again after a 500."""

import hashlib
import hmac
import json
import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Frame, Lpar
from lpmplanner.notifications.models import Channel, Delivery, Kind, Subscription, Webhook
from lpmplanner.notifications.services import notify
from migrations_app.lpm.services import batch_create
from migrations_app.models import MigrationJob, MigrationState
from migrations_app.windows.models import ChangeWindow
from migrations_app.windows.schedule import Schedule
from migrations_app.windows.services import change_windows_tick
from tests.clock import clock_set
from tests.factories import user_create
from tests.integration.test_migrations import estate, simulated  # noqa: F401
from tests.receivers import smtp_server, webhook_receiver
from tests.workers import WORKER_ENV, database_url_of_test_database, wait_for, worker_on_own_queue

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
S = MigrationState
CLOCK = "tests.clock.file_clock"
SECRET = "whsec-0123456789abcdef"


@pytest.fixture(scope="module")
def mailbox():
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def clock_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("clock") / "now"
    previous = os.environ.get("LPM_TEST_CLOCK_FILE")
    os.environ["LPM_TEST_CLOCK_FILE"] = str(path)
    yield path
    if previous is None:
        del os.environ["LPM_TEST_CLOCK_FILE"]
    else:
        os.environ["LPM_TEST_CLOCK_FILE"] = previous


@pytest.fixture(scope="module")
def window_worker(django_db_setup, django_db_blocker, tmp_path_factory, mailbox, clock_file):
    """One worker for the module that reads the test clock and sends e-mail to `mailbox`,
    retrying deliveries after half a second."""
    with django_db_blocker.unblock():
        database_url = database_url_of_test_database()
    env = {
        **WORKER_ENV,
        "LPM_CLOCK": CLOCK,
        "LPM_TEST_CLOCK_FILE": str(clock_file),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(mailbox.port),
        "NOTIFY_RETRY_SECONDS": "0.5",
        "NOTIFY_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",  # the test's webhook receiver
    }
    log = tmp_path_factory.mktemp("window-worker") / "worker.log"
    with worker_on_own_queue(database_url=database_url, log=log, env=env) as worker:
        yield worker


@pytest.fixture
def test_clock(settings, clock_file):
    settings.LPM_CLOCK = CLOCK
    clock_file.write_text("")
    return clock_set


def mails_to(mailbox, address: str, subject_part: str) -> list:
    return [
        message
        for message in mailbox.messages
        if address in message["X-Envelope-To"] and subject_part in message["Subject"]
    ]


def test_a_batch_in_a_window_starts_when_it_opens_and_would_overrun_is_not_run(
    estate,  # noqa: F811
    simulated,  # noqa: F811
    window_worker,
    mailbox,
    test_clock,
):
    server1, p750b = estate
    server2 = Lpar.objects.get(name="server2")
    simulator = simulated(migration_seconds=8)
    olga = user_create("olga", role="Operator", email="olga@example.com")
    for kind in (Kind.WINDOW_JOBS_NOT_RUN, Kind.MIGRATION_RAN_OVER):
        Subscription.objects.create(user=olga, kind=kind, channel=Channel.EMAIL)
    now = timezone.now().replace(microsecond=0)
    test_clock(now)
    # 150 s: server1 (2 GB at the default 100 MB/s, plus 120 s) needs 141 s, server2 (4 GB) 161.
    opens = now + timedelta(hours=1)
    window = ChangeWindow.objects.create(
        name="Tonight", start=opens, end=opens + timedelta(seconds=150), time_zone="Europe/Paris"
    )
    batch = batch_create(
        items=[{"lpar": lpar, "destination_frame": p750b} for lpar in (server1, server2)],
        requested_by=olga,
        schedule=Schedule(window=window),
    )
    jobs = {job.lpar_name: job for job in batch.jobs.all()}
    assert {job.state for job in jobs.values()} == {S.SCHEDULED}
    assert {job.scheduled_for for job in jobs.values()} == {opens}

    test_clock(opens - timedelta(seconds=1))
    assert change_windows_tick().get("started", 0) == 0
    assert set(batch.jobs.values_list("state", flat=True)) == {S.SCHEDULED}
    assert not simulator.hmc.commands_matching("migrlpar")

    test_clock(opens)
    assert change_windows_tick()["started"] == 1

    first = wait_for(
        lambda: (
            MigrationJob.objects.filter(pk=jobs["server1"].pk, migrate_sent__isnull=False)
            .exclude(progress=0)
            .first()
        ),
        timeout=60,
    )
    assert first, window_worker.log_text()
    assert first.state == S.MIGRATING
    skipped = MigrationJob.objects.get(pk=jobs["server2"].pk)
    assert skipped.state == S.NOT_RUN and skipped.started is None
    assert "change window Tonight closes at" in skipped.not_run_reason
    assert "it had to start by" in skipped.not_run_reason
    assert skipped.events.filter(message=skipped.not_run_reason).exists()

    test_clock(opens + timedelta(seconds=151))  # the window has closed; server1 still moves
    counts = change_windows_tick()
    assert counts["ran_over"] == 1 and counts["windows_reported"] == 1

    done = wait_for(
        lambda: MigrationJob.objects.filter(pk=first.pk, state=S.COMPLETED).first(), timeout=60
    )
    assert done and done.ran_over, window_worker.log_text()
    assert done.events.filter(message__startswith="Ran over: still migrating").exists()
    assert not simulator.hmc.commands_matching("migrlpar", "-o", "s")
    assert Lpar.objects.get(pk=server1.pk).frame == p750b
    assert Lpar.objects.get(pk=server2.pk).frame.name == "p750-a"
    assert not [line for line in simulator.hmc.commands_matching("migrlpar") if "server2" in line]

    not_run = wait_for(lambda: mails_to(mailbox, "olga@example.com", "Tonight closed"), 30)
    assert not_run, window_worker.log_text()
    assert "server2" in not_run[0].get_payload() and "had to start by" in not_run[0].get_payload()
    assert wait_for(lambda: mails_to(mailbox, "olga@example.com", "ran over"), 30)


def test_a_subscriber_gets_the_email_and_a_signed_webhook_again_after_a_500(
    estate,  # noqa: F811
    window_worker,
    mailbox,
):
    p750a, p750b = Frame.objects.get(name="p750-a"), Frame.objects.get(name="p750-b")
    paula = user_create("paula", role="Viewer", email="paula@example.com")
    other = user_create("otto", role="Viewer", email="otto@example.com")
    kind = Kind.MIGRATION_NEEDS_ATTENTION
    with webhook_receiver() as receiver:
        receiver.statuses = [500]
        hook = Webhook.objects.create(user=paula, name="chatops", url=receiver.url, secret=SECRET)
        Subscription.objects.create(user=paula, kind=kind, frame=p750a, channel=Channel.EMAIL)
        Subscription.objects.create(
            user=paula, kind=kind, frame=p750a, channel=Channel.WEBHOOK, webhook=hook
        )
        Subscription.objects.create(user=other, kind=kind, frame=p750b, channel=Channel.EMAIL)

        notification = notify(
            kind,
            subject="Migration #7 of server1 needs attention",
            body="Check the HMCs.",
            data={"migration": 7},
            frames=[p750a],
        )

        assert wait_for(lambda: len(receiver.requests) >= 2, timeout=30), window_worker.log_text()
    first, second = receiver.requests[:2]
    assert (first.answered, second.answered) == (500, 200)
    for received in (first, second):
        stamp, _, digest = received.headers["X-Lpmplanner-Signature"].partition(",v1=")
        stamp = int(stamp.removeprefix("t="))
        expected = hmac.new(
            SECRET.encode(), f"{stamp}.".encode() + received.body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(digest, expected)
        assert abs(time.time() - stamp) < 60
        document = json.loads(received.body)
        assert document["kind"] == kind and document["id"] == notification.pk
        assert document["data"] == {"migration": 7}
    delivery = Delivery.objects.get(notification=notification, channel=Channel.WEBHOOK)
    assert delivery.state == Delivery.State.DELIVERED and delivery.attempts == 2
    assert [(t.ok, t.status_code) for t in delivery.tries.all()] == [(False, 500), (True, 200)]

    assert wait_for(lambda: mails_to(mailbox, "paula@example.com", "server1 needs attention"))
    assert not mails_to(mailbox, "otto@example.com", "server1 needs attention")
    mail = mails_to(mailbox, "paula@example.com", "server1 needs attention")[0]
    assert mail["Subject"] == "[lpmplanner] Migration #7 of server1 needs attention"
    assert "Check the HMCs." in mail.get_payload()
