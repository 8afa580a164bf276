"""Admitting migrations: contention on one destination frame, big batches, an evacuation run.

Contention: 32 different LPARs submitted to one destination frame from 16 threads at once (each
its own database connection; the frame's row lock makes them wait in turn), beside the same 32
submitted one after another from one thread in the same run: admitted per second, within 1.5×
the sequential time. Batches: 200 jobs submitted as one batch (under 2 s) and the evacuation run
of a 128-LPAR frame, each beside the floor of the same work, inserting the same job and log rows
in bulk; and the queries per job, flat as the batch grows (at most 8 more per job). The same
200 jobs above BATCH_ADMIT_INLINE_MAX: the request that saves the batch and its admission job
(under 0.5 s), and the worker's admission of them, run here in this process (as fast as inline:
under 2 s and within 10× of the bulk insert). Every submission is dispatched to a queue of its
own, removed afterwards.
"""

import statistics
import threading
import time
import uuid
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext, override_settings

from bench.common import Result, Unavailable
from inventory.choices import LparKind, LparState, VirtualAdapterRole
from inventory.models import Frame, Lpar, VirtualAdapter, Vlan
from inventory.seeding import estate_seed
from lpmplanner.celery import app as celery_app
from migrations_app.lpm.services import (
    batch_admission_run,
    batch_create,
    batch_submit,
    evacuation_plan_run,
    migration_create,
)
from migrations_app.models import BatchAdmission, MigrationBatch, MigrationEvent, MigrationJob
from planning.evacuation import evacuation_plan_create

THREADS = 16
CONTENDED = 32
ROUNDS = 3
CONTENTION_MAX_RATIO = 1.5
BATCH = 200
BATCH_MAX_SECONDS = 2.0
# The request of a batch above BATCH_ADMIT_INLINE_MAX saves two rows and the items it asked for.
SUBMIT_MAX_SECONDS = 0.5
EVACUATED = 128
EVACUATION_MAX_SECONDS = 2.0
# Over inserting the same rows in bulk: admission reads the facts once and judges each job in
# memory; the floor only writes. Measured 3.6–5.2 on a loaded 2-core machine.
BATCH_MAX_RATIO = 10
QUERIES_PER_JOB_MAX = 8


