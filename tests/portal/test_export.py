"""The unit list's Excel export, read back with openpyxl, as every role: the rows the list shows, nothing else."""
from __future__ import annotations

import contextlib
import io
import re

import pytest
from openpyxl import load_workbook

CJK = re.compile(r"[\u4e00-\u9fff]")
ROLES = ["admin", "office", "station", "head", "worker", "dept"]
# FAB filter args: index 3 of a string column's filters is "equal".
SCHOOLS = "_flt_3_kind=school"


@contextlib.contextmanager
def sysdb(app):
    """A system-scope session, closed before any request is made (scope is per context)."""
    from portal.extensions import db
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test_export"):
        yield db.session
        db.session.rollback()
        db.session.remove()


def read_xlsx(data: bytes) -> tuple[list[str], list[list]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = [["" if v is None else v for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return [str(h) for h in rows[0]], rows[1:]


def export(client, args: str = "") -> tuple[list[str], list[list]]:
    r = client.get(f"/unitview/export/?{args}")
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return read_xlsx(r.get_data())


def api_units(client, filters: str) -> list[dict]:
    """Every row the REST API lists under the same filter (paged through)."""
    out, page = [], 0
    while True:
        r = client.get(f"/api/v1/unit/?q=(filters:!({filters}),order_column:id,order_direction:asc,page:{page},page_size:100)")
        assert r.status_code == 200
        out += r.json["result"]
        if len(out) >= r.json["count"] or not r.json["result"]:
            return out
        page += 1


def zh_labels(app):
    """The export's headers and value labels as a Chinese-speaking user gets them."""
    from portal.ledger.views import UnitView

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        headers = [str(UnitView.label_columns[c]) for c in UnitView.export_columns]
        values = {col: {k: str(v) for k, v in labels.items()} for col, labels in UnitView.value_labels.items()}
        from flask_babel import gettext

        translated = gettext("Unit name") != "Unit name"
    return headers, values, translated


def township_of_station(app):
    from sqlalchemy import select

    from portal.grid.models import Grid

    with sysdb(app) as s:
        town = s.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().first()
        return town.path, town.id


@pytest.mark.parametrize("username", ROLES)
def test_filtered_export_equals_the_api_rows(app, login, username):
    c = login(username)
    headers, rows = export(c, SCHOOLS)
    exp_headers, values, translated = zh_labels(app)
    assert headers == exp_headers
    if translated:  # with the compiled catalogs the headers are Chinese
        assert all(CJK.search(h) for h in headers), headers
    api = api_units(c, "(col:kind,opr:eq,value:school)")
    assert len(rows) == len(api)
    from portal.grid.models import Grid
    from portal.ledger.views import UnitView

    col = {name: i for i, name in enumerate(UnitView.export_columns)}

    with sysdb(app) as s:
        codes = {g.id: g.code for g in s.query(Grid).filter(Grid.id.in_({u["grid_id"] for u in api} or {0}))}
    for row, unit in zip(rows, api):  # both in id order
        assert row[col["name"]] == unit["name"]
        assert row[col["credit_code"]] == (unit["credit_code"] or "")
        assert row[col["kind"]] == values["kind"]["school"]
        assert row[col["industry_code"]] == (unit["industry_code"] or "")
        assert row[col["management_mode"]] == values["management_mode"][unit["management_mode"]]
        assert row[col["intake_status"]] == values["intake_status"][unit["intake_status"]]
        assert row[col["grid.code"]] == codes[unit["grid_id"]]
        assert row[col["last_verified"]] == (unit["last_verified"] or "")
    # The list page shows the same first rows.
    page = c.get(f"/unitview/list/?{SCHOOLS}").get_data(as_text=True)
    for row in rows[:25]:
        assert row[col["name"]] in page


def test_station_export_holds_only_its_township(app, login):
    from sqlalchemy import func, select

    from portal.grid.models import Grid
    from portal.ledger.models import Unit

    prefix, _ = township_of_station(app)
    with sysdb(app) as s:
        inside = s.execute(
            select(func.count(Unit.id)).join(Grid, Unit.grid_id == Grid.id).where(Grid.path.like(prefix + "%"))
        ).scalar()
        total = s.execute(select(func.count(Unit.id))).scalar()
        town_codes = set(s.execute(select(Grid.code).where(Grid.path.like(prefix + "%"), Grid.level == 4)).scalars())
    assert 0 < inside < total
    headers, rows = export(login("station"))
    from portal.ledger.views import UnitView

    gi = UnitView.export_columns.index("grid.code")
    assert headers[gi] == zh_labels(app)[0][gi]
    assert len(rows) == inside
    assert {r[gi] for r in rows} <= town_codes
    # The office sees the whole banner.
    assert len(export(login("office"))[1]) == total


def test_worker_and_department_exports_are_scoped(app, login):
    import secrets

    from portal.grid.models import Grid
    from portal.ledger.models import Unit
    from portal.ledger.views import UnitView

    tag = "导出测试" + secrets.token_hex(3)
    with sysdb(app) as s:
        grid = s.query(Grid).filter(Grid.level == 4).order_by(Grid.path.desc()).first()
        for i, sector in enumerate(["mining", "hazardous_chemicals", "fireworks"]):
            u = Unit(name=f"{tag}-{i}", kind="enterprise", grid_id=grid.id, management_mode="key")
            u.sector_list = [sector]
            s.add(u)
        s.commit()

    gi = UnitView.export_columns.index("grid.code")
    worker_rows = export(login("worker"))[1]
    assert worker_rows and len({r[gi] for r in worker_rows}) == 1
    _, values, _t = zh_labels(app)
    si = UnitView.export_columns.index("sectors")
    dept_rows = export(login("dept"))[1]
    allowed = {values["sectors"]["mining"], values["sectors"]["hazardous_chemicals"]}
    ni = UnitView.export_columns.index("name")
    assert {f"{tag}-0", f"{tag}-1"} <= {r[ni] for r in dept_rows}
    assert f"{tag}-2" not in {r[ni] for r in dept_rows}
    for r in dept_rows:
        assert set(str(r[si]).split("、")) & allowed
