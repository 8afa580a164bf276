"""The HMC simulator over real SSH on a free port, and HMC rows that point at it; a transport
that answers from a replayed capture in-process.

A pytest plugin (registered by `tests/conftest.py`), so its fixtures serve every directory: ask
for them by name, never import them. Test modules import only its helpers (`simulator_start`,
`pinned_line`, `cross_hmc_start`, `ReplayTransport`)."""

import asyncssh
import pytest
from django.db import transaction

from inventory.models import Frame, Hmc
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.commands import Command
from migrations_app.hmc.errors import HmcError
from migrations_app.hmc.ssh import SshTransport, known_hosts_line
from migrations_app.simulator.estate import SimEstate, estate_from_db
from migrations_app.simulator.hmc import SimNetwork, SimulatedHmc
from migrations_app.simulator.replay import ReplayHmc
from migrations_app.simulator.server import DEFAULT_PASSWORD, SimulatorThread
from tests.aio import awaited
from tests.demo_estate import demo_estate_restore


@pytest.fixture(scope="session")
def sim_host_key() -> asyncssh.SSHKey:
    return asyncssh.generate_private_key("ssh-ed25519")


@pytest.fixture
def demo_sim_estate(db) -> SimEstate:
    """The demo estate as the simulator holds it; the database is left empty."""
    with transaction.atomic():
        demo_estate_restore()
        estate = estate_from_db()
        transaction.set_rollback(True)
    return estate


def simulator_start(estate: SimEstate, host_key: asyncssh.SSHKey) -> SimulatorThread:
    return SimulatorThread(SimulatedHmc(estate, migration_seconds=0.5), host_key=host_key).start()


@pytest.fixture
def simulator(demo_sim_estate, sim_host_key):
    running = simulator_start(demo_sim_estate, sim_host_key)
    yield running
    running.stop()


def pinned_line(simulator: SimulatorThread) -> str:
    return known_hosts_line(simulator.host, simulator.port, simulator.host_key)


@pytest.fixture
def hmc_client(simulator):
    transport = SshTransport(
        host=simulator.host,
        port=simulator.port,
        username="hscroot",
        password=DEFAULT_PASSWORD,
        host_key=pinned_line(simulator),
    )
    with HmcClient(transport) as hmc_client:
        yield hmc_client


@pytest.fixture
def sim_hmc(simulator) -> Hmc:
    """An HMC row for the simulator, its key pinned (saved after the estate was read)."""
    return Hmc.objects.create(
        name="hmc-sim",
        host=simulator.host,
        ssh_port=simulator.port,
        username="hscroot",
        password=DEFAULT_PASSWORD,
        host_key=pinned_line(simulator),
    )


REMOTE_HMC_HOST = "127.0.0.2"  # the loopback address the second simulated HMC listens on


def cross_hmc_start(
    host_key: asyncssh.SSHKey, *, migration_seconds: float = 0.5
) -> tuple[SimulatorThread, SimulatorThread]:
    """Two HMCs that know each other: p750-b of the demo estate moves to an HMC of its own,
    `hmc-b`; `hmc-sim` (p750-a) is simulated on 127.0.0.1 and `hmc-b` on 127.0.0.2, joined in
    one SimNetwork, and the HMC rows point at them. No SSH trust between them yet."""
    source = Hmc.objects.get(name="hmc-sim")
    remote = Hmc.objects.create(
        name="hmc-b", host=REMOTE_HMC_HOST, username="hscroot", password=DEFAULT_PASSWORD
    )
    Frame.objects.filter(name="p750-b").update(hmc=remote)
    network = SimNetwork()
    started = []
    for hmc, host in ((source, "127.0.0.1"), (remote, REMOTE_HMC_HOST)):
        simulated = SimulatedHmc(
            estate_from_db(hmc_name=hmc.name), migration_seconds=migration_seconds
        )
        network.join(host, simulated)
        running = SimulatorThread(simulated, host_key=host_key, host=host).start()
        Hmc.objects.filter(pk=hmc.pk).update(
            host=host, ssh_port=running.port, host_key=pinned_line(running)
        )
        started.append(running)
    return started[0], started[1]


class ReplayTransport:
    """The client's Transport over a ReplayHmc, in-process: each command line as the client
    sends it over SSH, a non-zero exit an HmcError with stdout and stderr, as SshTransport
    raises it. The coroutine runs on a thread of its own (a test may have a loop running)."""

    def __init__(self, hmc: ReplayHmc) -> None:
        self.hmc = hmc

    def run(self, command: Command, *, timeout: float | None = None) -> str:
        status, stdout, stderr = awaited(self.hmc.execute(command.text))
        if status != 0:
            text = "\n".join(part for part in (stdout.strip(), stderr.strip()) if part)
            raise HmcError(command=command.shown, exit_status=status, text=text)
        return stdout

    def close(self) -> None:
        pass
