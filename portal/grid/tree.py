"""The grid tree page, the printable structure chart (网格分级管理结构图) and the coverage audit."""
from __future__ import annotations

from flask import abort, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from portal.core.settings import get_setting
from portal.extensions import db
from portal.grid.labels import GRID_KIND_LABELS
from portal.grid.models import Grid, Person


def build_tree(grids):
    """Nest grids (ordered by path) under their parents; roots are those whose parent is not given."""
    nodes = {g.id: {"grid": g, "children": []} for g in grids}
    roots = []
    for g in grids:
        node = nodes[g.id]
        parent = nodes.get(g.parent_id)
        (parent["children"] if parent else roots).append(node)
    return roots


def unit_counts(grid_ids=None) -> dict[int, int]:
    from portal.ledger.models import Unit

    stmt = select(Unit.grid_id, func.count(Unit.id)).group_by(Unit.grid_id)
    return dict(db.session.execute(stmt).all())


class GridTreeView(BaseView):
    route_base = "/gridtree"
    default_view = "tree"

    @expose("/")
    @has_access
    @permission_name("tree")
    def tree(self):
        grids = db.session.execute(select(Grid).order_by(Grid.path)).scalars().all()
        counts = unit_counts()
        return self.render_template(
            "portal/grid_tree.html", roots=build_tree(grids), counts=counts, kind_labels=GRID_KIND_LABELS,
            title=_l("Grid tree"),
        )


class GridChartView(BaseView):
    route_base = "/gridchart"
    default_view = "chart"

    @expose("/<int:pk>")
    @has_access
    @permission_name("chart")
    def chart(self, pk):
        node = db.session.get(Grid, pk)  # scoped: another township's node is a 404
        if node is None:
            abort(404)
        depth = request.args.get("depth", 2, type=int)
        depth = max(1, min(depth, 3))
        grids = db.session.execute(
            select(Grid).where(Grid.path.like(node.path + "%"), Grid.level <= node.level + depth).order_by(Grid.path)
        ).scalars().all()
        people = db.session.execute(
            select(Person).where(Person.grid_id.in_([g.id for g in grids]), Person.status == "active")
        ).scalars().all()
        by_grid: dict[int, list] = {}
        for p in people:
            by_grid.setdefault(p.grid_id, []).append(p)
        roots = [r for r in build_tree(grids) if r["grid"].id == node.id]
        return self.render_template(
            "portal/grid_chart.html", roots=roots, chart_root=node, people=by_grid, counts=unit_counts(),
            kind_labels=GRID_KIND_LABELS, depth=depth, title=_l("Grid structure chart"),
        )


class CoverageView(BaseView):
    """不遗漏、不交叉、全覆盖: what breaks full coverage, in one page."""

    route_base = "/coverage"
    default_view = "audit"

    @expose("/")
    @has_access
    @permission_name("coverage")
    def audit(self):
        from portal.ledger.models import Unit

        limit = int(get_setting("grid_unit_max"))
        misplaced = db.session.execute(
            select(Unit).join(Grid, Unit.grid_id == Grid.id).where((Grid.level != 4) | Grid.active.is_(False)).limit(500)
        ).scalars().all()
        worker = (
            select(Person.grid_id)
            .where(Person.role == "grid_worker", Person.status == "active", Person.grid_id.is_not(None))
            .distinct()
        )
        no_worker = db.session.execute(
            select(Grid).where(Grid.level == 4, Grid.active.is_(True), Grid.id.not_in(worker)).order_by(Grid.path).limit(500)
        ).scalars().all()
        counts = (
            select(Grid, func.count(Unit.id).label("n"))
            .outerjoin(Unit, Unit.grid_id == Grid.id)
            .where(Grid.level == 4, Grid.active.is_(True))
            .group_by(Grid.id)
        )
        empty, crowded = [], []
        for grid, n in db.session.execute(counts).all():
            if n == 0:
                empty.append((grid, n))
            elif n > limit:
                crowded.append((grid, n))
        dup = db.session.execute(
            select(func.upper(Unit.credit_code), func.count(Unit.id))
            .where(Unit.credit_code.is_not(None))
            .group_by(func.upper(Unit.credit_code))
            .having(func.count(Unit.id) > 1)
        ).all()
        return self.render_template(
            "portal/coverage.html", misplaced=misplaced, no_worker=no_worker, empty=empty, crowded=crowded,
            duplicates=dup, limit=limit, title=_l("Coverage audit"),
        )
