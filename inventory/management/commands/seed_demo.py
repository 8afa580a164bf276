"""Load the demo estate (wired into `make run`)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from inventory.demo import demo_estate_load


class Command(BaseCommand):
    help = (
        "Load the demo estate: HMC hmc-sim (127.0.0.1:2222, the HMC simulator, its host key "
        "pinned), frames p750-a and p750-b with VIOS vios1/vios2, fabrics FAB_A/FAB_B, a "
        "storage array, VLANs 1/400/401 "
        "and client LPARs, including the worked example server1 (LPAR id 10) on p750-a. "
        "Only missing rows are created, each validated and recorded in the change history; "
        "running it again changes nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = demo_estate_load()
        except ValidationError as error:
            raise CommandError(f"The demo estate clashes with the existing one: {error}") from None
        self.stdout.write(result.summary())
