"""An operator opens an evacuation plan, clicks Migrate this plan, reads the confirmation (the
migrations in wave order) and confirms: the batch page shows one job per placed LPAR, which a
real Celery worker runs against the HMC simulator over SSH."""

import re

import pytest
from playwright.sync_api import expect

from inventory.models import Frame
from migrations_app.models import MigrationBatch
from planning.evacuation import evacuation_plan_create
from tests.factories import user_create

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_operator_migrates_an_evacuation_plan_from_its_page(
    page,
    live_server,
    sign_in,
    demo_on_simulator,
    celery_worker_process,
):
    plan = evacuation_plan_create(frame=Frame.objects.get(name="p750-a"))
    order = [
        p.lpar.name for p in plan.placements.select_related("lpar").order_by("wave", "position")
    ]
    assert order == ["db1", "server2", "lnx1", "server1"]
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    sign_in(user_create("olga", role="Operator"))

    page.get_by_role("link", name="Migrate this plan").click()
    placed = page.get_by_test_id("placed")
    rows = placed.locator("tbody tr")
    expect(rows).to_have_count(4)
    for position, name in enumerate(order):
        expect(rows.nth(position)).to_contain_text(name)
        expect(rows.nth(position)).to_contain_text("p750-a")
        expect(rows.nth(position)).to_contain_text("p750-b")
    page.get_by_role("button", name="Confirm and migrate 4 LPARs").click()

    expect(page).to_have_url(re.compile(r"/migrations/batches/\d+/$"))
    batch = MigrationBatch.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(batch.name)
    expect(page.get_by_test_id("batch-plan")).to_contain_text(f"evacuation plan #{plan.pk}")
    live = page.get_by_test_id("batch-live")
    job_rows = live.locator("tbody tr")
    expect(job_rows).to_have_count(4)
    for position, name in enumerate(order):
        expect(job_rows.nth(position)).to_contain_text(name)
    expect(page.get_by_role("progressbar", name="Progress of the batch")).to_be_visible()
    assert [j.lpar_name for j in batch.jobs.order_by("created", "pk")] == order
    # Let the worker finish before the test's data goes: the live part stops polling then.
    expect(page.get_by_test_id("batch-live")).not_to_have_attribute(
        "hx-trigger", re.compile(".*"), timeout=120_000
    )
