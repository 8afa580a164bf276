"""Migration jobs run in-process against the simulator over real SSH: the state machine, the
wizard's defaults and command line, the run to completion with the inventory following, a
validation refused in words, limits holding jobs in the queue."""

import asyncssh
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inventory.models import Frame, Hmc, Lpar, VirtualAdapter
from lpmplanner.exceptions import Conflict
from migrations_app.hmc import codes
from migrations_app.lpm.runner import migration_job_run
from migrations_app.lpm.services import (
    migration_command_preview,
    migration_create,
    migration_defaults,
    migration_queue_advance,
    migration_recover,
    migration_stop,
    migrations_reconcile,
)
from migrations_app.models import HmcSync, MigrationJob, MigrationState
from migrations_app.services import hmc_sync_run
from migrations_app.simulator.estate import estate_from_db
from migrations_app.tasks import migration_job_task
from tests.demo_estate import demo_estate_restore
from tests.factories import user_create
from tests.simulators import pinned_line, simulator_start

S = MigrationState


@pytest.fixture(autouse=True)
def _quick_polls(settings):
    settings.LPM_MIGRATION_POLL_SECONDS = 0.1


@pytest.fixture
def demo(db):
    demo_estate_restore()
    return Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")


@pytest.fixture
def sim(demo, sim_host_key):
    running = simulator_start(estate_from_db(), sim_host_key)
    Hmc.objects.filter(name="hmc-sim").update(
        host=running.host, ssh_port=running.port, host_key=pinned_line(running)
    )
    yield running
    running.stop()


def test_the_state_machine_allows_the_documented_moves_only():
    job = MigrationJob(state=S.PENDING)
    assert job.can_move_to(S.VALIDATING)
    assert not job.can_move_to(S.COMPLETED)
    job.state = S.COMPLETED
    with pytest.raises(ValidationError, match="completed cannot become migrating"):
        job.transition_check(S.MIGRATING)
    job.state = S.FAILED
    assert job.can_move_to(S.RECOVERING) and not job.can_move_to(S.MIGRATING)


def test_the_wizard_defaults_and_command_line(demo):
    server1, p750b = demo
    options = migration_defaults(lpar=server1, destination=p750b)
    assert options.dest_msp.frame == p750b and options.dest_msp.msp
    assert options.wait_minutes == 5 and options.shared_pool_name == "DefaultPool"
    assert [(b.vlan, b.vios_name) for b in options.vlan_bridges] == [(400, "vios1")]
    slots = {(m.client_slot, m.vios_name, m.vios_slot) for m in options.storage_mappings}
    assert slots == {
        (210, "vios1", 210),
        (220, "vios2", 210),
        (610, "vios1", 610),
        (620, "vios2", 610),
    }
    line = migration_command_preview(lpar=server1, destination=p750b)
    assert line.startswith("migrlpar -o m -m p750-a -t p750-b -p server1 -i ")
    assert "virtual_fc_mappings=610/vios1/1/610,620/vios2/2/610" in line
    assert "shared_proc_pool_name=DefaultPool" in line and line.endswith("-w 5")


def test_bad_options_are_refused_by_field(demo):
    server1, p750b = demo
    with pytest.raises(ValidationError) as refused:
        migration_create(
            lpar=server1,
            destination=p750b,
            options={
                "wait_minutes": 0,
                "shared_pool_name": "nopool",
                "storage_mappings": [
                    {"client_slot": 610, "vios": p750b.lpars.get(name="vios1").pk, "vios_slot": 620}
                ],
            },
        )
    errors = refused.value.message_dict
    assert "wait time" in errors["wait_minutes"][0]
    assert "no shared processor pool named nopool" in errors["shared_pool_name"][0]
    assert "slot 620 of vios1 is already in use" in errors["storage_mappings"][0]
    assert not MigrationJob.objects.exists()


def test_a_second_request_for_the_lpar_names_the_job_that_exists(demo):
    server1, p750b = demo
    job = migration_create(lpar=server1, destination=p750b)
    with pytest.raises(Conflict, match=f"#{job.pk}"):
        migration_create(lpar=server1, destination=p750b)


