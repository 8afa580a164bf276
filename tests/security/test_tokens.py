"""API tokens: named, scoped, expiring, stored hashed, shown once, revocable, last use noted."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lpmplanner.models import ApiToken, SecurityEvent
from lpmplanner.security.tokens import api_token_create
from tests.factories import PASSWORD, login, totp_code, totp_device_create, user_create

pytestmark = pytest.mark.django_db


def token_client(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}", REMOTE_ADDR="10.1.2.3")


def test_the_token_endpoint_gives_a_write_token_for_30_days_by_default(api_client, planner):
    response = api_client.post(
        "/api/auth/token/", {"username": "paul", "password": PASSWORD, "name": "ci"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "write" and body["name"] == "ci"
    token = ApiToken.objects.get(user=planner)
    assert token.expires - token.created == timedelta(days=30)
    assert body["token"] not in (token.key_hash, token.prefix)
    assert SecurityEvent.objects.filter(kind="token_created", user=planner).exists()


def test_a_read_token_cannot_write(planner):
    _, key = api_token_create(user=planner, name="dashboards", scope="read")
    client = token_client(key)
    assert client.get("/api/vlans/").status_code == 200
    response = client.post("/api/vlans/", {"vlan_id": 400, "name": "prod"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "This token's scope is read: it may only read."}


def test_a_write_token_writes_and_its_use_is_recorded(planner):
    token, key = api_token_create(user=planner, name="import", scope="write")
    client = token_client(key)
    assert client.post("/api/vlans/", {"vlan_id": 400, "name": "prod"}).status_code == 201
    token.refresh_from_db()
    assert token.last_used is not None and token.last_used_from == "10.1.2.3"
    used = SecurityEvent.objects.get(kind="token_used")
    assert (used.user, used.address, used.data["token"]) == (planner, "10.1.2.3", "import")


def test_an_expired_token_is_refused(planner):
    token, key = api_token_create(user=planner, name="old")
    ApiToken.objects.filter(pk=token.pk).update(expires=timezone.now() - timedelta(seconds=1))
    response = token_client(key).get("/api/me/")
    assert response.status_code == 401
    assert response.json() == {"detail": "This token is expired."}
    assert SecurityEvent.objects.filter(kind="token_refused", data__reason="expired").exists()


def test_a_revoked_token_is_refused(client, planner):
    token, key = api_token_create(user=planner, name="laptop")
    assert token_client(key).get("/api/me/").status_code == 200
    login(client, planner)
    response = client.post(f"/account/tokens/{token.pk}/revoke/")
    assert response["Location"] == "/account/"
    assert token_client(key).get("/api/me/").json() == {"detail": "This token is revoked."}


def test_someone_elses_token_cannot_be_revoked(client, planner, viewer):
    token, _ = api_token_create(user=planner, name="laptop")
    login(client, viewer)
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked is None


def test_a_token_made_on_the_account_page_is_shown_once(client, planner):
    login(client, planner)
    response = client.post(
        "/account/tokens/", {"name": "cron", "scope": "read", "expires_in_days": 7}, follow=True
    )
    page = response.content.decode()
    token = ApiToken.objects.get(user=planner, name="cron")
    assert token.scope == "read" and token.expires - token.created == timedelta(days=7)
    key = page.split('data-testid="new-token"')[1].split("<code")[1].split(">")[1].split("<")[0]
    assert key.startswith(token.prefix) and token_client(key).get("/api/me/").status_code == 200
    assert key not in client.get("/account/").content.decode()


def test_a_two_factor_user_needs_a_code_for_a_token(api_client):
    operator = user_create("olga", role="Operator")
    device = totp_device_create(operator)
    given = {"username": "olga", "password": PASSWORD}
    response = api_client.post("/api/auth/token/", given)
    assert response.status_code == 400
    assert response.json() == {"otp": ["A current code from your authenticator app is required."]}
    response = api_client.post("/api/auth/token/", {**given, "otp": totp_code(device)})
    assert response.status_code == 200


def test_a_required_user_without_an_authenticator_is_told_to_set_one_up(api_client):
    user_create("otto", role="Operator")
    response = api_client.post("/api/auth/token/", {"username": "otto", "password": PASSWORD})
    assert response.status_code == 400
    assert "set up an authenticator app" in response.json()["otp"][0]
    assert not ApiToken.objects.exists()


def test_a_bad_scope_or_expiry_is_named(api_client, planner):
    given = {"username": "paul", "password": PASSWORD, "scope": "root", "expires_in_days": 0}
    response = api_client.post("/api/auth/token/", given)
    assert response.status_code == 400
    assert set(response.json()) == {"scope", "expires_in_days"}
