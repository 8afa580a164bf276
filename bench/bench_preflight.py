"""Pre-flight on the 10,000-LPAR, 200-frame estate (BENCH_LPARS=n for another size): one LPAR
against every frame (under 100 ms), the full matrix (every LPAR × every frame, under 30 s) and
the evacuation plan of a 50-LPAR frame (under 2 s), each against the time to read the estate's
LPAR and virtual adapter rows in the same run.
"""

import math
import os
import time
from collections import Counter

from django.db import connection

from bench.common import Result, median_seconds
from inventory.models import Frame, Lpar, VirtualAdapter
from inventory.seeding import estate_seed
from planning.evacuation import evacuation_plan_create
from planning.matrix import matrix_rows
from planning.preflight import lpar_migratability

LPARS = int(os.environ.get("BENCH_LPARS", "10000"))
LPARS_PER_FRAME = 50
ONE_LPAR_MAX_SECONDS = 0.1
MATRIX_MAX_SECONDS = 30.0
EVACUATION_MAX_SECONDS = 2.0
# Bounds over the baseline (reading every LPAR and virtual adapter row as plain values, 0.5 s
# for 10,400 LPARs here): one LPAR needs only a few of those rows, the matrix two million checks,
# an evacuation 10,000 checks and its saved rows. Measured on a shared 2-core machine: 0.2,
# 15–31 and 0.3–0.5 (the checks are CPU-bound, the baseline mostly the database's).
ONE_LPAR_MAX_RATIO = 0.5
MATRIX_MAX_RATIO = 60
EVACUATION_MAX_RATIO = 2


def _read_estate_rows() -> None:
    list(
        Lpar.objects.values_list(
            "id",
            "name",
            "frame_id",
            "lpar_id",
            "kind",
            "state",
            "proc_units",
            "memory_mb",
            "compat_mode",
        )
    )
    list(
        VirtualAdapter.objects.values_list(
            "id", "lpar_id", "kind", "role", "slot", "remote_lpar_id", "pvid_id"
        )
    )


def _matrix() -> Counter:
    """Every LPAR against every frame as the matrix page and its export compute it (the own
    frame's cells count as "own")."""
    lpar_pks = list(Lpar.objects.order_by("pk").values_list("pk", flat=True))
    frame_pks = list(Frame.objects.order_by("name").values_list("pk", flat=True))
    verdicts: Counter = Counter()
    for row in matrix_rows(lpar_pks=lpar_pks, frame_pks=frame_pks):
        verdicts.update(cell.verdict for cell in row.cells)
    return verdicts


def run() -> list[Result]:
    frames = math.ceil(LPARS / LPARS_PER_FRAME)
    print(f"building the estate: {frames} frames × {LPARS_PER_FRAME} LPARs …", flush=True)
    estate_seed(frames=frames, lpars_per_frame=LPARS_PER_FRAME, seed=5)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does to a settled estate
    baseline = median_seconds(_read_estate_rows, repeat=5, warmup=1)
    middle = Frame.objects.order_by("name")[frames // 2]
    lpar = middle.lpars.exclude(kind="vios").order_by("lpar_id").first()
    one = median_seconds(lambda: lpar_migratability(lpar=lpar), repeat=15, warmup=2)
    start = time.perf_counter()
    verdicts = _matrix()
    matrix = time.perf_counter() - start
    cells = sum(verdicts.values())
    print(f"matrix: {cells} verdicts: " + ", ".join(f"{v} {n}" for v, n in verdicts.items()))
    evacuation = median_seconds(lambda: evacuation_plan_create(frame=middle), repeat=3, warmup=1)
    return [
        Result(
            "one LPAR against every frame",
            one,
            "estate rows",
            baseline,
            ONE_LPAR_MAX_RATIO,
            ONE_LPAR_MAX_SECONDS,
        ),
        Result(
            f"migratability matrix ({cells} verdicts)",
            matrix,
            "estate rows",
            baseline,
            MATRIX_MAX_RATIO,
            MATRIX_MAX_SECONDS,
        ),
        Result(
            f"evacuation plan of a {LPARS_PER_FRAME}-LPAR frame",
            evacuation,
            "estate rows",
            baseline,
            EVACUATION_MAX_RATIO,
            EVACUATION_MAX_SECONDS,
        ),
    ]
