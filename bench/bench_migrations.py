"""Migrations through Redis, a real Celery worker and the HMC simulator over SSH.

Click to `migrlpar -o m` arriving at the simulator: under 2 s median (POST /api/migrations/ to
the simulator receiving the command), beside a Celery round trip (a task sent and its row
written by the worker). Then 50 migrations submitted at once across 5 simulated frames, within
the concurrency limits: no job lost or duplicated, no limit exceeded, and the time to finish
all, counted from the submit, within 10 % of the ideal schedule those limits allow (the same
jobs, in the same order, with no overhead). The API client signs in with a verified second
factor, as Migrate requires.
"""

import heapq
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import asyncssh
from django.conf import settings
from django.db import connection

from bench.common import NotApplicable, Result, Unavailable
from inventory.choices import LparKind, LparState
from inventory.models import Frame, Hmc, Lpar, VirtualAdapter, Vlan
from inventory.seeding import estate_seed
from lpmplanner.celery import app as celery_app
from migrations_app.hmc.ssh import known_hosts_line
from migrations_app.lpm.services import batch_create
from migrations_app.models import MigrationJob, MigrationState, WorkerHeartbeat
from migrations_app.simulator.estate import estate_from_db
from migrations_app.simulator.hmc import SimulatedHmc
from migrations_app.simulator.server import DEFAULT_PASSWORD, SimulatorThread
from migrations_app.tasks import worker_heartbeat
from tests.factories import login

