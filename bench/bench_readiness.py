"""Readiness runs against five simulated HMCs over SSH, and the readiness page.

A run over 1,000 client LPARs (5 HMCs × 2 frames × 100, each frame evacuated to the other frame
of its HMC) with READINESS_HMC_MAX_VALIDATIONS = 2 and the simulator's validation taking
BENCH_READINESS_VALIDATION_SECONDS (0.5): it must finish within 1.1× the ideal, each HMC's
LPARs validated two at a time back to back with no overhead (the most loaded HMC's
ceil(n / 2) × the validation time). The run is executed as a worker does
(`readiness_run_execute`), in this process. The limit holds: the simulators' command logs never
show more than 2 validations at a time on one HMC. Then the readiness page with 30 runs of
history over those 1,000 LPARs: under 300 ms median, beside its own SQL statements replayed.
"""

import math
import os
import time
from datetime import timedelta

import asyncssh
from django.contrib.auth.models import Group
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from bench.common import Result, Unavailable, page_and_floor
from inventory.choices import LparKind, LparState
from inventory.models import Frame, Hmc, Lpar, VirtualAdapter, Vlan
from inventory.seeding import estate_seed
from lpmplanner.roles import roles_bootstrap
from migrations_app.hmc.ssh import known_hosts_line
from migrations_app.readiness.models import ReadinessResult, ReadinessRun, Verdict
from migrations_app.readiness.runner import readiness_run_execute
from migrations_app.simulator.estate import estate_from_db
from migrations_app.simulator.hmc import SimulatedHmc
from migrations_app.simulator.server import DEFAULT_PASSWORD, SimulatorThread
from tests.factories import login

HMCS = 5
FRAMES_PER_HMC = 2
PER_FRAME = 100
LIMIT = 2
VALIDATION_SECONDS = float(os.environ.get("BENCH_READINESS_VALIDATION_SECONDS", "0.5"))
IDEAL_MAX_RATIO = 1.10
HISTORY_RUNS = 30
PAGE_MAX_SECONDS = 0.3


def _estate() -> list[Hmc]:
    """Five HMCs of two frames each; each frame's evacuation target is the other one; every
    VLAN bridged everywhere and room enough, so that the HMCs have no reason to refuse."""
    first = Frame.objects.count()
    estate_seed(frames=HMCS * FRAMES_PER_HMC, lpars_per_frame=PER_FRAME, seed=7)
    frames = list(Frame.objects.order_by("pk")[first:])
    hmcs = []
    for number in range(HMCS):
        hmc = Hmc.objects.create(
            name=f"bench-ready-{number}", host="127.0.0.1", password=DEFAULT_PASSWORD
        )
        pair = frames[number * FRAMES_PER_HMC : (number + 1) * FRAMES_PER_HMC]
        for index, frame in enumerate(pair):
            frame.hmc = hmc
            frame.evacuation_target = pair[(index + 1) % len(pair)]
            frame.proc_units, frame.memory_mb = 1024, 16 * 1024 * 1024
            frame.save(update_fields=["hmc", "evacuation_target", "proc_units", "memory_mb"])
        hmcs.append(hmc)
    clients = Lpar.objects.filter(frame__in=frames).exclude(kind=LparKind.VIOS)
    clients.update(kind=LparKind.AIX, state=LparState.RUNNING, compat_mode="default")
    vlans = list(Vlan.objects.all())
    for trunk in VirtualAdapter.objects.filter(lpar__frame__in=frames, role="trunk"):
        trunk.vlans.set([v for v in vlans if v.vlan_id != trunk.pvid_id])
    return hmcs


def _simulators(hmcs: list[Hmc]) -> list[SimulatorThread]:
    key = asyncssh.generate_private_key("ssh-ed25519")
    started = []
    for hmc in hmcs:
        simulated = SimulatedHmc(
            estate_from_db(hmc_name=hmc.name), validation_seconds=VALIDATION_SECONDS
        )
        simulated.estate.unzoned_wwpns = []
        running = SimulatorThread(simulated, host_key=key).start()
        Hmc.objects.filter(pk=hmc.pk).update(
            ssh_port=running.port, host_key=known_hosts_line(running.host, running.port, key)
        )
        started.append(running)
    return started


