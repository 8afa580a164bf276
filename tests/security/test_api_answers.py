"""What the API answers when it refuses: a wrong, missing or throttled authenticator code at
the token endpoint (each in the security log; throttled says how long to wait), the lockout in
JSON, JSON 404s for any URL under /api/, and a 403 for a signed-in user with no role."""

import pytest
from django.test import Client

from lpmplanner.models import SecurityEvent
from tests.factories import PASSWORD, login, totp_code, totp_device_create, user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(planner):
    return planner, totp_device_create(planner)


def ask(client, **body):
    return client.post(
        "/api/auth/token/", {"username": "paul", "password": PASSWORD, **body}, format="json"
    )


def failures() -> list[tuple[str, str]]:
    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED)
    return [(e.username, e.data["reason"]) for e in events.order_by("id")]


def test_a_missing_or_wrong_code_at_the_token_endpoint_is_in_the_security_log(
    api_client, enrolled, settings
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait between tries here
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    assert ask(api_client).status_code == 400
    assert ask(api_client, otp="000000").status_code == 400
    assert failures() == [("paul", "missing"), ("paul", "wrong")]
    assert all(
        e.data["channel"] == "api token"
        for e in SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED)
    )


def test_a_code_while_throttled_is_told_to_wait(api_client, enrolled, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a wrong code: wait 60 s before the next
    _, device = enrolled
    wrong = ask(api_client, otp="000000")
    assert wrong.status_code == 400
    assert wrong.json() == {"otp": ["A current code from your authenticator app is required."]}

    response = ask(api_client, otp=totp_code(device))  # the right code, too soon
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 50 <= wait <= 60
    assert response.json() == {
        "detail": f"Too many wrong codes: wait {wait} seconds, then try again with a new code "
        "from your authenticator app."
    }
    assert failures() == [("paul", "wrong"), ("paul", "throttled")]


def test_the_lockout_at_the_token_endpoint_is_json(api_client, planner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_client.post("/api/auth/token/", {"username": "paul", "password": "guess"})
    response = ask(api_client)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("Too many failed sign-ins for this account")
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # The login page keeps its page.
    page = Client().post("/login/", {"username": "paul", "password": "guess"})
    assert page.status_code == 429 and "<html" in page.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/api/lpars/abc/",
        "/api/zoning/fabrics/abc/export/",
        "/api/workbook/imports/x1/",
        "/api/no-such-collection/",
        "/api/lpars/999999/",
    ],
)
def test_every_not_found_under_the_api_is_json(api_client, viewer, path):
    login(api_client, viewer)
    response = api_client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."} or "detail" in response.json()


def test_pages_keep_their_html_404(client, viewer):
    login(client, viewer)
    response = client.get("/inventory/lpars/abc/")
    assert response.status_code == 404 and "<html" in response.content.decode()


ROLELESS_REFUSED = [
    "/api/checks/",
    "/api/drift-items/",
    "/api/evacuation-plans/",
    "/api/hmc-syncs/",
    "/api/lpars/",
    "/api/migrations/",
    "/api/workbook/",
]


@pytest.mark.parametrize("path", ROLELESS_REFUSED)
def test_a_user_with_no_role_reads_no_collection(api_client, path):
    login(api_client, user_create("nobody"))
    response = api_client.get(path)
    assert response.status_code == 403
    assert api_client.get("/api/me/").json()["roles"] == []  # signed in, only roleless


def test_a_user_with_no_role_gets_403_on_the_estate_pages_but_keeps_their_account(client):
    login(client, user_create("nobody"))
    assert client.get("/planning/checks/").status_code == 403
    assert client.get("/migrations/").status_code == 403
    assert client.get("/account/").status_code == 200
    assert client.get("/").status_code == 200


@pytest.fixture(scope="module")
def openapi() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_says_what_the_answers_are(openapi):
    paths = openapi["paths"]
    checks = paths["/api/checks/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert checks["schema"] == {"$ref": "#/components/schemas/Checks"}  # an object, no array
    assert "429" in paths["/api/auth/token/"]["post"]["responses"]
    assert "502" in paths["/api/hmcs/{id}/host-key/"]["get"]["responses"]
    assert "502" in paths["/api/hmcs/{id}/ssh-trust/"]["post"]["responses"]
    assert "404" in paths["/api/lpars/{id}/"]["get"]["responses"]
