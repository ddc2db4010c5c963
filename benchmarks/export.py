"""The .xlsx export of every unit (200,000 × SCALE) against baseline (d), a bare xlsxwriter loop.

Two portal sides, because both are what users get: ``portal_job`` is ``GET /unitview/export/`` as it
runs at this size — above ``EXPORT_SYNC_LIMIT`` it becomes a background job (in-process runner, as
without ``REDIS_URL``), timed from the request to the end of the download; ``portal_sync`` is the same
export answered in the request, with the limit raised in that worker (what a smaller export does).

Each run is a fresh subprocess (``python -m benchmarks.export portal_job|portal_sync|bare``) so its
peak RSS belongs to that export alone; the first run of each side is a warm-up (page cache).
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from benchmarks.dataset import ADMIN_PASSWORD, ROOT, top_up_units
from benchmarks.registry import benchmark, ratio, stats


def _rss_mb() -> float:
    """Peak resident set of this process so far, in MiB.

    /proc's VmHWM belongs to this process image; ``ru_maxrss`` would not do here because Linux carries
    the parent's high-water mark across fork and exec, so a small worker reports its parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0), so the peak read later is the export's own."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _run_portal(url: str, side: str) -> dict:
    from benchmarks.dataset import portal_app

    app = portal_app(url)
    app.config["REDIS_URL"] = ""  # the in-process runner
    jobs_dir = tempfile.mkdtemp(prefix="anwang-bench-jobs-")
    app.config["JOBS_DIR"] = jobs_dir
    # 200,000 rows are above the default limit anyway; 0 keeps the job path for a smaller --export-units.
    app.config["EXPORT_SYNC_LIMIT"] = 10**9 if side == "portal_sync" else 0
    try:
        return _export_once(app, side)
    finally:
        shutil.rmtree(jobs_dir, ignore_errors=True)


def _export_once(app, side: str) -> dict:
    from benchmarks.list_pages import login

    client = login(app, "admin", ADMIN_PASSWORD)
    client.get("/unitview/list/")  # imports and caches loaded before the high-water mark is read
    _reset_peak()
    before = _rss_mb()
    t0 = time.perf_counter()
    r = client.get("/unitview/export/", buffered=False)
    job = None
    if side == "portal_job":
        if r.status_code != 302 or "/jobs/" not in r.headers.get("Location", ""):
            raise RuntimeError(f"export answered {r.status_code}, not a redirect to a job")
        from portal.jobs import runner

        job = int(r.headers["Location"].rstrip("/").rsplit("/", 1)[1])
        runner.wait_local()
        status = client.get(f"/jobs/{job}/status").json
        if status["status"] != "done":
            raise RuntimeError(f"job {job} ended {status['status']}: {status.get('error')}")
        r = client.get(status["download"], buffered=False)
    if r.status_code != 200:
        raise RuntimeError(f"export answered {r.status_code}")
    size = sum(len(chunk) for chunk in r.response)
    r.close()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "bytes": size, "job": job, "rss_before_mb": before, "peak_rss_mb": _rss_mb()}


def _run_bare(url: str) -> dict:
    import sqlalchemy  # noqa: F401  (same libraries loaded before the mark, as on the portal side)
    import xlsxwriter  # noqa: F401

    from benchmarks.baselines import bare_export

    _reset_peak()
    before = _rss_mb()
    t0 = time.perf_counter()
    rows = bare_export(url)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": rows, "rss_before_mb": before, "peak_rss_mb": _rss_mb()}


def _subprocess(ctx, side: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.export", side], env=ctx.env, cwd=ROOT,
                         capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"export worker ({side}) failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


@benchmark("unit_export", "export every unit to .xlsx (200,000 × SCALE): time and peak RSS vs (d) bare xlsxwriter")
def unit_export(ctx) -> dict:
    total = ctx.sizes["export_units"]
    added = top_up_units(ctx, total)
    out = {"rows": total, "rows_added_for_export": added, "measures": {}, "runs": {}}
    sides = (("portal_job", "portal_job"), ("portal_sync", "portal_sync"), ("bare", "baseline_d_bare_xlsxwriter"))
    for side, label in sides:
        runs = [_subprocess(ctx, side) for _ in range(max(2, ctx.export_runs))]
        kept = runs[1:]  # first run warms the page cache
        m = stats([r["seconds"] for r in kept])
        m["median_s"] = round(m["median_ms"] / 1000, 2)
        m["peak_rss_mb"] = max(r["peak_rss_mb"] for r in kept)
        m["rss_before_mb"] = min(r["rss_before_mb"] for r in kept)
        m["rss_growth_mb"] = round(m["peak_rss_mb"] - m["rss_before_mb"], 1)
        m["rows_per_s"] = round(total / m["median_s"]) if m["median_s"] else None
        out["measures"][label] = m
        out["runs"][label] = kept
    d = out["measures"]["baseline_d_bare_xlsxwriter"]
    out["ratios"] = {}
    for label in ("portal_job", "portal_sync"):
        p = out["measures"][label]
        out["ratios"].update({
            f"time {label}/d": ratio(p, d),
            f"peak_rss {label}/d": ratio(p, d, "peak_rss_mb"),
            f"rss_growth {label}/d": ratio(p, d, "rss_growth_mb"),
        })
    return out


if __name__ == "__main__":  # the worker: one export, one JSON line on stdout
    side = sys.argv[1]
    url = os.environ["DATABASE_URL"]
    result = _run_bare(url) if side == "bare" else _run_portal(url, side)
    print(json.dumps(result))