def test_a_migration_runs_to_completion_and_the_inventory_follows(sim, demo):
    server1, p750b = demo
    operator = user_create("olga", role="Operator")
    job = migration_create(lpar=server1, destination=p750b, requested_by=operator)

    assert migration_job_run(job=job, worker="w1") == S.COMPLETED

    job.refresh_from_db()
    assert job.progress == 100 and job.migrate_sent is not None
    assert len(sim.hmc.commands_matching("migrlpar", "-o", "m")) == 1
    server1.refresh_from_db()
    assert server1.frame == p750b and server1.lpar_id == 10
    clients = {a.slot: a for a in server1.virtual_adapters.exclude(kind="ethernet")}
    assert (clients[610].remote_lpar.name, clients[610].remote_lpar.frame) == ("vios1", p750b)
    assert clients[620].remote_slot == 610
    server = VirtualAdapter.objects.get(lpar=clients[610].remote_lpar, slot=610)
    assert server.remote_lpar == server1 and server.role == "server"
    assert not VirtualAdapter.objects.filter(lpar__frame__name="p750-a", remote_lpar=server1)
    assert server1.history.first().history_user == operator
    messages = list(job.events.values_list("message", flat=True))
    assert any("is logged in now" in m and "keeps its order" in m for m in messages)
    pair = clients[610].wwpns.order_by("position").values_list("value", flat=True)
    assert clients[610].wwpn_logged_in == 2 and len(pair) == 2


def test_a_sync_right_after_a_completed_migration_shows_no_wwpn_drift(sim, demo):
    server1, p750b = demo
    pairs = {
        a.slot: list(a.wwpns.order_by("position").values_list("value", flat=True))
        for a in server1.virtual_adapters.filter(kind="vfc")
    }
    assert migration_job_run(
        job=migration_create(lpar=server1, destination=p750b), worker="w1"
    ) == (S.COMPLETED)

    sync = hmc_sync_run(sync=HmcSync.objects.create(hmc=Hmc.objects.get(name="hmc-sim")))

    assert sync.state == "succeeded", sync.message
    assert not sync.drift.filter(field="wwpns").exists()
    assert list(sync.drift.exclude(kind="added").values_list("label", "field")) == []
    moved = {a.slot: a for a in Lpar.objects.get(pk=server1.pk).virtual_adapters.filter(kind="vfc")}
    assert {
        s: list(a.wwpns.order_by("position").values_list("value", flat=True))
        for s, a in moved.items()
    } == pairs  # the HMC's order, kept
    assert {a.wwpn_logged_in for a in moved.values()} == {2}  # the other WWPN logs in now


def test_an_unzoned_second_wwpn_fails_validation_in_words(demo, sim_host_key):
    server1, p750b = demo
    estate = estate_from_db()
    second = server1.virtual_adapters.get(slot=610).wwpns.get(position=2).value
    estate.unzoned_wwpns = [second]
    running = simulator_start(estate, sim_host_key)
    try:
        Hmc.objects.filter(name="hmc-sim").update(
            host=running.host, ssh_port=running.port, host_key=pinned_line(running)
        )
        job = migration_create(lpar=server1, destination=p750b)
        assert migration_job_run(job=job, worker="w1") == S.VALIDATION_FAILED
    finally:
        running.stop()
    job.refresh_from_db()
    assert "HSCLA319" in job.message and f"{second} is not zoned" in job.message
    [event] = [e for e in job.events.all() if "HSCLA319" in e.codes]  # SQLite: no __contains
    assert event.command.startswith("migrlpar -o v") and "HSCLA319" in event.output
    assert Lpar.objects.get(pk=server1.pk).frame.name == "p750-a"
    assert not running.hmc.commands_matching("migrlpar", "-o", "m")


def test_an_unreachable_hmc_fails_the_job_and_changes_nothing(demo):
    server1, p750b = demo
    Hmc.objects.filter(name="hmc-sim").update(host="127.0.0.1", ssh_port=1)
    job = migration_create(lpar=server1, destination=p750b)
    assert migration_job_run(job=job, worker="w1") == S.FAILED
    job.refresh_from_db()
    assert "The HMC is unreachable" in job.message
    assert Lpar.objects.get(pk=server1.pk).frame.name == "p750-a"


