"""Inventory pages and API on a 10,000-client-LPAR estate (BENCH_LPARS=n for another size).

The estate is built with `seed_estate`'s logic. Each page is timed against replaying its own
SQL statements in the same run (the least the page can cost): the LPAR list page within 5× of
its SQL, `/api/lpars/?limit=100` within 3×, a frame's page under 200 ms; and their query
counts must not grow with the page size or the estate.
"""

import math
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import QueryCounts, Result, Unavailable, page_and_floor
from inventory.models import Frame, Lpar
from inventory.seeding import estate_seed
from lpmplanner.roles import roles_bootstrap
from tests.factories import login

LPARS = int(os.environ.get("BENCH_LPARS", "10000"))
LPARS_PER_FRAME = 50
# The query counts are taken first on a small estate, then on the whole one.
SMALL_FRAMES = 2
PAGE_SIZES = (25, 100)
# (name, URL, query parameter that sets the page size)
LISTS = (
    ("LPAR list page", "/inventory/lpars/", "per_page"),
    ("API /api/lpars/", "/api/lpars/", "limit"),
)
PAGE_MAX_RATIO = 5
API_MAX_RATIO = 3
DETAIL_MAX_SECONDS = 0.200


def _client() -> Client:
    roles_bootstrap()
    user = get_user_model().objects.create_user("bench-inventory")
    user.groups.add(Group.objects.get(name="Viewer"))
    client = Client()
    login(client, user)
    return client


def _problem(client: Client, url: str) -> Unavailable | None:
    """Why `url` cannot be measured, if it cannot (a miss)."""
    try:
        status = client.get(url).status_code
    except Exception as error:  # a broken page is reported as a miss, not raised
        return Unavailable(url, f"{type(error).__name__}: {error}")
    return Unavailable(url, f"HTTP {status}") if status != 200 else None


def _query_counts(
    client: Client, lists: list[tuple[str, str, str]], counts: dict[str, dict[str, int]]
) -> None:
    lpars = Lpar.objects.count()
    for name, url, parameter in lists:
        for size in PAGE_SIZES:
            with CaptureQueriesContext(connection) as queries:
                client.get(f"{url}?{parameter}={size}")
            counts[name][f"{size} rows of {lpars} LPARs"] = len(queries)


def _analyze() -> None:
    # As autovacuum would after a bulk load: the planner needs statistics of the new rows.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def run() -> list[Result | QueryCounts | Unavailable]:
    frames = math.ceil(LPARS / LPARS_PER_FRAME)
    per_frame = min(LPARS, LPARS_PER_FRAME)
    small = min(SMALL_FRAMES, frames)
    client = _client()
    estate_seed(frames=small, lpars_per_frame=per_frame, seed=1)
    results: list[Result | QueryCounts | Unavailable] = []
    broken = {name: _problem(client, url) for name, url, _ in LISTS}
    results += [problem for problem in broken.values() if problem]
    working = [(name, url, parameter) for name, url, parameter in LISTS if not broken[name]]
    counts: dict[str, dict[str, int]] = {name: {} for name, _, _ in working}
    _query_counts(client, working, counts)
    if frames > small:
        print(f"building the estate: {frames} frames × {per_frame} LPARs …", flush=True)
        estate_seed(frames=frames - small, lpars_per_frame=per_frame, seed=2)
        _query_counts(client, working, counts)
    _analyze()
    results += [QueryCounts(name, counts[name]) for name, _, _ in working]

    frame = Frame.objects.order_by("name")[frames // 2]
    lpars = Lpar.objects.count()
    cases = [
        (
            f"LPAR list page /inventory/lpars/ ({lpars} LPARs)",
            "/inventory/lpars/",
            PAGE_MAX_RATIO,
            None,
        ),
        (
            f"API /api/lpars/?limit=100 ({lpars} LPARs)",
            "/api/lpars/?limit=100",
            API_MAX_RATIO,
            None,
        ),
        (
            f"frame detail /inventory/frames/{frame.pk}/",
            f"/inventory/frames/{frame.pk}/",
            float("inf"),
            DETAIL_MAX_SECONDS,
        ),
    ]
    for name, url, max_ratio, max_seconds in cases:
        problem = _problem(client, url)
        if problem:
            results.append(problem)
            continue
        seconds, floor, statements = page_and_floor(client, url)
        floor_name = f"its {statements} SQL statements replayed"
        results.append(Result(name, seconds, floor_name, floor, max_ratio, max_seconds))
    return results
