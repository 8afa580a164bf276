"""Playwright driving Debian's Chromium against pytest-django's live server.

A failed test leaves a screenshot of its page in var/test-artifacts/ (or $TEST_ARTIFACTS_DIR).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, sync_playwright

from inventory.models import Hmc
from lpmplanner.security.twofactor import two_factor_enrolled, two_factor_required
from planning.models import EnumerationScheme
from tests.demo_estate import demo_estate_restore
from tests.factories import PASSWORD, totp_code, totp_device_create
from tests.simulators import pinned_line

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
# thread with a running loop unless told that this is deliberate.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", settings.VAR_DIR / "test-artifacts"))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()


def enter_totp_code(page: Page, user) -> None:
    """Type the code the user's authenticator app shows into the code form on screen."""
    page.get_by_label("Authentication code").fill(totp_code(totp_device_create(user)))
    page.get_by_role("button", name="Verify").click()


@pytest.fixture
def sign_in(page, live_server):
    """Sign `user` in through the login form: the one on screen (keeping its `next`), else
    the login page's, then the code from their authenticator app when asked. A user whose
    role requires two-factor sign-in is given an authenticator first. Returns the page where
    the sign-in led."""

    def sign_in(user, password: str = PASSWORD) -> Page:
        if two_factor_required(user):
            totp_device_create(user)
        if "/login/" not in page.url:
            page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if "/account/two-factor/code/" in page.url and two_factor_enrolled(user):
            enter_totp_code(page, user)
        return page

    return sign_in


DOCS_IMAGES = Path(settings.BASE_DIR) / "docs" / "images"


@pytest.fixture
def docs_screenshot():
    """`shot(page, name)` keeps the page as docs/images/<name>.png for the guides when the run
    asks for it (`make docs-screenshots` sets DOCS_SCREENSHOTS=1); otherwise it does nothing,
    so the guides' pictures change only when someone refreshes them on purpose."""

    def shot(page: Page, name: str) -> None:
        if os.environ.get("DOCS_SCREENSHOTS") != "1":
            return
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=DOCS_IMAGES / f"{name}.png")

    return shot


@pytest.fixture
def demo_on_simulator(simulator):
    """The demo estate in the database, its HMC pointing at the running simulator (the
    simulator's fixtures are tests/simulators.py's, the worker tests/conftest.py's)."""
    # The default scheme, as the migration makes it: an earlier transactional test flushed it.
    EnumerationScheme.objects.get_or_create(
        is_default=True, defaults={"name": "Default", "vios_lpar_ids": [1, 2]}
    )
    demo_estate_restore()
    Hmc.objects.filter(name="hmc-sim").update(
        host=simulator.host, ssh_port=simulator.port, host_key=pinned_line(simulator)
    )
    return simulator