def test_limits_hold_jobs_queued_until_a_slot_frees(demo, settings):
    server1, p750b = demo
    Frame.objects.filter(name="p750-b").update(max_active_migrations=1)
    first = migration_create(lpar=server1, destination=p750b)
    second = migration_create(lpar=Lpar.objects.get(name="server2"), destination=p750b)
    MigrationJob.objects.filter(pk__in=[first.pk, second.pk]).update(state=S.QUEUED)

    assert [j.pk for j in migration_queue_advance()] == [first.pk]
    second.refresh_from_db()
    assert second.state == S.QUEUED
    assert second.queued_reason == "Waiting: p750-b runs 1 migrations, its limit is 1."

    migration_stop(job=MigrationJob.objects.get(pk=first.pk))  # not sent yet: cancelled
    assert [j.pk for j in migration_queue_advance()] == [second.pk]


def test_a_job_marked_sent_that_the_hmc_never_saw_fails_and_is_not_sent_again(sim, demo, settings):
    server1, p750b = demo
    settings.LPM_MIGRATION_STALE_SECONDS = 0
    job = migration_create(lpar=server1, destination=p750b)
    # As if a worker died between recording `-o m` and sending it.
    MigrationJob.objects.filter(pk=job.pk).update(
        state=S.MIGRATING, migrate_sent=timezone.now(), heartbeat=timezone.now(), worker="gone"
    )

    assert migrations_reconcile()["taken_over"] == 1

    job.refresh_from_db()
    assert job.state == S.FAILED
    assert "migrlpar -o m is not sent again for this job" in job.message
    assert not sim.hmc.commands_matching("migrlpar", "-o", "m")
    assert Lpar.objects.get(pk=server1.pk).frame.name == "p750-a"


def test_a_migration_failing_part_way_is_recovered(sim, demo):
    server1, p750b = demo
    sim.hmc.faults.fail_at_percent = 40
    job = migration_create(lpar=server1, destination=p750b)
    assert migration_job_run(job=job, worker="w1") == S.FAILED
    job.refresh_from_db()
    assert codes.MIGRATION_FAILED in job.message and "failed at 40%" in job.message

    with pytest.raises(ValidationError, match="Only a failed or stopped migration"):
        migration_recover(job=_completed(job))
    job = migration_recover(job=job, force=False)
    assert job.state == S.RECOVERING
    assert migration_job_run(job=job, worker="w1") == S.RECOVERED
    job.refresh_from_db()
    assert job.message == "Recovered: server1 is on p750-a."
    assert sim.hmc.commands_matching("migrlpar", "-o", "r")
    assert Lpar.objects.get(pk=server1.pk).frame.name == "p750-a"


def _completed(job: MigrationJob) -> MigrationJob:
    return MigrationJob(pk=job.pk, lpar=job.lpar, state=S.COMPLETED)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("refuse_login", "The HMC refused the login."),
        ("other_key", "The HMC presented a different host key than the one pinned."),
    ],
)
def test_a_refused_login_or_a_changed_host_key_fails_the_job_in_words(sim, demo, fault, reason):
    server1, p750b = demo
    if fault == "refuse_login":
        sim.hmc.faults.refuse_login = True
    else:
        other = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
        Hmc.objects.filter(name="hmc-sim").update(host_key=f"[{sim.host}]:{sim.port} {other}")
    job = migration_create(lpar=server1, destination=p750b)

    assert migration_job_run(job=job, worker="w1") == S.FAILED

    job.refresh_from_db()
    assert reason in job.message
    assert job.events.filter(level="error", message__contains=reason).exists()
    assert Lpar.objects.get(pk=server1.pk).frame.name == "p750-a"
    assert not sim.hmc.commands_matching("migrlpar")


def test_the_job_is_sent_once_committed_with_its_id_as_the_task_id(
    demo, monkeypatch, django_capture_on_commit_callbacks
):
    server1, p750b = demo
    sent = []
    monkeypatch.setattr(migration_job_task, "apply_async", lambda **given: sent.append(given))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = migration_create(lpar=server1, destination=p750b)
        assert sent == []  # nothing reaches the broker before the row is committed
    assert len(callbacks) == 1
    assert sent[0]["task_id"] == str(job.pk) and sent[0]["args"] == [job.pk]
    assert MigrationJob.objects.get(pk=job.pk).dispatches == 1
