"""Profile the public questionnaire in-process: one GET of the form page and one POST of an answer sheet.

    python -m benchmarks.profile_submission [--db URL] [--runs 20] [--top 30] [--sort tottime] [--part get|post]

Each answer is made as a fresh device would make it: a new test client (no cookies), a GET (form token,
device cookie, schema hash, a new idempotency key), then the POST. The app is the one gunicorn serves in
``--only public_submission`` (``benchmarks.surveys.load_app``: CSRF on, the limiter running with the
per-IP limit raised). GETs and POSTs are profiled separately; SQL is counted and timed at the cursor.
Without ``--db`` a fresh banner-scale database is built first; ``--db`` reuses one kept with
``python -m benchmarks --only public_submission --keep``.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time


def _answer_once(app, path, seq, prof_get=None, prof_post=None, sql=None):
    from benchmarks.surveys import THANKS_MARKER, _answers, hidden_fields

    client = app.test_client()
    if prof_get:
        prof_get.enable()
    t0 = time.perf_counter()
    page = client.get(path)
    t1 = time.perf_counter()
    if prof_get:
        prof_get.disable()
    if page.status_code != 200:
        raise RuntimeError(f"GET {path}: {page.status_code}")
    form = {**_answers(0, seq), **hidden_fields(page.get_data(as_text=True))}
    n0 = sql["statements"] if sql else 0
    if prof_post:
        prof_post.enable()
    t2 = time.perf_counter()
    resp = client.post(path, data=form)
    t3 = time.perf_counter()
    if prof_post:
        prof_post.disable()
    if THANKS_MARKER not in resp.data:
        raise RuntimeError(f"POST {path}: {resp.status_code}, no thank-you page")
    return t1 - t0, t3 - t2, (sql["statements"] - n0) if sql else 0


def profile(app, path: str, runs: int = 20, top: int = 30, sort: str = "tottime", part: str = "both") -> str:
    from benchmarks.profile_page import sql_timer
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    for i in range(3):  # warm: template compilation, caches
        _answer_once(app, path, i)
    totals, remove = sql_timer(engine)
    prof_get, prof_post = cProfile.Profile(), cProfile.Profile()
    gets, posts, post_statements = [], [], []
    try:
        for i in range(runs):
            g, p, n = _answer_once(app, path, 100 + i, prof_get if part in ("both", "get") else None,
                                   prof_post if part in ("both", "post") else None, totals)
            gets.append(g)
            posts.append(p)
            post_statements.append(n)
    finally:
        remove()
    out = io.StringIO()
    out.write(f"{path}: GET {sum(gets) / runs * 1000:.1f} ms, POST {sum(posts) / runs * 1000:.1f} ms per request "
              f"(profiled parts are slower); SQL {totals['seconds'] / runs * 1000:.1f} ms in "
              f"{totals['statements'] / runs:.1f} statements per answer, {max(post_statements)} for the POST\n")
    for name, prof in (("GET", prof_get), ("POST", prof_post)):
        if part in ("both", name.lower()):
            out.write(f"\n===== {name} =====\n")
            pstats.Stats(prof, stream=out).sort_stats(sort).print_stats(top)
    return out.getvalue()


def main(argv=None) -> int:
    from benchmarks import dataset

    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_submission", description=__doc__.splitlines()[0])
    p.add_argument("--db", help="a kept benchmark database (default: build a fresh one)")
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--sort", default="tottime", help="pstats key: tottime, cumulative, ncalls")
    p.add_argument("--part", default="both", choices=("both", "get", "post"))
    args = p.parse_args(argv)
    if not args.db:
        # Build a fresh database, then profile in a child process: the profiled app is the one gunicorn
        # serves (CSRF on, limiter running), and an AppBuilder cannot be attached to a second app.
        import subprocess
        import sys

        url, drop = dataset.fresh_database()
        ctx = dataset.Context(url=url, dialect=url.split(":", 1)[0].split("+")[0], scale=1.0,
                              sizes=dataset.sizes(1.0))
        try:
            dataset.build(ctx)
            dataset.survey_campaign(ctx)
            from portal.extensions import db

            with ctx.app.app_context():
                db.engine.dispose()
            return subprocess.call([sys.executable, "-m", "benchmarks.profile_submission", "--db", url,
                                    *(argv if argv is not None else sys.argv[1:])], env=ctx.env)
        finally:
            drop()
    url = args.db
    ctx = dataset.Context(url=url, dialect=url.split(":", 1)[0].split("+")[0], scale=1.0, sizes=dataset.sizes(1.0))
    os.environ.update({k: v for k, v in ctx.env.items() if k in ("DATABASE_URL", "SECRET_KEY")})
    from benchmarks.surveys import _survey_path, load_app

    print(profile(load_app(), _survey_path(ctx), args.runs, args.top, args.sort, args.part))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
