"""A batch's timeline on its page: each migration planned wave by wave, then as it ran (a
failed one red and marked), with the frames' and the MSPs' limits."""

import re
from datetime import timedelta

import pytest
from django.db.models import F

from inventory.models import Frame
from migrations_app.lpm import services as lpm
from migrations_app.models import MigrationJob, MigrationState
from planning.evacuation import evacuation_plan_create
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create

pytestmark = pytest.mark.django_db


def test_the_batch_timeline_shows_waves_planned_and_actual_bars_and_the_limits(client):
    demo_estate_restore()
    p750a, p750b = Frame.objects.get(name="p750-a"), Frame.objects.get(name="p750-b")
    Frame.objects.filter(pk=p750b.pk).update(max_active_migrations=2)
    plan = evacuation_plan_create(frame=p750a)
    batch = lpm.evacuation_plan_run(plan=plan, confirm_warnings=True)  # nothing dispatched
    jobs = {j.lpar_name: j for j in batch.jobs.all()}
    # As the worker records them: db1 ran 6 minutes, server2 failed after 2, the rest waits.
    MigrationJob.objects.filter(pk=jobs["db1"].pk).update(
        state=MigrationState.COMPLETED,
        progress=100,
        started=F("created") + timedelta(seconds=30),
        finished=F("created") + timedelta(minutes=6),
    )
    MigrationJob.objects.filter(pk=jobs["server2"].pk).update(
        state=MigrationState.FAILED,
        started=F("created") + timedelta(seconds=30),
        finished=F("created") + timedelta(minutes=2),
    )
    login(client, user_create("vera", role="Viewer"))
    body = client.get(f"/migrations/batches/{batch.pk}/").content.decode()
    svg = body.split('data-testid="timeline-picture"', 1)[1].split("</svg>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", svg)
    assert "Wave 1" in text and "Wave 2" in text
    assert svg.count('class="bar bar-planned"') == len(jobs)
    assert svg.count('class="bar bar-actual"') == 1
    assert svg.count('class="bar bar-actual bar-failed"') == 1
    assert "✗ actual: → p750-b, failed" in text
    assert "actual: → p750-b, completed" in text
    assert "p750-b: at most 2 migrations at once" in text
    assert "p750-b 2 of 2 (full)" in text  # wave 1 fills p750-b
    assert f"at most {plan.vios_limit} migrations at once" in text
