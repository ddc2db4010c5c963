"""List rows selected as tuples (portal/listplan.py): which lists use them, labels made as the objects
make them, the data scope kept, and an empty relation shown as the objects show it. Whole pages are
compared with the objects' rendering in test_list_render.py."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.portal.test_list_render import _normal, plain_fab, station_units

BUSY_LISTS = ["UnitView", "GridView", "PersonView", "AssignmentView", "LeaveRequestView"]


def _view(name):
    from portal.extensions import appbuilder

    return next(v for v in appbuilder.baseviews if type(v).__name__ == name)


def test_the_busy_lists_select_tuples(app, login):
    login("admin").get("/unitview/list/")  # first request: the app-wide formatters are in place
    with app.test_request_context():
        for name in BUSY_LISTS:
            assert _view(name)._list_plan() is not None, name
        app.config["LIST_ROWS_AS_TUPLES"] = False
        try:
            assert _view("UnitView")._list_plan() is None
        finally:
            app.config["LIST_ROWS_AS_TUPLES"] = True


def test_a_column_that_needs_the_object_keeps_the_objects(app):
    from portal.listplan import plan_for

    view = _view("UnitView")
    saved = view.list_columns
    try:
        view.list_columns = ["name", "sector_list"]  # a property: only an object has it
        assert plan_for(view) is None
        view.list_columns = ["name", "grid.code"]  # a dotted path
        assert plan_for(view) is None
    finally:
        view.list_columns = saved


@pytest.mark.parametrize("lang", ["zh", "mn_Mong_CN"])
def test_labels_are_made_as_the_objects_make_them(app, lang):
    from portal.grid.models import Grid, Person
    from portal.ledger.models import Unit

    items = [Grid(name_zh="甲村", name_mn="ᠠᠷᠠᠭ"), Grid(name_zh="乙村", name_mn=None),
             Person(name_zh="张三", name_mn="ᠪᠠᠲᠤ"), Unit(name="示例单位")]
    with app.test_request_context(f"/?_l_={lang}"):
        for item in items:
            row = {c: getattr(item, c) for c in type(item).display_columns}
            from collections import namedtuple

            label = type(item).display_from(namedtuple("Row", row)(**row))
            assert label == repr(item) == getattr(item, "display_name", repr(item))
        assert repr(items[0]) == ("ᠠᠷᠠᠭ" if lang.startswith("mn") else "甲村")
        assert repr(items[1]) == "乙村"


def test_the_township_sees_only_its_own_rows(app, login):
    inside, total = station_units(app)
    assert inside and len(inside) < total
    page = login("station").get("/unitview/list/?psize_UnitView=100").get_data(as_text=True)
    shown = {int(k) for k in re.findall(r'name="rowid" value="(\d+)"', page)}
    assert shown and shown <= inside


def test_a_person_without_a_grid_shows_an_empty_cell(app, login):
    from portal.extensions import db
    from portal.grid.models import Person
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test"):
        person = Person(name_zh="无网格测试人", role="office_staff")
        db.session.add(person)
        db.session.commit()
        pk = person.id
        db.session.remove()
    try:
        c = login("admin")
        url = "/personview/list/?_flt_2_name_zh=%E6%97%A0%E7%BD%91%E6%A0%BC"
        fast = c.get(url).get_data(as_text=True)
        with plain_fab(app):
            slow = c.get(url).get_data(as_text=True)
        assert f"/personview/show/{pk}" in fast
        assert _normal(fast) == _normal(slow)
    finally:
        with app.app_context(), system_scope("test"):
            db.session.delete(db.session.get(Person, pk))
            db.session.commit()
            db.session.remove()


def _shown(page: str) -> set[int]:
    return {int(k) for k in re.findall(r'name="rowid" value="(\d+)"', page)}


def _record_count(page: str) -> int:
    return int(re.search(r"(?:Record Count|记录数):</strong>\s*(\d+)", page).group(1))


def test_a_kept_statement_runs_in_each_users_scope(app, login, monkeypatch):
    """A page's statement is built once and run again — by the next user too, in that user's scope: the
    township sees its own units and count after the banner office asked for the same page, and the
    office sees all of them after the township."""
    from portal.views_base import PortalInterface

    inside, total = station_units(app)
    url = "/unitview/list/?psize_UnitView=100&_flt_2_name=%E7%A4%BA%E4%BE%8B"  # name contains 示例
    built = []
    real = PortalInterface.apply_all
    monkeypatch.setattr(PortalInterface, "apply_all", lambda self, *a, **k: built.append(1) or real(self, *a, **k))
    admin, station = login("admin"), login("station")
    first = admin.get(url).get_data(as_text=True)
    township = station.get(url).get_data(as_text=True)
    again = admin.get(url).get_data(as_text=True)
    assert len(built) <= 1  # built for the first request at most (an earlier test may have kept it)
    assert _shown(township) and _shown(township) <= inside
    assert _record_count(township) <= len(inside) < _record_count(first) == _record_count(again)
    assert _shown(first) == _shown(again) and not _shown(first) <= inside


def test_other_filter_values_and_pages_get_their_own_statements(login):
    c = login("admin")
    pages = {n: c.get(f"/unitview/list/?_flt_0_name={n}").get_data(as_text=True)
             for n in ("%E7%A4%BA%E4%BE%8B%E5%8D%95%E4%BD%8D00001", "%E7%A4%BA%E4%BE%8B%E5%8D%95%E4%BD%8D00002")}
    one, two = (_shown(p) for p in pages.values())
    assert len(one) == len(two) == 1 and one != two
    p0, p1 = (_shown(c.get(f"/unitview/list/?psize_UnitView=25&page_UnitView={n}").get_data(as_text=True))
              for n in (0, 1))
    assert len(p0) == len(p1) == 25 and not p0 & p1


def test_filters_that_read_more_than_their_value_are_not_kept(app):
    """The portal's own filters (unreported absences read the date and a setting) and FAB's relation
    filters (they look the related row up in the user's scope) build the statement on every request."""
    from flask_appbuilder.models.sqla.filters import FilterEqual, FilterRelationOneToManyEqual

    from portal.listplan import _statement_key
    from portal.workforce.views import FilterUnreportedAbsence

    class Flt:
        def __init__(self, cls, column, value):
            self.flt = cls.__new__(cls)
            self.flt.column_name = column
            self.value = value

    def key(*filters):
        class Filters:
            def get_filters_values(self):
                return [(f.flt, f.value) for f in filters]
        return _statement_key(Filters(), "name", "asc", 0, 25, 0)

    assert key(Flt(FilterEqual, "kind", "mine")) is not None
    assert key(Flt(FilterEqual, "kind", "mine")) != key(Flt(FilterEqual, "kind", "shop"))
    assert key(Flt(FilterUnreportedAbsence, "id", None)) is None
    assert key(Flt(FilterEqual, "kind", "mine"), Flt(FilterRelationOneToManyEqual, "grid", "7")) is None
    assert key(Flt(FilterEqual, "kind", ["mine"])) != key(Flt(FilterEqual, "kind", "mine"))  # as the address gives it
    assert key(Flt(FilterEqual, "kind", [["mine"]])) is None  # not hashable


def test_a_renamed_grid_is_shown_by_its_new_name_on_the_next_page(app, login):
    """Labels of related rows are kept across requests by their label values and language: a grid
    renamed in between shows its new name, in Chinese and in Mongolian."""
    from portal.extensions import db
    from portal.grid.models import Grid
    from portal.security.scope import system_scope

    url = "/unitview/list/?psize_UnitView=25"
    c = login("admin")
    with app.app_context(), system_scope("test"):
        unit_grid = db.session.execute(sa.text("SELECT grid_id FROM unit ORDER BY id LIMIT 1")).scalar_one()
        grid = db.session.get(Grid, unit_grid)
        old = (grid.name_zh, grid.name_mn)
        db.session.remove()
    for lang in ("zh", "mn_Mong_CN"):
        shown = old[0] if lang == "zh" else (old[1] or old[0])  # no Mongolian name: the Chinese one
        assert shown in c.get(f"{url}&_l_={lang}").get_data(as_text=True)
    try:
        with app.app_context(), system_scope("test"):
            grid = db.session.get(Grid, unit_grid)
            grid.name_zh, grid.name_mn = "改名测试网格", "ᠰᠢᠨ᠎ᠡ ᠨᠡᠷ᠎ᠡ"
            db.session.commit()
            db.session.remove()
        assert "改名测试网格" in c.get(f"{url}&_l_=zh").get_data(as_text=True)
        assert "ᠰᠢᠨ᠎ᠡ ᠨᠡᠷ᠎ᠡ" in c.get(f"{url}&_l_=mn_Mong_CN").get_data(as_text=True)
    finally:
        with app.app_context(), system_scope("test"):
            grid = db.session.get(Grid, unit_grid)
            grid.name_zh, grid.name_mn = old
            db.session.commit()
            db.session.remove()
