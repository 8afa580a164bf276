"""The REST API's contract: tokens, session auth, the root listing, the OpenAPI schema, errors."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from lpmplanner.exceptions import Conflict
from lpmplanner.models import ApiToken
from tests.factories import login

pytestmark = pytest.mark.django_db


def test_token_from_username_and_password_authenticates(api_client, planner, password):
    response = api_client.post(
        "/api/auth/token/", {"username": "paul", "password": password}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    stored = ApiToken.objects.get(user=planner)
    assert stored.prefix == token[:8] and token not in stored.key_hash  # kept hashed

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/me/")
    assert me.status_code == 200
    assert me.json() == {
        "id": planner.pk,
        "username": "paul",
        "is_superuser": False,
        "roles": ["Planner"],
    }


def test_wrong_password_gets_no_token_and_a_clear_400(api_client, planner):
    response = api_client.post(
        "/api/auth/token/", {"username": "paul", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "Unable to log in with provided credentials." in str(response.json())
    assert not ApiToken.objects.filter(user=planner).exists()


def test_missing_fields_are_named(api_client):
    response = api_client.post("/api/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_a_bad_token_is_401(api_client, planner):
    api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert api_client.get("/api/me/").status_code == 401


def test_session_authentication_works_too(client, viewer):
    login(client, viewer)
    response = client.get("/api/me/")
    assert response.status_code == 200
    assert response.json()["roles"] == ["Viewer"]


def test_session_writes_need_the_csrf_token(viewer):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    login(client, viewer)
    response = client.post("/api/me/", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_root_lists_the_fixed_endpoints(client, viewer):
    login(client, viewer)
    links = client.get("/api/").json()
    assert {"me", "token", "search", "schema", "docs"} <= set(links)
    assert links["schema"].endswith("/api/schema/")


def test_openapi_schema_describes_the_api(client, viewer):
    login(client, viewer)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "lpmplanner API"
    assert "/api/me/" in schema["paths"]
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_swagger_ui_is_served_from_local_static_files(client, viewer):
    login(client, viewer)
    html = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


class Raising(APIView):
    error: Exception | None = None

    def post(self, request):
        raise self.error


def call_raising(error, user):
    request = APIRequestFactory().post("/x/", {}, format="json")
    force_authenticate(request, user=user)
    return Raising.as_view(error=error)(request)


def test_a_models_validation_error_is_a_400_naming_the_field(viewer):
    response = call_raising(
        ValidationError({"slot": ["vFC slot 850 is outside the vFC range 600–800."]}), viewer
    )
    assert response.status_code == 400
    assert response.data == {"slot": ["vFC slot 850 is outside the vFC range 600–800."]}


def test_a_validation_error_without_a_field_is_a_non_field_error(viewer):
    response = call_raising(ValidationError("These two LPARs are on different frames."), viewer)
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["These two LPARs are on different frames."]}


def test_a_conflict_is_a_409_with_its_message(viewer):
    response = call_raising(Conflict("An active migration of server1 exists."), viewer)
    assert response.status_code == 409
    assert response.data == {"detail": "An active migration of server1 exists."}


def test_a_uniqueness_race_is_a_409_without_sql(viewer):
    response = call_raising(IntegrityError('duplicate key value violates "uniq_x"'), viewer)
    assert response.status_code == 409
    assert "uniq_x" not in str(response.data)
