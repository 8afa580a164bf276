"""The migration pages: the Migrate wizard (destinations with their verdicts, the proposal, the
command, refusals at their fields, warnings that need a tick, a second request told about the
first), the job page whose live part stops polling once the job is finished, Stop and Recover by
state, the Migrations list with its filter and running bars, batches, and who may do what."""

import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import Frame, Hmc, Lpar
from migrations_app.lpm import services as lpm
from migrations_app.models import MigrationJob, MigrationState
from planning.choices import Severity
from tests.brokers import broker_unreachable
from tests.demo_estate import demo_estate_restore
from tests.factories import login, user_create

pytestmark = pytest.mark.django_db
S = MigrationState
NEW = reverse("migrations_app:migration-new")
SUBMIT = reverse("migrations_app:migration-submit")
SUMMARY = reverse("migrations_app:migration-summary")


@pytest.fixture
def demo(db):
    demo_estate_restore()
    return Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")


@pytest.fixture
def operator(db):
    return user_create("olga", role="Operator")


@pytest.fixture
def operator_client(client, operator):
    login(client, operator)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def wizard_data(lpar: Lpar, frame: Frame, **changes) -> dict:
    """What the wizard posts when the operator keeps every proposed value."""
    proposal = lpm.migration_defaults(lpar=lpar, destination=frame)
    data = {
        "lpar": lpar.pk,
        "destination_frame": frame.pk,
        "dest_profile_name": "",
        "wait_minutes": proposal.wait_minutes,
        "dest_lpar_id": proposal.dest_lpar_id or "",
        "source_msp": proposal.source_msp.pk,
        "dest_msp": proposal.dest_msp.pk,
        "shared_pool_name": proposal.shared_pool_name,
        "action": "migrate",
    }
    for mapping in proposal.storage_mappings:
        data[f"vios_{mapping.client_slot}"] = mapping.vios
        data[f"slot_{mapping.client_slot}"] = mapping.vios_slot
    data.update(changes)
    return data


def field_errors(response, name: str) -> list[str]:
    """The messages shown under the field `name`."""
    body = text(response)
    marker = f'data-field-error="{name}">'
    found = []
    for part in body.split(marker)[1:]:
        found.append(part.split("</div>", 1)[0])
    return found


def test_the_wizard_from_the_lpar_page_to_the_command(operator_client, demo):
    server1, p750b = demo
    lpar_page = text(operator_client.get(server1.get_absolute_url()))
    assert f'href="{NEW}?lpar={server1.pk}">Migrate</a>' in lpar_page

    step1 = operator_client.get(NEW, {"lpar": server1.pk})
    assert step1.status_code == 200
    body = text(step1)
    assert f'value="{p750b.pk}"' in body and "can move" in body

    full = operator_client.get(NEW, {"lpar": server1.pk, "destination_frame": p750b.pk})
    form = full.context["form"]
    vios1_b = Lpar.objects.get(name="vios1", frame=p750b)
    assert form["wait_minutes"].value() == 5
    assert form["dest_msp"].value() == vios1_b.pk
    assert form["shared_pool_name"].value() == "DefaultPool"
    assert form["vios_210"].value() == vios1_b.pk and form["slot_210"].value() == 210
    assert [b.vlan for b in full.context["vlan_bridges"]] == [400]
    assert (
        "migrlpar -o m -m p750-a -t p750-b -p server1 -i 'dest_lpar_id=10,source_msp_name=vios1,"
        "dest_msp_name=vios1,shared_proc_pool_name=DefaultPool,"
        '"virtual_scsi_mappings=210/vios1/1/210,220/vios2/2/210",'
        '"virtual_fc_mappings=610/vios1/1/610,620/vios2/2/610"\' -w 5'
    ) in text(full)


def test_migrations_new_finds_the_lpar_by_name(operator_client, demo):
    server1, _ = demo
    found = text(operator_client.get(NEW, {"q": "SERVER1"}))
    assert f'href="?lpar={server1.pk}" aria-label="Migrate server1 on p750-a"' in found
    assert "No client LPAR" in text(operator_client.get(NEW, {"q": "vios"}))  # VIOS never move
    unknown = operator_client.get(NEW, {"lpar": 999999})
    assert field_errors(unknown, "lpar") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]


