"""Change windows and scheduling, without a worker: refusals by field and rule (a window that
ends before it starts, an unknown time zone, a window that does not cover the frames, a time
that has passed), a weekly window that keeps its wall-clock hours across daylight saving, a
scheduled migration listed and cancelled, a job scheduled at a time started when the time comes
(the test clock), and who may write windows."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from inventory.models import Frame, Hmc, Lpar
from lpmplanner.notifications.models import Kind, Notification
from migrations_app.lpm.services import batch_create, job_transition
from migrations_app.models import MigrationJob
from migrations_app.windows import services as window_services
from migrations_app.windows.models import ChangeWindow
from migrations_app.windows.services import change_windows_tick
from planning.evacuation import evacuation_plan_create
from tests.clock import clock_set
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create
from tests.migrations_app.test_evacuation_run import free_memory, run_url
from tests.migrations_app.test_migration_pages import SUBMIT, field_errors, wizard_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    demo_estate_restore()
    return Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")


@pytest.fixture
def operator_client(api_client):
    login(api_client, user_create("olga", role="Operator"))
    return api_client


@pytest.fixture
def test_clock(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("LPM_TEST_CLOCK_FILE", str(tmp_path / "now"))
    settings.LPM_CLOCK = "tests.clock.file_clock"
    return clock_set


def window_body(**fields):
    return {
        "name": "Saturday nights",
        "start": "2026-10-24T01:00:00",
        "end": "2026-10-24T05:00:00",
        "recurrence": "weekly",
        "time_zone": "Europe/Paris",
        **fields,
    }


def test_window_refusals_name_the_field_and_the_rule(operator_client):
    refused = operator_client.post(
        "/api/change-windows/", window_body(end="2026-10-24T00:30:00"), format="json"
    )
    assert refused.status_code == 400
    assert refused.json() == {"end": ["The window must end after it starts."]}
    refused = operator_client.post(
        "/api/change-windows/", window_body(time_zone="Mars/Olympus_Mons"), format="json"
    )
    assert refused.status_code == 400
    assert "Unknown time zone 'Mars/Olympus_Mons'" in refused.json()["time_zone"][0]
    refused = operator_client.post(
        "/api/change-windows/", window_body(end="2026-11-01T05:00:00"), format="json"
    )
    assert refused.status_code == 400
    assert refused.json()["end"] == ["A window that recurs every week lasts at most 7 days."]
    for shape in ({"name": "UTC"}, ["UTC"], 7):  # not a string: a 400 on the field, not a 500
        refused = operator_client.post(
            "/api/change-windows/", window_body(time_zone=shape), format="json"
        )
        assert refused.status_code == 400
        assert "time_zone" in refused.json()
    assert not ChangeWindow.objects.exists()


def test_a_weekly_window_keeps_its_hours_across_daylight_saving(operator_client):
    created = operator_client.post("/api/change-windows/", window_body(), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["description"] == "every Saturday 01:00–05:00 Europe/Paris"
    window = ChangeWindow.objects.get(pk=body["id"])
    assert window.start == datetime(2026, 10, 23, 23, 0, tzinfo=UTC)  # 01:00 summer time
    # Paris leaves summer time on 25 October: the next Saturday's 01:00 is 00:00 UTC.
    opens, closes = window.occurrence(datetime(2026, 10, 25, tzinfo=UTC))
    assert (opens.astimezone(UTC), closes.astimezone(UTC)) == (
        datetime(2026, 10, 31, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 31, 4, 0, tzinfo=UTC),
    )


def test_a_viewer_reads_windows_but_cannot_write_them(api_client):
    login(api_client, user_create("vera", role="Viewer"))
    assert api_client.get("/api/change-windows/").status_code == 200
    refused = api_client.post("/api/change-windows/", window_body(), format="json")
    assert refused.status_code == 403


def _window(**fields) -> ChangeWindow:
    start = timezone.now() + timedelta(hours=2)
    fields = {"name": "Tonight", "start": start, "end": start + timedelta(hours=4), **fields}
    return ChangeWindow.objects.create(**fields)


def test_scheduling_refusals_create_nothing(operator_client, demo):
    server1, p750b = demo
    only_a = _window()
    only_a.frames.set([server1.frame])
    body = {"lpar": server1.pk, "destination_frame": p750b.pk}
    refused = operator_client.post("/api/migrations/", {**body, "window": only_a.pk})
    assert refused.status_code == 400
    assert refused.json()["window"] == [
        "Change window Tonight does not cover p750-b (the destination of server1): add the "
        "frame or its HMC to the window, or choose another."
    ]
    past = (timezone.now() - timedelta(minutes=5)).isoformat()
    refused = operator_client.post("/api/migrations/", {**body, "scheduled_for": past})
    assert refused.status_code == 400 and "has passed" in refused.json()["scheduled_for"][0]
    both = {**body, "window": _window(name="Other").pk, "scheduled_for": past}
    refused = operator_client.post("/api/migrations/", both)
    assert refused.status_code == 400
    assert refused.json()["window"] == ["Schedule in a change window or at a time, not both."]
    gone = _window(
        name="Last week",
        start=timezone.now() - timedelta(days=7),
        end=timezone.now() - timedelta(days=7) + timedelta(hours=1),
    )
    refused = operator_client.post("/api/migrations/", {**body, "window": gone.pk})
    assert refused.status_code == 400 and "does not open again" in refused.json()["window"][0]
    assert not MigrationJob.objects.exists()


def test_a_scheduled_migration_is_listed_and_can_be_cancelled(operator_client, demo, client):
    server1, p750b = demo
    window = _window()
    window.hmcs.set([Hmc.objects.get()])  # the demo HMC manages both frames
    created = operator_client.post(
        "/api/migrations/",
        {"lpar": server1.pk, "destination_frame": p750b.pk, "window": window.pk},
    )
    assert created.status_code == 201, created.json()
    job = created.json()
    assert job["state"] == "scheduled" and job["window"] == window.pk
    assert datetime.fromisoformat(job["scheduled_for"]) == window.start
    assert datetime.fromisoformat(job["window_closes"]) == window.end
    assert any("Scheduled in change window Tonight" in e["message"] for e in job["events"])
    listed = operator_client.get("/api/migrations/?state=scheduled").json()
    assert [j["id"] for j in listed["results"]] == [job["id"]]
    login(client, user_create("vic", role="Viewer"))
    page = client.get("/migrations/").content.decode()
    assert "Scheduled" in page and "server1" in page
    assert "Tonight" in client.get("/").content.decode()  # the dashboard lists it

    cancelled = operator_client.post(f"/api/migrations/{job['id']}/stop/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "stopped"
    assert "Cancelled by olga before it started." in cancelled.json()["message"]
    change_windows_tick()  # a cancelled job is not started when the window opens
    assert MigrationJob.objects.get(pk=job["id"]).state == "stopped"


def test_a_migration_at_a_time_starts_when_the_time_comes(
    operator_client, demo, test_clock, monkeypatch
):
    server1, p750b = demo
    now = timezone.now().replace(microsecond=0)
    test_clock(now)
    sent = []
    monkeypatch.setattr(window_services, "migrations_dispatch", lambda jobs: sent.extend(jobs))
    at = now + timedelta(hours=3)
    created = operator_client.post(
        "/api/migrations/",
        {"lpar": server1.pk, "destination_frame": p750b.pk, "scheduled_for": at.isoformat()},
    )
    assert created.status_code == 201, created.json()
    job_id = created.json()["id"]

    test_clock(at - timedelta(seconds=1))
    change_windows_tick()
    assert MigrationJob.objects.get(pk=job_id).state == "scheduled" and not sent

    test_clock(at)
    change_windows_tick()
    job = MigrationJob.objects.get(pk=job_id)
    assert job.state == "pending" and [j.pk for j in sent] == [job_id]
    assert job.events.filter(message="Its scheduled time came: started.").exists()


def test_a_window_with_migrations_is_not_deleted(operator_client, demo):
    server1, p750b = demo
    window = _window()
    operator_client.post(
        "/api/migrations/",
        {"lpar": server1.pk, "destination_frame": p750b.pk, "window": window.pk},
    )
    refused = operator_client.delete(f"/api/change-windows/{window.pk}/")
    assert refused.status_code == 409 and "Tonight" in refused.json()["detail"]
    assert ChangeWindow.objects.filter(pk=window.pk).exists()


def test_the_wizard_schedules_in_a_window_and_shows_a_refusal_at_the_field(client, demo):
    server1, p750b = demo
    login(client, user_create("olga", role="Operator"))
    elsewhere = _window(name="Elsewhere")
    elsewhere.frames.set([server1.frame])
    answer = client.post(SUBMIT, wizard_data(server1, p750b, window=elsewhere.pk))
    assert answer.status_code == 200
    assert "does not cover p750-b" in field_errors(answer, "window")[0]
    assert not MigrationJob.objects.exists()

    tonight = _window()
    answer = client.post(SUBMIT, wizard_data(server1, p750b, window=tonight.pk), follow=True)
    job = MigrationJob.objects.get()
    assert job.state == "scheduled" and job.window == tonight
    assert f"Migration #{job.pk} of server1 to p750-b scheduled: starts at" in (
        answer.content.decode()
    )


def test_migrate_this_plan_in_a_window(client, frames_plan):
    login(client, user_create("olga", role="Operator"))
    window = _window()
    answer = client.post(
        run_url(frames_plan), {"confirm_warnings": "on", "window": window.pk}, follow=True
    )
    assert answer.status_code == 200
    jobs = MigrationJob.objects.all()
    assert jobs.count() == 3 and {j.state for j in jobs} == {"scheduled"}
    assert {j.window_id for j in jobs} == {window.pk}
    assert "3 migrations scheduled, wave by wave" in answer.content.decode()


@pytest.fixture
def frames_plan(db):
    demo_estate_restore()
    p750a, p750b = Frame.objects.get(name="p750-a"), Frame.objects.get(name="p750-b")
    free_memory(p750b, 22)
    return evacuation_plan_create(frame=p750a, user=user_create("paul", role="Planner"))


def test_a_job_needing_attention_and_a_batch_end_are_notified_once(
    demo, django_capture_on_commit_callbacks
):
    server1, p750b = demo
    server2 = Lpar.objects.get(name="server2")
    batch = batch_create(
        items=[{"lpar": lpar, "destination_frame": p750b} for lpar in (server1, server2)]
    )
    first, second = batch.jobs.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        for state in ("validating", "queued", "migrating"):
            first = job_transition(first, state)
        job_transition(first, "needs_attention", message="The HMC shows it on neither frame.")
    attention = Notification.objects.get(kind=Kind.MIGRATION_NEEDS_ATTENTION)
    assert attention.subject == f"Migration #{first.pk} of server1 needs attention"
    assert "neither frame" in attention.body
    assert sorted(attention.frame_ids) == sorted([server1.frame_id, p750b.pk])
    assert not Notification.objects.filter(kind=Kind.BATCH_FINISHED).exists()  # server2 runs

    with django_capture_on_commit_callbacks(execute=True):
        job_transition(second, "stopped", message="Cancelled.")
    ended = Notification.objects.get(kind=Kind.BATCH_FINISHED)
    assert ended.subject == f"{batch} finished: 1 needs attention, 1 stopped"
    assert f"#{second.pk} server2: stopped" in ended.body
