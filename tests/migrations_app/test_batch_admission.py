"""Large batches admitted by a worker: a batch (or an evacuation plan run) of more migrations
than BATCH_ADMIT_INLINE_MAX is saved at once with a `batch admission` job that a worker runs,
with progress; it admits the items as a request admits a smaller batch, all or none, with the
same refusals. The API answers 202 with the batch to poll; the page shows the progress. Here the
worker's part is run in the test process (the integration test runs it on a real worker)."""

import html

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from inventory.models import Frame, Lpar
from lpmplanner.security.tokens import api_token_create
from migrations_app.lpm import services as lpm
from migrations_app.models import BatchAdmission, MigrationBatch, MigrationJob
from planning.evacuation import evacuation_plan_create
from tests.demo_estate import demo_estate_restore
from tests.factories import login, totp_device_create, user_create

pytestmark = pytest.mark.django_db


def free_memory(frame: Frame, gb: int) -> None:
    used = sum(p.memory_mb for p in frame.lpars.all())
    Frame.objects.filter(pk=frame.pk).update(memory_mb=used + gb * 1024)


@pytest.fixture
def frames(db):
    demo_estate_restore()
    return Frame.objects.get(name="p750-a"), Frame.objects.get(name="p750-b")


@pytest.fixture
def plan(frames):
    """p750-a's evacuation placing db1, server2 and server1 on p750-b (lnx1 fits nowhere)."""
    p750a, p750b = frames
    free_memory(p750b, 22)
    return evacuation_plan_create(frame=p750a, user=user_create("paul", role="Planner"))


@pytest.fixture
def operator(db):
    return user_create("olga", role="Operator")


@pytest.fixture
def api(operator) -> APIClient:
    totp_device_create(operator)  # operate tokens are for users with an authenticator
    token = api_token_create(user=operator, name="ci", scope="operate")[1]
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}")


def items_body(frames) -> dict:
    _, p750b = frames
    lpars = Lpar.objects.filter(name__in=["server1", "server2"]).order_by("name")
    return {
        "name": "two",
        "confirm_warnings": True,
        "jobs": [{"lpar": lpar.pk, "destination_frame": p750b.pk} for lpar in lpars],
    }


def admit(batch: MigrationBatch) -> BatchAdmission:
    """What the worker does with the batch's admission job."""
    job = BatchAdmission.objects.get(batch=batch)
    return lpm.batch_admission_run(job=job, worker="test@localhost")


def test_up_to_the_threshold_a_batch_is_admitted_in_the_request(api, frames, settings):
    settings.BATCH_ADMIT_INLINE_MAX = 2
    answer = api.post("/api/migration-batches/", items_body(frames), format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["admission"] is None
    assert answer.json()["states"] == {"pending": 2}
    assert not BatchAdmission.objects.exists()


def test_above_the_threshold_a_worker_admits_it_and_the_api_shows_how_far(api, frames, settings):
    settings.BATCH_ADMIT_INLINE_MAX = 1
    answer = api.post("/api/migration-batches/", items_body(frames), format="json")
    assert answer.status_code == 202, answer.json()
    batch = MigrationBatch.objects.get()
    assert answer["Location"].endswith(f"/api/migration-batches/{batch.pk}/")
    body = answer.json()
    assert body["jobs"] == [] and body["name"] == "two"
    assert body["admission"]["state"] == "queued" and body["admission"]["items"] == 2
    assert body["admission"]["url"] == reverse("migrations_app:batch-detail", args=[batch.pk])
    listed = api.get("/api/jobs/?kind=batch_admission").json()["results"]
    assert [(j["state"], j["api_url"]) for j in listed] == [
        ("queued", f"/api/migration-batches/{batch.pk}/")
    ]

    job = admit(batch)

    assert job.state == "succeeded" and job.message == "2 migrations admitted."
    polled = api.get(f"/api/migration-batches/{batch.pk}/").json()
    assert polled["admission"] is None  # admitted: the batch runs as any other
    assert [j["lpar_name"] for j in polled["jobs"]] == ["server1", "server2"]
    assert polled["states"] == {"pending": 2}
    assert all(j.requested_by.username == "olga" for j in MigrationJob.objects.all())


def test_a_refused_item_is_listed_as_inline_and_nothing_is_created(api, frames, settings):
    _, p750b = frames
    held = lpm.migration_create(lpar=Lpar.objects.get(name="server2"), destination=p750b)
    settings.BATCH_ADMIT_INLINE_MAX = 2
    inline = api.post("/api/migration-batches/", items_body(frames), format="json")
    assert inline.status_code == 400
    settings.BATCH_ADMIT_INLINE_MAX = 1
    answer = api.post("/api/migration-batches/", items_body(frames), format="json")
    assert answer.status_code == 202

    job = admit(MigrationBatch.objects.get())

    assert job.state == "failed"
    assert job.message == "Not admitted, 1 refusal (listed in the log): nothing was created."
    assert job.refusals == inline.json()["jobs"]
    assert job.refusals == [
        f"2. server2 → p750-b: server2 already has migration #{held.pk} (pending); stop it or "
        "wait for it to finish."
    ]
    assert list(MigrationJob.objects.all()) == [held]
    body = api.get(f"/api/migration-batches/{job.batch_id}/").json()
    assert body["jobs"] == [] and body["admission"]["state"] == "failed"
    assert body["admission"]["refusals"] == job.refusals


def test_a_large_plan_run_from_its_page_shows_the_admission_then_the_batch(
    client, operator, plan, settings
):
    settings.BATCH_ADMIT_INLINE_MAX = 2
    login(client, operator)
    run = reverse("migrations_app:evacuation-plan-run", args=[plan.pk])
    answer = client.post(run, {"confirm_warnings": "on"}, follow=True)
    batch = MigrationBatch.objects.get()
    assert answer.redirect_chain == [(reverse("migrations_app:batch-detail", args=[batch.pk]), 302)]
    page = html.unescape(answer.content.decode())
    assert "3 migrations are being admitted by a worker" in page
    assert "Admitting 3 migrations" in page
    assert batch.evacuation_plan == plan and not batch.jobs.exists()

    admit(batch)

    page = html.unescape(client.get(batch.get_absolute_url()).content.decode())
    assert "Admitting" not in page and "Pending: 3" in page
    jobs = batch.jobs.order_by("created", "pk")
    assert [j.lpar_name for j in jobs] == ["db1", "server2", "server1"]  # the plan's order


@pytest.mark.parametrize("role", ["Viewer", "Planner"])
def test_who_may_not_submit_a_batch_may_not_submit_a_large_one(client, plan, role, settings):
    settings.BATCH_ADMIT_INLINE_MAX = 1
    login(client, user_create("someone", role=role))
    run = reverse("migrations_app:evacuation-plan-run", args=[plan.pk])
    assert client.post(run, {"confirm_warnings": "on"}).status_code == 403
    assert not MigrationBatch.objects.exists() and not BatchAdmission.objects.exists()
