"""Timing helpers shared by the benchmarks."""

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
    name: str
    seconds: float
    baseline_name: str
    baseline_seconds: float
    max_ratio: float

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds

    @property
    def ok(self) -> bool:
        return self.ratio <= self.max_ratio

    def line(self) -> str:
        verdict = "ok" if self.ok else "MISSED"
        return (
            f"{self.name}: {self.seconds * 1000:.2f} ms; baseline {self.baseline_name}: "
            f"{self.baseline_seconds * 1000:.2f} ms; ratio {self.ratio:.1f} "
            f"(target <= {self.max_ratio:g}) {verdict}"
        )
