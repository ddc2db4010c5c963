"""Public submissions under load: 50 concurrent clients for a bounded time, through a real gunicorn.

Now: baseline (e), the tiny endpoint of benchmarks/baselines.py. Checks: 0 errors, and every acknowledged
submission stored (stored == acknowledged). The surveys wing adds its public form as a target:
``TARGETS.append(Target(name, app_spec, path, fields, count_stored))`` and gets the same run and a ratio
to (e).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from benchmarks import baselines
from benchmarks.load import run_load
from benchmarks.registry import benchmark
from benchmarks.servers import gunicorn

CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 50))
DURATION = float(os.environ.get("BENCH_LOAD_SECONDS", 10))


@dataclass
class Target:
    name: str
    app_spec: str  # gunicorn app spec
    path: str
    fields: Callable[[int, int], dict]
    count_stored: Callable[[str], int]  # database URL -> rows stored
    prepare: Callable[[str], None] = lambda url: None


def _answer(client: int, seq: int) -> dict:
    return {"client": f"c{client}", "answer": f"第{seq}份答卷 ᠰᠠᠶᠢᠨ"}


BASELINE_E = Target("baseline_e_tiny_endpoint", "benchmarks.baselines:submission_app()", "/submit", _answer,
                    baselines.count_submissions, baselines.prepare_submissions)
TARGETS: list[Target] = []  # portal/survey targets go here


def measure(ctx, target: Target) -> dict:
    target.prepare(ctx.url)
    before = target.count_stored(ctx.url)
    with gunicorn(target.app_spec, ctx.env, ready_path="/health" if target is not BASELINE_E else "/") as base:
        result = run_load(base + target.path, target.fields, concurrency=CONCURRENCY, duration=DURATION)
    result["stored"] = target.count_stored(ctx.url) - before
    result["stored_equals_acknowledged"] = result["stored"] == result["acknowledged"]
    result["ok"] = result["error_count"] == 0 and result["stored_equals_acknowledged"]
    return result


@benchmark("public_submission", "50 concurrent clients POSTing forms through gunicorn (baseline e; surveys later)")
def public_submission(ctx) -> dict:
    measures = {BASELINE_E.name: measure(ctx, BASELINE_E)}
    ratios = {}
    for t in TARGETS:
        measures[t.name] = measure(ctx, t)
        b = measures[BASELINE_E.name]
        if b["per_second"] and measures[t.name]["per_second"]:
            ratios[f"throughput e/{t.name}"] = round(b["per_second"] / measures[t.name]["per_second"], 2)
    return {"measures": measures, "ratios": ratios, "targets_pending": [] if TARGETS else ["surveys public form"]}
