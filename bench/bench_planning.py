"""Planning on a 10,000-LPAR estate (BENCH_LPARS=n for another size): the full estate checks in
under 3 s, and twinning a 50-LPAR frame onto another in under 2 s (against /healthz).

The twinning destination follows a scheme whose LPAR id ceiling admits the synthetic estate's
ids (they run past 10,000); each run twins a fresh pair of frames, as a planner would.
"""

import math
import os
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from bench.common import Result, median_seconds
from inventory.models import Frame
from inventory.seeding import estate_seed
from lpmplanner.roles import roles_bootstrap
from planning.checks import estate_check
from planning.models import EnumerationScheme
from planning.services import frame_scheme_set, scheme_save
from planning.stubs import frame_create_stub_twins
from tests.factories import login

LPARS = int(os.environ.get("BENCH_LPARS", "10000"))
LPARS_PER_FRAME = 50
CHECKS_MAX_SECONDS = 3.0
TWIN_MAX_SECONDS = 2.0
TWIN_RUNS = 3
# The absolute bounds over /healthz on the reference machine (1.5 ms), as in bench_inventory.
CHECKS_MAX_RATIO = 2000
TWIN_MAX_RATIO = 1350


def _client() -> Client:
    roles_bootstrap()
    user = get_user_model().objects.create_user("bench-planning")
    user.groups.add(Group.objects.get(name="Viewer"))
    client = Client()
    login(client, user)
    return client


def _twin_once(scheme: EnumerationScheme, seed: int) -> float:
    """Seed a fresh source and destination frame, then time twinning the source's LPARs."""
    estate_seed(frames=2, lpars_per_frame=LPARS_PER_FRAME, seed=seed)
    source, destination = Frame.objects.order_by("-pk")[:2][::-1]
    frame_scheme_set(frame=destination, scheme=scheme)
    # Synthetic frames are of mixed generations: let the destination accept the source's modes.
    modes = sorted({*source.compat_modes, *destination.compat_modes})
    Frame.objects.filter(pk=destination.pk).update(compat_modes=modes)
    destination.refresh_from_db()
    start = time.perf_counter()
    frame_create_stub_twins(frame=source, destination_frame=destination)
    return time.perf_counter() - start


def run() -> list[Result]:
    client = _client()
    frames = math.ceil(LPARS / LPARS_PER_FRAME)
    print(f"building the estate: {frames} frames × {LPARS_PER_FRAME} LPARs …", flush=True)
    estate_seed(frames=frames, lpars_per_frame=LPARS_PER_FRAME, seed=3)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    baseline = median_seconds(lambda: client.get("/healthz"))
    checks = median_seconds(estate_check, repeat=3, warmup=1)
    wide = scheme_save(scheme=EnumerationScheme(name="bench", lpar_id_ceiling=32767,
                                                vios_lpar_ids=[1, 2]))  # fmt: skip
    twin = sorted(_twin_once(wide, seed) for seed in range(TWIN_RUNS))[TWIN_RUNS // 2]
    return [
        Result(f"estate checks ({LPARS} LPARs)", checks, "/healthz", baseline, CHECKS_MAX_RATIO,
               CHECKS_MAX_SECONDS),
        Result(f"twin a {LPARS_PER_FRAME}-LPAR frame", twin, "/healthz", baseline,
               TWIN_MAX_RATIO, TWIN_MAX_SECONDS),
    ]  # fmt: skip
