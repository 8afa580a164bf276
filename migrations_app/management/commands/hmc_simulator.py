"""`python manage.py hmc_simulator`: a simulated HMC over SSH, loaded from the database or a
fixture file, until interrupted; with `--peer`, more HMCs in the same process that know each
other (migrations between HMCs)."""

import asyncio
import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory.demo import simulator_host_key
from migrations_app.simulator.estate import SimEstate, estate_from_db, estate_from_file
from migrations_app.simulator.faults import DEMO_FAULTS, faults_file_path, faults_write
from migrations_app.simulator.hmc import SimNetwork, SimulatedHmc
from migrations_app.simulator.replay import ReplayHmc
from migrations_app.simulator.server import (
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    AnsweringHmc,
    Logins,
    authorized_keys_read,
    server_start,
)


class Command(BaseCommand):
    help = (
        "Run the HMC simulator: an SSH server answering the HMC command line (lssyscfg, lshwres, "
        "lslparmigr, migrlpar, mksyscfg, viosvrcmd, mkauthkeys) from the inventory (--from-db) "
        "or a JSON fixture (--fixture), or replays a capture of a real HMC (--replay DIR). Its "
        "host key is generated once and kept in the var directory."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2222)
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--from-db", action="store_true", help="Load every frame.")
        source.add_argument("--fixture", type=Path, help="A JSON estate file.")
        source.add_argument(
            "--replay",
            type=Path,
            metavar="DIR",
            help="A capture folder (hmc_capture): answer the recorded commands, refuse others.",
        )
        parser.add_argument("--hmc", help="With --from-db: only the frames of this HMC.")
        parser.add_argument("--user", default=DEFAULT_USER)
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--authorized-keys", type=Path, help="Public keys allowed to log in.")
        parser.add_argument(
            "--migration-seconds", type=float, default=10.0, help="How long a migration runs."
        )
        parser.add_argument(
            "--validation-seconds",
            type=float,
            default=0.0,
            help="How long migrlpar -o v takes, per command.",
        )
        parser.add_argument(
            "--faults-file",
            type=Path,
            default=None,
            help="A JSON object {partition: cause} read before each validation (set it with "
            "hmc_simulator_fault); default: the one in the var directory.",
        )
        parser.add_argument(
            "--demo-faults",
            action="store_true",
            help="When the faults file does not exist yet, start it with the demo's not-ready "
            "partition (lnx2: RMC connection down).",
        )
        parser.add_argument(
            "--peer",
            action="append",
            default=[],
            metavar="HMC@HOST:PORT",
            help="With --from-db --hmc: also simulate the HMC named HMC (its frames from the "
            "database) on HOST:PORT, in this process. The HMCs reach each other by host (the "
            "--ip of mkauthkeys and migrlpar), so each needs its own address, e.g. 127.0.0.2.",
        )

    def handle(self, *args, **options) -> None:
        keys = ()
        if options["authorized_keys"]:
            keys = authorized_keys_read(options["authorized_keys"])
        logins = Logins(options["user"], options["password"], keys)
        if options["replay"]:
            if options["peer"]:
                raise CommandError("--peer needs --from-db and --hmc, not --replay.")
            try:
                hmc = ReplayHmc.from_folder(options["replay"])
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot replay {options['replay']}: {error}") from None
            host, port = options["host"], options["port"]
            self.stdout.write(
                f"HMC simulator on {host}:{port} replaying {len(hmc.recorded)} recorded commands "
                f"from {options['replay']}; login {logins.username}."
            )
            asyncio.run(self._serve([(hmc, host, port)], logins))
            return
        if options["fixture"]:
            try:
                estate = estate_from_file(options["fixture"])
            except (OSError, ValueError, TypeError) as error:
                raise CommandError(f"Cannot read {options['fixture']}: {error}") from None
        elif options["from_db"]:
            estate = estate_from_db(hmc_name=options["hmc"])
        else:
            estate = SimEstate()
        faults_file = options["faults_file"] or faults_file_path()
        if options["demo_faults"] and not faults_file.exists():
            faults_write(DEMO_FAULTS, faults_file)
        served = simulated_hmcs(
            estate,
            host=options["host"],
            port=options["port"],
            peers=options["peer"],
            hmc_name=options["hmc"] if options["from_db"] else None,
            logins=logins,
            migration_seconds=options["migration_seconds"],
            validation_seconds=options["validation_seconds"],
            faults_file=faults_file,
        )
        for hmc, host, port in served:
            lpars = sum(len(f.lpars) for f in hmc.estate.frames)
            self.stdout.write(
                f"HMC simulator on {host}:{port} with {len(hmc.estate.frames)} frames and "
                f"{lpars} partitions; login {logins.username}."
            )
        asyncio.run(self._serve(served, logins))

    async def _serve(self, served: list[tuple[AnsweringHmc, str, int]], logins: Logins) -> None:
        for hmc, host, port in served:
            try:
                await server_start(
                    hmc, host=host, port=port, host_key=simulator_host_key(), logins=logins
                )
            except OSError as error:
                raise CommandError(f"Cannot listen on {host}:{port}: {error}") from None
        await asyncio.Event().wait()


PEER = re.compile(r"(?P<hmc>[^@]+)@(?P<host>[^:]+):(?P<port>[0-9]{1,5})")


def simulated_hmcs(
    estate: SimEstate,
    *,
    host: str,
    port: int,
    peers: list[str],
    hmc_name: str | None,
    logins: Logins,
    migration_seconds: float,
    validation_seconds: float = 0.0,
    faults_file: Path | None = None,
) -> list[tuple[SimulatedHmc, str, int]]:
    """The simulated HMCs to serve and where: the main one, then each `HMC@HOST:PORT` peer with
    the frames of that HMC, all joined in one SimNetwork by host. `mkauthkeys -g` against any
    of them takes the login password."""
    if peers and not hmc_name:
        raise CommandError("--peer needs --from-db and --hmc (the frames of the main HMC).")
    network = SimNetwork()
    passwords = {logins.username: logins.password}

    def simulated(frames: SimEstate) -> SimulatedHmc:
        return SimulatedHmc(
            frames,
            migration_seconds=migration_seconds,
            validation_seconds=validation_seconds,
            passwords=passwords,
            faults_file=faults_file,
        )

    served = [(network.join(host, simulated(estate)), host, port)]
    for peer in peers:
        match = PEER.fullmatch(peer)
        if match is None:
            raise CommandError(f"--peer {peer}: write it HMC@HOST:PORT, e.g. hmc-b@127.0.0.2:2222.")
        peer_host, peer_port = match["host"], int(match["port"])
        if network.hmc(peer_host) is not None:
            raise CommandError(
                f"--peer {peer}: {peer_host} is taken; each simulated HMC needs its own address "
                "(migrlpar --ip names a host, not a port)."
            )
        frames = estate_from_db(hmc_name=match["hmc"])
        if not frames.frames:
            raise CommandError(f"--peer {peer}: HMC {match['hmc']} manages no frame.")
        served.append((network.join(peer_host, simulated(frames)), peer_host, peer_port))
    return served
