"""Results derived from the whole estate, kept until the estate changes.

Database triggers on every table of the inventory and of the plans raise `EstateVersion.number`
when a transaction that wrote to them commits, whatever wrote (a form, the API, `bulk_create`,
the workbook importer, discovery, a raw `UPDATE`). On PostgreSQL a statement-level trigger
records the transaction once, and a deferred trigger raises the number at commit, so writers
never wait on each other for the counter; SQLite serialises writers anyway and raises it per
row. A transaction that has written and not committed yet sees `estate_version()` as None: its
own reads compute afresh and keep nothing.

Each overview page reads a summary (`EstateSummary`) computed at the current version, or
computes it once for everyone when the version has moved (on demand, and every minute by beat).
"""

import hashlib
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from lpmplanner.jobs import Job, JobEvent
from planning import checks
from planning.choices import Severity
from planning.models import EstateSummary, EstateVersion, EstateViolation
from planning.zoning.exports import zoning_diff_since_last
from planning.zoning.plan import zoning_plan

# Tables whose rows are results or bookkeeping, not facts or plans: writing them changes nothing
# an overview shows (and the summaries must not invalidate themselves).
NOT_WATCHED = {EstateVersion, EstateSummary, EstateViolation}
WATCHED_APPS = ("inventory", "planning")
_PENDING = "planning_estateversion_pending"
_TRIGGER = "lpm_estate_version"


def watched_tables() -> list[str]:
    """Every table of the inventory and of the plans, many-to-many tables included; not the
    change history, not the summaries, not background jobs (workbook imports) and their logs."""
    tables = []
    for label in WATCHED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model in NOT_WATCHED or issubclass(model, Job | JobEvent):
                continue
            if model._meta.model_name.startswith("historical"):
                continue
            if model._meta.managed and not model._meta.proxy:
                tables.append(model._meta.db_table)
    return sorted(set(tables))


def triggers_install(*, using: BaseDatabaseWrapper | None = None) -> None:
    """Create (again) the triggers that raise the estate version. Idempotent: run after every
    `migrate`, so a table added later is watched too."""
    db = using or connection
    version = EstateVersion._meta.db_table
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {_PENDING} (txid bigint PRIMARY KEY)")
            cursor.execute(f"""
                CREATE OR REPLACE FUNCTION {_TRIGGER}_touch() RETURNS trigger AS $$
                BEGIN
                    IF current_setting('lpm.estate_touched', true)
                            IS DISTINCT FROM txid_current()::text THEN
                        PERFORM set_config('lpm.estate_touched', txid_current()::text, true);
                        INSERT INTO {_PENDING} (txid) VALUES (txid_current())
                            ON CONFLICT DO NOTHING;
                    END IF;
                    RETURN NULL;
                END $$ LANGUAGE plpgsql""")  # noqa: S608 (our tables' names)
            cursor.execute(f"""
                CREATE OR REPLACE FUNCTION {_TRIGGER}_bump() RETURNS trigger AS $$
                BEGIN
                    INSERT INTO {version} (id, number) VALUES (1, 1)
                        ON CONFLICT (id) DO UPDATE SET number = {version}.number + 1;
                    DELETE FROM {_PENDING} WHERE txid = NEW.txid;
                    RETURN NULL;
                END $$ LANGUAGE plpgsql""")  # noqa: S608 (our tables' names)
            cursor.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER} ON {_PENDING}")
            cursor.execute(
                f"CREATE CONSTRAINT TRIGGER {_TRIGGER} AFTER INSERT ON {_PENDING} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {_TRIGGER}_bump()"
            )
            for table in watched_tables():
                cursor.execute(f'DROP TRIGGER IF EXISTS {_TRIGGER} ON "{table}"')
                cursor.execute(
                    f"CREATE TRIGGER {_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                    f'ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION {_TRIGGER}_touch()'
                )
        elif db.vendor == "sqlite":
            bump = (
                f"INSERT OR IGNORE INTO {version} (id, number) VALUES (1, 0); "  # noqa: S608
                f"UPDATE {version} SET number = number + 1 WHERE id = 1;"
            )
            for table in watched_tables():
                for event in ("INSERT", "UPDATE", "DELETE"):
                    name = f"{_TRIGGER}_{table}_{event.lower()}"
                    cursor.execute(f'DROP TRIGGER IF EXISTS "{name}"')
                    cursor.execute(
                        f'CREATE TRIGGER "{name}" AFTER {event} ON "{table}" BEGIN {bump} END'
                    )


