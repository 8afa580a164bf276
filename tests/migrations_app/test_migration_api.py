"""The migrations API: create (with validate_only), the one-active-job rule as a 409, pre-flight
errors as a 400, list by state, detail with events, stop/recover refusals, batches, the
wizard's proposal, and who may do what."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import Frame, Hmc, Lpar
from migrations_app.api.serializers import MigrationBatchCreateSerializer
from migrations_app.lpm import services as lpm
from migrations_app.models import MigrationJob
from tests.brokers import broker_unreachable
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    demo_estate_restore()
    return Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")


@pytest.fixture
def operator_client(api_client):
    login(api_client, user_create("olga", role="Operator"))
    return api_client


def create(client, lpar, frame, **extra):
    body = {"lpar": lpar.pk, "destination_frame": frame.pk, **extra}
    return client.post("/api/migrations/", body, format="json")


def test_an_operator_creates_a_migration_and_a_second_is_a_conflict(operator_client, demo):
    server1, p750b = demo
    first = create(operator_client, server1, p750b, validate_only=True)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["state"] == "pending" and body["validate_only"] is True
    assert body["lpar"]["display"] == "server1" and body["requested_by"] == "olga"
    assert body["events"][0]["message"].startswith("Validation of server1 from p750-a to p750-b")

    second = create(operator_client, server1, p750b)
    assert second.status_code == 409
    assert f"#{body['id']}" in second.json()["detail"]


def test_preflight_errors_and_bad_options_are_400s_by_field(operator_client, demo):
    _, p750b = demo
    vios = Lpar.objects.get(name="vios1", frame__name="p750-a")
    refused = create(operator_client, vios, p750b)
    assert refused.status_code == 400
    assert "vios1 is a VIOS" in refused.json()["preflight"][0]
    server2 = Lpar.objects.get(name="server2")
    refused = create(operator_client, server2, p750b, wait_minutes=0)
    assert refused.status_code == 400 and "wait_minutes" in refused.json()
    assert not MigrationJob.objects.exists()


def test_list_by_state_detail_and_verbs(operator_client, demo):
    server1, p750b = demo
    job_id = create(operator_client, server1, p750b).json()["id"]
    listed = operator_client.get("/api/migrations/?state=pending").json()
    assert [j["id"] for j in listed["results"]] == [job_id]
    assert operator_client.get("/api/migrations/?state=migrating").json()["count"] == 0
    detail = operator_client.get(f"/api/migrations/{job_id}/").json()
    assert detail["progress"] == 0 and detail["events"]

    refused = operator_client.post(f"/api/migrations/{job_id}/recover/", {"force": True})
    assert refused.status_code == 400
    assert "Only a failed or stopped migration" in refused.json()["non_field_errors"][0]
    stopped = operator_client.post(f"/api/migrations/{job_id}/stop/")
    assert stopped.status_code == 200 and stopped.json()["state"] == "stopped"
    refused = operator_client.post(f"/api/migrations/{job_id}/start/")
    assert refused.status_code == 400


def test_the_wizard_proposal(operator_client, demo):
    server1, p750b = demo
    answer = operator_client.get(
        f"/api/migrations/proposal/?lpar={server1.pk}&destination_frame={p750b.pk}"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["verdict"] == "ok" and body["wait_minutes"] == 5
    assert body["command"].startswith("migrlpar -o m -m p750-a -t p750-b -p server1")


def test_a_batch_is_all_or_nothing(operator_client, demo):
    server1, p750b = demo
    server2, vios = (
        Lpar.objects.get(name="server2"),
        Lpar.objects.get(name="vios1", frame__name="p750-a"),
    )
    refused = operator_client.post(
        "/api/migration-batches/",
        {
            "jobs": [
                {"lpar": server1.pk, "destination_frame": p750b.pk},
                {"lpar": vios.pk, "destination_frame": p750b.pk},
            ]
        },
        format="json",
    )
    assert refused.status_code == 400
    assert "2. vios1 → p750-b: vios1 is a VIOS" in refused.json()["jobs"][0]
    assert not MigrationJob.objects.exists()
    created = operator_client.post(
        "/api/migration-batches/",
        {
            "name": "wave 1",
            "jobs": [
                {"lpar": server1.pk, "destination_frame": p750b.pk},
                {"lpar": server2.pk, "destination_frame": p750b.pk},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["states"] == {"pending": 2} and len(body["jobs"]) == 2


def test_a_batchs_jobs_are_read_in_two_queries_however_many(demo):
    _, p750b = demo
    clients = list(Lpar.objects.exclude(kind="vios").order_by("pk"))

    def validated(size: int) -> tuple[int, list]:
        jobs = [
            {"lpar": clients[i % len(clients)].pk, "destination_frame": p750b.pk}
            for i in range(size)
        ]
        given = MigrationBatchCreateSerializer(data={"jobs": jobs})
        with CaptureQueriesContext(connection) as queries:
            assert given.is_valid(), given.errors
        return len(queries), given.validated_data["jobs"]

    (two, _), (forty, jobs) = validated(2), validated(40)
    assert two == forty
    assert [job["lpar"] for job in jobs[:3]] == clients[:3]
    refused = MigrationBatchCreateSerializer(
        data={
            "jobs": [
                {"lpar": 999999, "destination_frame": p750b.pk},
                {"lpar": "x", "destination_frame": p750b.pk},
            ]
        }
    )
    assert not refused.is_valid()
    assert refused.errors["jobs"][0]["lpar"] == ['Invalid pk "999999" - object does not exist.']
    assert refused.errors["jobs"][1]["lpar"] == ["Incorrect type. Expected pk value, received str."]


@pytest.mark.parametrize("role", ["Viewer", "Planner"])
def test_only_operators_migrate(api_client, demo, role):
    server1, p750b = demo
    login(api_client, user_create("someone", role=role))
    assert create(api_client, server1, p750b).status_code == 403
    assert api_client.get("/api/migrations/").status_code == 200


def test_list_by_several_states(operator_client, demo):
    server1, p750b = demo
    job_id = create(operator_client, server1, p750b).json()["id"]
    MigrationJob.objects.filter(pk=job_id).update(state="queued")
    listed = operator_client.get("/api/migrations/?state__in=queued,migrating").json()
    assert [j["id"] for j in listed["results"]] == [job_id]
    assert operator_client.get("/api/migrations/?state=nonsense").status_code == 400


def test_the_list_takes_the_migrations_pages_filters(operator_client, demo):
    """`/api/migrations/` filters with the Migrations page's FilterSet: state (one or several),
    state__in, lpar, batch, source and destination frame, LPAR name and free text."""
    server1, p750b = demo
    server2, lnx1 = Lpar.objects.get(name="server2"), Lpar.objects.get(name="lnx1")
    p750a = Frame.objects.get(name="p750-a")
    batch = lpm.batch_create(
        items=[{"lpar": lpar, "destination_frame": p750b} for lpar in (server1, server2)]
    )
    single = lpm.migration_create(lpar=lnx1, destination=p750b)
    MigrationJob.objects.filter(lpar=server1).update(state="queued")
    MigrationJob.objects.filter(lpar=server2).update(state="migrating")

    def names(query: str) -> set[str]:
        answer = operator_client.get(f"/api/migrations/?{query}")
        assert answer.status_code == 200, answer.json()
        return {job["lpar"]["display"] for job in answer.json()["results"]}

    assert names("state=queued") == {"server1"}
    assert names("state=queued&state=migrating") == {"server1", "server2"}
    assert names("state__in=queued,migrating") == {"server1", "server2"}
    assert names(f"lpar={lnx1.pk}") == {"lnx1"} and single.lpar_id == lnx1.pk
    assert names(f"batch={batch.pk}") == {"server1", "server2"}
    assert names(f"source_frame={p750a.pk}&destination_frame={p750b.pk}") == {
        "server1",
        "server2",
        "lnx1",
    }
    assert names(f"destination_frame={p750a.pk}") == set()
    assert names("lpar_name=server2") == {"server2"}
    assert names("frame=p750-b&state=pending") == {"lnx1"}

    refused = operator_client.get("/api/migrations/?state__in=queued,nonsense")
    assert refused.status_code == 400 and "state__in" in refused.json()
    refused = operator_client.get("/api/migrations/?lpar=server1")
    assert refused.status_code == 400 and refused.json()["lpar"] == ["Enter a number."]


def test_a_batch_reads_the_same_totals_in_the_api_and_on_its_page(operator_client, demo):
    server1, p750b = demo
    server2 = Lpar.objects.get(name="server2")
    batch = lpm.batch_create(
        items=[{"lpar": lpar, "destination_frame": p750b} for lpar in (server1, server2)]
    )
    MigrationJob.objects.filter(lpar=server1).update(state="completed", progress=100)
    body = operator_client.get(f"/api/migration-batches/{batch.pk}/").json()
    assert body["states"] == {"completed": 1, "pending": 1} and body["progress"] == 50
    page = operator_client.get(reverse("migrations_app:batch-detail", args=[batch.pk]))
    whole = page.context["whole"]
    assert (whole.states, whole.progress, whole.active) == (body["states"], 50, True)
    assert whole.state_labels == {"Completed": 1, "Pending": 1}


def test_migrlpar_options_and_the_vfc_port_go_into_the_command_line(operator_client, demo):
    server1, p750b = demo
    Hmc.objects.update(version="V9R2 M950")
    proposal = operator_client.get(
        f"/api/migrations/proposal/?lpar={server1.pk}&destination_frame={p750b.pk}"
    ).json()
    assert proposal["npiv_validation"] == "" and proposal["redundant_vios"] == ""
    assert "npiv_validation" in proposal["migrlpar_options"]
    assert "--npivval" not in proposal["command"]  # the HMC's defaults send nothing
    vios1 = Lpar.objects.get(name="vios1", frame=p750b)
    created = create(
        operator_client,
        server1,
        p750b,
        validate_only=True,
        detail_level=5,
        npiv_validation="portdisk",
        vlan_bridge="2",
        mpio="1",
        redundant_vios="2",
        storage_mappings=[
            {"client_slot": 610, "vios": vios1.pk, "vios_slot": 610, "fc_port": "fcs1"}
        ],
    )
    assert created.status_code == 201, created.json()
    job = MigrationJob.objects.get(pk=created.json()["id"])
    line = lpm.migration_command(job, "v").text
    assert " -d 5 --npivval portdisk --vlanbridge 2 --mpio 1 --redundantvios 2" in line
    assert "610/vios1/1/610/fcs1" in line
    assert created.json()["npiv_validation"] == "portdisk"


def test_an_option_the_hmcs_level_does_not_take_is_refused_in_words(operator_client, demo):
    server1, p750b = demo
    Hmc.objects.update(version="V8R8 M870")
    proposal = operator_client.get(
        f"/api/migrations/proposal/?lpar={server1.pk}&destination_frame={p750b.pk}"
    ).json()
    assert "npiv_validation" not in proposal["migrlpar_options"]
    assert "redundant_vios" in proposal["migrlpar_options"]
    refused = create(operator_client, server1, p750b, npiv_validation="portdisk")
    assert refused.status_code == 400
    assert "has no migrlpar --npivval: it needs V9R1 M920" in refused.json()["npiv_validation"][0]
    bad = create(operator_client, server1, p750b, mpio="3")
    assert bad.status_code == 400 and "--mpio takes 1, 2" in bad.json()["mpio"][0]
    assert not MigrationJob.objects.exists()


def test_a_migration_the_broker_cannot_take_says_why_to_whoever_asked(
    demo, django_capture_on_commit_callbacks
):
    server1, p750b = demo
    waiting: dict[int, str] = {}
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        job = lpm.migration_create(
            lpar=server1, destination=p750b, validate_only=True, on_dispatched=waiting.update
        )
    assert list(waiting) == [job.pk]
    assert waiting[job.pk].startswith("The broker is unreachable")
    assert "starts when the broker is back" in waiting[job.pk]
    job.refresh_from_db()
    assert job.state == "pending"
    assert job.events.filter(message=waiting[job.pk]).exists()  # its log says so too
