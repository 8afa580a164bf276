"""Every page needs a signed-in user; error pages say what happened."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import login

pytestmark = pytest.mark.django_db

# The sign-in steps, the health check, and /metrics (its own token or address rule, tested in
# tests/test_metrics.py).
PUBLIC = {
    "/login/",
    "/healthz",
    "/api/auth/token/",
    "/metrics",
    "/oidc/authenticate/",
    "/oidc/callback/",
    "/favicon.ico",
}


def parameterless_paths(resolver=None, prefix: str = "") -> list[str]:
    """Every URL in the project that takes no argument, so it can be requested as is."""
    paths = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = str(pattern.pattern)
        if "<" in route or "(?P" in route or route.startswith("^"):
            continue
        if isinstance(pattern, URLResolver):
            paths += parameterless_paths(pattern, prefix + route)
        elif isinstance(pattern, URLPattern):
            paths.append("/" + prefix + route)
    return sorted(set(paths))


def page_paths() -> list[str]:
    return [p for p in parameterless_paths() if not p.startswith(("/admin/", "/api/"))]


def api_paths() -> list[str]:
    return [p for p in parameterless_paths() if p.startswith("/api/")]


def test_the_project_has_pages_to_check():
    assert {
        "/",
        "/inventory/",
        "/planning/",
        "/zoning/",
        "/migrations/",
        "/inventory/hmcs/",
    } <= set(page_paths())


@pytest.mark.parametrize("path", [p for p in page_paths() if p not in PUBLIC])
def test_anonymous_visitor_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"


@pytest.mark.parametrize("path", [p for p in api_paths() if p not in PUBLIC])
def test_anonymous_api_call_is_refused_with_401(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("path", ["/", "/inventory/", "/planning/", "/zoning/", "/migrations/"])
def test_signed_in_user_sees_the_page(client, viewer, path):
    login(client, viewer)
    response = client.get(path)
    assert response.status_code == 200
    assert b"Sign out" in response.content


def test_dashboard_names_the_users_role(client, viewer):
    login(client, viewer)
    body = client.get("/").content.decode()
    assert "Signed in as <strong>vera</strong>" in body
    assert "Viewer</strong>: Reads everything; changes nothing." in body


def test_unknown_address_gets_a_404_page_that_says_so(client, viewer):
    login(client, viewer)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"404 \xc2\xb7 Not found" in response.content
    assert b"Back to the dashboard" in response.content


def test_admin_is_closed_to_a_viewer(client, viewer):
    login(client, viewer)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_500_page_renders_without_a_request_context():
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "Something went wrong on our side" in html
