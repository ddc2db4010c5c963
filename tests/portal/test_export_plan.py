"""The export's plan (portal/export_plan.py): columns selected as tuples give exactly the cells the
loaded objects give, for every list view and role; the scope holds for column selects; identifiers
stay masked; a text is never turned into a formula."""
from __future__ import annotations

import contextlib
import io
import re
import secrets

import pytest
from openpyxl import load_workbook

ROLES = ["admin", "station", "worker", "dept"]


@contextlib.contextmanager
def as_user(app, username: str):
    """A request context with ``username`` logged in, as a background job builds it."""
    from portal.extensions import db
    from portal.jobs.runner import _AsOwner

    with app.app_context():
        uid = db.session.query(app.appbuilder.sm.user_model.id).filter_by(username=username).scalar()
        db.session.remove()
    with app.app_context(), _AsOwner(app, {"args": [], "locale": "zh", "owner_id": uid}):
        yield


def cells(plan, chunked=False, batch=1000):
    convs = plan.converters
    return [[c(v) if c is not None else v for c, v in zip(convs, row)] for row in plan.rows(batch, chunked)]


def export_views(app):
    from portal.views_base import PortalModelView

    return [v for v in app.appbuilder.baseviews if isinstance(v, PortalModelView)]


def _related_positions(view, plan):
    import sqlalchemy as sa

    mapper = sa.inspect(view.datamodel.obj)
    return {i for i, c in enumerate(plan.columns) if "." not in c and c in mapper.relationships}


@pytest.mark.parametrize("username", ROLES)
def test_column_plan_gives_the_cells_of_the_objects(app, username):
    checked = 0
    with as_user(app, username):
        for view in export_views(app):
            plan = view.export_plan()
            expected = cells(view.export_plan(objects=True))
            got = cells(plan)
            if not plan.entity_rows:
                # A related row outside the user's scope (a township's parent, the banner) is named
                # by its label, as the list page names it (table aliases: portal/listplan.py); loaded
                # objects carry the scope into their relationship loads and leave it empty.
                related = _related_positions(view, plan)
                for row_got, row_expected in zip(got, expected):
                    for i in related:
                        if row_expected[i] is None and row_got[i] is not None and username != "admin":
                            row_expected[i] = row_got[i]
            assert got == expected, type(view).__name__
            if not plan.entity_rows:
                # The job's chunked reads (SQLite) give the same rows in the same order, chunk edges too.
                assert cells(view.export_plan(), chunked=True, batch=7) == expected, type(view).__name__
                checked += bool(expected)
    assert checked >= 3  # units, assignments and more are exported from columns, with rows


@pytest.mark.parametrize("chunked", [False, True], ids=["request", "job"])
def test_a_township_export_names_its_top_grid_parent_as_its_list_does(app, login, chunked):
    """The township's own grid is in its scope, its parent (the banner) is not: the list shows the
    banner's name in the parent column, and so does the export, in the request and in a job's chunks."""
    page = login("station").get("/gridview/list/?psize_GridView=100").get_data(as_text=True)
    with as_user(app, "station"):
        (view,) = [v for v in export_views(app) if type(v).__name__ == "GridView"]
        plan = view.export_plan()
        rows = cells(plan, chunked=chunked, batch=3)
    assert not plan.entity_rows
    parent = plan.columns.index("parent")
    top = rows[0]
    assert top[plan.columns.index("level")] == "二级（乡镇）"
    assert top[parent] == "敖汉旗" and "敖汉旗" in page
    assert all(r[parent] for r in rows)  # every grid of the township has its parent named


def test_unit_export_selects_columns_not_objects(app):
    with as_user(app, "admin"):
        (view,) = [v for v in export_views(app) if type(v).__name__ == "UnitView"]
        plan = view.export_plan()
    assert not plan.entity_rows
    sql = str(plan.statement)
    assert "LEFT OUTER JOIN grid AS grid_1" in sql  # the grid's name and code through one join


def test_column_select_is_scoped_for_a_township(app, system):
    """The scope listener applies its subtree rule to an ORM select of columns, joined rows included."""
    from sqlalchemy import func, select

    from portal.grid.models import Grid
    from portal.ledger.models import Unit

    town = system.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().first()
    inside = system.execute(
        select(func.count(Unit.id)).join(Grid, Unit.grid_id == Grid.id).where(Grid.path.like(town.path + "%"))
    ).scalar()
    with as_user(app, "station"):
        from portal.extensions import db

        rows = db.session.execute(
            select(Unit.name, Grid.path).outerjoin(Unit.grid.of_type(Grid))
        ).all()
        (view,) = [v for v in export_views(app) if type(v).__name__ == "UnitView"]
        exported = cells(view.export_plan())
    assert 0 < len(rows) == inside == len(exported)
    assert all(path.startswith(town.path) for _name, path in rows)


def read_xlsx(data: bytes):
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = [["" if v is None else v for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return [str(h) for h in rows[0]], rows[1:]


@pytest.mark.parametrize("username", ["admin", "station", "head"])
def test_person_export_keeps_phones_masked(app, login, username):
    from portal.grid.views import PersonView

    r = login(username).get("/personview/export/")
    assert r.status_code == 200
    headers, rows = read_xlsx(r.get_data())
    mi = (PersonView.export_columns or PersonView.list_columns).index("mobile")
    phones = [row[mi] for row in rows if row[mi]]
    assert phones, "the demo roster has phones"
    assert all(re.fullmatch(r"\d{3}\*{4}\d{4}|\*{4}", p) for p in phones), phones[:5]


def test_a_name_like_a_formula_stays_text(app, login, system):
    from portal.grid.models import Grid
    from portal.ledger.models import Unit

    name = f"=HYPERLINK(\"x\",\"{secrets.token_hex(3)}\")"
    grid = system.query(Grid).filter(Grid.level == 4).order_by(Grid.path).first()
    system.add(Unit(name=name, kind="enterprise", grid_id=grid.id, management_mode="packaged"))
    system.commit()
    r = login("admin").get("/unitview/export/?_flt_0_name=" + name)
    wb = load_workbook(io.BytesIO(r.get_data()))  # not read-only: formulas are visible as such
    values = [row[0].value for row in wb.worksheets[0].iter_rows(min_row=2)]
    assert values == [name]
    assert wb.worksheets[0]["A2"].data_type == "s"
