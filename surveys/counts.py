"""Per-question answer counters (``survey_answer_count``), kept in the same transaction as each answer.

Why: the statistics page counted every (question, option) by reading ``answers_json`` of every answer
sheet; on PostgreSQL the text ``json`` column is re-parsed per key read, 1.2 s at 200,000 answers
(docs/scaling.md). Counters per (campaign, version, grid, question, answer) make that a sum over a few
thousand rows; the grid in the key keeps the data scope (a township sums its own grids only).

Each counter is split over a few rows (``shard``, picked per answer) that readers sum, so answers to one
grid do not queue on one row lock. Every ORM insert of a ``Response`` adds its counts (``after_insert``, on the flush's connection, so a
rolled-back answer leaves no count); the public questionnaire inserts without the ORM and calls
``add_sheet`` in the same transaction. One upsert per counter row, in a fixed order and each row once, so concurrent submissions to the same grid wait on each other row by row and never
deadlock. Answers are never edited or deleted one by one (a campaign's counters go with it, ON DELETE
CASCADE). Rows written by bulk SQL bypass the ORM: call ``rebuild`` afterwards.
"""
from __future__ import annotations

import json
from collections import Counter

from flask import current_app
from sqlalchemy import delete, event, select, text

from forms import FormSchema
from surveys.models import AnswerCount, FormVersion, Response

SHEETS = ("", "")  # (question, value) of the row counting answer sheets
ANSWERED = ""  # value of the row counting sheets that answered a question
COUNTED_TYPES = ("single_choice", "yes_no", "rating")
_layouts: dict[str, list[tuple[str, str]]] = {}


def token(value) -> str:
    """The stored form of one answer value (JSON, as in answers_json): "weekly" → '"weekly"', True → 'true'."""
    return json.dumps(value, ensure_ascii=False)


def layout(schema: FormSchema) -> list[tuple[str, str]]:
    """(key, type) of the questions counted: every question is counted as answered; the options of
    choices, yes/no and ratings are counted too, free text is not (one row per distinct text)."""
    return [(spec.key, spec.type) for spec in schema.fields]


def _layout_of_json(schema_json: str) -> list[tuple[str, str]]:
    """Layouts cached by the schema text itself: a published version is frozen, and a cache keyed by
    content cannot go stale."""
    out = _layouts.get(schema_json)
    if out is None:
        if len(_layouts) > 256:
            _layouts.clear()
        out = _layouts[schema_json] = layout(FormSchema.from_dict(json.loads(schema_json)))
    return out


def tokens(fields: list[tuple[str, str]], answers: dict) -> Counter:
    """(question, value) → 1 for one answer sheet. Same rules as the SQL this replaces: a question is
    answered when its value is not null; a multiple choice counts each option chosen once."""
    out = Counter([SHEETS])
    answers = answers or {}
    for key, kind in fields:
        value = answers.get(key)
        if value is None:
            continue
        out[(key, ANSWERED)] = 1
        if kind == "multi_choice":
            for v in set(value if isinstance(value, list) else [value]):
                if v is not None:
                    out[(key, token(v))] = 1
        elif kind in COUNTED_TYPES:
            out[(key, token(value))] = 1
    return out


# INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n, the same text on PostgreSQL and SQLite ≥ 3.24.
# Textual statements because SQLAlchemy cannot cache the compiled form of the dialects'
# ``on_conflict_do_update`` constructs: it was compiled anew for every answer sheet (~0.5 ms), and a
# multi-row VALUES construct built per sheet cost the public questionnaire ~20 % (docs/scaling.md).
# This one row at a time, as an executemany (recounts, unusually large sheets); ``_sheet_upsert`` below.
_UPSERT = text(
    "INSERT INTO survey_answer_count (campaign_id, form_version_id, grid_id, question, value, shard, n) "
    "VALUES (:campaign_id, :form_version_id, :grid_id, :question, :value, :shard, :n) "
    "ON CONFLICT (campaign_id, form_version_id, grid_id, question, value, shard) "
    "DO UPDATE SET n = survey_answer_count.n + excluded.n"
)

