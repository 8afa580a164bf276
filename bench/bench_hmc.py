"""HMC discovery and command round trips against the simulator over real SSH.

Discovery of a simulated HMC with 20 frames and 1,000 LPARs into an empty inventory must take
under 60 s; one command round trip once connected under 50 ms median, next to a bare SSH round
trip (a session that runs nothing the HMC knows) on the same connection.
"""

import contextlib
import os
import time

import asyncssh
from django.db import transaction

from bench.common import Result, median_seconds
from inventory.models import Frame, Hmc
from inventory.seeding import estate_seed
from migrations_app.hmc.commands import Command, lssyscfg_lpar
from migrations_app.hmc.errors import HmcError
from migrations_app.hmc.ssh import SshTransport, known_hosts_line
from migrations_app.models import HmcSync
from migrations_app.services import hmc_sync_run
from migrations_app.simulator.estate import estate_from_db
from migrations_app.simulator.hmc import SimulatedHmc
from migrations_app.simulator.server import DEFAULT_PASSWORD, SimulatorThread

FRAMES = int(os.environ.get("BENCH_HMC_FRAMES", "20"))
LPARS_PER_FRAME = int(os.environ.get("BENCH_HMC_LPARS_PER_FRAME", "50"))
DISCOVERY_MAX_SECONDS = 60.0
ROUND_TRIP_MAX_SECONDS = 0.050


def _simulated_estate():
    with transaction.atomic():
        estate_seed(frames=FRAMES, lpars_per_frame=LPARS_PER_FRAME, seed=3)
        estate = estate_from_db()
        transaction.set_rollback(True)
    return estate


def run() -> list[Result]:
    estate = _simulated_estate()
    key = asyncssh.generate_private_key("ssh-ed25519")
    simulator = SimulatorThread(SimulatedHmc(estate), host_key=key).start()
    line = known_hosts_line(simulator.host, simulator.port, key)
    transport = SshTransport(
        host=simulator.host, port=simulator.port, username="hscroot",
        password=DEFAULT_PASSWORD, host_key=line,
    )  # fmt: skip
    try:
        transport.connect()
        frame = estate.frames[0].name

        def bare() -> None:
            # 127, command not found: the round trip is what is measured.
            with contextlib.suppress(HmcError):
                transport.run(Command(("true",)))

        bare_seconds = median_seconds(bare)
        command_seconds = median_seconds(lambda: transport.run(lssyscfg_lpar(system=frame)))
        hmc = Hmc.objects.create(
            name="bench-sim", host=simulator.host, ssh_port=simulator.port,
            password=DEFAULT_PASSWORD, host_key=line,
        )  # fmt: skip
        start = time.perf_counter()
        sync = hmc_sync_run(sync=HmcSync.objects.create(hmc=hmc))
        discovery_seconds = time.perf_counter() - start
        if sync.state != "succeeded" or Frame.objects.count() < FRAMES:
            raise RuntimeError(f"Discovery did not complete: {sync.message}")
    finally:
        transport.close()
        simulator.stop()
    lpars = sum(len(f.lpars) for f in estate.frames)
    return [
        Result(
            f"one command round trip (lssyscfg -r lpar, {len(estate.frames[0].lpars)} LPARs)",
            command_seconds, "bare SSH round trip", bare_seconds, max_ratio=10,
            max_seconds=ROUND_TRIP_MAX_SECONDS,
        ),
        Result(
            f"discovery of {len(estate.frames)} frames, {lpars} LPARs", discovery_seconds,
            "bare SSH round trip", bare_seconds, max_ratio=float("inf"),
            max_seconds=DISCOVERY_MAX_SECONDS,
        ),
    ]  # fmt: skip