def _estate() -> tuple[list[Frame], list[Frame], Frame]:
    """Two source frames of 100 clients, a frame of 128 to evacuate, four empty destinations
    with room for all of them: one HMC, one memory region size, every VLAN bridged everywhere,
    Running AIX clients in the default compatibility mode."""
    first = (Frame.objects.aggregate(top=Max("pk"))["top"]) or 0
    estate_seed(frames=2, lpars_per_frame=BATCH // 2, seed=21)
    estate_seed(frames=1, lpars_per_frame=EVACUATED, seed=22)
    estate_seed(frames=4, lpars_per_frame=0, seed=23)
    frames = list(Frame.objects.filter(pk__gt=first).order_by("pk"))
    Frame.objects.filter(pk__in=[f.pk for f in frames]).update(
        hmc=frames[0].hmc, memory_region_mb=256, max_active_migrations=8
    )
    Frame.objects.filter(pk__in=[f.pk for f in frames[3:]]).update(
        proc_units=Decimal(1024), memory_mb=64 * 1024 * 1024
    )
    clients = Lpar.objects.filter(frame__in=frames).exclude(kind=LparKind.VIOS)
    clients.update(kind=LparKind.AIX, state=LparState.RUNNING, compat_mode="default")
    vlans = list(Vlan.objects.all())
    for trunk in VirtualAdapter.objects.filter(
        lpar__frame__in=frames, role=VirtualAdapterRole.TRUNK
    ):
        trunk.vlans.set([v for v in vlans if v.vlan_id != trunk.pvid_id])
    frames = list(Frame.objects.filter(pk__in=[f.pk for f in frames]).order_by("pk"))
    return frames[:2], frames[3:], frames[2]


def _clients(frame: Frame) -> list[Lpar]:
    return list(frame.lpars.exclude(kind=LparKind.VIOS).order_by("lpar_id"))


def _forget(jobs) -> None:
    """Remove the jobs (and their batches): the estate is as before they were admitted."""
    batches = set(jobs.exclude(batch=None).values_list("batch", flat=True))
    jobs.delete()
    MigrationBatch.objects.filter(pk__in=batches).delete()


def _sequential(lpars: list[Lpar], destination: Frame) -> float:
    start = time.perf_counter()
    for lpar in lpars:
        migration_create(lpar=lpar, destination=destination, confirm_warnings=True)
    return time.perf_counter() - start


def _concurrent(lpars: list[Lpar], destination: Frame) -> tuple[float, list[str]]:
    barrier = threading.Barrier(THREADS + 1)
    problems: list[str] = []
    shares = [lpars[i::THREADS] for i in range(THREADS)]

    def submit(share: list[Lpar]) -> None:
        try:
            barrier.wait()
            for lpar in share:
                migration_create(lpar=lpar, destination=destination, confirm_warnings=True)
        except Exception as error:
            problems.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, problems


def _duplicated_claims(destination: Frame) -> int:
    jobs = MigrationJob.objects.filter(destination_frame=destination)
    claims = [(m["vios"], m["vios_slot"]) for job in jobs for m in job.storage_mappings]
    return len(claims) - len(set(claims))


def _contention(sources: list[Frame], destination: Frame) -> list:
    lpars = (_clients(sources[0])[: CONTENDED // 2]) + (_clients(sources[1])[: CONTENDED // 2])
    jobs = MigrationJob.objects.filter(lpar__in=lpars)
    sequential, concurrent, problems = [], [], []
    for _ in range(ROUNDS):
        sequential.append(_sequential(lpars, destination))
        _forget(jobs)
        seconds, failed = _concurrent(lpars, destination)
        concurrent.append(seconds)
        problems += failed
        if jobs.count() != len(lpars):
            problems.append(f"{jobs.count()} of {len(lpars)} admitted under contention")
        if _duplicated_claims(destination):
            problems.append(f"{_duplicated_claims(destination)} VIOS slots claimed twice")
        _forget(jobs)
    sequential_s, concurrent_s = statistics.median(sequential), statistics.median(concurrent)
    print(
        f"  {len(lpars)} admissions to one frame: {len(lpars) / concurrent_s:.0f}/s from "
        f"{THREADS} threads, {len(lpars) / sequential_s:.0f}/s one after another"
    )
    results: list = [
        Result(
            f"{len(lpars)} admissions to one frame from {THREADS} threads",
            concurrent_s,
            "the same one after another",
            sequential_s,
            max_ratio=CONTENTION_MAX_RATIO,
        )
    ]
    results += [Unavailable("admission under contention", p, ok=False) for p in problems[:5]]
    return results


def _bulk_floor(batch: MigrationBatch) -> float:
    """Insert copies of the batch's job and log rows in bulk, rolled back: the writes alone."""
    jobs = list(batch.jobs.all())
    events = list(MigrationEvent.objects.filter(job__batch=batch))
    originals = [job.pk for job in jobs]
    for job in jobs:
        job.pk, job.state = None, MigrationJob.State.COMPLETED  # outside the one-active rule
    start = time.perf_counter()
    with transaction.atomic():
        copy = MigrationBatch.objects.create(name="floor")
        for job in jobs:
            job.batch = copy
        copies = dict(zip(originals, MigrationJob.objects.bulk_create(jobs), strict=True))
        for event in events:
            event.pk, event.job = None, copies[event.job_id]
        MigrationEvent.objects.bulk_create(events)
        seconds = time.perf_counter() - start
        transaction.set_rollback(True)
    return seconds


def _batch(items: list[dict]) -> tuple[float, MigrationBatch, int]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        batch = batch_create(items=items, name="bench", confirm_warnings=True)
        seconds = time.perf_counter() - start
    return seconds, batch, len(queries)


def _batches(sources: list[Frame], destinations: list[Frame]) -> list:
    lpars = _clients(sources[0]) + _clients(sources[1])
    items = [
        {"lpar": lpar, "destination_frame": destinations[i % len(destinations)]}
        for i, lpar in enumerate(lpars[:BATCH])
    ]
    jobs = MigrationJob.objects.filter(lpar__in=lpars)
    counts = {}
    for size in (BATCH // 4, BATCH // 2):
        _, _, counts[size] = _batch(items[:size])
        _forget(jobs)
    seconds, batch, counts[BATCH] = _batch(items)
    floor = _bulk_floor(batch)
    _forget(jobs)
    half, full = BATCH // 2, BATCH
    per_job = (counts[full] - counts[half]) / (full - half)
    print(
        f"  queries: {', '.join(f'{n} jobs {q}' for n, q in counts.items())}; "
        f"{per_job:.1f} per job more"
    )
    results: list = [
        Result(
            f"a batch of {BATCH} jobs",
            seconds,
            "inserting its rows in bulk",
            floor,
            max_ratio=BATCH_MAX_RATIO,
            max_seconds=BATCH_MAX_SECONDS,
        )
    ]
    results += _batch_by_worker(items)
    if per_job > QUERIES_PER_JOB_MAX:
        results.append(
            Unavailable(
                f"a batch of {BATCH} jobs",
                f"{per_job:.1f} queries per job (target <= {QUERIES_PER_JOB_MAX})",
                ok=False,
            )
        )
    return results


def _batch_by_worker(items: list[dict]) -> list:
    """The same batch above the threshold: the request, then the worker's admission (its
    service, called here as the task calls it)."""
    with override_settings(BATCH_ADMIT_INLINE_MAX=len(items) - 1):
        start = time.perf_counter()
        batch = batch_submit(items=items, name="bench", confirm_warnings=True)
        submit = time.perf_counter() - start
    job = BatchAdmission.objects.get(batch=batch)
    start = time.perf_counter()
    job = batch_admission_run(job=job, worker="bench")
    admit = time.perf_counter() - start
    admitted = batch.jobs.count()
    floor = _bulk_floor(batch)
    _forget(MigrationJob.objects.filter(batch=batch))
    results: list = [
        Result(
            f"a batch of {len(items)} jobs above the threshold: the request",
            submit,
            "inserting its rows in bulk",
            floor,
            max_ratio=float("inf"),
            max_seconds=SUBMIT_MAX_SECONDS,
        ),
        Result(
            f"a batch of {len(items)} jobs above the threshold: the worker's admission",
            admit,
            "inserting its rows in bulk",
            floor,
            max_ratio=BATCH_MAX_RATIO,
            max_seconds=BATCH_MAX_SECONDS,
        ),
    ]
    if job.state != "succeeded" or admitted != len(items):
        results.append(
            Unavailable("admission by a worker", f"{job.state}: {job.message}", ok=False)
        )
    return results


def _evacuation(frame: Frame, destinations: list[Frame]) -> list:
    plan = evacuation_plan_create(frame=frame, destinations=destinations)
    placed = plan.placements.exclude(destination=None).count()
    with override_settings(BATCH_ADMIT_INLINE_MAX=EVACUATED):  # admitted in the request
        start = time.perf_counter()
        batch = evacuation_plan_run(plan=plan, confirm_warnings=True)
        seconds = time.perf_counter() - start
    admitted = batch.jobs.count()
    floor = _bulk_floor(batch)
    _forget(MigrationJob.objects.filter(batch=batch))
    results: list = [
        Result(
            f"the evacuation run of a {EVACUATED}-LPAR frame",
            seconds,
            "inserting its rows in bulk",
            floor,
            max_ratio=BATCH_MAX_RATIO,
            max_seconds=EVACUATION_MAX_SECONDS,
        )
    ]
    if admitted != EVACUATED or placed != EVACUATED:
        results.append(
            Unavailable(
                "evacuation run", f"{placed} placed, {admitted} admitted of {EVACUATED}", ok=False
            )
        )
    return results


def run() -> list:
    queue = f"bench-admission-{uuid.uuid4().hex[:8]}"
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue  # nothing consumes it: purged below
    sources, destinations, evacuated = _estate()
    try:
        return [
            *_contention(sources, destinations[0]),
            *_batches(sources, destinations),
            *_evacuation(evacuated, destinations),
        ]
    finally:
        celery_app.conf.task_default_queue = previous_queue
        try:
            with celery_app.connection_for_write() as broker:
                broker.default_channel.queue_delete(queue)
        except Exception as error:  # the broker's own limits; the queue is named for this run
            print(f"  could not remove queue {queue}: {error}")
