"""Login throttling: repeated failures lock the account for a while, with a clear message,
in the browser and at the token endpoint, and the lockout is in the security log."""

import pytest

from lpmplanner.models import SecurityEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_five_failures_lock_the_account_even_for_the_right_password(client, planner, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/login/", {"username": "paul", "password": "guess"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    locked = client.post("/login/", {"username": "paul", "password": "guess"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()

    again = client.post("/login/", {"username": "paul", "password": PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # The lockout, and the attempt refused while locked.
    lockouts = SecurityEvent.objects.filter(kind="lockout")
    assert [(e.username, e.address) for e in lockouts] == [("paul", "127.0.0.1")] * 2
    assert SecurityEvent.objects.filter(kind="sign_in_failed", user=planner).count() >= 5


def test_the_token_endpoint_is_locked_too(api_client, planner, settings):
    wrong = {"username": "paul", "password": "guess"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_client.post("/api/auth/token/", wrong)
    response = api_client.post("/api/auth/token/", {"username": "paul", "password": PASSWORD})
    assert response.status_code == 429
    assert "token" not in response.content.decode()
