"""Add a large synthetic estate, for benchmarks and load tests."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inventory.seeding import MAX_LPARS_PER_FRAME, EstateSeedError, estate_seed


class Command(BaseCommand):
    help = (
        "Add synthetic frames sim-NNNNN, each with a VIOS pair (LPAR ids 1 and 2), drawers, FC "
        "and Ethernet cards, and client LPARs wired to both VIOS (Ethernet slot 10, vSCSI "
        "210/220, vFC 610/620 with a WWPN pair each). Names, client LPAR ids and WWPNs continue "
        "after those already in the estate. The rows are written with bulk_create: valid by "
        "construction but not validated one by one, and without change-history rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--frames", type=int, default=10, help="frames to add (default 10)")
        parser.add_argument(
            "--lpars-per-frame",
            type=int,
            default=50,
            help=f"client LPARs per frame, 0 to {MAX_LPARS_PER_FRAME} (default 50)",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="random seed: the same seed, the same estate"
        )

    def handle(
        self, *args: Any, frames: int, lpars_per_frame: int, seed: int, **options: Any
    ) -> None:
        try:
            result = estate_seed(frames=frames, lpars_per_frame=lpars_per_frame, seed=seed)
        except EstateSeedError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(result.summary())
