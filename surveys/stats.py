"""Survey statistics, computed in SQL (GROUP BY), never by looping over answer rows in Python.

All queries go through the ORM session, so the data scope applies by itself: a station sees its own
township's answers and grid nodes only.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from portal.grid.models import Grid
from portal.security.scope import current_scope
from surveys.counts import ANSWERED, SHEETS, token
from surveys.models import AnswerCount, Response

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
    if not _sees_grids(scope):
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
    return _roll_up(session, session.execute(per_grid), levels, scope)


def _sees_grids(scope) -> bool:
    """Whether the viewer's scope is a part of the grid tree (a department's, by sector, is not)."""
    return scope.unrestricted or scope.kind == "subtree"


def _roll_up(session, per_grid, levels, scope) -> list[GridStat]:
    """Each grid's sums (rows of path, n, correct, knowledge, knows_yes, knows_answered) added to the
    nodes on its path, then the nodes of ``levels`` in the viewer's subtree, in tree order."""
    totals_by_id: dict[int, list[int]] = {}
    for path, *sums in per_grid:
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


def _week(session):
    if session.get_bind().dialect.name == "sqlite":
        return func.date(Response.submitted_at, "weekday 0", "-6 days")
    # The timestamp itself, formatted in Python: to_char per answer cost ~90 ms at 200,000 answers.
    return func.date_trunc("week", Response.submitted_at)


def _monday(wk) -> dt.date:
    return wk.date() if isinstance(wk, dt.datetime) else wk if isinstance(wk, dt.date) else dt.date.fromisoformat(str(wk)[:10])


def weekly_trend(session, campaign_id: int) -> list[tuple[dt.date, int, float | None]]:
    """(Monday of the week, respondents, awareness rate) per week."""
    week = _week(session)
    stmt = (
        select(week.label("week"), func.count(Response.id),
               func.coalesce(func.sum(Response.correct_count), 0), func.coalesce(func.sum(Response.knowledge_count), 0))
        .where(Response.campaign_id == campaign_id)
        .group_by(week)
        .order_by(week)
    )
    return [(_monday(wk), int(n), (int(correct) / int(knowledge)) if knowledge else None)
            for wk, n, correct, knowledge in session.execute(stmt)]


# -- per-question counts ---------------------------------------------------------------------------
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

    One statement summing the counters kept at submission (``survey_answer_count``, surveys/counts.py)
    over the grids in the viewer's scope (the counters are a Scoped model, keyed by grid): a few
    thousand rows, whatever the number of answers. Reading every answer's JSON instead took 0.5 s
    (SQLite) to 1.2 s (PostgreSQL, text ``json`` re-parsed per key) at 200,000 answers (docs/scaling.md).
    """
    stmt = (
        select(AnswerCount.question, AnswerCount.value, func.sum(AnswerCount.n))
        .where(AnswerCount.campaign_id == campaign_id, AnswerCount.form_version_id == form_version_id)
        .group_by(AnswerCount.question, AnswerCount.value)
    )
    got = {(q, v): int(n or 0) for q, v, n in session.execute(stmt)}
    out = {"_total": got.get(SHEETS, 0)}
    for spec in schema.fields:
        out[spec.key] = {
            "answered": got.get((spec.key, ANSWERED), 0),
            "options": [(v, got.get((spec.key, token(v)), 0)) for v in options_of(spec)],
        }
    return out


def versions_answered(session, campaign_id: int) -> list[tuple[int, int]]:
    """[(form_version_id, respondents)] for a campaign."""
    stmt = (select(Response.form_version_id, func.count(Response.id))
            .where(Response.campaign_id == campaign_id).group_by(Response.form_version_id)
            .order_by(Response.form_version_id))
    return [(int(a), int(b)) for a, b in session.execute(stmt)]


@dataclass
class CampaignFigures:
    """Everything the statistics page shows of a campaign's answers, bar the per-question counts."""

    levels: list[GridStat]
    total: GridStat
    trend: list[tuple[dt.date, int, float | None]]
    versions: list[tuple[int, int]]


