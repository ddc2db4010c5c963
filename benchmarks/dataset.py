"""A fresh database with the banner-scale data set (×SCALE), and the portal app on it.

Banner scale: 1,000 basic grids, 1,000 grid workers, 20,000 units, 200,000 survey answers (SCALE
multiplies each; the answers are added by the survey benchmarks that need them). SQLite by
default (a new file in a temporary folder); with DATABASE_URL pointing at PostgreSQL a new database
``anwang_bench_<random>`` is created on that server (as tests/conftest.py does) and dropped afterwards.
Generation reuses portal/seed/demo.py (deterministic) with core bulk INSERTs.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ADMIN_PASSWORD = "bench-Admin-123"
DEMO_PASSWORD = "bench-Demo-123"
BANNER = {"grids": 1000, "people": 1000, "units": 20_000, "export_units": 200_000, "survey_answers": 200_000}


def sizes(scale: float) -> dict:
    return {k: max(1, int(v * scale)) for k, v in BANNER.items()}


@dataclass
class Context:
    url: str
    dialect: str
    scale: float
    sizes: dict
    runs: int = 15
    warmup: int = 3
    export_runs: int = 3
    gunicorn: bool = True
    app: object = None
    timings: dict = field(default_factory=dict)
    drop: object = None

    @property
    def env(self) -> dict:
        """Environment for subprocesses (export workers, gunicorn) pointing at the same database."""
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.url,
            "SECRET_KEY": "bench-" + "0" * 32,
            "FAB_UPDATE_PERMS": "0",
            "AUTH_RATE_LIMIT": "1000 per second",
            "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")])),
        })
        return env


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fresh_database(keep: bool = False) -> tuple[str, callable]:
    url = os.environ.get("DATABASE_URL")
    if not url or url.startswith("sqlite"):
        tmp = tempfile.mkdtemp(prefix="anwang-bench-")
        return f"sqlite:///{tmp}/bench.db", (lambda: None) if keep else (lambda: shutil.rmtree(tmp, True))
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    base = make_url(url)
    name = f"anwang_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        if keep:
            return
        from portal.extensions import db

        with contextlib.suppress(Exception):
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def portal_app(url: str):
    """The portal as the benchmarks drive it through the test client (CSRF and rate limits off)."""
    os.environ["DATABASE_URL"] = url
    from portal import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "AUTH_RATE_LIMITED": False,
        "RATELIMIT_ENABLED": False,
    })


def build(ctx: Context) -> None:
    """Migrate, seed, generate the banner-scale set; record how long each step took."""
    from portal.cli import create_demo_users, run_setup
    from portal.extensions import db
    from portal.security.scope import system_scope
    from portal.seed.demo import load_demo

    from benchmarks.baselines import register_stock_view

    app = portal_app(ctx.url)
    register_stock_view(app)  # baseline (b), before the first request
    ctx.app = app
    with app.app_context():
        t0 = time.perf_counter()
        run_setup(admin_password=ADMIN_PASSWORD)
        ctx.timings["setup_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        with system_scope("benchmark data"):
            load_demo(db.session, units=ctx.sizes["units"], grids=ctx.sizes["grids"])
            db.session.commit()
        create_demo_users(DEMO_PASSWORD)
        ctx.timings["generate_s"] = round(time.perf_counter() - t0, 1)
        analyze(db.engine)
        db.session.remove()


def top_up_units(ctx: Context, total: int) -> int:
    """Grow the unit table to ``total`` rows (for the export benchmark); returns rows added."""
    from portal.extensions import db
    from portal.ledger.models import Unit
    from portal.security.scope import system_scope
    from portal.seed.demo import add_units

    with ctx.app.app_context(), system_scope("benchmark data"):
        have = db.session.query(sa.func.count(Unit.id)).scalar()
        added = 0
        if have < total:
            t0 = time.perf_counter()
            added = add_units(db.session, total - have)
            db.session.commit()
            ctx.timings["top_up_s"] = round(time.perf_counter() - t0, 1)
            analyze(db.engine)
        db.session.remove()
    return added


def analyze(engine) -> None:
    """Fresh planner statistics after bulk loads, as an operator would run after an import.

    On PostgreSQL also VACUUM, as autovacuum does soon after a bulk insert (PostgreSQL ≥ 13 vacuums on
    inserts): it sets the visibility map, without which no count can be answered from an index."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
        return
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
        conn.commit()


# -- survey answers -----------------------------------------------------------------------------------

SURVEY_SLUG = "bench-awareness"


