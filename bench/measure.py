"""Timing helpers: alternate A and B, medians of repetitions after a warm-up, percentiles."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def per_call(action: Callable[[], object], calls: int) -> float:
    """Seconds per call of `action`, over `calls` calls."""
    started = time.perf_counter()
    for _ in range(calls):
        action()
    return (time.perf_counter() - started) / calls


def alternate(a: Callable[[], object], b: Callable[[], object], *, calls: int, reps: int) -> tuple[float, float]:
    """Median seconds per call of A and of B, measured alternately (A, B, A, B …) after one warm-up each."""
    per_call(a, max(calls // 5, 1))
    per_call(b, max(calls // 5, 1))
    times_a, times_b = [], []
    for _ in range(reps):
        times_a.append(per_call(a, calls))
        times_b.append(per_call(b, calls))
    return statistics.median(times_a), statistics.median(times_b)


def latencies(action: Callable[[], object], calls: int) -> list[float]:
    found = []
    for _ in range(calls):
        started = time.perf_counter()
        action()
        found.append(time.perf_counter() - started)
    return found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
