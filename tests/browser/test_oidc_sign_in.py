"""Sign-in through an OpenID Connect provider running in a process of its own (django-oauth-
toolkit, tests/oidc_provider): the login page's button, the provider's own sign-in page, roles
from the groups claim, the provider's multi-factor claim counted for sign-in but not for step-up,
sign-out ending the session here."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from lpmplanner.models import SecurityEvent
from tests.oidc_provider.serve import CLIENT_ID, CLIENT_SECRET, PASSWORD
from tests.servers import free_port, oidc_provider

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def discovery_url(live_server, tmp_path_factory):
    redirect_uri = f"{live_server.url}/oidc/callback/"
    with oidc_provider(tmp_path_factory.mktemp("provider"), redirect_uri=redirect_uri) as url:
        yield url


def provider_configure(settings, discovery_url: str) -> None:
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_DISCOVERY_URL = discovery_url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ROLE_GROUPS = [("Operator", "lpm-operators"), ("Planner", "LPM-Planners")]


@pytest.fixture
def provider(settings, discovery_url):
    provider_configure(settings, discovery_url)


def provider_sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    expect(page.get_by_role("heading", name="Test IdP")).to_be_visible()  # the provider's page
    page.get_by_label("Provider user").fill(username)
    page.get_by_label("Provider password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()


def roles(username: str) -> list[str]:
    user = get_user_model().objects.get(username=username)
    return sorted(user.groups.values_list("name", flat=True))


def test_an_operator_signs_in_through_the_provider_whose_mfa_counts_until_step_up(
    page, live_server, provider
):
    provider_sign_in(page, live_server, "opal")

    # An Operator must give a second factor: the provider's multi-factor sign-in is it.
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("navigation")).to_contain_text("opal")
    assert roles("opal") == ["Operator"]
    opal = get_user_model().objects.get(username="opal")
    assert not opal.has_usable_password()
    signed_in = SecurityEvent.objects.get(kind="sign_in", user=opal)
    assert signed_in.data == {"source": "provider", "roles": ["Operator"], "administrator": False}
    assert SecurityEvent.objects.filter(kind="second_factor", user=opal).exists()

    # A dangerous action still wants this application's own code: first set up the app.
    page.goto(f"{live_server.url}/account/step-up/?next=/migrations/")
    expect(page).to_have_url(f"{live_server.url}/account/two-factor/?next=%2Fmigrations%2F")
    expect(page.locator("main")).to_contain_text("Dangerous actions need two-factor sign-in")

    # Signing out ends the session here.
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="Sign out").click()
    page.goto(f"{live_server.url}/migrations/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/migrations/")


def test_without_the_provider_mfa_claim_an_operator_sets_up_this_apps_code(
    page, live_server, provider
):
    provider_sign_in(page, live_server, "nina")

    assert roles("nina") == ["Operator"]
    expect(page).to_have_url(f"{live_server.url}/account/two-factor/?next=%2F")
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()


def test_a_planner_of_the_provider_is_a_planner(page, live_server, provider):
    provider_sign_in(page, live_server, "pia")

    expect(page).to_have_url(f"{live_server.url}/")
    assert roles("pia") == ["Planner"]


def test_a_provider_that_cannot_be_reached_is_said_so(page, live_server, settings):
    provider_configure(settings, f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration")

    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()

    expect(page).to_have_url(f"{live_server.url}/login/")
    expect(page.locator("main")).to_contain_text("Test IdP cannot be reached")


def test_without_a_provider_the_login_page_has_no_button(page, live_server):
    page.goto(f"{live_server.url}/login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_text("Sign in with")).to_have_count(0)