def test_the_summary_follows_the_options(operator_client, demo):
    server1, p750b = demo
    answer = operator_client.get(
        SUMMARY, wizard_data(server1, p750b, wait_minutes=9, dest_profile_name="after_move")
    )
    assert answer.status_code == 200
    command = text(answer)
    assert "-w 9" in command and "-n after_move" in command
    assert 'id="summary"' in command and "<html" not in command


def test_the_wizard_offers_the_hmc_options_its_level_takes_and_the_vfc_port(operator_client, demo):
    server1, p750b = demo
    Hmc.objects.update(version="V8R8 M870")
    form = operator_client.get(NEW, {"lpar": server1.pk, "destination_frame": p750b.pk}).context[
        "form"
    ]
    assert form.flag_fields == ["detail_level", "redundant_vios", "mpio", "vlan_bridge"]
    assert form["redundant_vios"].value() == ""  # the HMC's default: not sent
    assert "port_610" in form.fields and "port_210" not in form.fields  # vFC only

    answer = operator_client.get(
        SUMMARY, wizard_data(server1, p750b, redundant_vios="2", port_610="fcs1")
    )
    command = text(answer)
    assert "--redundantvios 2" in command and "610/vios1/1/610/fcs1" in command
    assert "--npivval" not in command


def test_the_operator_migrates_and_lands_on_the_job_page(operator_client, demo):
    server1, p750b = demo
    answer = operator_client.post(SUBMIT, wizard_data(server1, p750b), follow=True)
    job = MigrationJob.objects.get()
    assert answer.redirect_chain[-1][0] == reverse("migrations_app:migration-detail", args=[job.pk])
    assert job.state == S.PENDING and not job.validate_only and job.requested_by.username == "olga"
    assert job.wait_minutes == 5 and job.shared_pool_name == "DefaultPool"
    assert f"Migration #{job.pk} of server1 to p750-b asked." in text(answer)


def test_validate_asks_the_hmc_validation_only(operator_client, demo):
    server1, p750b = demo
    operator_client.post(SUBMIT, wizard_data(server1, p750b, action="validate"))
    assert MigrationJob.objects.get().validate_only is True


def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(operator_client, demo):
    server1, p750b = demo
    answer = operator_client.post(SUBMIT, wizard_data(server1, p750b, wait_minutes=0))
    assert answer.status_code == 200
    assert field_errors(answer, "wait_minutes") == ["The wait time is 1 to 1440 minutes."]

    answer = operator_client.post(SUBMIT, wizard_data(server1, p750b, shared_pool_name=""))
    assert field_errors(answer, "shared_pool_name")[0].startswith(
        "Name the destination shared processor pool"
    )

    vios1 = Lpar.objects.get(name="vios1", frame=p750b)
    answer = operator_client.post(
        SUBMIT, wizard_data(server1, p750b, vios_220=vios1.pk, slot_220=210)
    )
    assert field_errors(answer, "storage_mappings") == [
        "Client slot 220: slot 210 of vios1 is already in use."
    ]

    answer = operator_client.post(SUBMIT, wizard_data(server1, p750b, wait_minutes="soon"))
    assert field_errors(answer, "wait_minutes") == ["Enter a whole number."]
    assert not MigrationJob.objects.exists()


def test_preflight_errors_block_migrate(operator_client, demo):
    _, p750b = demo
    server2 = Lpar.objects.get(name="server2")
    Lpar.objects.filter(pk=server2.pk).update(state="open_firmware")
    refusal = (
        "server2 is Open Firmware; it must be Running (active mobility) or Not Activated "
        "(inactive mobility)."
    )
    page = operator_client.get(NEW, {"lpar": server2.pk})
    assert "cannot move" in text(page) and refusal in text(page)
    page = operator_client.get(NEW, {"lpar": server2.pk, "destination_frame": p750b.pk})
    assert refusal in text(page) and 'value="migrate" disabled' in text(page)

    answer = operator_client.post(SUBMIT, wizard_data(server2, p750b))
    assert field_errors(answer, "preflight") == [refusal]
    assert not MigrationJob.objects.exists()