def survey_campaign(ctx: Context) -> tuple[int, str]:
    """The benchmark's campaign (the standard questionnaire over every village), open today."""
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import Campaign
    from surveys.seed import load_demo_campaign

    with ctx.app.app_context(), system_scope("benchmark data"):
        c = db.session.execute(sa.select(Campaign).where(Campaign.slug == SURVEY_SLUG)).scalar_one_or_none()
        if c is None:
            c = load_demo_campaign(db.session)
            c.slug = SURVEY_SLUG
            db.session.commit()
        out = (c.id, c.slug)
        db.session.remove()
    return out


BASELINE_SLUG = SURVEY_SLUG + "-e"


def baseline_campaign(ctx: Context) -> tuple[int, int, int]:
    """(campaign, version, grid) for baseline (e): a campaign of its own on the bench campaign's
    questionnaire version, so the baseline's rows stay out of the bench campaign's statistics; the grid
    is the one the public questionnaire's load posts for."""
    from portal.extensions import db
    from portal.grid.models import Grid
    from portal.security.scope import system_scope
    from surveys.models import Campaign

    survey_campaign(ctx)
    with ctx.app.app_context(), system_scope("benchmark data"):
        c = db.session.execute(sa.select(Campaign).where(Campaign.slug == BASELINE_SLUG)).scalar_one_or_none()
        if c is None:
            bench = db.session.execute(sa.select(Campaign).where(Campaign.slug == SURVEY_SLUG)).scalar_one()
            c = Campaign(slug=BASELINE_SLUG, title_zh="baseline (e)", form_version_id=bench.form_version_id,
                         start_date=bench.start_date, end_date=bench.end_date, active=True)
            db.session.add(c)
            db.session.commit()
        grid = db.session.execute(sa.select(Grid.id).where(Grid.level == 4).order_by(Grid.path).limit(1)).scalar_one()
        out = (c.id, c.form_version_id, grid)
        db.session.remove()
    return out


def add_survey_answers(ctx: Context, count: int, seed: int = 11, batch: int = 5000) -> int:
    """``count`` deterministic answer sheets of the bench campaign, spread over its basic grids and the
    last ten weeks, with core bulk INSERTs (scored by forms.score, as a real submission is)."""
    import datetime as dt
    import random

    from forms import score
    from portal.extensions import db
    from portal.grid.models import Grid
    from portal.security.scope import system_scope
    from surveys.counts import rebuild
    from surveys.models import Campaign, Response
    from surveys.versions import schema_of

    campaign_id, _slug = survey_campaign(ctx)
    rng = random.Random(seed)
    t0 = time.perf_counter()
    with ctx.app.app_context(), system_scope("benchmark data"):
        campaign = db.session.get(Campaign, campaign_id)
        schema, version_id = schema_of(campaign.form_version), campaign.form_version_id
        grids = db.session.execute(sa.select(Grid.id).where(Grid.level == 4).order_by(Grid.id)).scalars().all()
        start = db.session.query(sa.func.count(Response.id)).filter(Response.campaign_id == campaign_id).scalar()
        now = dt.datetime.now().replace(microsecond=0)
        rows = []

        def pick(yes_share, right, wrong):
            return right if rng.random() < yes_share else rng.choice(wrong)

        for i in range(start, start + count):
            knows = rng.random() < 0.7
            answers = {"knows_worker": knows}
            if knows:
                answers["worker_visits"] = rng.choice(["weekly", "monthly", "rarely", "never"])
            answers["knows_boundary"] = pick(0.6, "village_area", ["whole_banner", "unknown"])
            answers["report_hazard"] = pick(0.8, "tell_worker", ["ignore", "unknown"])
            answers["reward"] = rng.random() < 0.65
            answers["major_hazard"] = pick(0.55, "severe", ["minor", "unknown"])
            if rng.random() < 0.05:
                answers["suggestion"] = f"建议{i}：多开展宣传"
            correct, knowledge = score(schema, answers)
            rows.append({
                "campaign_id": campaign_id, "form_version_id": version_id,
                "grid_id": grids[rng.randrange(len(grids))] if rng.random() < 0.98 else None,
                "submitted_at": now - dt.timedelta(seconds=rng.randrange(70 * 24 * 3600)),
                "answers_json": answers, "correct_count": correct, "knowledge_count": knowledge,
                "knows_worker": knows, "idempotency_key": f"bench{i:027x}",
            })
            if len(rows) >= batch:
                db.session.execute(sa.insert(Response.__table__), rows)
                rows = []
        if rows:
            db.session.execute(sa.insert(Response.__table__), rows)
        # Bulk INSERTs bypass the ORM listener that keeps the per-question counters: recount, as
        # surveys/counts.py asks of any bulk load — spread over the shards as live answers leave them.
        rebuild(db.session.connection(), campaign_id, spread=True)
        db.session.commit()
        analyze(db.engine)
        db.session.remove()
    ctx.timings["survey_answers_s"] = round(time.perf_counter() - t0, 1)
    return count
