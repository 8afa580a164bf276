"""HMC discovery and command round trips against the simulator over real SSH.

Discovery of a simulated HMC with 20 frames and 1,000 LPARs into an empty inventory must take
under 60 s; one command round trip once connected under 50 ms median and within 10× of the
floor: bare asyncssh (no project code) running a command the HMC does not know on its own
connection to the same simulator.
"""

import asyncio
import os
import statistics
import time

import asyncssh
from django.db import transaction

from bench.common import Result, median_seconds
from inventory.models import Frame, Hmc
from inventory.seeding import estate_seed
from migrations_app.hmc.commands import lssyscfg_lpar
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


def _bare_asyncssh_round_trip(host: str, port: int, known_hosts: str) -> float:
    """Median seconds of `true` over a plain asyncssh connection of its own."""

    async def measure() -> float:
        async with asyncssh.connect(
            host,
            port=port,
            username="hscroot",
            password=DEFAULT_PASSWORD,
            known_hosts=asyncssh.import_known_hosts(known_hosts),
        ) as ssh:
            for _ in range(3):
                await ssh.run("true")
            samples = []
            for _ in range(30):
                start = time.perf_counter()
                await ssh.run("true")
                samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    return asyncio.run(measure())


def run() -> list[Result]:
    estate = _simulated_estate()
    key = asyncssh.generate_private_key("ssh-ed25519")
    simulator = SimulatorThread(SimulatedHmc(estate), host_key=key).start()
    line = known_hosts_line(simulator.host, simulator.port, key)
    transport = SshTransport(
        host=simulator.host,
        port=simulator.port,
        username="hscroot",
        password=DEFAULT_PASSWORD,
        host_key=line,
    )
    try:
        transport.connect()
        frame = estate.frames[0].name
        bare_seconds = _bare_asyncssh_round_trip(simulator.host, simulator.port, line)
        command_seconds = median_seconds(lambda: transport.run(lssyscfg_lpar(system=frame)))
        hmc = Hmc.objects.create(
            name="bench-sim",
            host=simulator.host,
            ssh_port=simulator.port,
            password=DEFAULT_PASSWORD,
            host_key=line,
        )
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
            command_seconds,
            "bare asyncssh round trip",
            bare_seconds,
            max_ratio=10,
            max_seconds=ROUND_TRIP_MAX_SECONDS,
        ),
        Result(
            f"discovery of {len(estate.frames)} frames, {lpars} LPARs",
            discovery_seconds,
            "bare asyncssh round trip",
            bare_seconds,
            max_ratio=float("inf"),
            max_seconds=DISCOVERY_MAX_SECONDS,
        ),
    ]
