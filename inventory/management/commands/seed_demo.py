"""Load the demo estate into an empty database (wired into `make run`)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo estate (the worked example: server1 on a p750) into an empty database."

    def handle(self, *args, **options) -> None:
        # The inventory models arrive with the inventory issue; until then there is no estate to
        # load, and `make run` calls this so the wiring is in place.
        self.stdout.write("No inventory models yet: the demo estate arrives with the inventory.")