# Each counter is kept in up to SHARDS rows, summed by readers. The upsert holds its rows' locks until
# the answer commits: with one row per counter, answers to one grid (everyone at a village meeting
# scanning its QR code) committed one at a time on PostgreSQL — ×0.27 of (e) against ×0.37 with 8 rows
# (docs/scaling.md, seventh round). ``SURVEY_COUNTER_SHARDS`` in the config; any value reads right.
SHARDS = 8


def shard_for(key: str | None) -> int:
    """The counter rows an answer adds to, from its idempotency key (random hex): a retry of the same
    answer would pick the same rows."""
    try:
        shards = int(current_app.config.get("SURVEY_COUNTER_SHARDS", SHARDS))
    except RuntimeError:  # outside an app context
        shards = SHARDS
    if shards <= 1 or not key:
        return 0
    try:
        return int(key[:8], 16) % shards
    except ValueError:
        return sum(key.encode()) % shards


def _rows(campaign_id, version_id, grid_id, counts: Counter, shard: int = 0) -> list[dict]:
    return [
        {"campaign_id": campaign_id, "form_version_id": version_id, "grid_id": grid_id or 0,
         "question": q, "value": v, "shard": shard, "n": n}
        for (q, v), n in sorted(counts.items())  # fixed order: concurrent upserts lock rows alike
    ]


# One answer sheet's counters as one statement (SQLite; PostgreSQL unnests arrays, below): INSERT …
# VALUES (…), (…) … ON CONFLICT, the text made once per number of rows. An executemany runs the upsert
# once per row on the server (a dozen times per sheet); the rows of one sheet are distinct counters, so
# one statement may update them all.
_SHEET_UPSERTS: dict[int, object] = {}
MAX_ROWS_IN_ONE = 64  # a larger sheet (unusual) goes through the executemany


def _sheet_upsert(n: int):
    stmt = _SHEET_UPSERTS.get(n)
    if stmt is None:
        values = ", ".join(f"(:campaign_id, :form_version_id, :grid_id, :q{i}, :v{i}, :shard, :n{i})"
                           for i in range(n))
        stmt = _SHEET_UPSERTS[n] = text(
            "INSERT INTO survey_answer_count (campaign_id, form_version_id, grid_id, question, value, shard, n) "
            f"VALUES {values} "
            "ON CONFLICT (campaign_id, form_version_id, grid_id, question, value, shard) "
            "DO UPDATE SET n = survey_answer_count.n + excluded.n"
        )
    return stmt


# PostgreSQL: the sheet's rows as three arrays, unnested. One text and a handful of parameters whatever the
# number of rows, so psycopg keeps the text parsed and prepares it after a few runs on a connection; the
# text per row count above has three parameters per row, past psycopg's limits for keeping a statement
# (50 parameters, 4,096 characters), so a sheet of a dozen questions was parsed anew on every answer by
# psycopg and planned anew by PostgreSQL.
SHEET_UPSERT_ARRAYS_SQL = (
    "INSERT INTO survey_answer_count (campaign_id, form_version_id, grid_id, question, value, shard, n) "
    "SELECT CAST(:campaign_id AS INTEGER), CAST(:form_version_id AS INTEGER), CAST(:grid_id AS INTEGER), "
    "t.q, t.v, CAST(:shard AS SMALLINT), t.n "
    "FROM unnest(CAST(:qs AS VARCHAR[]), CAST(:vs AS VARCHAR[]), CAST(:ns AS INTEGER[])) AS t (q, v, n) "
    "ON CONFLICT (campaign_id, form_version_id, grid_id, question, value, shard) "
    "DO UPDATE SET n = survey_answer_count.n + excluded.n"
)
_SHEET_UPSERT_ARRAYS = text(SHEET_UPSERT_ARRAYS_SQL)


