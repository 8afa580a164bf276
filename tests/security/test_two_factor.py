"""Two-factor sign-in over HTTP: enrolment with a QR code drawn here, recovery codes, the code
step after the password, and the roles that require it."""

import re

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from lpmplanner.models import SecurityEvent
from lpmplanner.security.twofactor import recovery_codes_issue
from tests.factories import PASSWORD, login, totp_code, totp_device_create, user_create

pytestmark = pytest.mark.django_db


def sign_in(client, username: str):
    return client.post("/login/", {"username": username, "password": PASSWORD})


def test_an_operator_is_sent_to_enrol_then_signs_in_with_a_code(client, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code delays the next try; not here
    user_create("olga", role="Operator")
    response = sign_in(client, "olga")
    assert response["Location"] == "/"
    page = client.get("/", follow=True)
    assert page.redirect_chain[-1][0] == "/account/two-factor/?next=%2F"
    html = page.content.decode()
    assert "<svg" in html and "http" not in html.split("<svg")[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )  # the QR code is drawn here, not fetched
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7=]+)<', html).group(1)
    # Nothing else is reachable before the second factor.
    assert client.get("/inventory/")["Location"].startswith("/account/two-factor/")
    assert client.get("/api/me/").status_code == 401  # the API sees no verified session

    done = client.post("/account/two-factor/?next=/", {"code": pyotp.TOTP(secret).now()})
    # The recovery codes are shown at once, then the page asked for at sign-in.
    assert done["Location"] == "/account/recovery-codes/?next=%2F"
    codes = client.get(done["Location"]).content.decode()
    assert codes.count('class="list-inline-item"') == 10
    assert 'href="/" data-testid="recovery-codes-continue"' in codes
    assert client.get(done["Location"])["Location"] == "/account/"  # shown once
    assert client.get("/inventory/").status_code == 200

    client.post("/logout/")
    assert sign_in(client, "olga")["Location"] == "/"
    assert client.get("/")["Location"] == "/account/two-factor/code/?next=%2F"
    wrong = client.post("/account/two-factor/code/?next=/", {"code": "123456"})
    assert "That code is not right" in wrong.content.decode()
    device = totp_device_create(get_user_model().objects.get(username="olga"))
    ok = client.post("/account/two-factor/code/?next=/", {"code": totp_code(device)})
    assert ok["Location"] == "/"
    kinds = list(SecurityEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "sign_in",
        "two_factor_enrolled",
        "second_factor",
        "recovery_codes",
        "sign_out",
        "sign_in",
        "second_factor_failed",
        "second_factor",
    ]


def test_a_recovery_code_works_once(client):
    olga = user_create("olga", role="Operator")
    totp_device_create(olga)
    sign_in(client, "olga")
    request = RequestFactory().get("/")
    request.user = olga
    codes = recovery_codes_issue(request=request, user=olga)
    assert client.post("/account/two-factor/code/", {"code": codes[0]})["Location"] == "/"
    client.post("/logout/")
    sign_in(client, "olga")
    again = client.post("/account/two-factor/code/", {"code": codes[0]})
    assert again.status_code == 200 and "was used already" in again.content.decode()


def test_a_viewer_needs_no_second_factor_but_may_enrol(client):
    user_create("vera", role="Viewer")
    sign_in(client, "vera")
    assert client.get("/inventory/").status_code == 200
    assert "Set up an authenticator app" in client.get("/account/").content.decode()


def test_an_administrator_must_enrol(client):
    user_create("root", is_superuser=True, is_staff=True)
    sign_in(client, "root")
    assert client.get("/admin/")["Location"].startswith("/account/two-factor/?next=")


def test_new_recovery_codes_are_shown_once_and_the_old_ones_stop_working(client):
    olga = user_create("olga", role="Operator")
    login(client, olga)
    request = RequestFactory().get("/")
    request.user = olga
    old = recovery_codes_issue(request=request, user=olga)
    response = client.post("/account/recovery-codes/")
    assert response["Location"] == "/account/recovery-codes/?next=%2Faccount%2F"
    page = client.get(response["Location"]).content.decode()
    new = re.findall(r'<li class="list-inline-item">(\w+)</li>', page)
    assert len(new) == 10 and not set(new) & set(old)
    assert "list-inline-item" not in client.get("/account/").content.decode()


def test_replacing_the_authenticator_shows_new_recovery_codes_too(client):
    olga = user_create("olga", role="Operator")
    login(client, olga)
    page = client.get("/account/two-factor/").content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7=]+)<', page).group(1)
    done = client.post("/account/two-factor/", {"code": pyotp.TOTP(secret).now()})
    assert done["Location"] == "/account/recovery-codes/?next=%2Faccount%2F"
    assert client.get(done["Location"]).content.decode().count('class="list-inline-item"') == 10
