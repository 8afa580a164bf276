"""Dangerous actions want a fresh second factor (sessions) or the operate scope (tokens):
Create on HMC, and changing an HMC's address, credentials or pinned host key."""

import pytest
from rest_framework.test import APIClient

from inventory.models import Hmc
from lpmplanner.models import SecurityEvent
from lpmplanner.security.tokens import api_token_create
from migrations_app.models import LparCreateJob
from tests.factories import HmcFactory, login, totp_code, totp_device_create, user_create

pytestmark = pytest.mark.django_db


def refused(kind=SecurityEvent.Kind.STEP_UP_REFUSED) -> int:
    return SecurityEvent.objects.filter(kind=kind).count()


def test_create_on_hmc_in_the_browser_asks_for_a_fresh_code_then_runs(client, planner, twin):
    login(client, planner, fresh=False)
    page = f"/planning/lpars/{twin.pk}/"
    response = client.post(f"/lpars/{twin.pk}/create-on-hmc/", HTTP_REFERER=page)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/step-up/?next=")
    assert not LparCreateJob.objects.exists()
    assert refused() == 1

    step_up = client.get(response["Location"])
    assert "This action needs a fresh code" in step_up.content.decode()
    code = totp_code(totp_device_create(planner))
    back = client.post(response["Location"], {"code": code})
    assert back["Location"] == page
    assert SecurityEvent.objects.filter(kind="step_up", user=planner).exists()

    response = client.post(f"/lpars/{twin.pk}/create-on-hmc/", HTTP_REFERER=page)
    job = LparCreateJob.objects.get()
    assert response["Location"] == f"/lpar-create-jobs/{job.pk}/"


