"""Admitting a batch reads what it judges once and judges each job in memory: the queries stay
flat however big the batch (its rows are written in bulk, and a worker sends its jobs to the
workers from one message), and each job sees what the jobs before it took."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.choices import LparKind, LparState, VirtualAdapterRole
from inventory.models import Frame, Lpar, VirtualAdapter, Vlan
from inventory.seeding import estate_seed
from migrations_app.lpm import services
from migrations_app.models import MigrationBatch, MigrationJob
from migrations_app.tasks import migration_job_task, migrations_send_task
from tests.demo_estate import demo_estate_restore

pytestmark = pytest.mark.django_db
QUERIES_PER_JOB = 1  # the rows are written in bulk: what grows is the read of its facts


@pytest.fixture
def movable(db) -> tuple[list[Lpar], list[Frame]]:
    """100 clients on two frames that can all move to two empty frames with room for all."""
    estate_seed(frames=2, lpars_per_frame=50, seed=3)
    estate_seed(frames=2, lpars_per_frame=0, seed=4)
    frames = list(Frame.objects.order_by("pk"))
    Frame.objects.update(hmc=frames[0].hmc, memory_region_mb=256)
    Frame.objects.filter(pk__in=[f.pk for f in frames[2:]]).update(
        proc_units=Decimal(512), memory_mb=16 * 1024 * 1024
    )
    clients = Lpar.objects.exclude(kind=LparKind.VIOS)
    clients.update(kind=LparKind.AIX, state=LparState.RUNNING, compat_mode="default")
    for trunk in VirtualAdapter.objects.filter(role=VirtualAdapterRole.TRUNK):
        trunk.vlans.set(Vlan.objects.exclude(vlan_id=trunk.pvid_id))
    return list(clients.order_by("frame", "lpar_id")), list(Frame.objects.order_by("pk")[2:])


def test_a_batch_costs_a_few_queries_per_job_however_big(
    movable, monkeypatch, django_capture_on_commit_callbacks
):
    lpars, destinations = movable
    sent, fanned_out = [], []
    monkeypatch.setattr(migration_job_task, "apply_async", lambda **task: sent.append(task))

    def fan_out(*, args, **_) -> None:  # what the worker that takes the message does
        fanned_out.append(args[0])
        services.migrations_send(job_ids=args[0])

    monkeypatch.setattr(migrations_send_task, "apply_async", fan_out)

    def queries(size: int) -> int:
        items = [
            {"lpar": lpar, "destination_frame": destinations[i % 2]}
            for i, lpar in enumerate(lpars[:size])
        ]
        with (
            CaptureQueriesContext(connection) as captured,
            django_capture_on_commit_callbacks(execute=True),
        ):
            batch = services.batch_create(items=items, confirm_warnings=True)
        jobs = sorted(batch.jobs.values_list("pk", flat=True))
        assert fanned_out == [jobs]  # one message from the request
        assert sorted(int(task["task_id"]) for task in sent) == jobs  # a task each, its id
        assert set(batch.jobs.values_list("dispatches", flat=True)) == {1}
        MigrationJob.objects.all().delete()
        MigrationBatch.objects.all().delete()
        sent.clear()
        fanned_out.clear()
        return len(captured)

    fifty, hundred = queries(50), queries(100)

    assert hundred - fifty <= 50 * QUERIES_PER_JOB, (fifty, hundred)


def test_each_job_of_a_batch_sees_what_the_jobs_before_it_took(movable):
    lpars, destinations = movable
    destination = destinations[0]
    vioses = sum(vios.memory_mb for vios in destination.lpars.all())
    room = sum(lpar.memory_mb for lpar in lpars[:3])  # for the first three
    Frame.objects.filter(pk=destination.pk).update(memory_mb=vioses + room)
    items = [{"lpar": lpar, "destination_frame": destination} for lpar in lpars[:4]]

    with pytest.raises(ValidationError) as refused:
        services.batch_create(items=items, confirm_warnings=True)

    fourth = lpars[3]
    assert refused.value.message_dict["jobs"] == [
        f"4. {fourth.name} → {destination.name}: {fourth.name} needs "
        f"{fourth.memory_mb // 1024} GB of memory; {destination.name} has 0 GB free."
    ]
    assert not MigrationJob.objects.exists()  # all or nothing

    services.batch_create(items=items[:3], confirm_warnings=True)
    claims = [
        (m["vios"], m["vios_slot"])
        for job in MigrationJob.objects.all()
        for m in job.storage_mappings
    ]
    assert len(claims) == len(set(claims)) > 0


def test_starting_a_validated_migration_admits_it_again(db):
    demo_estate_restore()
    server1, server2 = Lpar.objects.get(name="server1"), Lpar.objects.get(name="server2")
    p750b = Frame.objects.get(name="p750-b")
    used = sum(lpar.memory_mb for lpar in p750b.lpars.all())
    room = max(server1.memory_mb, server2.memory_mb)  # for one of the two
    Frame.objects.filter(pk=p750b.pk).update(memory_mb=used + room)
    validated = services.migration_create(lpar=server1, destination=p750b, validate_only=True)
    MigrationJob.objects.filter(pk=validated.pk).update(state=MigrationJob.State.VALIDATED)
    services.migration_create(lpar=server2, destination=p750b)  # a validated job holds nothing

    with pytest.raises(ValidationError) as refused:
        services.migration_start(job=MigrationJob.objects.get(pk=validated.pk))

    assert [e.code for e in refused.value.error_dict["preflight"]] == ["CAPACITY_MEMORY"]
    assert MigrationJob.objects.get(pk=validated.pk).state == MigrationJob.State.VALIDATED