def estate_version() -> int | None:
    """The committed estate version; None inside a transaction that has changed the estate
    and not committed yet (what it derives is for itself only)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT (SELECT number FROM {EstateVersion._meta.db_table} WHERE id = 1), "  # noqa: S608
                "COALESCE(current_setting('lpm.estate_touched', true) "
                "= txid_current_if_assigned()::text, false)"
            )
            number, touched = cursor.fetchone()
            return None if touched else number or 0
        cursor.execute(f"SELECT number FROM {EstateVersion._meta.db_table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
        return row[0] if row else 0


@dataclass(frozen=True)
class Summary:
    """A summary's data, the version it belongs to (None: computed for this transaction only)
    and when it was computed."""

    data: dict
    version: int | None
    computed: object
    seconds: float


def _kept(kind: str, version: int | None) -> Summary | None:
    if version is None:
        return None
    row = EstateSummary.objects.filter(kind=kind, version=version).first()
    return row and Summary(row.data, row.version, row.computed, row.seconds)


def summary_get(
    *, kind: str, compute: Callable[[], dict], keep: Callable[[], None] | None = None
) -> Summary:
    """The summary `kind` at the current estate version: the kept one, else `compute()` it (once
    for everyone: refreshes of a kind wait for each other) and keep it. `keep`, if given, runs in
    the same transaction to keep the rows behind the summary."""
    version = estate_version()
    kept = _kept(kind, version)
    if kept:
        return kept
    if version is None:  # this transaction's own, uncommitted estate: keep nothing
        start = time.perf_counter()
        return Summary(compute(), None, timezone.now(), time.perf_counter() - start)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row, _ = EstateSummary.objects.get_or_create(
                    kind=kind,
                    defaults={"version": -1, "computed": timezone.now(), "seconds": 0},
                )
        except IntegrityError:  # created by a concurrent refresh a moment ago
            pass
        row = EstateSummary.objects.select_for_update().get(kind=kind)
        version = estate_version()
        if row.version == version:  # refreshed by another request while this one waited
            return Summary(row.data, row.version, row.computed, row.seconds)
        start = time.perf_counter()
        row.data = compute()
        if keep:
            keep()
        row.version, row.computed = version, timezone.now()
        row.seconds = time.perf_counter() - start
        row.save()
    return Summary(row.data, row.version, row.computed, row.seconds)


CHECKS = "checks"
ZONING = "zoning"


@dataclass(frozen=True)
class CheckSummary:
    """The estate checks at one estate version: counts per check and the violations."""

    counts: dict[str, int]
    total: int
    violations: Iterable  # an EstateViolation queryset, or a list for this transaction only
    summary: Summary

    def matching(self, *, check: str = "", severity: str = ""):
        """The violations of one check and/or one severity (all when not given)."""
        wanted = {"check_code": check, "severity": severity}
        wanted = {name: value for name, value in wanted.items() if value}
        if isinstance(self.violations, models.QuerySet):
            if not wanted:
                return self.violations
            # The ranks they can have too, so that the order's index finds them.
            ranks = {
                rank_of(code, level)
                for code in ([check] if check else checks.CHECKS)
                for level in ([severity] if severity else Severity.values)
            }
            return self.violations.filter(rank__in=sorted(ranks), **wanted)
        return [v for v in self.violations if all(getattr(v, k) == x for k, x in wanted.items())]


def estate_check_summary() -> CheckSummary:
    """The estate checks' counts and violations, checked again only when the estate changed;
    the findings kept from the last check stay as they are when they did not change."""
    found: list[tuple] = []  # rows in the order of VIOLATION_COLUMNS

    def compute() -> dict:
        found[:] = [_violation_row(v) for v in checks.estate_check()]
        return {"counts": dict(Counter(row[2] for row in found)), "total": len(found)}

    def keep() -> None:
        _violations_keep(found)

    summary = summary_get(kind=CHECKS, compute=compute, keep=keep)
    if summary.version is None:
        violations = [
            EstateViolation(**dict(zip(VIOLATION_COLUMNS, row, strict=True)))
            for row in sorted(found, key=lambda row: (row[0], row[4]))
        ]
    else:
        violations = EstateViolation.objects.all()
    return CheckSummary(summary.data["counts"], summary.data["total"], violations, summary)


VIOLATION_COLUMNS = (
    "rank",
    "key",
    "check_code",
    "severity",
    "object",
    "object_url",
    "message",
    "fix_url",
)
_CHECK_ORDER = {code: index for index, code in enumerate(checks.CHECKS)}


def rank_of(check: str, severity: str) -> int:
    """Where a finding of `check` and `severity` is listed: errors first, in check order."""
    return _CHECK_ORDER[check] + (0 if severity == Severity.ERROR else len(_CHECK_ORDER))


def _violation_row(violation: checks.Violation) -> tuple:
    """The finding as a row in the order of VIOLATION_COLUMNS: its rank (errors first, in check
    order) and a key that is equal only for an equal finding."""
    rank = rank_of(violation.check, violation.severity)
    fields = (
        violation.check,
        violation.severity,
        violation.object[:500],
        violation.object_url,
        violation.message,
        violation.fix_url,
    )
    key = hashlib.blake2b("\x1f".join(fields).encode(), digest_size=16).hexdigest()
    return (rank, key, *fields)


def _violations_keep(rows: list[tuple]) -> None:
    """Make the kept findings `rows`: the ones kept already stay (same key, same id), those no
    longer found are deleted and the new ones inserted; all rewritten when fewer stay than go."""
    kept: dict[str, list[int]] = defaultdict(list)
    for pk, key in EstateViolation.objects.order_by().values_list("id", "key"):
        kept[key].append(pk)
    new = []
    for row in rows:
        same = kept.get(row[1])
        if same:
            same.pop()
        else:
            new.append(row)
    gone = sorted(pk for ids in kept.values() for pk in ids)
    if len(gone) > len(rows) - len(new):
        # Most findings changed (a scheme change can reword tens of thousands): emptying the
        # table and writing every row costs less than deleting them one id at a time.
        EstateViolation.objects.all().delete()
        new = rows
    else:
        for start in range(0, len(gone), 5000):
            EstateViolation.objects.filter(id__in=gone[start : start + 5000]).delete()
    _violations_write(new)


def _violations_write(rows: list[tuple]) -> None:
    """Insert the rows as plain values: COPY on PostgreSQL, one prepared INSERT elsewhere (a
    scheme change can make tens of thousands of findings at once)."""
    if not rows:
        return
    table = EstateViolation._meta.db_table
    columns = ", ".join(VIOLATION_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(VIOLATION_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


def zoning_summary() -> Summary:
    """The zoning plan's figures per fabric (initiators, targets, zones, host objects, findings,
    what changed since the last export) and the plan's own findings."""

    def compute() -> dict:
        plan = zoning_plan()
        fabrics = {}
        for fabric_plan in plan.fabrics:
            diff = zoning_diff_since_last(plan=fabric_plan)
            fabrics[str(fabric_plan.fabric.pk)] = {
                "initiators": len(fabric_plan.initiators),
                "targets": len(fabric_plan.targets),
                "zones": len(fabric_plan.zones),
                "hosts": len(fabric_plan.hosts),
                "findings": [
                    {"severity": f.severity, "message": f.message} for f in fabric_plan.findings
                ],
                "added": len(diff.added.initiators) if diff else 0,
                "removed": len(diff.removed.initiators) if diff else 0,
            }
        findings = [{"severity": f.severity, "message": f.message} for f in plan.findings]
        return {"fabrics": fabrics, "findings": findings}

    return summary_get(kind=ZONING, compute=compute)


def summaries_refresh() -> dict[str, float]:
    """Bring every summary up to the current estate version (beat runs it every minute, so
    pages rarely wait for a check); the seconds each took (next to nothing when current)."""
    took = {}
    for kind, get in ((CHECKS, estate_check_summary), (ZONING, zoning_summary)):
        start = time.perf_counter()
        get()
        took[kind] = time.perf_counter() - start
    return took