def test_a_wrong_step_up_code_is_refused_and_logged(client, planner):
    login(client, planner, fresh=False)
    response = client.post("/account/step-up/?next=/", {"code": "000000"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert refused(SecurityEvent.Kind.SECOND_FACTOR_FAILED) == 1


def test_create_on_hmc_over_the_api_session_needs_a_fresh_factor(api_client, planner, twin):
    login(api_client, planner, fresh=False)
    response = api_client.post(f"/api/lpars/{twin.pk}/create-on-hmc/")
    assert response.status_code == 403
    assert "fresh code from your authenticator app" in response.json()["detail"]
    assert not LparCreateJob.objects.exists()

    login(api_client, planner)  # a second factor just now
    assert api_client.post(f"/api/lpars/{twin.pk}/create-on-hmc/").status_code == 202


@pytest.mark.parametrize(("scope", "status"), [("read", 403), ("write", 403), ("operate", 202)])
def test_create_on_hmc_with_a_token_needs_the_operate_scope(planner, twin, scope, status):
    totp_device_create(planner)  # operate tokens are for users with an authenticator
    _, key = api_token_create(user=planner, name="ci", scope=scope)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post(f"/api/lpars/{twin.pk}/create-on-hmc/")
    assert response.status_code == status
    if status == 403:
        assert f"This token's scope is {scope}" in response.json()["detail"]


def test_changing_an_hmcs_password_over_the_api_needs_step_up_but_renaming_does_not(
    api_client, planner
):
    hmc = HmcFactory(password="old-secret")
    login(api_client, planner, fresh=False)
    assert api_client.patch(f"/api/hmcs/{hmc.pk}/", {"version": "V10R3"}).status_code == 200
    response = api_client.patch(f"/api/hmcs/{hmc.pk}/", {"password": "new-secret"})
    assert response.status_code == 403
    assert Hmc.objects.get(pk=hmc.pk).password == "old-secret"
    response = api_client.patch(f"/api/hmcs/{hmc.pk}/", {"host": "10.9.9.9"})
    assert response.status_code == 403

    login(api_client, planner)
    assert api_client.patch(f"/api/hmcs/{hmc.pk}/", {"password": "new-secret"}).status_code == 200
    assert Hmc.objects.get(pk=hmc.pk).password == "new-secret"
    logged = SecurityEvent.objects.filter(kind="hmc_credentials", data__hmc=hmc.name)
    assert [(e.user, e.data["fields"]) for e in logged.order_by("id")] == [
        (None, ["host", "ssh_port", "username", "password"]),  # created by the factory
        (planner, ["password"]),
    ]


def test_changing_an_hmcs_address_on_its_edit_page_needs_step_up(client, planner):
    hmc = HmcFactory(host="10.1.1.1")
    login(client, planner, fresh=False)
    form = {
        "name": hmc.name,
        "host": "10.2.2.2",
        "ssh_port": 22,
        "username": "hscroot",
        "rest_port": 12443,
    }
    edit = f"/inventory/hmcs/{hmc.pk}/edit/"
    response = client.post(edit, form, HTTP_REFERER=edit)
    assert response["Location"] == f"/account/step-up/?next={edit.replace('/', '%2F')}"
    assert Hmc.objects.get(pk=hmc.pk).host == "10.1.1.1"

    login(client, planner)
    response = client.post(edit, form)
    assert response["Location"] == f"/inventory/hmcs/{hmc.pk}/"
    assert Hmc.objects.get(pk=hmc.pk).host == "10.2.2.2"


def test_pinning_a_host_key_needs_step_up(client, planner):
    hmc = HmcFactory()
    login(client, planner, fresh=False)
    line = "hmc ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    response = client.post(f"/hmcs/{hmc.pk}/host-key/", {"line": line})
    assert response["Location"].startswith("/account/step-up/")
    assert Hmc.objects.get(pk=hmc.pk).host_key == ""


def test_a_user_without_an_authenticator_is_sent_to_set_one_up(client):
    planner = user_create("pia", role="Planner")
    client.force_login(planner)  # password only: Planners need no second factor to sign in
    response = client.post("/account/step-up/?next=/inventory/")
    assert response["Location"].startswith("/account/two-factor/?next=")


@pytest.fixture
def demo_migration(db):
    from inventory.models import Frame, Lpar
    from tests.demo_estate import demo_estate_restore

    demo_estate_restore()
    return Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")


def test_migrate_in_the_browser_asks_for_a_fresh_code_then_runs(client, demo_migration):
    from migrations_app.lpm.services import migration_defaults
    from migrations_app.models import MigrationJob

    server1, p750b = demo_migration
    operator = user_create("olga", role="Operator")
    proposal = migration_defaults(lpar=server1, destination=p750b)
    form = {
        "lpar": server1.pk,
        "destination_frame": p750b.pk,
        "wait_minutes": 5,
        "dest_lpar_id": proposal.dest_lpar_id,
        "source_msp": proposal.source_msp.pk,
        "dest_msp": proposal.dest_msp.pk,
        "shared_pool_name": proposal.shared_pool_name,
        "action": "migrate",
        **{f"vios_{m.client_slot}": m.vios for m in proposal.storage_mappings},
        **{f"slot_{m.client_slot}": m.vios_slot for m in proposal.storage_mappings},
    }
    login(client, operator, fresh=False)
    response = client.post("/migrations/new/submit/", form)
    assert response["Location"].startswith("/account/step-up/?next=")
    assert not MigrationJob.objects.exists()
    assert refused() == 1

    login(client, operator)  # a code just now
    response = client.post("/migrations/new/submit/", form)
    job = MigrationJob.objects.get()
    assert response["Location"] == f"/migrations/{job.pk}/"
    logged = SecurityEvent.objects.get(kind=SecurityEvent.Kind.MIGRATION)
    assert logged.user == operator and logged.data["action"] == "migration_submit"


def test_migrate_over_the_api_needs_a_fresh_factor_or_an_operate_token(api_client, demo_migration):
    from migrations_app.models import MigrationJob

    server1, p750b = demo_migration
    body = {"lpar": server1.pk, "destination_frame": p750b.pk, "validate_only": True}
    operator = user_create("olga", role="Operator")
    login(api_client, operator, fresh=False)
    response = api_client.post("/api/migrations/", body, format="json")
    assert response.status_code == 403
    assert "fresh code from your authenticator app" in response.json()["detail"]

    for scope, status in (("read", 403), ("write", 403), ("operate", 201)):
        token = api_token_create(user=operator, name=f"ci {scope}", scope=scope)[1]
        client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.post("/api/migrations/", body, format="json").status_code == status, scope
    job = MigrationJob.objects.get()
    assert job.requested_by == operator and job.validate_only
    logged = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.MIGRATION).order_by("pk")
    # Every attempt, refused ones too, with its answer.
    assert [e.data["status"] for e in logged] == [403, 403, 403, 201]
    assert all(e.data["action"] == "migrationjob.create" for e in logged)
    assert logged.last().user == operator
