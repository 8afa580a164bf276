"""An Operator sets up an authenticator app on first sign-in, signs out, signs in with a code,
and gives a fresh code before a dangerous action (Create on HMC)."""

import re
import time

import pyotp
import pytest
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from inventory.models import Frame, Lpar
from lpmplanner.security.twofactor import VERIFIED_AT_SESSION_KEY
from migrations_app.models import LparCreateJob
from planning.models import EnumerationScheme
from planning.stubs import lpar_create_stub_twin
from tests.demo_estate import demo_estate_restore
from tests.factories import PASSWORD, user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_code(page, code: str, button: str) -> None:
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name=button).click()


def next_code(secret: str, device: TOTPDevice) -> str:
    """What the app shows for a step the device has not accepted yet."""
    device.refresh_from_db()
    step = max(int(time.time()) // 30, device.last_t + 1)
    return pyotp.TOTP(secret).at(step * 30)


def test_enrol_sign_out_sign_in_with_the_code_and_step_up(page, live_server):
    EnumerationScheme.objects.get_or_create(
        is_default=True, defaults={"name": "Default", "vios_lpar_ids": [1, 2]}
    )
    demo_estate_restore()
    twin = lpar_create_stub_twin(
        lpar=Lpar.objects.get(name="server1"), destination_frame=Frame.objects.get(name="p750-b")
    )
    user = user_create("olga", role="Operator")
    user.groups.add(*user_create("pl", role="Planner").groups.all())  # may Create on HMC

    refused = []  # the browser's Content-Security-Policy reports: none on any page here
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    secret = page.get_by_test_id("totp-secret").inner_text()
    fill_code(page, pyotp.TOTP(secret).now(), "Turn on two-factor sign-in")
    # The recovery codes are shown at once, then the page asked for at sign-in.
    expect(page.get_by_test_id("recovery-codes").locator("li")).to_have_count(10)
    page.get_by_test_id("recovery-codes-continue").click()
    expect(page.get_by_text("Signed in as olga")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    fill_code(page, next_code(secret, device), "Verify")
    expect(page.get_by_text("Signed in as olga")).to_be_visible()

    # The second factor ages past the step-up window: Create on HMC asks for a fresh one.
    for session in Session.objects.all():
        data = session.get_decoded()
        data[VERIFIED_AT_SESSION_KEY] -= 3600
        session.session_data = Session.objects.encode(data)
        session.save()
    page.goto(f"{live_server.url}/planning/lpars/{twin.pk}/")
    page.get_by_role("button", name="Create on HMC").click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    assert not LparCreateJob.objects.exists()
    fill_code(page, next_code(secret, device), "Verify")
    expect(page).to_have_url(re.compile(rf"/planning/lpars/{twin.pk}/$"))
    page.get_by_role("button", name="Create on HMC").click()
    expect(page).to_have_url(re.compile(r"/lpar-create-jobs/\d+/$"))
    assert LparCreateJob.objects.get().lpar == twin
    assert refused == []
