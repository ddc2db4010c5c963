"""Baselines: the same work done the plainest way, measured in the same run as the portal.

(a) ``minimal_app``: a hand-written Flask view, one joined SELECT of the 100 rows, a plain Jinja table
    (a template compiled once, as a template file is).
(b) ``StockUnitView``: a stock FAB ModelView on the same model (no eager loading beyond the model's own,
    FAB's default search widgets and permission checks), in the portal app under /stockunitview/ — the
    same app because an AppBuilder belongs to one app (fab-notes).
(d) ``bare_export``: xlsxwriter constant_memory over the same joined rows from a streamed cursor.
(e) ``same_insert_app``: a minimal endpoint doing the same insert as a public answer: the answer sheet
    as posted into ``survey_response``, the device mark, the per-question counters, one transaction.
(e0) ``submission_app``: a tiny endpoint storing one row of two columns per POST (the floor).
"""
from __future__ import annotations

import os
import tempfile

import sqlalchemy as sa
from flask import Flask, abort, render_template, request
from jinja2 import DictLoader

UNIT_LIST_COLUMNS = ["name", "credit_code", "kind", "grid", "management_mode", "intake_status", "last_verified"]
EXPORT_COLUMNS = [
    "name", "credit_code", "kind", "industry_code", "scale", "sectors", "fire_key", "address", "legal_rep",
    "safety_contact", "phone", "employees", "grid_name", "grid_code", "management_mode", "intake_status",
    "last_verified",
]

# -- (b) stock FAB ModelView ----------------------------------------------------------------------------


def register_stock_view(app) -> None:
    from flask_appbuilder import ModelView
    from flask_appbuilder.models.sqla.interface import SQLAInterface

    from portal.extensions import appbuilder
    from portal.ledger.models import Unit

    class StockUnitView(ModelView):
        datamodel = SQLAInterface(Unit)
        list_columns = UNIT_LIST_COLUMNS

    with app.app_context():
        appbuilder.add_view_no_menu(StockUnitView)
        appbuilder.add_view_no_menu(page_floor_view())


FLOOR_URL = "/benchpagefloor/"


def page_floor_view():
    """Not a baseline but the floor under every portal page: a logged-in page with nothing in it — the
    permission check, the user load (roles, groups, profile), the request's transaction, and FAB's layout
    with the portal's navigation. What a list page costs beyond (a) starts here."""
    from flask_appbuilder import BaseView, expose, has_access

    class PageFloorView(BaseView):
        route_base = FLOOR_URL.rstrip("/")
        default_view = "index"

        @expose("/")
        @has_access
        def index(self):
            return self.render_template(self.appbuilder.base_template, appbuilder=self.appbuilder)

    return PageFloorView


# -- (a) minimal Flask view -----------------------------------------------------------------------------

TABLE = """<!doctype html><html><head><meta charset="utf-8"><title>Units</title></head><body>
<table><thead><tr>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for r in rows %}<tr><td><a href="/units/{{ r.id }}">{{ r.name }}</a></td><td>{{ r.credit_code or "" }}</td>
<td>{{ r.kind }}</td><td>{{ r.grid_name }}</td><td>{{ r.management_mode }}</td><td>{{ r.intake_status }}</td>
<td>{{ r.last_verified or "" }}</td></tr>{% endfor %}
</tbody></table></body></html>"""


def _joined_units(engine):
    meta = sa.MetaData()
    unit = sa.Table("unit", meta, autoload_with=engine)
    grid = sa.Table("grid", meta, autoload_with=engine)
    return unit, grid


def minimal_app(url: str | None = None) -> Flask:
    url = url or os.environ["DATABASE_URL"]
    engine = sa.create_engine(url)
    unit, grid = _joined_units(engine)
    engine.dispose()  # reflected in the gunicorn master: workers must open their own connections
    app = Flask("baseline_a")
    # The table as a template file is to any Flask app: compiled once and kept by Jinja's loader.
    # (Rendering it with render_template_string compiled it again on every request, ~3 ms of the
    # baseline's ~6 ms, which flattered every ratio to (a) before the eleventh round.)
    app.jinja_loader = DictLoader({"units.html": TABLE})

    @app.get("/units/")
    def units():
        n = request.args.get("n", 100, type=int)
        stmt = (
            sa.select(unit.c.id, unit.c.name, unit.c.credit_code, unit.c.kind, grid.c.name_zh.label("grid_name"),
                      unit.c.management_mode, unit.c.intake_status, unit.c.last_verified)
            .join(grid, grid.c.id == unit.c.grid_id)
            .order_by(unit.c.id)
            .limit(n)
        )
        with engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return render_template("units.html", headers=UNIT_LIST_COLUMNS, rows=rows)

    return app


# -- (d) bare xlsxwriter loop ---------------------------------------------------------------------------


