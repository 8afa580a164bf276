"""Reads of readiness results: the shares ready per frame and per HMC, the LPARs not ready with
the first night each failure appeared, what changed since each LPAR's previous result, the
trend over the last runs, and the LPARs newly not ready in a run (for notifications)."""

from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, QuerySet

from migrations_app.readiness.models import ReadinessResult, ReadinessRun, Verdict

TREND_RUNS = 30
FINISHED = (ReadinessRun.State.SUCCEEDED, ReadinessRun.State.STOPPED)
READY = (Verdict.READY, Verdict.WARNINGS)


def latest_run() -> ReadinessRun | None:
    return ReadinessRun.objects.filter(state__in=FINISHED).order_by("-created", "-pk").first()


@dataclass
class Share:
    name: str
    pk: int | None
    ready: int = 0
    not_ready: int = 0
    not_checked: int = 0

    @property
    def checked(self) -> int:
        return self.ready + self.not_ready

    @property
    def percent(self) -> int | None:
        return round(100 * self.ready / self.checked) if self.checked else None


@dataclass
class Change:
    result: ReadinessResult
    previous: ReadinessResult | None


@dataclass
class Summary:
    run: ReadinessRun
    frames: list[Share] = field(default_factory=list)
    hmcs: list[Share] = field(default_factory=list)
    not_ready: list[ReadinessResult] = field(default_factory=list)
    not_checked: list[ReadinessResult] = field(default_factory=list)
    disagreements: list[ReadinessResult] = field(default_factory=list)
    newly_failing: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)


def results_filtered(
    run: ReadinessRun, *, frame: int | None = None, hmc: int | None = None, code: str = ""
) -> QuerySet[ReadinessResult]:
    results = run.results.all()
    if frame:
        results = results.filter(frame=frame)
    if hmc:
        results = results.filter(hmc=hmc)
    if code:
        results = with_code(results, code)
    return results


def with_code(results: QuerySet[ReadinessResult], code: str) -> QuerySet[ReadinessResult]:
    """The results whose HMC messages carry HSCL `code`. JSON containment is PostgreSQL's only
    (SQLite has no `contains` on JSON): the list's text holds each code in quotes."""
    return results.filter(codes__icontains=f'"{code.strip()}"')


def _shares(results: QuerySet, key: str, name: str) -> list[Share]:
    rows = (
        results.values(key, name)
        .annotate(
            ready=Count("pk", filter=Q(verdict__in=READY)),
            not_ready=Count("pk", filter=Q(verdict=Verdict.NOT_READY)),
            not_checked=Count("pk", filter=Q(verdict=Verdict.NOT_CHECKED)),
        )
        .order_by(name)
    )
    return [Share(r[name], r[key], r["ready"], r["not_ready"], r["not_checked"]) for r in rows]


def previous_of(results: list[ReadinessResult], run: ReadinessRun) -> dict[int, ReadinessResult]:
    """Per LPAR of `results`, its result in the latest run before `run` that checked it."""
    lpars = [r.lpar_id for r in results if r.lpar_id]
    latest = (
        ReadinessResult.objects.filter(lpar__in=lpars, run__lt=run.pk)
        .values("lpar")
        .annotate(last=Max("pk"))
        .values_list("last", flat=True)
    )
    return {r.lpar_id: r for r in ReadinessResult.objects.filter(pk__in=list(latest))}


def changes(results: list[ReadinessResult], run: ReadinessRun) -> tuple[list[Change], list[Change]]:
    """(newly failing, fixed) against each LPAR's previous result."""
    previous = previous_of(results, run)
    newly, fixed = [], []
    for result in results:
        before = previous.get(result.lpar_id)
        if result.verdict == Verdict.NOT_READY and (
            before is None or before.verdict != Verdict.NOT_READY
        ):
            newly.append(Change(result, before))
        elif result.verdict in READY and before and before.verdict == Verdict.NOT_READY:
            fixed.append(Change(result, before))
    return newly, fixed


def readiness_summary(
    run: ReadinessRun, *, frame: int | None = None, hmc: int | None = None, code: str = ""
) -> Summary:
    results = results_filtered(run, frame=frame, hmc=hmc, code=code)
    summary = Summary(run)
    summary.frames = _shares(results, "frame", "frame_name")
    summary.hmcs = _shares(results, "hmc", "hmc_name")
    listed = list(
        results.exclude(verdict=Verdict.READY)
        .only(
            "lpar_id",
            "lpar_name",
            "frame_name",
            "hmc_name",
            "target_name",
            "verdict",
            "reason",
            "code",
            "codes",
            "preflight_verdict",
            "preflight_findings",
            "disagreement",
            "failing_since",
            "checked",
            "run_id",
        )
        .order_by("frame_name", "lpar_name")
    )
    summary.not_ready = [r for r in listed if r.verdict == Verdict.NOT_READY]
    summary.not_checked = [r for r in listed if r.verdict == Verdict.NOT_CHECKED]
    summary.disagreements = [r for r in listed if r.disagreement]
    changed = [r for r in listed if r.verdict == Verdict.NOT_READY]
    changed += list(results.filter(verdict__in=READY).filter(lpar__in=_failing_before(run)))
    summary.newly_failing, summary.fixed = changes(changed, run)
    summary.codes = sorted(
        {c for codes in run.results.values_list("codes", flat=True) for c in codes}
    )
    return summary


def _failing_before(run: ReadinessRun) -> QuerySet:
    """LPARs whose latest result before `run` was not ready (candidates for "fixed")."""
    latest = (
        ReadinessResult.objects.filter(run__lt=run.pk, lpar__isnull=False)
        .values("lpar")
        .annotate(last=Max("pk"))
        .values("last")
    )
    return ReadinessResult.objects.filter(pk__in=latest, verdict=Verdict.NOT_READY).values("lpar")


def newly_not_ready(run: ReadinessRun) -> list[ReadinessResult]:
    """The LPARs not ready in `run` whose previous result was not "not ready" (or who had none):
    what a notification about run `run` should name."""
    results = list(run.results.filter(verdict=Verdict.NOT_READY))
    return [change.result for change in changes(results, run)[0]]


@dataclass(frozen=True)
class TrendPoint:
    run: int
    created: object
    percent: float | None
    checked: int


def trend(*, runs: int = TREND_RUNS) -> list[TrendPoint]:
    """The share ready of each of the last `runs` finished runs, oldest first."""
    last = list(
        ReadinessRun.objects.filter(state__in=FINISHED)
        .order_by("-created", "-pk")
        .values_list("pk", "created")[:runs]
    )
    counts = {
        row["run"]: row
        for row in ReadinessResult.objects.filter(run__in=[pk for pk, _ in last])
        .values("run")
        .annotate(
            ready=Count("pk", filter=Q(verdict__in=READY)),
            checked=Count("pk", filter=Q(verdict__in=(*READY, Verdict.NOT_READY))),
        )
    }
    points = []
    for pk, created in reversed(last):
        row = counts.get(pk, {"ready": 0, "checked": 0})
        percent = 100 * row["ready"] / row["checked"] if row["checked"] else None
        points.append(TrendPoint(pk, created, percent, row["checked"]))
    return points