def campaign_figures(session, campaign_id: int, levels=LEVELS) -> CampaignFigures:
    """``awareness_by_level``, ``totals``, ``weekly_trend`` and ``versions_answered`` together.

    Each of the four reads every answer of the campaign once. On PostgreSQL they are one read: the
    answers summed by (grid, week, version), then GROUP BY GROUPING SETS ((grid), (week), (version))
    over those sums gives the three groupings (about a thousand rows out at banner scale), and the
    total is the sum over versions (every answer has one): one scan of the answers instead of four
    (docs/scaling.md, ninth round). SQLite has no grouping sets: the four statements.
    """
    if session.get_bind().dialect.name == "sqlite":
        return CampaignFigures(awareness_by_level(session, campaign_id, levels), totals(session, campaign_id),
                               weekly_trend(session, campaign_id), versions_answered(session, campaign_id))
    scope = current_scope()
    week = _week(session).label("week")
    # First one hash aggregate over the answers by (grid, week, version): some 10,000 rows at banner
    # scale. Grouping sets straight over the answers made PostgreSQL sort them (580 ms, EXPLAIN ANALYZE).
    cells = (
        select(Response.grid_id.label("grid_id"), week, Response.form_version_id.label("version"), *_sums())
        .where(Response.campaign_id == campaign_id)
        .group_by(Response.grid_id, week, Response.form_version_id)
        .subquery("cells")
    )
    c = cells.c
    grouped = (
        select(c.grid_id, c.week, c.version, func.grouping(c.grid_id, c.week, c.version).label("grouping"),
               *[func.sum(col).label(col.name) for col in (c.n, c.correct, c.knowledge, c.knows_yes, c.knows_answered)])
        .group_by(func.grouping_sets(c.grid_id, c.week, c.version))
        .subquery("grouped")
    )
    node = Grid.__table__.alias("node")  # not scoped (see awareness_by_level); answers are
    stmt = (select(grouped, node.c.path).select_from(grouped)
            .outerjoin(node, node.c.id == grouped.c.grid_id))
    # grouping(grid, week, version) is a bit mask of the columns NOT grouped on: 3 = by grid only,
    # 5 = by week only, 6 = by version only.
    per_grid, trend, versions = [], [], []
    total = [0, 0, 0, 0, 0]
    for grid_id, wk, version, mask, n, correct, knowledge, knows_yes, knows_answered, path in session.execute(stmt):
        sums = [int(v or 0) for v in (n, correct, knowledge, knows_yes, knows_answered)]
        if mask == 3:
            if grid_id is not None and path is not None:
                per_grid.append((path, *sums))
        elif mask == 5:
            trend.append((_monday(wk), sums[0], (sums[1] / sums[2]) if sums[2] else None))
        elif mask == 6:
            versions.append((int(version), sums[0]))
            total = [a + b for a, b in zip(total, sums)]
    trend.sort()
    versions.sort()
    level_rows = _roll_up(session, per_grid, levels, scope) if _sees_grids(scope) else []
    return CampaignFigures(level_rows, GridStat(0, 0, None, "", None, "", *total), trend, versions)


def drill(rows: list[GridStat], node_id: int | None = None) -> tuple[list[GridStat], list[GridStat]]:
    """One level of the tree at a time: (the node's row and its children's rows, the rows of the
    node's ancestors for a breadcrumb). ``rows`` are ``awareness_by_level``'s, in tree order.

    Without ``node_id``, or with one the viewer cannot see (outside the scope, no answers), the node
    is the viewer's top: the banner for the banner office, a township for its station. The statistics
    page showed every node at once: 1,300 rows at banner scale, 13,000 at ×10 (3.5 s, docs/scaling.md).
    """
    by_id = {r.grid_id: r for r in rows}
    node = by_id.get(node_id) if node_id is not None else None
    if node is None:
        if not rows:
            return [], []
        top = min(r.level for r in rows)
        tops = [r for r in rows if r.level == top]
        if len(tops) != 1:
            return tops, []
        node = tops[0]
    ancestors = [int(x) for x in node.path.strip("/").split("/")[:-1]]
    crumbs = [by_id[i] for i in ancestors if i in by_id]
    children = [r for r in rows if r.level == node.level + 1 and r.path.startswith(node.path)]
    return [node, *children], crumbs


__all__ = ["GridStat", "CampaignFigures", "campaign_figures", "drill", "awareness_by_level", "totals",
           "weekly_trend", "question_counts", "options_of", "versions_answered"]