@pytest.fixture
def a_warning(demo):
    """p750-b holds LPAR id 10, server1's: the HMC would give it another id (a warning)."""
    Lpar.objects.create(
        frame=demo[1],
        name="vios10",
        lpar_id=10,
        kind="vios",
        proc_units=1,
        virtual_procs=1,
        memory_mb=4096,
    )
    (warning,) = lpm.migration_preflight(lpar=demo[0], destination=demo[1])
    assert warning.severity == Severity.WARNING
    return warning.message


def test_warnings_need_the_confirmation_tick(operator_client, demo, a_warning):
    server1, p750b = demo
    page = text(operator_client.get(NEW, {"lpar": server1.pk}))
    assert "can move with warnings" in page and "LPAR id 10 is taken on p750-b" in page

    answer = operator_client.post(SUBMIT, wizard_data(server1, p750b))
    assert field_errors(answer, "confirm_warnings") == [
        a_warning,
        "Confirm these warnings to go ahead.",
    ]
    assert not MigrationJob.objects.exists()

    answer = operator_client.post(SUBMIT, wizard_data(server1, p750b, confirm_warnings="on"))
    job = MigrationJob.objects.get()
    assert job.confirm_warnings is True
    assert job.dest_lpar_id is None  # the HMC picks the id, as the warning says
    assert answer.status_code == 302


def test_a_second_request_names_and_links_the_existing_job(operator_client, demo):
    server1, p750b = demo
    first = lpm.migration_create(lpar=server1, destination=p750b)

    answer = operator_client.post(SUBMIT, wizard_data(server1, p750b))
    conflict = text(answer).split('data-testid="conflict">')[1].split("</div>")[0]
    assert f"server1 already has migration #{first.pk} (pending)" in conflict
    link = reverse("migrations_app:migration-detail", args=[first.pk])
    assert f'href="{link}"' in conflict
    assert MigrationJob.objects.count() == 1


def test_the_job_page_polls_while_active_and_stops_once_finished(operator_client, demo):
    server1, p750b = demo
    job = lpm.migration_create(lpar=server1, destination=p750b)
    live = reverse("migrations_app:migration-live", args=[job.pk])

    page = text(operator_client.get(reverse("migrations_app:migration-detail", args=[job.pk])))
    assert f'hx-get="{live}" hx-trigger="every 2s"' in page
    assert "Migration of server1 from p750-a to p750-b requested by the system." in page

    MigrationJob.objects.filter(pk=job.pk).update(
        state=S.MIGRATING,
        progress=40,
        step="Migrating: 40 %",
        bytes_transmitted=600 * 2**20,
        bytes_remaining=400 * 2**20,
    )
    partial = text(operator_client.get(live))
    assert "hx-trigger" in partial and 'aria-valuenow="40"' in partial
    assert "Migrating: 40 %" in partial and "<html" not in partial
    assert "600.0\xa0MB sent, 400.0\xa0MB to go." in partial

    # The HMC's last report counted bytes still to go; a completed migration has none.
    MigrationJob.objects.filter(pk=job.pk).update(state=S.COMPLETED, progress=100)
    partial = text(operator_client.get(live))
    assert "hx-trigger" not in partial and "hx-get" not in partial
    assert 'aria-valuenow="100"' in partial and "Completed" in partial
    assert "600.0\xa0MB sent." in partial and "to go" not in partial


def test_the_job_page_says_worker_lost_within_seconds_of_the_last_heartbeat(
    operator_client, demo, settings
):
    settings.LPM_MIGRATION_POLL_SECONDS = 2.0
    server1, p750b = demo
    job = lpm.migration_create(lpar=server1, destination=p750b)
    live = reverse("migrations_app:migration-live", args=[job.pk])
    now = timezone.now()
    MigrationJob.objects.filter(pk=job.pk).update(
        state=S.MIGRATING, progress=40, migrate_sent=now, heartbeat=now - timedelta(seconds=2)
    )
    partial = text(operator_client.get(live))
    assert "Worker lost" not in partial and "progress-bar-animated" in partial

    MigrationJob.objects.filter(pk=job.pk).update(heartbeat=now - timedelta(seconds=9))
    partial = text(operator_client.get(live))
    assert "Worker lost; taking over." in partial
    assert "Its worker has not reported for 9 s." in partial
    assert "progress-bar-animated" not in partial and "hx-trigger" in partial

    MigrationJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now())
    assert "Worker lost" not in text(operator_client.get(live))


