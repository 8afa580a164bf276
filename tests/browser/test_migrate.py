"""An operator runs the Migrate wizard for server1 from p750-a to p750-b, clicks Migrate and
watches the bar reach 100 % without reloading the page: a real Celery worker runs the job
against the HMC simulator over SSH."""

import re

import pytest
from playwright.sync_api import expect

from inventory.models import Frame, Lpar
from migrations_app.models import MigrationJob
from tests.factories import user_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_operator_migrates_server1_and_watches_the_bar_reach_100(
    page,
    live_server,
    sign_in,
    demo_on_simulator,
    celery_worker_process,
):
    server1 = Lpar.objects.get(name="server1")
    p750b = Frame.objects.get(name="p750-b")
    page.goto(f"{live_server.url}{server1.get_absolute_url()}")
    sign_in(user_create("olga", role="Operator"))

    page.get_by_role("link", name="Migrate", exact=True).click()
    destinations = page.get_by_test_id("destinations")
    expect(destinations.get_by_role("row", name=re.compile("p750-b"))).to_contain_text("can move")
    page.get_by_label("p750-b").click()  # the step moves on by itself

    command = page.get_by_test_id("command")
    expect(command).to_contain_text(
        "migrlpar -o m -m p750-a -t p750-b -p server1 -i 'dest_lpar_id=10,source_msp_name=vios1"
    )
    expect(page.get_by_label("Destination shared processor pool")).to_have_value("DefaultPool")
    page.get_by_label("Wait time (minutes)").fill("3")
    page.get_by_label("Wait time (minutes)").dispatch_event("change")
    expect(command).to_contain_text("-w 3")  # the summary follows the options

    page.get_by_role("button", name="Migrate", exact=True).click()
    expect(page).to_have_url(re.compile(r"/migrations/\d+/$"))
    job = MigrationJob.objects.get(lpar=server1)
    page.evaluate("window.stillTheSamePage = true")

    bar = page.get_by_role("progressbar", name=f"Progress of migration #{job.pk}")
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    # Drawn full, too (its width comes from data-width through static JS: no inline style).
    page.wait_for_function(
        "bar => bar.querySelector('.progress-bar').getBoundingClientRect().width"
        " >= bar.getBoundingClientRect().width - 2",
        arg=bar.element_handle(),
    )
    expect(page.get_by_test_id("live").get_by_test_id("state")).to_have_text("Completed")
    expect(page.get_by_test_id("events")).to_contain_text("migrlpar -o m")
    assert page.evaluate("window.stillTheSamePage") is True  # refreshed by htmx, not reloaded
    assert page.get_by_test_id("live").get_attribute("hx-trigger") is None  # polling stopped

    server1.refresh_from_db()
    assert server1.frame == p750b
    job.refresh_from_db()
    assert job.wait_minutes == 3 and job.requested_by.username == "olga"
