"""Overview pages on a 10,000-client-LPAR estate (BENCH_LPARS=n for another size): Planning,
Checks and Zoning each under 300 ms, with the same query count as on a small estate; the estate
check that refreshes their figures under 3 s.

The pages read figures kept at the current estate version (`planning.cache`); beat refreshes
them when the estate changed, as this benchmark does before timing a page. Each page is shown
beside replaying its own SQL statements; the refresh (after an edit that changes no finding,
and after a scheme change that makes tens of thousands) beside replaying its own SELECTs: each
check reads only the rows it can find a violation in (`planning.checks.CHECK_ROWS`).
"""

import math
import os
import statistics
import time
from collections.abc import Callable

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
from inventory.choices import LparKind
from inventory.models import Frame, Lpar
from inventory.seeding import estate_seed
from lpmplanner.roles import roles_bootstrap
from planning.cache import estate_check_summary, summaries_refresh
from planning.checks import Estate
from planning.models import EnumerationScheme
from tests.factories import login

LPARS = int(os.environ.get("BENCH_LPARS", "10000"))
LPARS_PER_FRAME = 50
SMALL_FRAMES = 2
PAGE_MAX_SECONDS = 0.300
REFRESH_MAX_SECONDS = 3.0
# A scheme change that puts every client's second vFC slot out of range: 2.4 findings an LPAR,
# each read, worded, linked and written, so it grows with the estate: 1 ms an LPAR (10 s at
# 10,000), so that it cannot grow back to the old 22 s at 10,000.
SCHEME_CHANGE_SECONDS_PER_LPAR = 0.001
REFRESH_MAX_RATIO = 4.0  # the checks' Python and the findings' writes, over their reads
REFRESH_RUNS = 3
PAGES = (("Planning", "/planning/"), ("Checks", "/planning/checks/"), ("Zoning", "/zoning/"))


def _client() -> Client:
    roles_bootstrap()
    user = get_user_model().objects.create_user("bench-overview")
    user.groups.add(Group.objects.get(name="Viewer"))
    client = Client()
    login(client, user)
    return client


def _one_finding() -> None:
    """A client of the second frame given the LPAR id of one on the first: two findings, so the
    small estate's Checks page reads a page of findings as the large one's does (with none, it
    reads no page, one statement fewer whatever the size)."""
    frames = list(Frame.objects.order_by("pk")[:2])
    clients = Lpar.objects.exclude(kind=LparKind.VIOS).order_by("lpar_id")
    first = clients.filter(frame__in=frames[:1]).first()
    second = clients.filter(frame__in=frames[1:2]).first()
    if first and second:
        Lpar.objects.filter(pk=second.pk).update(lpar_id=first.lpar_id)


def _queries(client: Client, counts: dict[str, dict[str, int]]) -> None:
    summaries_refresh()
    lpars = Lpar.objects.count()
    for name, url in PAGES:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[name][f"{lpars} LPARs"] = len(queries)


def _refresh_and_floor(edit: Callable[[int], object]) -> tuple[float, float]:
    """The estate check run again after an edit (`edit(run)`), then the figures kept; (median
    seconds, median seconds of replaying the SELECTs the last refresh made)."""
    samples = []
    statements: list = []
    for run in range(REFRESH_RUNS):
        edit(run)
        statements.clear()
        start = time.perf_counter()
        with statements_recorded(statements):
            estate_check_summary()
        samples.append(time.perf_counter() - start)
    reads = [s for s in statements if s[0].lstrip().upper().startswith("SELECT")]
    floor = median_seconds(lambda: statements_replay(reads), repeat=3, warmup=1)
    return statistics.median(samples), floor


def _notes_edit(run: int) -> None:
    """One LPAR's notes change: the estate version moves, no finding does."""
    lpar = Lpar.objects.order_by("pk").first()
    Lpar.objects.filter(pk=lpar.pk).update(notes=f"bench {run}")


def _scheme_narrowed(run: int) -> None:
    """The default vFC range narrowed below slot 620: every client's second vFC adapter is out
    of range, tens of thousands of findings (a little narrower each run, so each run checks)."""
    EnumerationScheme.objects.filter(is_default=True).update(vfc_last=615 - run)


def run() -> list:
    client = _client()
    frames = math.ceil(LPARS / LPARS_PER_FRAME)
    per_frame = min(LPARS, LPARS_PER_FRAME)
    small = min(SMALL_FRAMES, frames)
    estate_seed(frames=small, lpars_per_frame=per_frame, seed=1)
    _one_finding()
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
    whole = median_seconds(lambda: statements_replay(reads), repeat=3, warmup=1)
    print(f"reading the whole estate as the checks did before (replayed): {whole:.2f} s")
    for edit, what, bound in (
        (_notes_edit, "after one edit", REFRESH_MAX_SECONDS),
        (_scheme_narrowed, "after a scheme change", SCHEME_CHANGE_SECONDS_PER_LPAR * lpars),
    ):
        refresh, floor = _refresh_and_floor(edit)
        found = estate_check_summary()
        results.append(
            Result(
                f"estate check refresh {what} ({lpars} LPARs, {found.total} findings)",
                refresh,
                "its SELECTs replayed",
                floor,
                REFRESH_MAX_RATIO,
                bound,
            )
        )
    EnumerationScheme.objects.filter(is_default=True).update(vfc_last=800)
    summaries_refresh()
    for name, url in PAGES:
        seconds, floor, statements = page_and_floor(client, url)
        results.append(
            Result(
                f"{name} page {url} ({lpars} LPARs)",
                seconds,
                f"its {statements} SQL statements replayed",
                floor,
                float("inf"),
                PAGE_MAX_SECONDS,
            )
        )
    return results
