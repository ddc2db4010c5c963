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

    Two GROUP BYs in one statement: answers per grid (at most one row per grid), then those rows per
    ancestor, found by the path-prefix test ``grid.path LIKE ancestor.path || '%'``. Cost grows with
    the number of grids, not with the number of answers beyond the first index scan.
    """
    per_grid = (
        select(Response.grid_id.label("grid_id"), *_sums())
        .where(Response.campaign_id == campaign_id, Response.grid_id.is_not(None))
        .group_by(Response.grid_id)
        .subquery()
    )
    # Core aliases of the grid table, not ORM aliases: the scope's loader criteria are written against
    # the Grid class and are not adapted to aliases (SQLite: "no such column: grid.path"). Answers are
    # already scoped through Response; ancestors are limited to the viewer's subtree by hand.
    node, anc = Grid.__table__.alias("node"), Grid.__table__.alias("anc")
    stmt = (
        select(
            anc.c.id, anc.c.level, anc.c.code, anc.c.name_zh, anc.c.name_mn, anc.c.path,
            func.sum(per_grid.c.n), func.sum(per_grid.c.correct), func.sum(per_grid.c.knowledge),
            func.sum(per_grid.c.knows_yes), func.sum(per_grid.c.knows_answered),
        )
        .select_from(per_grid)
        .join(node, node.c.id == per_grid.c.grid_id)
        .join(anc, node.c.path.like(anc.c.path + literal("%")))
        .where(anc.c.level.in_(list(levels)))
        .group_by(anc.c.id, anc.c.level, anc.c.code, anc.c.name_zh, anc.c.name_mn, anc.c.path)
        .order_by(anc.c.path)
    )
    scope = current_scope()
    if scope.kind == "subtree":
        stmt = stmt.where(anc.c.path.like(scope.prefix + "%"))
    elif not scope.unrestricted:
        return []
    return [GridStat(*row[:6], *(int(v or 0) for v in row[6:])) for row in session.execute(stmt)]


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
    """Dialect-specific reads of one key of ``answers_json`` (SQLite json_extract, PostgreSQL ->>)."""

    def __init__(self, dialect: str):
        self.sqlite = dialect == "sqlite"

    def text(self, key):
        col = Response.answers_json
        if self.sqlite:
            return func.json_extract(col, f'$."{key}"')
        return col.op("->>")(literal(key))

    def equals(self, key, value):
        if self.sqlite:
            v = (1 if value else 0) if isinstance(value, bool) else value
            return self.text(key) == v
        v = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return self.text(key) == v

    def contains(self, key, value):
        return self.text(key).like("%" + _like_escape(json.dumps(value, ensure_ascii=False)) + "%", escape="\\")

    def answered(self, key):
        return self.text(key).is_not(None)


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

    One statement: a conditional SUM per (question, option) over the version's answers.
    """
    ans = _Answers(session.get_bind().dialect.name)
    cols, layout = [func.count(Response.id)], []
    for spec in schema.fields:
        opts = options_of(spec)
        cols.append(func.coalesce(func.sum(case((ans.answered(spec.key), 1), else_=0)), 0))
        for v in opts:
            cond = ans.contains(spec.key, v) if spec.type == "multi_choice" else ans.equals(spec.key, v)
            cols.append(func.coalesce(func.sum(case((cond, 1), else_=0)), 0))
        layout.append((spec.key, opts))
    row = session.execute(
        select(*cols).where(Response.campaign_id == campaign_id, Response.form_version_id == form_version_id)
    ).one()
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
