"""Migrate this plan: an evacuation plan run as one batch from its page. The confirmation lists
the migrations in wave order and the LPARs left out; confirming creates the batch, all or
nothing, for Operators with a fresh second factor only. The same over the API
(`POST /api/migration-batches/` with `evacuation_plan`), for operate-scope tokens."""

import html

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from inventory.models import Frame, Lpar
from lpmplanner.models import SecurityEvent
from lpmplanner.security.tokens import api_token_create
from migrations_app.lpm import services as lpm
from migrations_app.models import MigrationBatch, MigrationJob
from planning.evacuation import evacuation_plan_create
from tests.demo_estate import demo_estate_restore
from tests.factories import login, totp_device_create, user_create

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def confirm_url(plan) -> str:
    return reverse("migrations_app:evacuation-plan-confirm", args=[plan.pk])


def run_url(plan) -> str:
    return reverse("migrations_app:evacuation-plan-run", args=[plan.pk])


def free_memory(frame: Frame, gb: int) -> None:
    used = sum(p.memory_mb for p in frame.lpars.all())
    Frame.objects.filter(pk=frame.pk).update(memory_mb=used + gb * 1024)


@pytest.fixture
def frames(db):
    demo_estate_restore()
    return Frame.objects.get(name="p750-a"), Frame.objects.get(name="p750-b")


@pytest.fixture
def plan(frames):
    """p750-a's evacuation with room on p750-b for db1 (16 GB), server2 (4 GB) and server1
    (2 GB) but not lnx1 (4 GB); p750-b takes two migrations at a time: server1 waits for
    wave 2."""
    p750a, p750b = frames
    free_memory(p750b, 22)
    Frame.objects.filter(pk=p750b.pk).update(max_active_migrations=2)
    return evacuation_plan_create(frame=p750a, user=user_create("paul", role="Planner"))


@pytest.fixture
def operator(db):
    return user_create("olga", role="Operator")


def test_an_operator_confirms_and_the_plan_runs_as_one_batch_in_wave_order(client, operator, plan):
    waves = {p.lpar.name: p.wave for p in plan.placements.select_related("lpar")}
    assert waves == {"db1": 1, "server2": 1, "lnx1": None, "server1": 2}
    login(client, operator)
    plan_page = text(client.get(plan.get_absolute_url()))
    assert f'href="{confirm_url(plan)}">Migrate this plan</a>' in plan_page

    confirm = client.get(confirm_url(plan))
    assert confirm.status_code == 200
    assert [p.lpar.name for p in confirm.context["placed"]] == ["db1", "server2", "server1"]
    body = text(confirm)
    assert "One batch of <strong>3</strong> migrations" in body
    assert "Not included: fit nowhere" in body
    assert "lnx1" in body and "Fits on none of 1 frame: CAPACITY_MEMORY on 1 frame." in body
    assert not MigrationBatch.objects.exists()  # looking asks for nothing

    answer = client.post(run_url(plan), {"confirm_warnings": "on"}, follow=True)
    batch = MigrationBatch.objects.get()
    assert answer.redirect_chain == [(reverse("migrations_app:batch-detail", args=[batch.pk]), 302)]
    jobs = list(batch.jobs.order_by("created", "pk").select_related("destination_frame"))
    assert [j.lpar_name for j in jobs] == ["db1", "server2", "server1"]
    assert {j.destination_frame.name for j in jobs} == {"p750-b"}
    assert all(j.requested_by == operator and j.state == "pending" for j in jobs)
    by_lpar = {p.lpar_id: p for p in plan.placements.all()}
    assert [(j.source_msp_id, j.dest_msp_id) for j in jobs] == [
        (by_lpar[j.lpar_id].source_msp_id, by_lpar[j.lpar_id].destination_msp_id) for j in jobs
    ]  # the plan's mover service partitions
    assert batch.name == f"Evacuation plan #{plan.pk} of p750-a"
    assert batch.evacuation_plan == plan and batch.requested_by == operator
    page = text(answer)
    assert f"{batch.name}: 3 migrations asked, wave by wave." in page
    assert "db1" in page and "server2" in page and "server1" in page and "Pending: 3" in page
    assert f'<a href="{plan.get_absolute_url()}">evacuation plan #{plan.pk} of p750-a</a>' in page
    logged = SecurityEvent.objects.get(kind=SecurityEvent.Kind.MIGRATION)
    assert logged.user == operator and logged.data["action"] == "evacuation_plan_run"
    assert logged.data["object"] == plan.pk and logged.data["status"] == 302


@pytest.mark.parametrize("role", ["Viewer", "Planner"])
def test_viewers_and_planners_see_no_button_and_are_refused(client, plan, role):
    login(client, user_create("someone", role=role))
    assert "Migrate this plan" not in text(client.get(plan.get_absolute_url()))
    assert client.get(confirm_url(plan)).status_code == 403
    assert client.post(run_url(plan), {"confirm_warnings": "on"}).status_code == 403
    assert not MigrationBatch.objects.exists() and not MigrationJob.objects.exists()


