"""`python manage.py hmc_capture --hmc NAME --out DIR [--mask]`: record what an HMC answers to
every read-only command a discovery sends, into a capture folder `hmc_simulator --replay`
serves. Nothing is written to the database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from inventory.models import Hmc
from migrations_app import discovery
from migrations_app.hmc.client import HmcClient
from migrations_app.hmc.errors import HmcCommandError, HmcConnectionError, HmcError
from migrations_app.services import hmc_client_open
from migrations_app.simulator.capture import RecordingTransport, capture_save


class Command(BaseCommand):
    help = (
        "Record the answers of an HMC to the commands a discovery sends (lssyscfg, lshwres, …; "
        "only listing commands are sent) into DIR, one file per command line. With --mask, "
        "serial numbers and WWPNs are replaced consistently."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--hmc", required=True, help="The name of a registered HMC.")
        parser.add_argument("--out", type=Path, required=True, metavar="DIR")
        parser.add_argument(
            "--mask", action="store_true", help="Replace serial numbers and WWPNs consistently."
        )

    def handle(self, *args, **options) -> None:
        hmc = Hmc.objects.filter(name=options["hmc"]).first()
        if hmc is None:
            raise CommandError(f"No HMC is named {options['hmc']}.")
        out: Path = options["out"]
        if out.exists() and any(out.glob("*.txt")):
            raise CommandError(f"{out} holds a capture already: give an empty or new folder.")
        try:
            recording = RecordingTransport(hmc_client_open(hmc=hmc).transport)
        except HmcConnectionError as error:
            raise CommandError(f"Cannot connect to {hmc.name}: {error}") from None
        failure = None
        with HmcClient(recording) as client:
            try:
                discovery.hmc_read(client, lambda percent, text: self.stdout.write(text))
            except (HmcError, HmcConnectionError, HmcCommandError) as error:
                failure = error
        written = capture_save(recording.recorded, out, mask=options["mask"])
        self.stdout.write(f"{len(written)} commands recorded in {out}.")
        if failure is not None:
            raise CommandError(f"The discovery stopped at: {failure}; what it read is recorded.")
