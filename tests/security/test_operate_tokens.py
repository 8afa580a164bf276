"""No way round step-up with a token: creating an `operate` token needs a fresh second factor
(the account page steps up; the token endpoint takes the code), users without an authenticator
cannot get one, and an operate token whose user has no authenticator (any more) runs no
dangerous action."""

import pytest
from rest_framework.test import APIClient

from inventory.models import Hmc
from lpmplanner.models import ApiToken, SecurityEvent
from lpmplanner.security.tokens import OPERATE_NEEDS_AUTHENTICATOR, api_token_create
from tests.factories import PASSWORD, HmcFactory, login, totp_code, totp_device_create

pytestmark = pytest.mark.django_db

OPERATE = {"name": "ci", "scope": "operate", "expires_in_days": 365}


def test_an_operate_token_on_the_account_page_asks_for_a_fresh_code_first(client, planner):
    login(client, planner, fresh=False)  # signed in with a code, long ago
    response = client.post("/account/tokens/", OPERATE, HTTP_REFERER="/account/")
    assert response["Location"] == "/account/step-up/?next=%2Faccount%2F"
    assert not ApiToken.objects.exists()
    refused = SecurityEvent.objects.get(kind=SecurityEvent.Kind.STEP_UP_REFUSED)
    assert refused.data["action"] == "api_token_create"

    code = totp_code(totp_device_create(planner))
    assert client.post(response["Location"], {"code": code})["Location"] == "/account/"
    page = client.post("/account/tokens/", OPERATE, follow=True)
    assert ApiToken.objects.get(user=planner).scope == "operate"
    assert 'data-testid="new-token"' in page.content.decode()


def test_a_stale_session_still_creates_read_and_write_tokens(client, planner):
    login(client, planner, fresh=False)
    client.post("/account/tokens/", {**OPERATE, "scope": "write"})
    assert ApiToken.objects.get(user=planner).scope == "write"


def test_a_user_without_an_authenticator_gets_no_operate_token_on_the_account_page(client, planner):
    client.force_login(planner)  # password only: Planners need no second factor to sign in
    page = client.post("/account/tokens/", OPERATE, follow=True).content.decode()
    assert "An operate token runs dangerous actions, which need two-factor sign-in" in page
    assert not ApiToken.objects.exists()


def test_the_token_endpoint_gives_no_operate_token_to_a_user_without_an_authenticator(
    api_client, planner
):
    body = {"username": planner.username, "password": PASSWORD, "scope": "operate"}
    response = api_client.post("/api/auth/token/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"scope": [OPERATE_NEEDS_AUTHENTICATOR]}
    assert not ApiToken.objects.exists()
    body["scope"] = "write"
    assert api_client.post("/api/auth/token/", body, format="json").status_code == 200


def test_the_token_endpoint_gives_an_operate_token_for_a_current_code(api_client, planner):
    device = totp_device_create(planner)
    body = {"username": planner.username, "password": PASSWORD, "scope": "operate"}
    response = api_client.post("/api/auth/token/", body, format="json")
    assert response.status_code == 400 and "otp" in response.json()
    response = api_client.post(
        "/api/auth/token/", {**body, "otp": totp_code(device)}, format="json"
    )
    assert response.status_code == 200 and response.json()["scope"] == "operate"


def test_an_operate_token_stops_running_dangerous_actions_when_its_user_has_no_authenticator(
    client, planner
):
    login(client, planner)
    _, key = api_token_create(user=planner, name="ci", scope="operate")
    token = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    hmc = HmcFactory(host="10.1.1.1")
    assert (
        token.patch(f"/api/hmcs/{hmc.pk}/", {"host": "10.1.1.2"}, format="json").status_code == 200
    )

    client.post("/account/two-factor/remove/")  # the authenticator goes; the token stays
    assert not planner.totpdevice_set.exists()

    response = token.patch(f"/api/hmcs/{hmc.pk}/", {"host": "10.6.6.6"}, format="json")
    assert response.status_code == 403
    assert "This token's user has no authenticator app" in response.json()["detail"]
    assert Hmc.objects.get(pk=hmc.pk).host == "10.1.1.2"
    new = {"name": "rogue", "host": "10.6.6.7", "username": "hscroot", "password": "x"}
    assert token.post("/api/hmcs/", new, format="json").status_code == 403
    assert not Hmc.objects.filter(name="rogue").exists()
    # What is not dangerous works as the write scope does.
    assert token.patch(f"/api/hmcs/{hmc.pk}/", {"version": "V10"}, format="json").status_code == 200
    assert token.get("/api/hmcs/").status_code == 200
    assert (
        SecurityEvent.objects.filter(
            kind=SecurityEvent.Kind.STEP_UP_REFUSED, user=planner, data__token="ci"
        ).count()
        == 2
    )
