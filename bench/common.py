"""Timing helpers and the result lines shared by the benchmarks."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


def median_seconds(action: Callable[[], object], *, repeat: int = 30, warmup: int = 3) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


@dataclass(frozen=True)
class Result:
    """A median time against a baseline of the same run; `max_seconds` adds an absolute bound
    where the requirement states one in milliseconds."""

    name: str
    seconds: float
    baseline_name: str
    baseline_seconds: float
    max_ratio: float
    max_seconds: float | None = None

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds

    @property
    def ok(self) -> bool:
        within = self.max_seconds is None or self.seconds <= self.max_seconds
        return self.ratio <= self.max_ratio and within

    def line(self) -> str:
        verdict = "ok" if self.ok else "MISSED"
        absolute = "" if self.max_seconds is None else f", {self.max_seconds * 1000:g} ms"
        return (
            f"{self.name}: {self.seconds * 1000:.2f} ms; baseline {self.baseline_name}: "
            f"{self.baseline_seconds * 1000:.2f} ms; ratio {self.ratio:.1f} "
            f"(target <= {self.max_ratio:g}{absolute}) {verdict}"
        )


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


@dataclass(frozen=True)
class Unavailable:
    """A case that could not be measured: not built yet (not a miss), or broken (a miss)."""

    name: str
    reason: str
    ok: bool = True

    def line(self) -> str:
        return f"{self.name}: not available ({self.reason}){'' if self.ok else ' MISSED'}"
