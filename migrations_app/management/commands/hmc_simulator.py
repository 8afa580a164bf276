"""`python manage.py hmc_simulator`: a simulated HMC over SSH, loaded from the database or a
fixture file, until interrupted."""

import asyncio
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory.demo import simulator_host_key
from migrations_app.simulator.estate import SimEstate, estate_from_db, estate_from_file
from migrations_app.simulator.hmc import SimulatedHmc
from migrations_app.simulator.server import (
    DEFAULT_PASSWORD,
    DEFAULT_USER,
    Logins,
    authorized_keys_read,
    server_start,
)


class Command(BaseCommand):
    help = (
        "Run the HMC simulator: an SSH server answering the HMC command line (lssyscfg, lshwres, "
        "lslparmigr, migrlpar, mksyscfg, viosvrcmd, mkauthkeys) from the inventory (--from-db) "
        "or a JSON fixture (--fixture). Its host key is generated once and kept in the var "
        "directory."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2222)
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--from-db", action="store_true", help="Load every frame.")
        source.add_argument("--fixture", type=Path, help="A JSON estate file.")
        parser.add_argument("--hmc", help="With --from-db: only the frames of this HMC.")
        parser.add_argument("--user", default=DEFAULT_USER)
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--authorized-keys", type=Path, help="Public keys allowed to log in.")
        parser.add_argument(
            "--migration-seconds", type=float, default=10.0, help="How long a migration runs."
        )

    def handle(self, *args, **options) -> None:
        if options["fixture"]:
            try:
                estate = estate_from_file(options["fixture"])
            except (OSError, ValueError, TypeError) as error:
                raise CommandError(f"Cannot read {options['fixture']}: {error}") from None
        elif options["from_db"]:
            estate = estate_from_db(hmc_name=options["hmc"])
        else:
            estate = SimEstate()
        keys = ()
        if options["authorized_keys"]:
            keys = authorized_keys_read(options["authorized_keys"])
        logins = Logins(options["user"], options["password"], keys)
        hmc = SimulatedHmc(estate, migration_seconds=options["migration_seconds"])
        lpars = sum(len(f.lpars) for f in estate.frames)
        self.stdout.write(
            f"HMC simulator on {options['host']}:{options['port']} with {len(estate.frames)} "
            f"frames and {lpars} partitions; login {logins.username}."
        )
        asyncio.run(self._serve(hmc, options["host"], options["port"], logins))

    async def _serve(self, hmc: SimulatedHmc, host: str, port: int, logins: Logins) -> None:
        try:
            await server_start(
                hmc, host=host, port=port, host_key=simulator_host_key(), logins=logins
            )
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error}") from None
        await asyncio.Event().wait()
