"""Planning on a 10,000-client-LPAR estate (BENCH_LPARS=n for another size): the full estate
checks in under 3 s, and twinning a 50-LPAR frame onto another in under 2 s. Beside them, the
floor: replaying the SQL each runs (the checks' reads, only the rows each check can fire on;
the twin's reads).

The twinning destination follows a scheme whose LPAR id ceiling admits the synthetic estate's
ids (they run past 10,000); each run twins a fresh pair of frames, as a planner would.
"""

import math
import os
import time

from django.db import connection

from bench.common import Result, median_seconds, statements_recorded, statements_replay
from inventory.models import Frame
from inventory.seeding import estate_seed
from planning.checks import estate_check
from planning.models import EnumerationScheme
from planning.services import frame_scheme_set, scheme_save
from planning.stubs import frame_create_stub_twins

LPARS = int(os.environ.get("BENCH_LPARS", "10000"))
LPARS_PER_FRAME = 50
CHECKS_MAX_SECONDS = 3.0
TWIN_MAX_SECONDS = 2.0
TWIN_RUNS = 3


def _twin_once(scheme: EnumerationScheme, seed: int) -> tuple[float, float]:
    """Seed a fresh source and destination frame, then time twinning the source's LPARs;
    (seconds, seconds to replay the reads it made)."""
    estate_seed(frames=2, lpars_per_frame=LPARS_PER_FRAME, seed=seed)
    source, destination = Frame.objects.order_by("-pk")[:2][::-1]
    frame_scheme_set(frame=destination, scheme=scheme)
    # Synthetic frames are of mixed generations: let the destination accept the source's modes.
    modes = sorted({*source.compat_modes, *destination.compat_modes})
    Frame.objects.filter(pk=destination.pk).update(compat_modes=modes)
    destination.refresh_from_db()
    statements: list = []
    start = time.perf_counter()
    with statements_recorded(statements):
        frame_create_stub_twins(frame=source, destination_frame=destination)
    seconds = time.perf_counter() - start
    reads = [s for s in statements if s[0].lstrip().upper().startswith("SELECT")]
    return seconds, median_seconds(lambda: statements_replay(reads), repeat=3, warmup=1)


def run() -> list[Result]:
    frames = math.ceil(LPARS / LPARS_PER_FRAME)
    print(f"building the estate: {frames} frames × {LPARS_PER_FRAME} LPARs …", flush=True)
    estate_seed(frames=frames, lpars_per_frame=LPARS_PER_FRAME, seed=3)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    reads: list = []
    with statements_recorded(reads):
        estate_check()
    load_floor = median_seconds(lambda: statements_replay(reads), repeat=3, warmup=1)
    checks = median_seconds(estate_check, repeat=3, warmup=1)
    wide = scheme_save(
        scheme=EnumerationScheme(name="bench", lpar_id_ceiling=32767, vios_lpar_ids=[1, 2])
    )
    twin, twin_floor = sorted(_twin_once(wide, seed) for seed in range(TWIN_RUNS))[TWIN_RUNS // 2]
    return [
        Result(
            f"estate checks ({LPARS} LPARs)",
            checks,
            "replaying the SQL the checks run",
            load_floor,
            float("inf"),
            CHECKS_MAX_SECONDS,
        ),
        Result(
            f"twin a {LPARS_PER_FRAME}-LPAR frame",
            twin,
            "replaying its reads",
            twin_floor,
            float("inf"),
            TWIN_MAX_SECONDS,
        ),
    ]
