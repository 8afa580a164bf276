"""`python manage.py hmc_simulator_fault LPAR CAUSE | --clear LPAR | --list`: make the running
simulator (`hmc_simulator`, which reads its faults file before each validation) refuse the
validations of a partition for a cause, or stop doing so."""

from django.core.management.base import BaseCommand, CommandError

from migrations_app.simulator.faults import fault_set, faults_file_path, faults_read
from migrations_app.simulator.hmc import LPAR_FAULTS


class Command(BaseCommand):
    help = (
        "Set or clear a partition's validation fault in the HMC simulator's faults file. "
        "Causes: " + "; ".join(f"{name} ({meaning})" for name, meaning in LPAR_FAULTS.items())
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("lpar", nargs="?", help="The partition's name.")
        parser.add_argument("cause", nargs="?", choices=sorted(LPAR_FAULTS))
        parser.add_argument("--clear", action="store_true", help="Clear the partition's fault.")
        parser.add_argument("--list", action="store_true", help="List the faults set.")

    def handle(self, *args, **options) -> None:
        if options["list"]:
            for name, cause in sorted(faults_read().items()):
                self.stdout.write(f"{name}: {cause}")
            return
        lpar = options["lpar"]
        if not lpar or (options["cause"] is None) != options["clear"]:
            raise CommandError("Give a partition and a cause, or a partition and --clear.")
        faults = fault_set(lpar, None if options["clear"] else options["cause"])
        what = "cleared" if options["clear"] else f"set to {options['cause']}"
        self.stdout.write(
            f"Fault of {lpar} {what} in {faults_file_path()} ({len(faults)} partitions have one)."
        )
