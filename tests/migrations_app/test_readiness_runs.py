"""Readiness runs in this process against the simulator over SSH (no worker): where each LPAR
is validated against, what is not checked and why, an HMC busy migrating is waited for and
never validated on, a stop, and the schedule."""

from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.models import Frame, Hmc, Lpar
from migrations_app.models import MigrationJob
from migrations_app.readiness.models import ReadinessRun, ReadinessSchedule, Verdict
from migrations_app.readiness.runner import readiness_run_execute
from migrations_app.readiness.services import (
    readiness_run_request,
    readiness_run_stop,
    readiness_runs_due,
)
from migrations_app.readiness.targets import scope_lpars, targets_resolve
from migrations_app.simulator.server import SimulatorThread
from planning.models import EvacuationPlacement, EvacuationPlan
from planning.stubs import lpar_create_stub_twin
from tests.demo_estate import demo_estate_restore, demo_simulated_hmc
from tests.simulators import pinned_line


@pytest.fixture
def demo(db):
    demo_estate_restore()


@pytest.fixture
def served(transactional_db, sim_host_key):
    """The demo served by the simulator; committed, as the run's threads read it."""
    demo_estate_restore()
    running = SimulatorThread(demo_simulated_hmc(), host_key=sim_host_key).start()
    Hmc.objects.filter(name="hmc-sim").update(
        host=running.host, ssh_port=running.port, host_key=pinned_line(running)
    )
    yield running
    running.stop()


def targets_of(run: ReadinessRun) -> dict[str, tuple[str, str]]:
    return {
        t.lpar_name: (t.target.name if t.target else "", t.source)
        for t in targets_resolve(scope_lpars(run))
    }


def test_the_plan_goes_before_the_stub_twin_before_the_frame_target(demo):
    p750a, p750b = Frame.objects.get(name="p750-a"), Frame.objects.get(name="p750-b")
    run = ReadinessRun.objects.create(scope="frame", scope_frame=p750a)
    assert targets_of(run)["server1"] == ("p750-b", "frame")
    Frame.objects.filter(pk=p750a.pk).update(evacuation_target=None)
    assert targets_of(run)["server1"] == ("", "")
    lpar_create_stub_twin(lpar=Lpar.objects.get(name="server1"), destination_frame=p750b)
    assert targets_of(run)["server1"] == ("p750-b", "stub")
    assert "server1-stub" not in targets_of(
        ReadinessRun.objects.create(scope="frame", scope_frame=p750b)
    )
    plan = EvacuationPlan.objects.create(frame=p750a, policy="spread")
    EvacuationPlacement.objects.create(
        plan=plan, lpar=Lpar.objects.get(name="db1"), position=1, destination=p750b
    )
    assert targets_of(run)["db1"] == ("p750-b", "plan")
    assert set(targets_of(run)) == {"server1", "server2", "db1", "lnx1"}  # no VIOS


def test_an_lpar_without_target_is_not_checked_and_says_why(served):
    Frame.objects.filter(name="p750-a").update(evacuation_target=None)
    run = ReadinessRun.objects.create(scope="frame", scope_frame=Frame.objects.get(name="p750-a"))
    assert readiness_run_execute(run=run, worker="here") == "succeeded"
    results = {r.lpar_name: r for r in run.results.all()}
    assert {r.verdict for r in results.values()} == {Verdict.NOT_CHECKED}
    assert "No target" in results["server1"].reason and "p750-a" in results["server1"].reason
    assert not served.hmc.commands_matching("migrlpar")


def test_an_hmc_busy_migrating_is_waited_for_and_never_validated_on(served, settings):
    settings.READINESS_BUSY_WAIT_SECONDS = 0.5
    settings.READINESS_BUSY_POLL_SECONDS = 0.1
    server1, p750a = Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-a")
    MigrationJob.objects.create(
        lpar=server1,
        lpar_name="server1",
        source_frame=p750a,
        hmc=p750a.hmc,
        destination_frame=Frame.objects.get(name="p750-b"),
        state="migrating",
    )
    run = ReadinessRun.objects.create()
    assert readiness_run_execute(run=run, worker="here") == "succeeded"
    assert set(run.results.values_list("verdict", flat=True)) == {Verdict.NOT_CHECKED}
    assert "busy migrating" in run.results.first().reason
    assert not served.hmc.commands_matching("migrlpar", "-o", "v")


def test_a_stopped_run_validates_nothing_more(served):
    run = readiness_run_request()
    run = readiness_run_stop(run=run)
    assert run.state == "stopped" and "Cancelled" in run.message
    assert readiness_run_execute(run=run, worker="here") == "stopped"
    assert not served.hmc.commands_matching("migrlpar")


def test_the_schedule_starts_one_run_per_hmc_when_due(demo):
    hmc = Hmc.objects.get(name="hmc-sim")
    ReadinessSchedule.objects.create(hmc=hmc, interval_minutes=1440)
    [first] = readiness_runs_due()
    assert first.scope == "hmc" and first.scope_hmc == hmc and first.scheduled
    assert readiness_runs_due() == []  # the first is still queued
    ReadinessRun.objects.filter(pk=first.pk).update(state="succeeded")
    assert readiness_runs_due() == []  # not a day yet
    ReadinessRun.objects.filter(pk=first.pk).update(created=timezone.now() - timedelta(days=1))
    assert len(readiness_runs_due()) == 1
