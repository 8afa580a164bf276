"""Timing helpers, floors and the result lines shared by the benchmarks.

A result compares a time with a floor measured in the same run: the least the same work can
cost (the page's own SQL statements replayed, bare asyncssh, bare openpyxl, the ideal
schedule). Its target is a ratio to that floor, an absolute bound, or both; all are enforced.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(action: Callable[[], object], *, repeat: int = 30, warmup: int = 3) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 10 else f"{seconds:.1f} s"


@dataclass(frozen=True)
class Result:
    """A median time against a floor of the same run. `max_ratio` bounds the ratio to the
    floor, `max_seconds` the time itself (where the requirement states one); both hold."""

    name: str
    seconds: float
    baseline_name: str
    baseline_seconds: float
    max_ratio: float
    max_seconds: float | None = None

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds else float("inf")

    @property
    def ok(self) -> bool:
        within = self.max_seconds is None or self.seconds <= self.max_seconds
        return self.ratio <= self.max_ratio and within

    def target(self) -> str:
        parts = [] if self.max_ratio == float("inf") else [f"≤ {self.max_ratio:g}× floor"]
        if self.max_seconds is not None:
            parts.append(f"≤ {_ms(self.max_seconds)}")
        return ", ".join(parts)

    def line(self) -> str:
        verdict = "ok" if self.ok else "MISSED"
        return (
            f"{self.name}: {_ms(self.seconds)}; floor {self.baseline_name}: "
            f"{_ms(self.baseline_seconds)}; ratio {self.ratio:.2f} (target {self.target()}) "
            f"{verdict}"
        )

    def columns(self) -> dict:
        return {
            "name": self.name,
            "target": self.target(),
            "floor": f"{self.baseline_name}: {_ms(self.baseline_seconds)}",
            "ratio": f"{self.ratio:.2f}",
            "measured": _ms(self.seconds),
        }


@dataclass(frozen=True)
class QueryCounts:
    """Database queries of one page measured in several situations: the target is that they are
    all the same (no query per row, none that grows with the data)."""

    name: str
    counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return len(set(self.counts.values())) <= 1

    def line(self) -> str:
        counts = ", ".join(f"{label}: {count}" for label, count in self.counts.items())
        return f"{self.name} queries: {counts} (target: all equal) {'ok' if self.ok else 'MISSED'}"

    def columns(self) -> dict:
        return {
            "name": f"{self.name} queries",
            "target": "the same for every size",
            "measured": ", ".join(map(str, self.counts.values())),
        }


@dataclass(frozen=True)
class Memory:
    """Peak resident memory of a process that did only the work (and of one that did only the
    floor's work), against an absolute bound."""

    name: str
    peak_mb: float
    baseline_name: str
    baseline_mb: float
    max_mb: float

    @property
    def ok(self) -> bool:
        return self.peak_mb <= self.max_mb

    def line(self) -> str:
        return (
            f"{self.name}: peak {self.peak_mb:.0f} MB resident; floor {self.baseline_name}: "
            f"{self.baseline_mb:.0f} MB; target ≤ {self.max_mb:g} MB "
            f"{'ok' if self.ok else 'MISSED'}"
        )

    def columns(self) -> dict:
        return {
            "name": self.name,
            "target": f"≤ {self.max_mb:g} MB peak",
            "floor": f"{self.baseline_name}: {self.baseline_mb:.0f} MB",
            "ratio": f"{self.peak_mb / self.baseline_mb:.2f}" if self.baseline_mb else "",
            "measured": f"{self.peak_mb:.0f} MB",
        }


@dataclass(frozen=True)
class Unavailable:
    """A case that could not be measured: a miss."""

    name: str
    reason: str
    ok: bool = False

    def line(self) -> str:
        return f"{self.name}: not available ({self.reason}) MISSED"

    def columns(self) -> dict:
        return {"name": self.name, "measured": f"not available: {self.reason}"}


@dataclass(frozen=True)
class NotApplicable:
    """A case that cannot run on this setup, and why (e.g. it needs Redis): not a miss."""

    name: str
    why: str
    ok: bool = True

    def line(self) -> str:
        return f"{self.name}: cannot run on this setup ({self.why})"

    def columns(self) -> dict:
        return {"name": self.name, "measured": f"cannot run here: {self.why}"}


# The page's own SQL, replayed: what a page costs at least.


@contextmanager
def statements_recorded(into: list) -> Iterator[None]:
    """Record (sql, params) of every statement the default connection runs meanwhile."""
    from django.db import connection

    def record(execute, sql, params, many, context):
        into.append((sql, params, many))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield


def statements_replay(statements: list) -> None:
    """Run the statements again on a cursor and fetch every row, as the page did."""
    from django.db import connection

    with connection.cursor() as cursor:
        for sql, params, many in statements:
            if many:
                cursor.executemany(sql, params)
                continue
            cursor.execute(sql, params)
            if cursor.description is not None:
                cursor.fetchall()


def page_and_floor(client, url: str, *, repeat: int = 30) -> tuple[float, float, int]:
    """(median seconds of GET url, median seconds of replaying its statements, statements).
    Only reads are replayed (a session save would be the same write again)."""
    statements: list = []
    with statements_recorded(statements):
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    reads = [s for s in statements if s[0].lstrip().upper().startswith("SELECT")]
    page = median_seconds(lambda: client.get(url), repeat=repeat)
    floor = median_seconds(lambda: statements_replay(reads), repeat=repeat)
    return page, floor, len(statements)


# Memory: a process of its own, that does only the work.


def peak_rss_mb_of(function: str, **arguments) -> tuple[float, dict]:
    """Run `module:function(**arguments)` in a fresh Python process on this benchmark's
    database; (its peak resident memory in MB, what the function returned, as JSON)."""
    from django.db import connection

    script = (
        "import json, os, resource, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'lpmplanner.settings')\n"
        "import django; django.setup()\n"
        "from django.conf import settings; from django.db import connection\n"
        f"settings.DATABASES['default']['NAME'] = {connection.settings_dict['NAME']!r}\n"
        f"connection.settings_dict['NAME'] = {connection.settings_dict['NAME']!r}\n"
        "import importlib\n"
        f"module, name = {function!r}.split(':')\n"
        f"value = getattr(importlib.import_module(module), name)(**{arguments!r})\n"
        # VmHWM is this program's own high-water mark; ru_maxrss would keep, across exec, that
        # of the bench process the child was forked from (every child measured its parent).
        "status = open('/proc/self/status').read() if os.path.exists('/proc/self/status') else ''\n"
        "hwm = [line.split()[1] for line in status.splitlines() if line.startswith('VmHWM:')]\n"
        "peak = int(hwm[0]) / 1024 if hwm else "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'peak': peak, 'value': value}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"{function} failed:\n{done.stderr[-2000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["peak"], answer["value"]


def own_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