def sheet_arrays(campaign_id: int, version_id: int, grid_id, fields: list[tuple[str, str]], answers: dict,
                 shard: int = 0) -> dict | None:
    """The parameters of ``SHEET_UPSERT_ARRAYS_SQL`` for one answer sheet (PostgreSQL), or None when it
    has no counters. Rows in the fixed order of ``_rows``: concurrent upserts lock rows alike."""
    items = sorted(tokens(fields, answers).items())
    if not items:
        return None
    return {"campaign_id": campaign_id, "form_version_id": version_id, "grid_id": grid_id or 0, "shard": shard,
            "qs": [q for (q, _v), _n in items], "vs": [v for (_q, v), _n in items], "ns": [n for _k, n in items]}


def add_sheet(connection, campaign_id: int, version_id: int, grid_id, fields: list[tuple[str, str]],
              answers: dict, shard: int = 0) -> None:
    """Count one answer sheet, on ``connection``: inside the transaction that stores the sheet."""
    if connection.dialect.name == "postgresql":
        arrays = sheet_arrays(campaign_id, version_id, grid_id, fields, answers, shard)
        if arrays is not None:
            connection.execute(_SHEET_UPSERT_ARRAYS, arrays)
        return
    rows = _rows(campaign_id, version_id, grid_id, tokens(fields, answers), shard)
    if not rows:
        return
    if len(rows) > MAX_ROWS_IN_ONE:
        connection.execute(_UPSERT, rows)
        return
    params = {"campaign_id": campaign_id, "form_version_id": version_id, "grid_id": grid_id or 0, "shard": shard}
    for i, row in enumerate(rows):
        params[f"q{i}"], params[f"v{i}"], params[f"n{i}"] = row["question"], row["value"], row["n"]
    connection.execute(_sheet_upsert(len(rows)), params)


@event.listens_for(Response, "after_insert")
def _count_answer(mapper, connection, target: Response) -> None:
    version = target.__dict__.get("form_version")  # no extra SELECT when the caller set the version
    if version is not None and version.id == target.form_version_id:
        schema_json = version.schema_json
    else:
        schema_json = connection.execute(
            select(FormVersion.schema_json).where(FormVersion.id == target.form_version_id)
        ).scalar_one()
    add_sheet(connection, target.campaign_id, target.form_version_id, target.grid_id, _layout_of_json(schema_json),
              target.answers_json, shard_for(target.idempotency_key))


def rebuild(connection, campaign_id: int, batch: int = 2000, spread: bool = False) -> int:
    """Recount a campaign's counters from its stored answers (after bulk loads, or to repair). Also
    compacts: every counter in one row (shard 0), where live answers spread it over up to SHARDS rows.
    ``spread``: leave the rows as live answers would have (the benchmarks measure the statistics page
    against that). Runs on a Core connection: no data scope, the caller decides. Returns the number of
    counter rows."""
    connection.execute(delete(AnswerCount.__table__).where(AnswerCount.campaign_id == campaign_id))
    schemas = {vid: _layout_of_json(text) for vid, text in connection.execute(
        select(FormVersion.id, FormVersion.schema_json))}
    totals: dict[tuple, Counter] = {}
    r = Response.__table__
    result = connection.execute(  # streamed; the option on the statement, not on the shared connection
        select(r.c.form_version_id, r.c.grid_id, r.c.answers_json, r.c.idempotency_key)
        .where(r.c.campaign_id == campaign_id).execution_options(yield_per=batch)
    )
    for version_id, grid_id, answers, key in result:
        fields = schemas[version_id]
        if isinstance(answers, str):
            answers = json.loads(answers)
        shard = shard_for(key) if spread else 0
        totals.setdefault((version_id, grid_id or 0, shard), Counter()).update(tokens(fields, answers))
    rows = []
    for (version_id, grid_id, shard), counts in sorted(totals.items()):
        rows.extend(_rows(campaign_id, version_id, grid_id, counts, shard))
    for i in range(0, len(rows), batch):
        connection.execute(AnswerCount.__table__.insert(), rows[i:i + batch])
    return len(rows)


__all__ = ["ANSWERED", "SHEETS", "add_sheet", "layout", "rebuild", "shard_for", "token", "tokens"]
