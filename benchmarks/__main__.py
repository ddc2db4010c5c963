"""``python -m benchmarks [--only NAME ...] [--scale S]`` — build the data set, run, print, save JSON.

SCALE (env or --scale) multiplies the banner-scale set; DATABASE_URL=postgresql://... runs on a fresh
PostgreSQL database on that server, otherwise on a fresh SQLite file. Results: benchmarks/results/*.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
import time
import traceback

from benchmarks import dataset
from benchmarks.registry import BENCHMARKS

# Modules that register benchmarks, in run order (the export grows the unit table: it runs after the
# list pages so those measure the banner-scale set).
MODULES = ["benchmarks.list_pages", "benchmarks.surveys", "benchmarks.submission", "benchmarks.export"]
RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=float(os.environ.get("SCALE", 1)))
    p.add_argument("--only", nargs="*", help="benchmark names (default: all default ones)")
    p.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 15)))
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--export-runs", type=int, default=int(os.environ.get("BENCH_EXPORT_RUNS", 3)),
                   help="export runs per side, the first being a warm-up")
    p.add_argument("--export-units", type=int, default=None, help="override 200,000 × SCALE")
    p.add_argument("--no-gunicorn", action="store_true", help="skip the measurements through gunicorn")
    p.add_argument("--keep", action="store_true", help="keep the generated database")
    p.add_argument("--list", action="store_true")
    args = p.parse_args(argv)
    for m in MODULES:
        importlib.import_module(m)
    if args.list:
        for b in BENCHMARKS.values():
            print(f"{b.name:20} {b.description}")
        return 0
    chosen = [BENCHMARKS[n] for n in args.only] if args.only else [b for b in BENCHMARKS.values() if b.default]

    url, drop = dataset.fresh_database(keep=args.keep)
    dialect = url.split(":", 1)[0].split("+")[0]
    ctx = dataset.Context(url=url, dialect=dialect, scale=args.scale, sizes=dataset.sizes(args.scale),
                          runs=args.runs, warmup=args.warmup, export_runs=args.export_runs,
                          gunicorn=not args.no_gunicorn)
    if args.export_units:
        ctx.sizes["export_units"] = args.export_units
    summary = {
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "scale": args.scale, "dialect": dialect, "sizes": ctx.sizes,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "runs": args.runs, "warmup": args.warmup, "results": {},
    }
    t_all = time.perf_counter()
    failed = False
    try:
        print(f"== data set on {dialect}, SCALE={args.scale}: {ctx.sizes}", flush=True)
        dataset.build(ctx)
        print(f"   built in {ctx.timings}", flush=True)
        for b in chosen:
            print(f"== {b.name}: {b.description}", flush=True)
            t0 = time.perf_counter()
            try:
                res = b.fn(ctx)
            except Exception as e:  # one broken benchmark must not hide the others' figures
                failed = True
                traceback.print_exc()
                res = {"error": f"{type(e).__name__}: {e}"}
            res["seconds"] = round(time.perf_counter() - t0, 1)
            summary["results"][b.name] = res
            report(b.name, res)
    finally:
        summary["timings"] = ctx.timings
        summary["total_s"] = round(time.perf_counter() - t_all, 1)
        os.makedirs(RESULTS, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = os.path.join(RESULTS, f"{stamp}-{dialect}-x{args.scale:g}.json")
        with open(path, "w") as fh:
            json.dump(summary, fh, ensure_ascii=False, indent=2)
        print(f"== total {summary['total_s']} s; summary written to {path}")
        drop()
    return 1 if failed else 0


def report(name: str, res: dict) -> None:
    if "error" in res:
        print(f"   ERROR {res['error']}")
        return
    for block, prefix in ((res, ""), (res.get("gunicorn") or {}, "gunicorn ")):
        for label, m in (block.get("measures") or {}).items():
            if not m:
                continue
            keys = [k for k in ("median_ms", "median_s", "peak_rss_mb", "rss_growth_mb", "per_second",
                                "acknowledged", "stored", "error_count", "p95_ms", "server_cpu_ms", "forms_fetched", "clients_out_of_forms")
                    if m.get(k) is not None]
            print(f"   {prefix}{label:32} " + "  ".join(f"{k}={m[k]}" for k in keys))
        for label, r in (block.get("ratios") or {}).items():
            print(f"   {prefix}RATIO {label:26} {r}")
    if "counts" in res:
        for view, users in res["counts"].items():
            print(f"   {view:20} " + "  ".join(f"{u}: {c}" for u, c in users.items()))
        print(f"   max statements per list page: {res['max_statements']}")
    if "statements" in res:
        print(f"   statements per page: {res['statements']}")


if __name__ == "__main__":
    sys.exit(main())
