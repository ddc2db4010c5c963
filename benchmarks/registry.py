"""The registry of benchmarks and the timing helpers they share.

A benchmark is a function ``fn(ctx) -> dict`` registered with ``@benchmark("name")``; it returns
``{"measures": {label: stats}, "ratios": {label: float}, ...}`` and the runner prints and saves it.
Still to come (hooks): survey statistics vs baseline (c), one GROUP BY over the same answers — register
it in a ``benchmarks/surveys.py`` imported from ``benchmarks.__main__.MODULES``; the public survey form
under load — append a target to ``benchmarks.submission.TARGETS``.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Benchmark:
    name: str
    fn: Callable
    description: str
    default: bool = True  # part of a plain `make bench`


BENCHMARKS: dict[str, Benchmark] = {}


def benchmark(name: str, description: str, default: bool = True):
    def register(fn):
        BENCHMARKS[name] = Benchmark(name, fn, description, default)
        return fn

    return register


def stats(samples_s: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples_s)
    return {
        "median_ms": round(statistics.median(ms), 2),
        "min_ms": round(ms[0], 2),
        "max_ms": round(ms[-1], 2),
        "runs": len(ms),
    }


def time_calls(call: Callable[[], object], runs: int, warmup: int) -> dict:
    """Median of ``runs`` timed calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return stats(samples)


def time_interleaved(calls: dict[str, Callable[[], object]], runs: int, warmup: int) -> dict[str, dict]:
    """Medians of ``runs`` rounds in which every call runs once, in turn (after ``warmup`` rounds).

    On a shared machine the load drifts over seconds; timing the portal and its baseline in alternation
    puts both under the same drift, so their ratio holds where back-to-back blocks would not. A call with
    a ``setup`` attribute has it run, untimed, before each of its timed runs."""
    for _ in range(warmup):
        for call in calls.values():
            getattr(call, "setup", lambda: None)()
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            getattr(call, "setup", lambda: None)()
            t0 = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - t0)
    return {name: stats(s) for name, s in samples.items()}


def ratio(measure: dict, baseline: dict, key: str = "median_ms") -> float | None:
    if not baseline or not baseline.get(key):
        return None
    return round(measure[key] / baseline[key], 2)
