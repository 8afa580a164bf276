"""One job model: the run helper's claim, heartbeat, progress, log, finish and fail; the Jobs
page and `/api/jobs/` listing every kind of background work together, filtered, by role."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lpmplanner.celery import app as celery_app
from lpmplanner.jobs import JobRun, job_enqueue
from lpmplanner.jobs.run import jobs_stale_fail
from lpmplanner.tasks import jobs_stale_fail_task
from migrations_app import services
from migrations_app.models import HmcSync, LparCreateJob, MigrationJob, MigrationState
from migrations_app.readiness.models import ReadinessRun
from planning.models import WorkbookImport
from tests.brokers import broker_unreachable
from tests.factories import FrameFactory, HmcFactory, LparFactory, login, user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def hmc():
    return HmcFactory(name="hmc-a")


def _sync(hmc, **fields) -> HmcSync:
    return HmcSync.objects.create(hmc=hmc, **fields)


# The run helper ---------------------------------------------------------------------------


def test_a_worker_claims_a_queued_job_once(hmc):
    sync = _sync(hmc)
    run = JobRun(sync, worker="celery@w1")
    assert run.claim()
    sync.refresh_from_db()
    assert (sync.state, sync.worker) == ("running", "celery@w1")
    assert sync.started is not None and sync.heartbeat is not None
    # Another worker, or the same task delivered twice, finds it taken and leaves it alone.
    again = JobRun(HmcSync.objects.get(pk=sync.pk), worker="celery@w2")
    assert not again.claim()
    sync.refresh_from_db()
    assert sync.worker == "celery@w1"


def test_a_finished_job_is_not_claimed_again(hmc):
    sync = _sync(hmc, state="succeeded")
    with JobRun(sync, worker="w") as run:
        assert not run.claimed
    sync.refresh_from_db()
    assert (sync.state, sync.started, sync.worker) == ("succeeded", None, "")


def test_progress_and_heartbeat_show_on_the_row(hmc):
    sync = _sync(hmc)
    run = JobRun(sync, worker="w")
    run.claim()
    HmcSync.objects.filter(pk=sync.pk).update(heartbeat=timezone.now() - timedelta(minutes=5))
    run.heartbeat()
    sync.refresh_from_db()
    assert timezone.now() - sync.heartbeat < timedelta(seconds=30)
    run.progress(40, "Reading frame p750-a")
    sync.refresh_from_db()
    assert (sync.progress, sync.step) == (40, "Reading frame p750-a")
    run.progress(250, "x" * 300)  # a percentage, and a sentence that fits its column
    sync.refresh_from_db()
    assert sync.progress == 100 and len(sync.step) == 255


def test_finish_records_the_outcome_in_the_row_and_the_log(hmc):
    sync = _sync(hmc)
    with JobRun(sync, worker="w") as run:
        run.event("Frame p750-a read.", data={"lpars": 3})
        job = run.finish("Read 1 frame(s).", frames=[{"name": "p750-a", "outcome": "read"}])
    assert (job.state, job.progress, job.step, job.message) == (
        "succeeded",
        100,
        "",
        "Read 1 frame(s).",
    )
    assert job.finished is not None and job.frames[0]["name"] == "p750-a"
    log = [(e.level, e.message, e.data) for e in job.events.all()]
    assert log == [("info", "Frame p750-a read.", {"lpars": 3}), ("info", "Read 1 frame(s).", {})]


def test_fail_records_the_reason_and_a_kind_may_name_its_own_state(hmc):
    sync = _sync(hmc)
    with JobRun(sync) as run:
        run.progress(30, "Reading")
        job = run.fail("HMC hmc-a refused the login.")
    assert (job.state, job.message, job.step, job.progress) == (
        "failed",
        "HMC hmc-a refused the login.",
        "",
        30,
    )
    assert [(e.level, e.message) for e in job.events.all()] == [
        ("error", "HMC hmc-a refused the login.")
    ]
    other = _sync(HmcFactory())
    with JobRun(other) as run:
        assert run.finish("1 frame skipped.", state=HmcSync.State.PARTIAL).state == "partial"


def test_an_unexpected_error_fails_the_job_instead_of_leaving_it_running(hmc):
    sync = _sync(hmc)
    with pytest.raises(ZeroDivisionError), JobRun(sync, worker="w") as run:
        run.progress(10, "Working")
        1 / 0  # noqa: B018
    sync.refresh_from_db()
    assert sync.state == "failed" and "ZeroDivisionError" in sync.message
    assert sync.finished is not None


def test_a_running_job_whose_worker_went_silent_is_failed_with_the_reason(hmc, settings):
    settings.JOB_STALE_SECONDS = 600
    long_ago = timezone.now() - timedelta(minutes=11)
    silent = _sync(hmc, state="running", worker="celery@gone", heartbeat=long_ago)
    alive = _sync(HmcFactory(), state="running", worker="celery@w", heartbeat=timezone.now())
    waiting = _sync(HmcFactory(), state="queued")
    source = FrameFactory(hmc=hmc)
    lpar = LparFactory(frame=source)
    migration = MigrationJob.objects.create(
        lpar=lpar,
        lpar_name=lpar.name,
        source_frame=source,
        destination_frame=FrameFactory(),
        hmc=hmc,
        state=MigrationState.MIGRATING,
        heartbeat=long_ago,
    )
    assert [job.pk for job in jobs_stale_fail()] == [silent.pk]
    silent.refresh_from_db()
    assert silent.state == "failed" and "celery@gone" in silent.message
    assert "stopped reporting" in silent.events.get().message
    assert [HmcSync.objects.get(pk=j.pk).state for j in (alive, waiting)] == ["running", "queued"]
    # A migration is its reconciler's to settle (it asks the HMC), never failed here.
    migration.refresh_from_db()
    assert migration.state == MigrationState.MIGRATING
    # The HMC is free again: Sync now starts a new sync.
    assert services.hmc_sync_request(hmc=hmc).pk != silent.pk


def test_beat_sends_the_stale_jobs_task_every_minute(hmc, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["jobs-stale-fail"]
    assert entry["task"] in celery_app.tasks and entry["schedule"] == 60.0
    settings.JOB_STALE_SECONDS = 60
    _sync(hmc, state="running", heartbeat=timezone.now() - timedelta(minutes=2))
    assert jobs_stale_fail_task() == 1


class _Task:
    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[dict] = []
        self.error = error

    def apply_async(self, **given) -> None:
        if self.error:
            raise self.error
        self.sent.append(given)


def test_a_job_is_sent_after_commit_with_its_id_in_the_task_id(
    hmc, django_capture_on_commit_callbacks
):
    sync = _sync(hmc)
    task = _Task()
    with django_capture_on_commit_callbacks(execute=True):
        job_enqueue(job=sync, task=task)
        assert task.sent == []  # nothing before the row is committed
    assert task.sent == [{"args": [sync.pk], "task_id": f"sync-{sync.pk}", "retry": False}]


def test_a_job_the_broker_refuses_fails_with_the_reason(hmc, django_capture_on_commit_callbacks):
    sync = _sync(hmc)
    with django_capture_on_commit_callbacks(execute=True):
        job_enqueue(job=sync, task=_Task(ConnectionRefusedError("down")))
    sync.refresh_from_db()
    assert sync.state == "failed" and "broker is unreachable" in sync.message


@pytest.mark.django_db(transaction=True)
def test_sync_now_with_the_broker_down_fails_the_sync_and_says_why(client):
    hmc = HmcFactory(name="hmc-b")
    login(client, user_create("olga", role="Operator"))
    with broker_unreachable():
        answer = client.post(f"/hmcs/{hmc.pk}/sync/", follow=True)
    assert answer.status_code == 200
    sync = HmcSync.objects.get(hmc=hmc)
    assert sync.state == "failed" and sync.finished is not None
    html = answer.content.decode()
    assert "Sync of hmc-b: Failed" in html and "The broker is unreachable" in html
    # Nothing holds the HMC: the next Sync now is a new sync.
    assert HmcSync.objects.filter(hmc=hmc, state__in=["queued", "running"]).count() == 0


# The Jobs page and /api/jobs/ ------------------------------------------------------------


@pytest.fixture
def jobs(hmc):
    """One job of each kind, oldest first: a sync (Vera's), a creation on the HMC, a workbook
    import (Paul's) and a migration (Otto's)."""
    vera = user_create("vera", role="Viewer")
    paul = user_create("paul", role="Planner")
    otto = user_create("otto", role="Operator")
    source, destination = FrameFactory(hmc=hmc), FrameFactory(hmc=hmc)
    lpar = LparFactory(frame=source, name="server1")
    twin = LparFactory(frame=destination, name="server1-stub", lpar_id=110, stub_of=lpar)
    now = timezone.now()
    made = {
        "sync": _sync(hmc, requested_by=vera, state="partial", message="1 frame skipped."),
        "create_on_hmc": LparCreateJob.objects.create(
            lpar=twin, state="failed", message="HSCL1234"
        ),
        "workbook_import": WorkbookImport.objects.create(
            filename="estate.xlsx",
            stored_name="x.upload",
            request_id="r",
            requested_by=paul,
            state="running",
            progress=40,
        ),
        "migration": MigrationJob.objects.create(
            lpar=lpar,
            lpar_name=lpar.name,
            source_frame=source,
            destination_frame=destination,
            hmc=hmc,
            requested_by=otto,
            state=MigrationState.MIGRATING,
            progress=55,
        ),
    }
    for age, job in enumerate(reversed(list(made.values()))):
        type(job).objects.filter(pk=job.pk).update(created=now - timedelta(minutes=age))
    return {**made, "vera": vera, "paul": paul, "otto": otto}


def _page(client, query: str = "") -> str:
    response = client.get(f"/jobs/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_the_jobs_page_lists_every_kind_newest_first_with_links(client, jobs):
    login(client, jobs["paul"])
    html = _page(client)
    titles = [str(jobs[k]) for k in ("migration", "workbook_import", "create_on_hmc", "sync")]
    positions = [html.index(title) for title in titles]
    assert positions == sorted(positions)
    for kind in ("migration", "workbook_import", "create_on_hmc", "sync"):
        assert f'href="{jobs[kind].get_absolute_url()}"' in html
    assert 'href="/jobs/"' in html  # in the navigation
    assert "Partial: some frames skipped" in html and "HSCL1234" in html


def test_the_jobs_page_filters_by_kind_state_and_user(client, jobs):
    login(client, jobs["paul"])
    only_syncs = _page(client, "?kind=sync")
    assert str(jobs["sync"]) in only_syncs and str(jobs["migration"]) not in only_syncs
    failed = _page(client, "?state=failed")
    assert str(jobs["create_on_hmc"]) in failed and str(jobs["sync"]) not in failed
    # A page with a running job follows it (reloads itself); a page of finished ones does not.
    assert 'http-equiv="refresh"' not in failed
    assert 'http-equiv="refresh"' in _page(client, "?kind=migration")
    otto = _page(client, "?user=otto")
    assert str(jobs["migration"]) in otto and str(jobs["workbook_import"]) not in otto
    refused = _page(client, "?kind=teleport")
    assert 'data-field-error="kind"' in refused and str(jobs["sync"]) not in refused


def test_a_viewer_sees_the_jobs_their_role_may_read(client, jobs):
    """Workbook imports are the Planners' (as on the workbook's pages): not listed for a Viewer."""
    login(client, jobs["vera"])
    html = _page(client)
    assert str(jobs["sync"]) in html and str(jobs["migration"]) in html
    assert str(jobs["workbook_import"]) not in html
    nobody = user_create("nora")
    login(client, nobody)
    assert client.get("/jobs/").status_code == 403
    client.logout()
    assert client.get("/jobs/").status_code == 302


def test_api_jobs_lists_and_filters_every_kind(api_client, jobs):
    login(api_client, jobs["paul"])
    body = api_client.get("/api/jobs/").json()
    assert body["count"] == 4
    assert [(r["kind"], r["id"]) for r in body["results"]] == [
        (kind, jobs[kind].pk) for kind in ("migration", "workbook_import", "create_on_hmc", "sync")
    ]
    migration = body["results"][0]
    assert migration["state"] == "migrating" and migration["progress"] == 55
    assert migration["requested_by_name"] == "otto"
    assert migration["url"] == f"/migrations/{jobs['migration'].pk}/"
    assert migration["api_url"] == f"/api/migrations/{jobs['migration'].pk}/"
    assert api_client.get(migration["api_url"]).status_code == 200
    page = api_client.get("/api/jobs/?limit=2&offset=2").json()
    assert page["count"] == 4 and [r["kind"] for r in page["results"]] == ["create_on_hmc", "sync"]
    kinds = api_client.get("/api/jobs/?kind=workbook_import").json()["results"]
    assert [r["kind"] for r in kinds] == ["workbook_import"]
    states = api_client.get("/api/jobs/?state=partial&user=vera").json()["results"]
    assert [r["kind"] for r in states] == ["sync"]
    assert api_client.get("/api/jobs/?user=nobody").json()["count"] == 0


def test_api_jobs_refuses_bad_filters_by_name(api_client, jobs):
    login(api_client, jobs["vera"])
    response = api_client.get("/api/jobs/?state=exploded")
    assert response.status_code == 400
    assert "exploded is not one of the available choices" in response.json()["state"][0]
    # A Viewer may not read workbook imports: that kind is not one of theirs.
    assert api_client.get("/api/jobs/?kind=workbook_import").status_code == 400
    assert api_client.get("/api/jobs/").json()["count"] == 3


def test_api_jobs_needs_a_role(api_client, jobs):
    assert api_client.get("/api/jobs/").status_code == 401
    login(api_client, user_create("nora"))
    assert api_client.get("/api/jobs/").status_code == 403


def test_each_kind_s_page_shows_its_log(client, jobs):
    login(client, jobs["paul"])
    for kind in ("sync", "create_on_hmc", "workbook_import"):
        job = jobs[kind]
        JobRun(job).event(f"Line of {kind}.", level="warning")
        html = client.get(job.get_absolute_url()).content.decode()
        log = html[html.index('data-testid="job-log"') :]
        assert f"Line of {kind}." in log and "Warning" in log


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(
    api_client, client, jobs, django_assert_max_num_queries
):
    """A count, a page of the union, one query per kind on the page: not one per job."""
    hmc = jobs["sync"].hmc
    for _ in range(10):
        HmcSync.objects.create(hmc=HmcFactory(), requested_by=jobs["vera"], state="succeeded")
    LparCreateJob.objects.create(lpar=jobs["create_on_hmc"].lpar, requested_by=jobs["otto"])
    assert hmc.syncs.count() == 1
    login(api_client, jobs["paul"])
    login(client, jobs["paul"])
    with django_assert_max_num_queries(12):
        assert api_client.get("/api/jobs/").json()["count"] == 15
    with django_assert_max_num_queries(12):
        _page(client)


def test_a_kind_built_on_the_base_elsewhere_is_listed_too(api_client, jobs):
    """The readiness run extends `Job` in its own module: the list finds it by itself."""
    run = ReadinessRun.objects.create(requested_by=jobs["vera"], state="stopping")
    login(api_client, jobs["vera"])
    [row] = api_client.get("/api/jobs/?kind=readiness").json()["results"]
    assert (row["id"], row["state_label"], row["url"]) == (
        run.pk,
        "Stopping",
        f"/readiness/runs/{run.pk}/",
    )
    assert api_client.get("/api/jobs/?state=stopping").json()["count"] == 1
