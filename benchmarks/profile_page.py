"""Profile one page request of the portal: where the time goes outside SQL.

    python -m benchmarks.profile_page [--db URL] [--user admin] [--top 40] [--sort cumulative] URL

Without ``--db`` a fresh banner-scale database is built first (as ``python -m benchmarks`` does; with
``--survey-answers`` the survey answers too); ``--db`` reuses one kept with ``python -m benchmarks --keep``.
The request runs once to warm up, then ``--runs`` times under cProfile (standard library, no extra
dependency). Printed: wall time per request, time and count of SQL statements (measured at the cursor),
and the functions with the most time.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

import sqlalchemy as sa


def sql_timer(engine) -> tuple[dict, callable]:
    """Count and time every statement on ``engine``; returns (totals, remove)."""
    totals = {"statements": 0, "seconds": 0.0}

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("_t0", []).append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        totals["statements"] += 1
        totals["seconds"] += time.perf_counter() - conn.info["_t0"].pop()

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)

    def remove():
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)

    return totals, remove


def profile(app, client, url: str, runs: int = 5, top: int = 40, sort: str = "tottime") -> str:
    """Profile ``runs`` GETs of ``url`` with an already logged-in test client; returns the report."""
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    r = client.get(url)  # warm: first-request work (template compilation, caches) is not the steady state
    if r.status_code != 200:
        raise RuntimeError(f"{url}: {r.status_code}")
    totals, remove = sql_timer(engine)
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    try:
        for _ in range(runs):
            prof.enable()
            client.get(url)
            prof.disable()
    finally:
        remove()
    wall = (time.perf_counter() - t0) / runs
    out = io.StringIO()
    out.write(f"{url}: {wall * 1000:.1f} ms per request (profiled, so slower than the benchmark); "
              f"SQL {totals['seconds'] / runs * 1000:.1f} ms in {totals['statements'] / runs:.0f} statements\n")
    pstats.Stats(prof, stream=out).sort_stats(sort).print_stats(top)
    return out.getvalue()


def main(argv=None) -> int:
    from benchmarks import dataset
    from benchmarks.list_pages import login

    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_page", description=__doc__.splitlines()[0])
    p.add_argument("url", nargs="?", default="/unitview/list/?psize_UnitView=100")
    p.add_argument("--db", help="a kept benchmark database (default: build a fresh one)")
    p.add_argument("--user", default="admin")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--sort", default="tottime", help="pstats key: tottime, cumulative, ncalls")
    p.add_argument("--survey-answers", action="store_true", help="also generate the survey answers")
    args = p.parse_args(argv)
    drop = lambda: None  # noqa: E731
    url = args.db
    if not url:
        url, drop = dataset.fresh_database()
    ctx = dataset.Context(url=url, dialect=url.split(":", 1)[0].split("+")[0], scale=1.0, sizes=dataset.sizes(1.0))
    try:
        if args.db:
            ctx.app = dataset.portal_app(url)
        else:
            dataset.build(ctx)
            if args.survey_answers:
                dataset.add_survey_answers(ctx, ctx.sizes["survey_answers"])
        password = dataset.ADMIN_PASSWORD if args.user == "admin" else dataset.DEMO_PASSWORD
        print(profile(ctx.app, login(ctx.app, args.user, password), args.url, args.runs, args.top, args.sort))
    finally:
        drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