def test_the_log_shows_hscl_codes_and_the_raw_output(operator_client, demo):
    server1, p750b = demo
    job = lpm.migration_create(lpar=server1, destination=p750b)
    lpm.job_event(
        job,
        "Validation refused.",
        level="error",
        codes=["HSCLA319"],
        command="migrlpar -o v -m p750-a",
        output="HSCLA319 The WWPN is not zoned",
    )
    partial = text(operator_client.get(reverse("migrations_app:migration-live", args=[job.pk])))
    assert '<td class="small">HSCLA319</td>' in partial
    assert "<summary>HMC command and output</summary>" in partial
    assert "HSCLA319 The WWPN is not zoned" in partial


def test_stop_and_recover_are_offered_only_where_allowed(operator_client, demo):
    server1, p750b = demo
    job = lpm.migration_create(lpar=server1, destination=p750b)
    detail = reverse("migrations_app:migration-detail", args=[job.pk])
    stop = reverse("migrations_app:migration-stop", args=[job.pk])
    recover = reverse("migrations_app:migration-recover", args=[job.pk])

    page = text(operator_client.get(detail))
    assert f'action="{stop}"' in page and f'action="{recover}"' not in page

    answer = operator_client.post(stop, follow=True)
    assert f"Migration #{job.pk} of server1 is now stopped." in text(answer)
    page = text(answer)
    assert f'action="{stop}"' not in page and f'action="{recover}"' in page

    answer = operator_client.post(recover, {"force": "on"}, follow=True)
    job.refresh_from_db()
    assert job.state == S.RECOVERING and job.recover_force is True
    assert "Recovery with --force requested by olga." in text(answer)


def test_a_validated_job_waits_for_migrate_now(operator_client, demo):
    server1, p750b = demo
    job = lpm.migration_create(lpar=server1, destination=p750b, validate_only=True)
    MigrationJob.objects.filter(pk=job.pk).update(state=S.VALIDATED)
    start = reverse("migrations_app:migration-start", args=[job.pk])
    page = text(operator_client.get(reverse("migrations_app:migration-detail", args=[job.pk])))
    assert f'action="{start}"' in page and "Migrate now" in page
    assert "hx-trigger" not in page  # nothing changes until someone clicks

    answer = operator_client.post(start, follow=True)
    job.refresh_from_db()
    assert job.state == S.QUEUED and not job.validate_only
    assert "Started by olga." in text(answer)


def test_a_refused_verb_is_a_message_not_an_error_page(operator_client, demo):
    server1, p750b = demo
    job = lpm.migration_create(lpar=server1, destination=p750b)
    recover = reverse("migrations_app:migration-recover", args=[job.pk])
    answer = operator_client.post(recover, follow=True)
    assert answer.status_code == 200
    assert "Only a failed or stopped migration can be recovered" in text(answer)
    job.refresh_from_db()
    assert job.state == S.PENDING


def test_a_running_migration_is_recovered_only_with_force(operator_client, demo):
    server1, p750b = demo
    job = lpm.migration_create(lpar=server1, destination=p750b)
    MigrationJob.objects.filter(pk=job.pk).update(
        state=S.MIGRATING, migrate_sent="2026-01-01T00:00Z"
    )
    page = text(operator_client.get(reverse("migrations_app:migration-detail", args=[job.pk])))
    assert "(required: the HMC may still be running it)" in page


def test_the_list_filters_by_state_and_shows_the_running_bars(operator_client, demo):
    server1, p750b = demo
    server2 = Lpar.objects.get(name="server2")
    running = lpm.migration_create(lpar=server1, destination=p750b)
    MigrationJob.objects.filter(pk=running.pk).update(state=S.MIGRATING, progress=35)
    stopped = lpm.migration_stop(job=lpm.migration_create(lpar=server2, destination=p750b))

    page = operator_client.get(reverse("migrations_app:index"), {"state": "stopped"})
    assert [job.pk for job in page.context["table"].page.object_list.data] == [stopped.pk]
    body = text(page)
    assert f'data-testid="progress-{running.pk}"' in body  # the running panel
    assert 'aria-valuenow="35"' in body

    panel = text(operator_client.get(reverse("migrations_app:migration-running")))
    assert f"#{running.pk} server1" in panel and "server2" not in panel
    assert 'hx-trigger="every 2s"' in panel


