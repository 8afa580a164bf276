"""Admission under concurrent requests, threads with their own connections submitting at once:
the same LPAR (the database's one-active-job rule decides, not the check before the insert), and
different LPARs to one destination frame (its row lock serialises admission: no VIOS slot
claimed twice, no capacity promised twice, every refusal naming its rule)."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum

from inventory.choices import LparKind, LparState, ProcMode, VirtualAdapterRole
from inventory.models import Frame, Lpar, VirtualAdapter, Vlan
from inventory.seeding import estate_seed
from lpmplanner.exceptions import Conflict
from migrations_app.lpm import services
from migrations_app.models import BatchAdmission, MigrationBatch, MigrationJob
from tests.demo_estate import demo_estate_restore

pytestmark = pytest.mark.django_db(transaction=True)
CALLERS = 6


def no_broker(monkeypatch) -> None:
    """Jobs stay as admitted: nothing is sent to a broker (a worker another test module started
    would otherwise run them, and a failed job frees its LPAR for the next caller)."""
    monkeypatch.setattr(services, "migration_dispatch", lambda **_: True)
    monkeypatch.setattr(services, "migrations_dispatch", lambda **_: {})


def test_concurrent_submits_create_one_job_and_name_it_to_the_others(monkeypatch):
    demo_estate_restore()
    server1, p750b = Lpar.objects.get(name="server1"), Frame.objects.get(name="p750-b")
    no_broker(monkeypatch)
    barrier = threading.Barrier(CALLERS)
    created, conflicts, errors = [], [], []

    def submit() -> None:
        try:
            barrier.wait()
            created.append(services.migration_create(lpar=server1, destination=p750b).pk)
        except Conflict as conflict:
            conflicts.append(str(conflict))
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(created) == 1 and len(conflicts) == CALLERS - 1
    assert MigrationJob.objects.filter(lpar=server1).count() == 1
    assert all(f"migration #{created[0]} " in message for message in conflicts)


# Admission under contention: different LPARs, one destination frame ---------------------------

LPAR_MB = 4096
ROOM_FOR = 3  # LPARs of LPAR_MB the destination has memory for


def contended_estate(*, per_frame: int, room_for: int) -> tuple[list[Lpar], Frame]:
    """Two source frames of `per_frame` clients each (Running AIX, 0.5 units, 4 GB, same slot
    numbers on their VIOS, so that two of them propose the same destination VIOS slot) and a
    destination frame with memory for `room_for` of them and processor units to spare."""
    estate_seed(frames=3, lpars_per_frame=per_frame, seed=5)
    *sources, destination = Frame.objects.order_by("pk")
    Frame.objects.update(hmc=destination.hmc, memory_region_mb=256)
    clients = Lpar.objects.exclude(kind=LparKind.VIOS)
    clients.update(
        kind=LparKind.AIX,
        state=LparState.RUNNING,
        compat_mode="default",
        proc_mode=ProcMode.SHARED,
        proc_units=Decimal("0.5"),
        virtual_procs=1,
        memory_mb=LPAR_MB,
    )
    for trunk in VirtualAdapter.objects.filter(role=VirtualAdapterRole.TRUNK):
        trunk.vlans.set(Vlan.objects.exclude(vlan_id=trunk.pvid_id))
    used = destination.lpars.aggregate(units=Sum("proc_units"), memory=Sum("memory_mb"))
    Frame.objects.filter(pk=destination.pk).update(
        proc_units=used["units"] + 64, memory_mb=used["memory"] + room_for * LPAR_MB + 1000
    )
    movers = list(clients.filter(frame__in=sources).order_by("lpar_id"))
    return movers, Frame.objects.get(pk=destination.pk)


def run_at_once(*actions) -> list:
    """Run each action in a thread of its own (its own database connection), all released at
    once; what each returned or raised, in order."""
    barrier = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = actions[index]()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def assert_not_overcommitted(destination: Frame) -> None:
    """What was admitted to `destination` fits its capacity and claims each VIOS slot once,
    none that a VIOS adapter holds there."""
    jobs = MigrationJob.objects.filter(destination_frame=destination).select_related("lpar")
    claims = [(m["vios"], m["vios_slot"]) for job in jobs for m in job.storage_mappings]
    assert claims and len(claims) == len(set(claims)), "a VIOS slot is claimed twice"
    held = set(VirtualAdapter.objects.filter(lpar__frame=destination).values_list("lpar", "slot"))
    assert not held & set(claims)
    there = destination.lpars.aggregate(units=Sum("proc_units"), memory=Sum("memory_mb"))
    assert there["memory"] + sum(j.lpar.memory_mb for j in jobs) <= destination.memory_mb
    assert there["units"] + sum(j.lpar.proc_units for j in jobs) <= destination.proc_units


def test_concurrent_submits_to_one_frame_admit_what_fits_and_name_the_rule(monkeypatch):
    movers, destination = contended_estate(per_frame=4, room_for=ROOM_FOR)
    no_broker(monkeypatch)

    def submit(lpar: Lpar):
        return lambda: services.migration_create(
            lpar=lpar, destination=destination, confirm_warnings=True
        )

    outcomes = run_at_once(*(submit(lpar) for lpar in movers))

    admitted = [o for o in outcomes if isinstance(o, MigrationJob)]
    refused = [o for o in outcomes if not isinstance(o, MigrationJob)]
    assert len(admitted) == ROOM_FOR  # what one-by-one submissions admit
    assert_not_overcommitted(destination)
    for refusal in refused:
        assert isinstance(refusal, ValidationError), repr(refusal)
        codes = {e.code for e in refusal.error_dict["preflight"]}
        assert codes == {"CAPACITY_MEMORY"}
        assert f"; {destination.name} has 1000 MB free." in refusal.messages[0]


def test_a_batch_racing_single_submits_to_one_frame_never_overcommits_it(monkeypatch):
    movers, destination = contended_estate(per_frame=4, room_for=5)
    no_broker(monkeypatch)
    from_first = [m for m in movers if m.frame_id == movers[0].frame_id]
    from_second = [m for m in movers if m.frame_id != movers[0].frame_id]

    def batch():
        items = [{"lpar": lpar, "destination_frame": destination} for lpar in from_first]
        return services.batch_create(items=items, confirm_warnings=True)

    def single(lpar: Lpar):
        return lambda: services.migration_create(
            lpar=lpar, destination=destination, confirm_warnings=True
        )

    batch_outcome, *singles = run_at_once(batch, *(single(lpar) for lpar in from_second))

    admitted = MigrationJob.objects.filter(destination_frame=destination).count()
    singles_admitted = sum(isinstance(o, MigrationJob) for o in singles)
    if isinstance(batch_outcome, MigrationBatch):  # first, or after one single: all 4 fit
        assert batch_outcome.jobs.count() == 4 and singles_admitted == 1 and admitted == 5
    else:  # all or nothing: refused whole, each refusal by LPAR and rule
        assert isinstance(batch_outcome, ValidationError), repr(batch_outcome)
        assert singles_admitted == 4 and admitted == 4
        assert all(" of memory; " in m for m in batch_outcome.message_dict["jobs"])
    assert_not_overcommitted(destination)
    for refusal in (o for o in singles if not isinstance(o, MigrationJob)):
        assert isinstance(refusal, ValidationError), repr(refusal)
        assert {e.code for e in refusal.error_dict["preflight"]} == {"CAPACITY_MEMORY"}


def test_a_worker_admitting_a_large_batch_racing_single_submits_never_overcommits(
    monkeypatch, settings
):
    """The worker's path for a batch above BATCH_ADMIT_INLINE_MAX takes the same frame locks as
    the request's: racing single submits to the same frame, it is admitted whole or refused
    whole, and the frame is never promised more than it has."""
    movers, destination = contended_estate(per_frame=4, room_for=5)
    no_broker(monkeypatch)
    monkeypatch.setattr(services, "job_enqueue", lambda **_: None)  # the test runs the worker
    settings.BATCH_ADMIT_INLINE_MAX = 1
    from_first = [m for m in movers if m.frame_id == movers[0].frame_id]
    from_second = [m for m in movers if m.frame_id != movers[0].frame_id]
    items = [{"lpar": lpar, "destination_frame": destination} for lpar in from_first]
    batch = services.batch_submit(items=items, confirm_warnings=True)
    admission = BatchAdmission.objects.get(batch=batch)

    def single(lpar: Lpar):
        return lambda: services.migration_create(
            lpar=lpar, destination=destination, confirm_warnings=True
        )

    worker = lambda: services.batch_admission_run(job=admission)  # noqa: E731
    run_at_once(worker, *(single(lpar) for lpar in from_second))

    admission.refresh_from_db()
    admitted = MigrationJob.objects.filter(destination_frame=destination).count()
    in_batch = MigrationJob.objects.filter(batch=batch).count()
    if admission.state == BatchAdmission.State.SUCCEEDED:  # all 4 fit: one single after them
        assert in_batch == 4 and admitted == 5
    else:  # all or nothing: refused whole, each refusal an error line of its log
        assert admission.state == BatchAdmission.State.FAILED, admission.message
        assert in_batch == 0 and admitted == 4
        assert admission.events.filter(level="error").exists()
    assert_not_overcommitted(destination)
