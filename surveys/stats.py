"""Survey statistics, computed in SQL (GROUP BY), never by looping over answer rows in Python.

All queries go through the ORM session, so the data scope applies by itself: a station sees its own
township's answers and grid nodes only.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import case, func, literal, select

from portal.grid.models import Grid
from portal.security.scope import current_scope
from surveys.models import Response

LEVELS = (1, 2, 3, 4)


@dataclass
class GridStat:
    grid_id: int
    level: int
    code: str | None
    name_zh: str
    name_mn: str | None
    path: str
    respondents: int
    correct: int
    knowledge: int
    knows_yes: int
    knows_answered: int

    @property
    def awareness_rate(self) -> float | None:
        """Share of correct answers to knowledge questions (知晓率)."""
        return self.correct / self.knowledge if self.knowledge else None

    @property
    def knows_worker_rate(self) -> float | None:
        """Share of "yes" to "do you know your grid worker"."""
        return self.knows_yes / self.knows_answered if self.knows_answered else None


def _sums():
    return (
        func.count(Response.id).label("n"),
        func.coalesce(func.sum(Response.correct_count), 0).label("correct"),
        func.coalesce(func.sum(Response.knowledge_count), 0).label("knowledge"),
        func.coalesce(func.sum(case((Response.knows_worker.is_(True), 1), else_=0)), 0).label("knows_yes"),
        func.count(Response.knows_worker).label("knows_answered"),
    )


def awareness_by_level(session, campaign_id: int, levels=LEVELS) -> list[GridStat]:
    """Awareness per grid node at every level (banner, township, village, basic), in tree order.

    Two statements: the answers summed per grid in SQL (one GROUP BY, at most one row per grid, with the
    grid's path), and the grid nodes of ``levels`` in the viewer's subtree; each per-grid row is then
    added to the nodes on its path (ids in ``/1/7/42/``), at most four dictionary additions per grid.
    Cost grows with the number of grids, not with the number of answers beyond the first index scan.

    Why not one statement joining ancestors by the path prefix (``node.path LIKE anc.path || '%'``):
    that tests every (grid, ancestor) pair, 1,000 × 1,300 at banner scale, 1.0 s on SQLite where these
    two statements take a few ms plus the GROUP BY (docs/scaling.md, benchmarks/surveys.py).
    """
    scope = current_scope()
    if not scope.unrestricted and scope.kind != "subtree":
        return []
    # Core alias of the grid table, not the ORM class: the scope's loader criteria are written against
    # the Grid class and are not adapted to aliases (SQLite: "no such column: grid.path"). Answers are
    # already scoped through Response; nodes are limited to the viewer's subtree by hand.
    node = Grid.__table__.alias("node")
    sums = (
        select(Response.grid_id.label("grid_id"), *_sums())
        .where(Response.campaign_id == campaign_id, Response.grid_id.is_not(None))
        .group_by(Response.grid_id)
        .subquery()
    )
    per_grid = select(node.c.path, *list(sums.c)[1:]).join_from(sums, node, node.c.id == sums.c.grid_id)
    totals_by_id: dict[int, list[int]] = {}
    for path, *sums in session.execute(per_grid):
        sums = [int(v or 0) for v in sums]
        for part in path.strip("/").split("/"):
            acc = totals_by_id.get(int(part))
            if acc is None:
                totals_by_id[int(part)] = list(sums)
            else:
                for i, v in enumerate(sums):
                    acc[i] += v
    if not totals_by_id:
        return []
    grid = Grid.__table__.alias("anc")
    nodes = (
        select(grid.c.id, grid.c.level, grid.c.code, grid.c.name_zh, grid.c.name_mn, grid.c.path)
        .where(grid.c.level.in_(list(levels)))
        .order_by(grid.c.path)
    )
    if scope.kind == "subtree":
        nodes = nodes.where(grid.c.path.like(scope.prefix + "%"))
    return [GridStat(*row, *totals_by_id[row[0]]) for row in session.execute(nodes) if row[0] in totals_by_id]


def totals(session, campaign_id: int) -> GridStat:
    """All answers the viewer may see (including those not tied to a grid)."""
    row = session.execute(select(*_sums()).where(Response.campaign_id == campaign_id)).one()
    return GridStat(0, 0, None, "", None, "", *(int(v or 0) for v in row))


def weekly_trend(session, campaign_id: int) -> list[tuple[dt.date, int, float | None]]:
    """(Monday of the week, respondents, awareness rate) per week."""
    if session.get_bind().dialect.name == "sqlite":
        week = func.date(Response.submitted_at, "weekday 0", "-6 days")
    else:
        week = func.to_char(func.date_trunc("week", Response.submitted_at), "YYYY-MM-DD")
    stmt = (
        select(week.label("week"), func.count(Response.id),
               func.coalesce(func.sum(Response.correct_count), 0), func.coalesce(func.sum(Response.knowledge_count), 0))
        .where(Response.campaign_id == campaign_id)
        .group_by(week)
        .order_by(week)
    )
    out = []
    for wk, n, correct, knowledge in session.execute(stmt):
        day = wk if isinstance(wk, dt.date) else dt.date.fromisoformat(str(wk)[:10])
        out.append((day, int(n), (int(correct) / int(knowledge)) if knowledge else None))
    return out


# -- per-question counts ---------------------------------------------------------------------------
def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _Answers:
    """Dialect-specific reads of one key of ``answers_json`` (SQLite json_extract, PostgreSQL ->>), and
    tests of the value read (``value`` is the column a read was selected into)."""

    def __init__(self, dialect: str):
        self.sqlite = dialect == "sqlite"

    def text(self, key):
        col = Response.answers_json
        if self.sqlite:
            return func.json_extract(col, f'$."{key}"')
        return col.op("->>")(literal(key))

    def equals(self, value_col, value):
        if self.sqlite:
            v = (1 if value else 0) if isinstance(value, bool) else value
            return value_col == v
        v = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return value_col == v

    def contains(self, value_col, value):
        return value_col.like("%" + _like_escape(json.dumps(value, ensure_ascii=False)) + "%", escape="\\")

    def answered(self, value_col):
        return value_col.is_not(None)


def options_of(spec) -> list:
    """The countable answers of a field: choices, yes/no, rating steps; [] for free text."""
    if spec.type in ("single_choice", "multi_choice"):
        return [c.value for c in spec.choices]
    if spec.type == "yes_no":
        return [True, False]
    if spec.type == "rating":
        lo, hi = spec.bounds
        return list(range(int(lo), int(hi) + 1))
    return []


def question_counts(session, campaign_id: int, form_version_id: int, schema) -> dict:
    """{field key: {"answered": n, "options": [(value, count)]}} for one questionnaire version.

    One statement: each answer's values are read out of its JSON once (a MATERIALIZED CTE, one column
    per question), then a conditional SUM per (question, option) runs over those plain columns. Reading
    the JSON inside every SUM parsed each answer once per (question, option): 26 parses per answer for
    the standard questionnaire, 1.5 s at 200,000 answers on SQLite (docs/scaling.md).
    """
    ans = _Answers(session.get_bind().dialect.name)
    values_cte = (
        select(Response.id.label("id"), *(ans.text(spec.key).label(f"q{i}") for i, spec in enumerate(schema.fields)))
        .where(Response.campaign_id == campaign_id, Response.form_version_id == form_version_id)
        .cte("answer_values")
        .prefix_with("MATERIALIZED")
    )
    cols, layout = [func.count(values_cte.c.id)], []
    for i, spec in enumerate(schema.fields):
        value = values_cte.c[f"q{i}"]
        opts = options_of(spec)
        cols.append(func.coalesce(func.sum(case((ans.answered(value), 1), else_=0)), 0))
        for v in opts:
            cond = ans.contains(value, v) if spec.type == "multi_choice" else ans.equals(value, v)
            cols.append(func.coalesce(func.sum(case((cond, 1), else_=0)), 0))
        layout.append((spec.key, opts))
    row = session.execute(select(*cols).select_from(values_cte)).one()
    values = [int(v or 0) for v in row]
    out, i = {"_total": values[0]}, 1
    for key, opts in layout:
        answered = values[i]
        i += 1
        counts = []
        for v in opts:
            counts.append((v, values[i]))
            i += 1
        out[key] = {"answered": answered, "options": counts}
    return out


def versions_answered(session, campaign_id: int) -> list[tuple[int, int]]:
    """[(form_version_id, respondents)] for a campaign."""
    stmt = (select(Response.form_version_id, func.count(Response.id))
            .where(Response.campaign_id == campaign_id).group_by(Response.form_version_id)
            .order_by(Response.form_version_id))
    return [(int(a), int(b)) for a, b in session.execute(stmt)]


__all__ = ["GridStat", "awareness_by_level", "totals", "weekly_trend", "question_counts", "options_of",
           "versions_answered"]