def test_a_stale_second_factor_is_sent_to_step_up_and_nothing_is_created(client, operator, plan):
    login(client, operator, fresh=False)
    answer = client.post(run_url(plan), {"confirm_warnings": "on"}, HTTP_REFERER=confirm_url(plan))
    assert answer.status_code == 302
    assert answer["Location"].startswith("/account/step-up/?next=")
    assert not MigrationBatch.objects.exists() and not MigrationJob.objects.exists()
    refused = SecurityEvent.objects.get(kind=SecurityEvent.Kind.STEP_UP_REFUSED)
    assert refused.data["action"] == "evacuation_plan_run"


def test_a_refusal_names_the_lpar_and_the_rule_and_nothing_is_created(
    client, operator, plan, frames
):
    _, p750b = frames
    held = lpm.migration_create(lpar=Lpar.objects.get(name="server2"), destination=p750b)
    login(client, operator)
    answer = client.post(run_url(plan), {"confirm_warnings": "on"})
    assert answer.status_code == 200
    refusals = answer.context["refusals"]
    assert (
        f"2. server2 → p750-b: server2 already has migration #{held.pk} (pending); stop it or "
        "wait for it to finish."
    ) in refusals
    assert "Nothing was migrated." in text(answer)
    assert not MigrationBatch.objects.exists()
    assert list(MigrationJob.objects.all()) == [held]


def test_preflight_errors_found_now_refuse_the_batch_by_lpar(client, operator, plan, frames):
    _, p750b = frames
    Frame.objects.filter(pk=p750b.pk).update(state="standby")
    login(client, operator)
    answer = client.post(run_url(plan), {"confirm_warnings": "on"})
    refusals = answer.context["refusals"]
    assert [r.split(":", 1)[0] for r in refusals] == [
        "1. db1 → p750-b",
        "2. server2 → p750-b",
        "3. server1 → p750-b",
    ]
    assert all("p750-b" in r and "Operating" in r for r in refusals), refusals
    assert not MigrationBatch.objects.exists() and not MigrationJob.objects.exists()


def test_a_plan_that_places_no_lpar_refuses_with_a_clear_message(client, operator, frames):
    p750a, p750b = frames
    free_memory(p750b, 0)
    empty = evacuation_plan_create(frame=p750a)
    assert not empty.placements.filter(destination__isnull=False).exists()
    login(client, operator)
    confirm = text(client.get(confirm_url(empty)))
    assert "This plan places no LPAR on another frame: there is nothing to migrate." in confirm
    assert run_url(empty) not in confirm  # no button to press
    answer = client.post(run_url(empty), {"confirm_warnings": "on"})
    assert answer.context["refusals"] == [
        f"Evacuation plan #{empty.pk} of p750-a places no LPAR on another frame: there is "
        "nothing to migrate."
    ]
    assert not MigrationBatch.objects.exists() and not MigrationJob.objects.exists()


def test_warnings_found_now_need_the_tick(client, operator, plan, frames):
    _, p750b = frames
    # p750-b now holds LPAR id 10, server1's: the HMC would give it another id (a warning).
    # The frame grows by what the new partition takes, so the plan still fits.
    Lpar.objects.create(
        frame=p750b,
        name="vios10",
        lpar_id=10,
        kind="vios",
        proc_units=1,
        virtual_procs=1,
        memory_mb=4096,
    )
    Frame.objects.filter(pk=p750b.pk).update(
        memory_mb=p750b.memory_mb + 4096, proc_units=p750b.proc_units + 1
    )
    login(client, operator)
    answer = client.post(run_url(plan))
    refusals = answer.context["refusals"]
    assert refusals and all(r.startswith("3. server1 → p750-b: ") for r in refusals), refusals
    assert "LPAR id 10 is taken on p750-b" in refusals[0]
    assert refusals[-1].endswith("Confirm these warnings to go ahead.")
    assert not MigrationBatch.objects.exists() and not MigrationJob.objects.exists()
    client.post(run_url(plan), {"confirm_warnings": "on"})
    assert MigrationBatch.objects.get().jobs.count() == 3


# The same over the API: `POST /api/migration-batches/` with `evacuation_plan`.


def token_client(user, scope: str) -> APIClient:
    totp_device_create(user)  # operate tokens are for users with an authenticator
    token = api_token_create(user=user, name=f"ci {scope}", scope=scope)[1]
    return APIClient(HTTP_AUTHORIZATION=f"Token {token}")


def run_over_api(client: APIClient, body: dict):
    return client.post("/api/migration-batches/", body, format="json")