FRAMES = 5
PER_FRAME = 10
MIGRATION_SECONDS = float(os.environ.get("BENCH_MIGRATION_SECONDS", "8"))
CLICKS = 7
CLICK_MAX_SECONDS = 2.0
IDEAL_MAX_RATIO = 1.10
WORKER_THREADS = 16
S = MigrationState


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_start(queue: str, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_QUEUE": queue,
        "LPM_MIGRATION_POLL_SECONDS": "0.5",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "lpmplanner",
        "worker",
        "--pool=threads",
        f"--concurrency={WORKER_THREADS}",
        "--loglevel=WARNING",
        f"--queues={queue}",
        f"--hostname={queue}@bench",
        "--without-mingle",
        "--without-gossip",
        "--without-heartbeat",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while not WorkerHeartbeat.objects.filter(hostname=f"{queue}@bench").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"The worker did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return process


def _estate(hmc: Hmc) -> list[Frame]:
    """Five frames of ten movable clients each, every frame able to take in another frame's
    clients: one HMC, room enough, every VLAN bridged everywhere, compatible modes."""
    first = Frame.objects.count()
    estate_seed(frames=FRAMES, lpars_per_frame=PER_FRAME + 2, seed=11)
    frames = list(Frame.objects.order_by("pk")[first:])
    Frame.objects.filter(pk__in=[f.pk for f in frames]).update(
        hmc=hmc, proc_units=Decimal(256), memory_mb=4 * 1024 * 1024, max_active_migrations=4
    )
    clients = Lpar.objects.filter(frame__in=frames).exclude(kind=LparKind.VIOS)
    clients.update(kind=LparKind.AIX, state=LparState.RUNNING, compat_mode="default")
    vlans = list(Vlan.objects.all())
    for trunk in VirtualAdapter.objects.filter(lpar__frame__in=frames, role="trunk"):
        trunk.vlans.set([v for v in vlans if v.vlan_id != trunk.pvid_id])
    return list(Frame.objects.filter(pk__in=[f.pk for f in frames]).order_by("pk"))


def _ideal_seconds(jobs: list[MigrationJob]) -> float:
    """The finish time of the same jobs in the same order under the same limits, each taking
    exactly the simulator's migration time, with no overhead: first-fit in request order, as
    the queue starts them."""
    msp_limit, hmc_limit = settings.LPM_MSP_MAX_MIGRATIONS, settings.LPM_HMC_MAX_MIGRATIONS
    frame_limit = {j.source_frame_id: j.source_frame.max_active_migrations for j in jobs}
    frame_limit |= {j.destination_frame_id: j.destination_frame.max_active_migrations for j in jobs}
    waiting, running, now, end = list(jobs), [], 0.0, 0.0
    frames, msps, hmcs = Counter(), Counter(), Counter()
    while waiting or running:
        for job in list(waiting):
            keys = (job.source_frame_id, job.destination_frame_id)
            if any(frames[f] >= frame_limit[f] for f in keys):
                continue
            if any(msps[m] >= msp_limit for m in (job.source_msp_id, job.dest_msp_id)):
                continue
            if hmcs[job.hmc_id] >= hmc_limit:
                continue
            waiting.remove(job)
            frames.update(keys)
            msps.update([job.source_msp_id, job.dest_msp_id])
            hmcs[job.hmc_id] += 1
            heapq.heappush(running, (now + MIGRATION_SECONDS, job.pk, job))
        now, _, job = heapq.heappop(running)
        end = now
        frames.subtract([job.source_frame_id, job.destination_frame_id])
        msps.subtract([job.source_msp_id, job.dest_msp_id])
        hmcs[job.hmc_id] -= 1
    return end


def _wait(predicate, timeout: float, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError("gave up waiting")


def _click_to_migrate(client, simulator: SimulatorThread, lpar: Lpar, frames) -> list[float]:
    """POST /api/migrations/ back and forth between two frames; the time from the request to
    the simulator receiving `migrlpar -o m`, each time."""
    samples = []
    for click in range(CLICKS):
        destination = frames[(click + 1) % 2]
        seen = len(simulator.hmc.commands_seen)
        start = time.monotonic()
        answer = client.post(
            "/api/migrations/",
            {"lpar": lpar.pk, "destination_frame": destination.pk, "confirm_warnings": True},
            format="json",
        )
        if answer.status_code != 201:
            raise RuntimeError(f"Migrate was refused: {answer.json()}")

        def migrate_sent(seen: int = seen) -> float | None:
            for index in range(seen, len(simulator.hmc.commands_seen)):
                if simulator.hmc.commands_seen[index].startswith("migrlpar -o m "):
                    return simulator.hmc.command_times[index]
            return None

        samples.append(_wait(migrate_sent, 30) - start)
        job = MigrationJob.objects.get(pk=answer.json()["id"])
        _wait(lambda job=job: MigrationJob.objects.get(pk=job.pk).state == S.COMPLETED, 60)
    return samples


def _celery_round_trip(queue: str) -> float:
    hostname = f"{queue}@bench"

    def beats() -> int:
        return WorkerHeartbeat.objects.get(hostname=hostname).beats

    samples = []
    for _ in range(10):
        before = beats()
        start = time.monotonic()
        worker_heartbeat.delay()
        _wait(lambda before=before: beats() > before, 30, interval=0.005)
        samples.append(time.monotonic() - start)
    return statistics.median(samples)


def _overheads(batch) -> None:
    """Where the time beyond the ideal goes, each job's steps as medians (and the worst): from
    its slot given (started) to `migrlpar -o m` sent (a worker thread takes it, opens its SSH
    session, checks `lslparmigr`), the migration on the HMC (the simulator's time plus the
    command's round trip), from the HMC's end to the job finished (the inventory settled); and
    the first start after the submit (each job validated with `migrlpar -o v` first)."""
    rows = MigrationJob.objects.filter(batch=batch).values_list(
        "started", "migrate_sent", "hmc_ended", "finished"
    )
    steps: dict[str, list[float]] = {"slot to sent": [], "on the HMC": [], "settling": []}
    for started, sent, ended, finished in rows:
        if started is None or sent is None or ended is None or finished is None:
            continue
        steps["slot to sent"].append((sent - started).total_seconds())
        steps["on the HMC"].append((ended - sent).total_seconds())
        steps["settling"].append((finished - ended).total_seconds())
    first = min((r[0] for r in rows if r[0]), default=None)
    parts = [
        f"{name} {statistics.median(values):.2f} s (worst {max(values):.2f})"
        for name, values in steps.items()
        if values
    ]
    if first is not None:
        parts.append(f"first start {(first - batch.created).total_seconds():.2f} s after submit")
    print(f"  per job: {'; '.join(parts)}")


def _fifty(simulator: SimulatorThread, frames: list[Frame], user) -> tuple:
    """Submit 50 migrations as one batch; (seconds to submit, seconds from the batch accepted
    to the last job finished, the ideal schedule's seconds, what went wrong)."""
    items = []
    for index, frame in enumerate(frames):
        destination = frames[(index + 1) % len(frames)]
        clients = frame.lpars.exclude(kind=LparKind.VIOS).order_by("lpar_id")[:PER_FRAME]
        items += [{"lpar": lpar, "destination_frame": destination} for lpar in clients]
    sent_before = len(simulator.hmc.commands_matching("migrlpar", "-o", "m"))
    start = time.monotonic()
    batch = batch_create(items=items, requested_by=user, name="bench", confirm_warnings=True)
    accepted = time.monotonic()
    jobs = list(batch.jobs.select_related("source_frame", "destination_frame").order_by("created"))
    peak = Counter()

    def all_finished() -> bool:
        running = Counter()
        rows = MigrationJob.objects.filter(batch=batch).values_list(
            "state", "source_frame", "destination_frame", "hmc_ended"
        )
        states = Counter()
        for state, source, destination, hmc_ended in rows:
            states[state] += 1
            if state in (S.MIGRATING, S.STOPPING) and hmc_ended is None:
                running.update([source, destination])
        for frame, count in running.items():
            peak[frame] = max(peak[frame], count)
        return states[S.COMPLETED] + states[S.FAILED] + states[S.VALIDATION_FAILED] == len(jobs)

    _wait(all_finished, 600, interval=0.25)
    elapsed, submit = time.monotonic() - accepted, accepted - start
    if os.environ.get("BENCH_DEBUG"):  # each job's timeline, in seconds from the submit

        def at(moment) -> str:
            return f"{(moment - batch.created).total_seconds():.2f}"

        for j in MigrationJob.objects.filter(batch=batch).order_by("started"):
            returned = j.events.get(message="migrlpar -o m finished.").time
            print(
                f"  #{j.pk} {j.source_frame_id}->{j.destination_frame_id} created "
                f"{at(j.created)} started {at(j.started)} sent {at(j.migrate_sent)} "
                f"returned {at(returned)} finished {at(j.finished)}"
            )
    _overheads(batch)
    problems = []
    states = Counter(MigrationJob.objects.filter(batch=batch).values_list("state", flat=True))
    if states[S.COMPLETED] != len(items):
        failed = MigrationJob.objects.filter(batch=batch).exclude(state=S.COMPLETED).first()
        problems.append(f"not all completed: {dict(states)}; e.g. {failed.message}")
    sent = simulator.hmc.commands_matching("migrlpar", "-o", "m")[sent_before:]
    if len(sent) != len(items) or len({line.split(" -p ")[1].split()[0] for line in sent}) != len(
        items
    ):
        problems.append(f"{len(sent)} migrlpar -o m for {len(items)} jobs")
    limits = {f.pk: f.max_active_migrations for f in frames}
    problems += [f"frame {f} ran {n} at once" for f, n in peak.items() if n > limits[f]]
    return submit, elapsed, _ideal_seconds(jobs), problems


def run() -> list:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return [
            NotApplicable(
                "migrations through Redis",
                "needs CELERY_BROKER_URL=redis://…: the embedded filesystem broker polls its "
                "folder once a second, so the 2 s click-to-migrate target would measure the "
                "polling",
            )
        ]
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    key = asyncssh.generate_private_key("ssh-ed25519")
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    log = Path(settings.VAR_DIR) / f"{queue}.log"
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    hmc = Hmc.objects.create(name="bench-mig", host="127.0.0.1", password=DEFAULT_PASSWORD)
    frames = _estate(hmc)
    simulator = SimulatorThread(
        SimulatedHmc(estate_from_db(hmc_name=hmc.name), migration_seconds=MIGRATION_SECONDS),
        host_key=key,
    ).start()
    simulator.hmc.estate.unzoned_wwpns = []
    Hmc.objects.filter(pk=hmc.pk).update(
        ssh_port=simulator.port, host_key=known_hosts_line(simulator.host, simulator.port, key)
    )
    user = get_user_model().objects.create_superuser("bench-operator", password=None)
    client = APIClient()
    login(client, user)  # a verified, fresh second factor: Migrate asks for a step-up
    worker = _worker_start(queue, log)
    try:
        baseline = _celery_round_trip(queue)
        simulator.hmc.migration_seconds = 0.3
        lpar = frames[0].lpars.exclude(kind=LparKind.VIOS).order_by("lpar_id").last()
        clicks = _click_to_migrate(client, simulator, lpar, frames[:2])
        simulator.hmc.migration_seconds = MIGRATION_SECONDS
        submit, elapsed, ideal, problems = _fifty(simulator, frames, user)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        simulator.stop()
        celery_app.conf.task_default_queue = previous_queue
        if not os.environ.get("BENCH_DEBUG"):
            log.unlink(missing_ok=True)
    click = statistics.median(clicks)
    print(
        f"  50 migrations on {FRAMES} frames: submitted in {submit:.1f} s (one batch, all or "
        f"none), then finished in {elapsed:.1f} s; ideal {ideal:.1f} s; ratio "
        f"{elapsed / ideal:.3f} ({(submit + elapsed) / ideal:.3f} with the submit)"
    )
    results = [
        Result(
            "click to migrlpar -o m at the simulator",
            click,
            "Celery task round trip",
            baseline,
            max_ratio=float("inf"),
            max_seconds=CLICK_MAX_SECONDS,
        ),
        Result(
            f"50 migrations across {FRAMES} frames within the limits, submit included",
            submit + elapsed,
            "the ideal schedule of those limits",
            ideal,
            max_ratio=IDEAL_MAX_RATIO,
        ),
    ]
    results += [Unavailable("50 migrations", problem) for problem in problems]
    return results