def test_the_list_keeps_the_filters_a_link_gives_by_id(operator_client, demo):
    """The API's id filters (the same FilterSet) work on the page too, kept by Apply."""
    server1, p750b = demo
    server2 = Lpar.objects.get(name="server2")
    for lpar in (server1, server2):
        lpm.migration_create(lpar=lpar, destination=p750b)
    page = operator_client.get(reverse("migrations_app:index"), {"lpar": server2.pk})
    assert [r.record.lpar_name for r in page.context["table"].page.object_list] == ["server2"]
    assert f'<input type="hidden" name="lpar" value="{server2.pk}"' in text(page)
    wrong = operator_client.get(reverse("migrations_app:index"), {"state__in": "pending,nonsense"})
    assert field_errors(wrong, "state__in")[0].startswith("State (any of, comma-separated): ")


def test_the_list_is_paginated(operator_client, demo):
    server1, p750b = demo
    for _ in range(30):
        lpm.migration_stop(job=lpm.migration_create(lpar=server1, destination=p750b))
    page = operator_client.get(reverse("migrations_app:index"))
    assert len(page.context["table"].page.object_list) == 25
    second = operator_client.get(reverse("migrations_app:index"), {"page": 2})
    assert len(second.context["table"].page.object_list) == 5


def test_the_batch_page_shows_each_job_and_the_whole(operator_client, demo):
    server1, p750b = demo
    server2 = Lpar.objects.get(name="server2")
    batch = lpm.batch_create(
        items=[{"lpar": lpar, "destination_frame": p750b} for lpar in (server1, server2)],
        name="Evacuate p750-a",
    )
    first = batch.jobs.get(lpar=server1)
    MigrationJob.objects.filter(pk=first.pk).update(state=S.COMPLETED, progress=100)
    page = text(operator_client.get(reverse("migrations_app:batch-detail", args=[batch.pk])))
    assert "Evacuate p750-a" in page and "server1" in page and "server2" in page
    assert "Completed: 1" in page and "Pending: 1" in page
    assert 'aria-label="Progress of the batch" aria-valuenow="50"' in page
    assert "hx-trigger" in page
    listed = text(operator_client.get(reverse("migrations_app:batch-list")))
    assert "Evacuate p750-a" in listed


def test_a_viewer_sees_the_migrations_but_cannot_act(client, viewer, demo):
    server1, p750b = demo
    job = lpm.migration_create(lpar=server1, destination=p750b)
    client.force_login(viewer)
    assert client.get(reverse("migrations_app:index")).status_code == 200
    page = text(client.get(reverse("migrations_app:migration-detail", args=[job.pk])))
    assert "Event log" in page and 'data-testid="actions"' not in page
    assert ">Migrate</a>" not in text(client.get(server1.get_absolute_url()))
    assert client.get(NEW, {"lpar": server1.pk}).status_code == 403
    assert client.post(SUBMIT, wizard_data(server1, p750b)).status_code == 403
    for verb in ("stop", "recover", "start"):
        url = reverse(f"migrations_app:migration-{verb}", args=[job.pk])
        assert client.post(url).status_code == 403
    job.refresh_from_db()
    assert job.state == S.PENDING and MigrationJob.objects.count() == 1


def test_the_dangerous_actions_take_post_only(operator_client, demo):
    server1, p750b = demo
    job = lpm.migration_create(lpar=server1, destination=p750b)
    assert (
        operator_client.get(reverse("migrations_app:migration-stop", args=[job.pk])).status_code
        == 405
    )
    assert operator_client.get(SUBMIT).status_code == 405


@pytest.fixture
def broker_down():
    with broker_unreachable():
        yield


@pytest.mark.django_db(transaction=True)
def test_the_broker_down_saves_the_job_pending_and_says_so(client, broker_down):
    demo_estate_restore()
    server1, p750b = Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")
    login(client, user_create("olga", role="Operator"))
    answer = client.post(SUBMIT, wizard_data(server1, p750b), follow=True)
    job = MigrationJob.objects.get()
    assert job.state == S.PENDING
    body = text(answer)
    assert f"Migration #{job.pk} is saved as pending." in body
    assert "The broker is unreachable (OperationalError)" in body
    assert "starts when the broker is back" in body
