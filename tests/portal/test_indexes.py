"""Every filter and sort a list view offers has an index; the scope's subtree test uses one on PostgreSQL."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

# Deliberately without an index, and why.
EXEMPT = {
    ("grid", "active"): "nearly every grid is active: the planner would never use it",
    ("user_profile", "sectors"): "a comma list, sortable only by FAB's default; one row per user",
}


# Tables that stay small at banner and province scale: a scan of them costs less than keeping an
# index per filter column current on every write. Sizes are per banner per year.
SMALL_TABLES = {
    "survey_campaign": "a few campaigns a year",
    "reward_scale": "a handful of rows, edited by the office",
    "reward_claim": "tens of claims a year",
    "tipoff": "hundreds of tip-offs a year",
    "meeting": "one meeting per township every two months (about 120 a year)",
    "meeting_attendance": "people per meeting: a few thousand rows a year",
    "training_session": "tens of sessions a year",
    "training_attendance": "about two rows per grid worker a year",
    "kit_issue": "one row per grid worker",
    "leave_request": "a few leave requests per worker a year; its lookups go through person_id",
}


def _indexed_leading_columns(engine, table: str) -> set[str]:
    insp = sa.inspect(engine)
    cols = {ix["column_names"][0] for ix in insp.get_indexes(table) if ix["column_names"]}
    cols |= {uc["column_names"][0] for uc in insp.get_unique_constraints(table) if uc["column_names"]}
    cols |= set(insp.get_pk_constraint(table)["constrained_columns"][:1])
    return cols


def test_list_filters_and_sorts_are_indexed(app):
    from portal.extensions import appbuilder, db
    from portal.views_base import PortalModelView

    with app.app_context():
        engine = db.engine
    missing = []
    for view in appbuilder.baseviews:
        if not isinstance(view, PortalModelView):
            continue
        model = view.datamodel.obj
        table = model.__table__
        wanted = set(view.search_columns or []) | set(view.order_columns or [])
        if view.base_order:
            wanted.add(view.base_order[0])
        indexed = _indexed_leading_columns(engine, table.name)
        for col in wanted:
            if col not in table.c or (table.name, col) in EXEMPT or table.name in SMALL_TABLES:
                continue  # relations and computed columns are filtered through their own keys
            if col not in indexed:
                missing.append(f"{type(view).__name__}: {table.name}.{col}")
    assert not missing, "filters/sorts without an index: " + ", ".join(sorted(missing))


def test_subtree_prefix_test_uses_the_path_index_on_postgresql(app):
    from portal.extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's LIKE is case-insensitive and never uses an index")
    with engine.connect() as conn:
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.execute(sa.text("EXPLAIN SELECT id FROM grid WHERE path LIKE '/1/7/%'")))
        ordered = "\n".join(r[0] for r in conn.execute(sa.text("EXPLAIN SELECT id FROM grid ORDER BY path LIMIT 5")))
    assert "ix_grid_path" in plan and "Seq Scan" not in plan, plan
    assert "ix_grid_path" in ordered, ordered
