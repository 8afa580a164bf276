"""What the dashboard shows, read from SQL aggregates and the cached estate summary (never by
recomputing the estate), each figure with the link to the list that holds exactly those rows."""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Count, OuterRef, Q, Subquery
from django.urls import reverse

from inventory.models import Frame, Hmc, Lpar, Wwpn
from migrations_app.models import ACTIVE_STATES, DriftItem, HmcSync, MigrationJob, MigrationState
from planning import cache, checks

S = MigrationState
QUEUED = (S.QUEUED,)
# Scheduled migrations have a card of their own (their start and change window).
RUNNING = tuple(state for state in ACTIVE_STATES if state not in (S.QUEUED, S.SCHEDULED))
FAILED = (S.FAILED, S.VALIDATION_FAILED)
# What an operator must act on: each state with what to do about it.
NEEDS_OPERATOR = (
    (S.NEEDS_ATTENTION, "need attention: the HMC shows the partition on neither frame"),
    (S.COMPLETED_NEEDS_SYNC, "moved, but the inventory needs a sync"),
    (S.VALIDATED, "validated and waiting for Migrate now"),
)


@dataclass(frozen=True)
class Figure:
    label: str
    count: int
    url: str
    testid: str = ""


@dataclass(frozen=True)
class HmcSyncLine:
    hmc: Hmc
    sync: HmcSync | None
    drift: int


@dataclass
class Dashboard:
    estate: list[Figure] = field(default_factory=list)
    checks: list[Figure] = field(default_factory=list)
    checks_total: Figure | None = None
    checked_at: datetime | None = None
    twins_out_of_line: Figure | None = None
    migrations: list[Figure] = field(default_factory=list)
    running: list[MigrationJob] = field(default_factory=list)
    syncs: list[HmcSyncLine] = field(default_factory=list)
    operator: list[Figure] = field(default_factory=list)


def _list(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def _migrations_url(states: tuple[str, ...]) -> str:
    return _list("migrations_app:index", state__in=",".join(states))


def dashboard_for(user) -> Dashboard:
    """The figures `user` may see (by the view permissions their roles grant)."""
    board = Dashboard()
    can = user.has_perm
    if can("inventory.view_frame") and can("inventory.view_lpar"):
        lpars = Lpar.objects.aggregate(
            lpars=Count("pk"), twins=Count("pk", filter=Q(stub_of__isnull=False))
        )
        board.estate = [
            Figure("Frames", Frame.objects.count(), _list("inventory:frame-list"), "frames"),
            Figure("LPARs", lpars["lpars"], _list("inventory:lpar-list"), "lpars"),
            Figure(
                "Stub twins", lpars["twins"], _list("inventory:lpar-list", is_stub="true"), "twins"
            ),
        ]
        if can("inventory.view_wwpn"):
            board.estate.append(
                Figure("WWPNs", Wwpn.objects.count(), _list("inventory:wwpn-list"), "wwpns")
            )
    if can("inventory.view_lpar"):
        _checks(board)
    if can("migrations_app.view_migrationjob"):
        _migrations(board, operator=can("migrations_app.add_migrationjob"))
    if can("migrations_app.view_hmcsync"):
        board.syncs = _last_syncs()
    return board


def _checks(board: Dashboard) -> None:
    """Violations per check from the cached summary (computed once per estate change)."""
    found = cache.estate_check_summary()
    labels = {code: label for code, (label, _) in checks.CHECKS.items()}
    board.checks = [
        Figure(labels[code], count, _list("planning:checks", check=code), f"check-{code}")
        for code, count in sorted(found.counts.items(), key=lambda item: -item[1])
        if code in labels and count
    ]
    board.checks_total = Figure("Violations", found.total, _list("planning:checks"), "checks")
    board.checked_at = found.summary.computed
    drifted = found.matching(check="stub_drift")
    twins = (
        drifted.values("object").distinct().count()
        if hasattr(drifted, "values")
        else len({v.object for v in drifted})
    )
    board.twins_out_of_line = Figure(
        "Stub twins out of line",
        twins,
        _list("planning:checks", check="stub_drift"),
        "twins-drift",
    )


def _migrations(board: Dashboard, *, operator: bool) -> None:
    counts = dict(MigrationJob.objects.values_list("state").annotate(n=Count("pk")).order_by())

    def total(states: tuple[str, ...]) -> int:
        return sum(counts.get(state, 0) for state in states)

    board.migrations = [
        Figure("Running", total(RUNNING), _migrations_url(RUNNING), "running"),
        Figure("Queued", total(QUEUED), _migrations_url(QUEUED), "queued"),
        Figure("Failed", total(FAILED), _migrations_url(FAILED), "failed"),
    ]
    board.running = list(
        MigrationJob.objects.filter(state__in=RUNNING + QUEUED)
        .select_related("source_frame", "destination_frame")
        .order_by("created")[:10]
    )
    if operator:
        board.operator = [
            Figure(text, counts.get(state, 0), _migrations_url((state,)), f"needs-{state}")
            for state, text in NEEDS_OPERATOR
            if counts.get(state, 0)
        ]


def _last_syncs() -> list[HmcSyncLine]:
    """Each HMC with its last sync and the drift that sync found still waiting for a decision."""
    last = HmcSync.objects.filter(hmc=OuterRef("pk")).order_by("-created").values("pk")[:1]
    hmcs = list(Hmc.objects.annotate(last_sync=Subquery(last)).order_by("name"))
    syncs = HmcSync.objects.in_bulk([h.last_sync for h in hmcs if h.last_sync])
    drift = dict(
        DriftItem.objects.filter(sync__in=list(syncs), resolution=DriftItem.Resolution.PENDING)
        .exclude(kind=DriftItem.Kind.ADDED)
        .values_list("sync")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [HmcSyncLine(h, syncs.get(h.last_sync), drift.get(h.last_sync, 0)) for h in hmcs]