def bare_export(url: str, path: str | None = None) -> int:
    """Write every unit with its grid to .xlsx the plainest streaming way; returns rows written."""
    import xlsxwriter

    engine = sa.create_engine(url)
    unit, grid = _joined_units(engine)
    cols = [unit.c[c] for c in EXPORT_COLUMNS[:12]] + [grid.c.name_zh, grid.c.code] + [
        unit.c.management_mode, unit.c.intake_status, unit.c.last_verified]
    stmt = sa.select(*cols).join(grid, grid.c.id == unit.c.grid_id).order_by(unit.c.id)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    path = path or tmp
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path)})
    ws = wb.add_worksheet("units")
    ws.write_row(0, 0, EXPORT_COLUMNS)
    n = 0
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=1000).execute(stmt)
        for n, row in enumerate(result, start=1):
            ws.write_row(n, 0, ["" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v) for v in row])
    wb.close()
    engine.dispose()
    if path == tmp:
        os.unlink(tmp)
    return n


# -- (e) tiny public-submission endpoint ----------------------------------------------------------------

SUBMISSION_TABLE = "bench_submission"


def submission_table(meta: sa.MetaData) -> sa.Table:
    return sa.Table(
        SUBMISSION_TABLE, meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
    )


def submission_engine(url: str):
    if url.startswith("sqlite"):
        # Many writers on one SQLite file: wait for the lock instead of failing (WAL set once below).
        return sa.create_engine(url, connect_args={"timeout": 60})
    return sa.create_engine(url, pool_size=8, max_overflow=8)


def prepare_submissions(url: str) -> None:
    engine = submission_engine(url)
    meta = sa.MetaData()
    table = submission_table(meta)
    meta.create_all(engine)
    with engine.begin() as conn:
        if url.startswith("sqlite"):
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        conn.execute(table.delete())
    engine.dispose()


def count_submissions(url: str) -> int:
    engine = submission_engine(url)
    with engine.connect() as conn:
        n = conn.execute(sa.text(f"SELECT count(*) FROM {SUBMISSION_TABLE}")).scalar()
    engine.dispose()
    return n


def submission_app(url: str | None = None) -> Flask:
    """POST /submit with form fields ``client`` and ``answer``: one INSERT, 201 with the new id."""
    url = url or os.environ["DATABASE_URL"]
    engine = submission_engine(url)
    table = submission_table(sa.MetaData())
    app = Flask("baseline_e")

    @app.post("/submit")
    def submit():
        client = request.form.get("client", "")
        answer = request.form.get("answer", "")
        if not client or not answer:
            abort(400)
        with engine.begin() as conn:
            new_id = conn.execute(table.insert().values(client=client[:40], payload=answer)).inserted_primary_key[0]
        return {"id": new_id}, 201

    return app


# -- (e) the same insert as a public answer, done the plainest way ---------------------------------------

_SKIP_FIELDS = {"website", "idempotency_key", "form_token", "schema_hash", "schema_version"}


def same_insert_app(url: str | None = None) -> Flask:
    """POST /answer?campaign=&version=&grid= with the questionnaire's fields: what the portal writes for
    one answer, written by hand in one transaction — a device mark (a new device per POST), the answer
    sheet (the posted fields as JSON) in ``survey_response``, and one counter row per answered question
    and per chosen value in ``survey_answer_count`` (one multi-row upsert). No validation, no scoring,
    no page: 201 with the new id."""
    import hashlib
    import json
    import secrets

    url = url or os.environ["DATABASE_URL"]
    engine = submission_engine(url)
    app = Flask("baseline_e_same_insert")
    device_sql = sa.text("INSERT INTO survey_device (campaign_id, token_hash) VALUES (:c, :h)")
    response_sql = sa.text(
        "INSERT INTO survey_response (campaign_id, form_version_id, grid_id, submitted_at, answers_json, "
        "correct_count, knowledge_count, knows_worker, idempotency_key) "
        "VALUES (:c, :v, :g, CURRENT_TIMESTAMP, :answers, 0, 0, :knows, :key) RETURNING id"
    )

    @app.post("/answer")
    def answer():
        try:
            campaign, version, grid = (int(request.args[k]) for k in ("campaign", "version", "grid"))
        except (KeyError, ValueError):
            abort(400)
        answers = {k: v for k, v in request.form.items() if k not in _SKIP_FIELDS and v}
        if not answers:
            abort(400)
        key = secrets.token_hex(16)
        shard = int(key[:8], 16) % 8
        counters = sorted([("", "")] + [(k, "") for k in answers] + [(k, json.dumps(v, ensure_ascii=False))
                                                                     for k, v in answers.items()])
        values = ", ".join(f"(:c, :v, :g, :q{i}, :w{i}, :s, 1)" for i in range(len(counters)))
        params = {"c": campaign, "v": version, "g": grid, "s": shard}
        for i, (q, w) in enumerate(counters):
            params[f"q{i}"], params[f"w{i}"] = q, w
        with engine.begin() as conn:
            conn.execute(device_sql, {"c": campaign, "h": hashlib.sha256(key.encode()).hexdigest()})
            new_id = conn.execute(response_sql, {
                "c": campaign, "v": version, "g": grid, "answers": json.dumps(answers, ensure_ascii=False),
                "knows": answers.get("knows_worker") == "yes", "key": key,
            }).scalar_one()
            conn.execute(sa.text(
                "INSERT INTO survey_answer_count (campaign_id, form_version_id, grid_id, question, value, shard, n) "
                f"VALUES {values} ON CONFLICT (campaign_id, form_version_id, grid_id, question, value, shard) "
                "DO UPDATE SET n = survey_answer_count.n + excluded.n"), params)
        return {"id": new_id}, 201

    return app
