"""Public submissions under load: 50 concurrent clients for a bounded time, through a real gunicorn.

Baselines (benchmarks/baselines.py): (e) a minimal endpoint doing the same insert as a public answer
(added by benchmarks/surveys.py, which knows the questionnaire), and (e0) a tiny endpoint storing one
row of two columns. benchmarks/surveys.py adds the public questionnaire (``TARGETS.append(Target(...))``),
which gets the same run and a throughput ratio to each baseline.
A submission is the POST: a target whose form must be fetched first (CSRF token, idempotency key) fetches
its forms before the timed window (``prefetch``) and is compared with (e) POST for POST; a target with
``before`` measures the whole fetch-and-post cycle instead (a secondary figure with its own ratio).
Checks: 0 errors (fetches included), and every acknowledged submission stored (stored == acknowledged).
Each measure also reports ``server_cpu_ms``: the gunicorn processes' CPU time over the timed window per
acknowledged answer (a steadier figure than throughput on a shared machine), with its ratio to (e).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from benchmarks import baselines
from benchmarks.load import run_load
from benchmarks.registry import benchmark
from benchmarks.servers import group_cpu_seconds, gunicorn

CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 50))
DURATION = float(os.environ.get("BENCH_LOAD_SECONDS", 10))
# Forms each client fetches ahead of the window (``prefetch`` targets): enough for 1,250 POSTs/s over the
# default 10 s; "clients_out_of_forms" in the result says when it was not (with 100, half the clients ran
# out on a quiet machine and the figure came out low).
FORMS_PER_CLIENT = int(os.environ.get("BENCH_FORMS_PER_CLIENT", 250))


@dataclass
class Target:
    name: str
    app_spec: str  # gunicorn app spec
    path: str  # or a callable ctx -> path, evaluated after ``prepare``
    fields: Callable[[int, int], dict]
    count_stored: Callable[[str], int]  # database URL -> rows stored
    prepare: Callable = lambda ctx: None  # ctx -> None, before the server starts
    before: Callable | None = None  # see benchmarks.load.run_load: a GET before each POST, timed
    prefetch: Callable | None = None  # the same GET, for every form ahead of the timed window
    acknowledged: Callable | None = None  # (status, body) -> bool; default any 2xx
    ready_path: str = "/health"


def _answer(client: int, seq: int) -> dict:
    return {"client": f"c{client}", "answer": f"第{seq}份答卷 ᠰᠠᠶᠢᠨ"}


BASELINE_E0 = Target("baseline_e0_tiny_endpoint", "benchmarks.baselines:submission_app()", "/submit", _answer,
                     baselines.count_submissions, lambda ctx: baselines.prepare_submissions(ctx.url), ready_path="/")
# Baselines by short name ("e": the same insert as an answer, added by benchmarks/surveys.py; "e0": one
# tiny row); every portal target gets a ratio to each.
BASELINES: dict[str, Target] = {"e0": BASELINE_E0}
TARGETS: list[Target] = []  # portal targets: benchmarks/surveys.py adds the public questionnaire


def measure(ctx, target: Target) -> dict:
    target.prepare(ctx)
    path = target.path(ctx) if callable(target.path) else target.path
    before = target.count_stored(ctx.url)
    started, cpu = {}, {}

    def on_window(event):  # the server's CPU over the timed window only (prefetching comes before it)
        cpu[event] = group_cpu_seconds(started["pid"])

    with gunicorn(target.app_spec, ctx.env, ready_path=target.ready_path, started=started) as base:
        result = run_load(base + path, target.fields, concurrency=CONCURRENCY, duration=DURATION,
                          before=target.before, acknowledged=target.acknowledged, prefetch=target.prefetch,
                          prefetch_count=FORMS_PER_CLIENT, on_window=on_window)
    if cpu.get("open") is not None and cpu.get("closed") is not None and result["acknowledged"]:
        # Steadier than throughput on a noisy machine: what one answer costs the server, gunicorn included.
        result["server_cpu_ms"] = round((cpu["closed"] - cpu["open"]) / result["acknowledged"] * 1000, 2)
    result["stored"] = target.count_stored(ctx.url) - before
    result["stored_equals_acknowledged"] = result["stored"] == result["acknowledged"]
    result["ok"] = (result["error_count"] == 0 and not result.get("fetch_errors")
                    and result["stored_equals_acknowledged"])
    return result


@benchmark("public_submission", "50 concurrent clients POSTing forms through gunicorn: the survey form vs (e) "
                                "(POSTs of forms fetched ahead; and the GET+POST cycle)")
def public_submission(ctx) -> dict:
    measures = {b.name: measure(ctx, b) for b in BASELINES.values()}
    ratios = {}
    for t in TARGETS:
        measures[t.name] = measure(ctx, t)
        for short, baseline in BASELINES.items():
            b = measures[baseline.name]
            if b["per_second"] and measures[t.name]["per_second"]:
                ratios[f"throughput {t.name}/{short}"] = round(measures[t.name]["per_second"] / b["per_second"], 2)
            if b.get("server_cpu_ms") and measures[t.name].get("server_cpu_ms"):
                ratios[f"server CPU per answer {t.name}/{short}"] = round(
                    measures[t.name]["server_cpu_ms"] / b["server_cpu_ms"], 2)
    return {"measures": measures, "ratios": ratios, "targets_pending": [] if TARGETS else ["surveys public form"]}
