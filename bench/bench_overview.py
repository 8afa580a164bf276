"""Overview pages on a 10,000-client-LPAR estate (BENCH_LPARS=n for another size): Planning,
Checks and Zoning each under 300 ms, with the same query count as on a small estate; the estate
check that refreshes their figures under 3 s.

The pages read figures kept at the current estate version (`planning.cache`); beat refreshes
them when the estate changed, as this benchmark does before timing a page. Each page is shown
beside replaying its own SQL statements; the refresh beside replaying the SQL that reads the
estate for the checks (`Estate.load`).
"""

import math
import os
import statistics
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import (
    QueryCounts,
    Result,
    median_seconds,
    page_and_floor,
    statements_recorded,
    statements_replay,
)
from inventory.models import Lpar
from inventory.seeding import estate_seed
from lpmplanner.roles import roles_bootstrap
from planning.cache import estate_check_summary, summaries_refresh
from planning.checks import Estate
from tests.factories import login

LPARS = int(os.environ.get("BENCH_LPARS", "10000"))
LPARS_PER_FRAME = 50
SMALL_FRAMES = 2
PAGE_MAX_SECONDS = 0.300
REFRESH_MAX_SECONDS = 3.0
REFRESH_RUNS = 3
PAGES = (("Planning", "/planning/"), ("Checks", "/planning/checks/"), ("Zoning", "/zoning/"))


def _client() -> Client:
    roles_bootstrap()
    user = get_user_model().objects.create_user("bench-overview")
    user.groups.add(Group.objects.get(name="Viewer"))
    client = Client()
    login(client, user)
    return client


def _queries(client: Client, counts: dict[str, dict[str, int]]) -> None:
    summaries_refresh()
    lpars = Lpar.objects.count()
    for name, url in PAGES:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[name][f"{lpars} LPARs"] = len(queries)


def _refresh_seconds() -> float:
    """The estate check run again after an edit: one LPAR's notes change, then the figures."""
    samples = []
    lpar = Lpar.objects.order_by("pk").first()
    for run in range(REFRESH_RUNS):
        Lpar.objects.filter(pk=lpar.pk).update(notes=f"bench {run}")
        start = time.perf_counter()
        estate_check_summary()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run() -> list:
    client = _client()
    frames = math.ceil(LPARS / LPARS_PER_FRAME)
    per_frame = min(LPARS, LPARS_PER_FRAME)
    small = min(SMALL_FRAMES, frames)
    estate_seed(frames=small, lpars_per_frame=per_frame, seed=1)
    counts: dict[str, dict[str, int]] = {name: {} for name, _ in PAGES}
    _queries(client, counts)
    if frames > small:
        print(f"building the estate: {frames} frames × {per_frame} LPARs …", flush=True)
        estate_seed(frames=frames - small, lpars_per_frame=per_frame, seed=2)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    _queries(client, counts)
    results: list = [QueryCounts(f"{name} page", counts[name]) for name, _ in PAGES]

    lpars = Lpar.objects.count()
    reads: list = []
    with statements_recorded(reads):
        Estate.load()
    load_floor = median_seconds(lambda: statements_replay(reads), repeat=3, warmup=1)
    refresh = _refresh_seconds()
    found = estate_check_summary()
    print(f"estate check: {found.total} violations of {lpars} LPARs")
    results.append(
        Result(f"estate check refresh ({lpars} LPARs)", refresh,
               "replaying the SQL that reads the estate", load_floor, float("inf"),
               REFRESH_MAX_SECONDS)
    )  # fmt: skip
    summaries_refresh()
    for name, url in PAGES:
        seconds, floor, statements = page_and_floor(client, url)
        results.append(
            Result(f"{name} page {url} ({lpars} LPARs)", seconds,
                   f"its {statements} SQL statements replayed", floor, float("inf"),
                   PAGE_MAX_SECONDS)
        )  # fmt: skip
    return results