def test_an_operate_token_runs_the_plan_as_one_batch(operator, plan):
    client = token_client(operator, "operate")
    answer = run_over_api(client, {"evacuation_plan": plan.pk, "confirm_warnings": True})
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    batch = MigrationBatch.objects.get()
    assert body["id"] == batch.pk and body["evacuation_plan"] == plan.pk
    assert body["name"] == f"Evacuation plan #{plan.pk} of p750-a"
    assert [j["lpar_name"] for j in body["jobs"]] == ["db1", "server2", "server1"]  # wave order
    assert body["states"] == {"pending": 3} and body["requested_by"] == "olga"
    by_lpar = {p.lpar_id: p for p in plan.placements.all()}
    assert all(
        j.source_msp_id == by_lpar[j.lpar_id].source_msp_id for j in batch.jobs.all()
    )  # the plan's mover service partitions
    listed = client.get("/api/migration-batches/").json()["results"]
    assert [(b["id"], b["evacuation_plan"]) for b in listed] == [(batch.pk, plan.pk)]
    logged = SecurityEvent.objects.get(kind=SecurityEvent.Kind.MIGRATION)
    assert logged.user == operator and logged.data["action"] == "migrationbatch.create"
    assert logged.data["evacuation_plan"] == plan.pk and logged.data["status"] == 201


def test_validate_only_asks_only_for_the_hmcs_validation(operator, plan):
    body = {"evacuation_plan": plan.pk, "confirm_warnings": True, "validate_only": True}
    answer = run_over_api(token_client(operator, "operate"), body)
    assert answer.status_code == 201, answer.json()
    assert all(j["validate_only"] for j in answer.json()["jobs"])


@pytest.mark.parametrize("scope", ["read", "write"])
def test_a_token_without_the_operate_scope_is_refused(operator, plan, scope):
    answer = run_over_api(token_client(operator, scope), {"evacuation_plan": plan.pk})
    assert answer.status_code == 403
    assert f"This token's scope is {scope}" in answer.json()["detail"]
    assert not MigrationBatch.objects.exists() and not MigrationJob.objects.exists()
    logged = SecurityEvent.objects.get(kind=SecurityEvent.Kind.MIGRATION)
    assert logged.data["status"] == 403


def test_a_planner_with_an_operate_token_is_refused(plan):
    planner = plan.created_by
    answer = run_over_api(token_client(planner, "operate"), {"evacuation_plan": plan.pk})
    assert answer.status_code == 403
    assert not MigrationBatch.objects.exists()


def test_jobs_and_a_plan_together_or_neither_is_a_400_naming_both(operator, plan):
    client = token_client(operator, "operate")
    server1, p750b = Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")
    both = run_over_api(
        client,
        {
            "evacuation_plan": plan.pk,
            "jobs": [{"lpar": server1.pk, "destination_frame": p750b.pk}],
        },
    )
    assert both.status_code == 400
    assert "not both" in both.json()["jobs"][0] and "not both" in both.json()["evacuation_plan"][0]
    neither = run_over_api(client, {"confirm_warnings": True})
    assert neither.status_code == 400
    assert set(neither.json()) == {"jobs", "evacuation_plan"}
    assert "Give jobs" in neither.json()["evacuation_plan"][0]
    named = run_over_api(client, {"evacuation_plan": plan.pk, "name": "mine"})
    assert named.status_code == 400 and "named after the plan" in named.json()["name"][0]
    unknown = run_over_api(client, {"evacuation_plan": 999999})
    assert unknown.status_code == 400 and "evacuation_plan" in unknown.json()
    assert not MigrationBatch.objects.exists() and not MigrationJob.objects.exists()


def test_a_refused_plan_names_the_lpar_and_the_rule_and_creates_nothing(operator, plan, frames):
    _, p750b = frames
    held = lpm.migration_create(lpar=Lpar.objects.get(name="server2"), destination=p750b)
    client = token_client(operator, "operate")
    answer = run_over_api(client, {"evacuation_plan": plan.pk, "confirm_warnings": True})
    assert answer.status_code == 400
    assert (
        f"2. server2 → p750-b: server2 already has migration #{held.pk} (pending); stop it or "
        "wait for it to finish."
    ) in answer.json()["jobs"]
    assert not MigrationBatch.objects.exists()
    assert list(MigrationJob.objects.all()) == [held]

    unconfirmed = run_over_api(client, {"evacuation_plan": plan.pk})
    assert unconfirmed.status_code == 400 and unconfirmed.json()["jobs"]
    assert not MigrationBatch.objects.exists()


def test_a_plan_that_places_no_lpar_is_a_400_under_evacuation_plan(operator, frames):
    p750a, p750b = frames
    free_memory(p750b, 0)
    empty = evacuation_plan_create(frame=p750a)
    answer = run_over_api(token_client(operator, "operate"), {"evacuation_plan": empty.pk})
    assert answer.status_code == 400
    assert answer.json() == {
        "evacuation_plan": [
            f"Evacuation plan #{empty.pk} of p750-a places no LPAR on another frame: there is "
            "nothing to migrate."
        ]
    }
    assert not MigrationBatch.objects.exists() and not MigrationJob.objects.exists()