def _most_at_once(simulator: SimulatorThread) -> int:
    starts = [
        at
        for line, at in zip(simulator.hmc.commands_seen, simulator.hmc.command_times, strict=True)
        if line.startswith("migrlpar -o v")
    ]
    window = VALIDATION_SECONDS * 0.95
    return max((sum(1 for o in starts if s - window < o <= s) for s in starts), default=0)


def _history(run: ReadinessRun) -> None:
    """29 more finished runs like `run`, one a night before it, one LPAR in 20 failing."""
    template = list(run.results.all())
    for night in range(1, HISTORY_RUNS):
        when = run.created - timedelta(days=night)
        past = ReadinessRun.objects.create(state="succeeded", created=when, finished=when)
        rows = []
        for index, result in enumerate(template):
            result.pk, result.run, result.checked = None, past, when
            failing = (index + night) % 20 == 0
            result.verdict = Verdict.NOT_READY if failing else Verdict.READY
            result.codes, result.code = (["HSCLFF22"], "HSCLFF22") if failing else ([], "")
            result.failing_since = when if failing else None
            rows.append(result)
        ReadinessResult.objects.bulk_create(rows, batch_size=2000)
    ReadinessRun.objects.filter(pk=run.pk).update(created=timezone.now())


def run() -> list:
    from django.contrib.auth import get_user_model
    from django.test import Client

    hmcs = _estate()
    simulators = _simulators(hmcs)
    try:
        lpars_per_hmc = [
            Lpar.objects.filter(frame__hmc=hmc).exclude(kind=LparKind.VIOS).count() for hmc in hmcs
        ]
        readiness = ReadinessRun.objects.create()
        with override_settings(READINESS_HMC_MAX_VALIDATIONS=LIMIT, READINESS_DETAIL_LEVEL=5):
            start = time.monotonic()
            state = readiness_run_execute(run=readiness, worker="bench")
            elapsed = time.monotonic() - start
        peaks = [_most_at_once(s) for s in simulators]
    finally:
        for simulator in simulators:
            simulator.stop()
    ideal = max(math.ceil(n / LIMIT) for n in lpars_per_hmc) * VALIDATION_SECONDS
    verdicts = dict(readiness.results.values_list("verdict").annotate(n=Count("pk")))
    print(
        f"  readiness run over {sum(lpars_per_hmc)} LPARs on {HMCS} HMCs: {elapsed:.1f} s, "
        f"ideal {ideal:.1f} s; verdicts {verdicts}; most validations at once per HMC "
        f"{peaks}"
    )
    results: list = [
        Result(
            f"readiness run, {sum(lpars_per_hmc)} LPARs on {HMCS} HMCs, {LIMIT} at a time each",
            elapsed,
            "the ideal schedule of that limit",
            ideal,
            max_ratio=IDEAL_MAX_RATIO,
        )
    ]
    if state != ReadinessRun.State.SUCCEEDED:
        results.append(Unavailable("readiness run", f"ended {state}"))
    if readiness.results.count() != sum(lpars_per_hmc):
        results.append(Unavailable("readiness run", "not every LPAR has a result"))
    if max(peaks) > LIMIT:
        results.append(Unavailable("readiness limit", f"{max(peaks)} validations at once"))
    _history(readiness)
    roles_bootstrap()
    user = get_user_model().objects.create_user("bench-viewer", password=None)
    user.groups.add(Group.objects.get(name="Viewer"))
    client = Client()
    login(client, user)
    page, floor, statements = page_and_floor(client, "/readiness/", repeat=15)
    print(f"  readiness page with {HISTORY_RUNS} runs of history: {statements} statements")
    results.append(
        Result(
            f"readiness page, {HISTORY_RUNS} runs × {sum(lpars_per_hmc)} LPARs of history",
            page,
            f"its {statements} statements replayed",
            floor,
            max_ratio=float("inf"),
            max_seconds=PAGE_MAX_SECONDS,
        )
    )
    return results
