"""Grid tree rules through the pages: levels, cycles, deletes, paths."""
from __future__ import annotations

from sqlalchemy import select

from portal.grid.models import Grid, Person


def _grid_form(**kw):
    data = {"kind": "basic", "name_zh": "测试网格", "active": "y"}
    data.update({k: str(v) for k, v in kw.items()})
    return data


def node_of(session, username):
    from flask_appbuilder.security.sqla.models import User

    from portal.security.models import UserProfile

    uid = session.execute(select(User.id).where(User.username == username)).scalar_one()
    return session.get(UserProfile, uid).grid


def test_station_adds_basic_grid_under_its_village(login, system):
    town = node_of(system, "station")
    village = system.execute(select(Grid).where(Grid.level == 3, Grid.path.like(town.path + "%"))).scalars().first()
    c = login("station")
    r = c.post("/gridview/add", data=_grid_form(parent=village.id, name_zh="新增测试网格甲", code="T001"))
    assert r.status_code == 302
    g = system.execute(select(Grid).where(Grid.name_zh == "新增测试网格甲")).scalar_one()
    assert g.level == 4 and g.parent_id == village.id and g.path == f"{village.path}{g.id}/"
    # ... but not under another township's village: that parent is "unknown" to the station.
    other = system.execute(select(Grid).where(Grid.level == 3, Grid.path.not_like(town.path + "%"))).scalars().first()
    r = c.post("/gridview/add", data=_grid_form(parent=other.id, name_zh="越权网格"))
    assert r.status_code == 200
    assert system.execute(select(Grid).where(Grid.name_zh == "越权网格")).first() is None


def test_basic_grid_cannot_sit_under_a_township(login, system):
    town = system.execute(select(Grid).where(Grid.level == 2).order_by(Grid.path)).scalars().first()
    c = login("admin")
    r = c.post("/gridview/add", data=_grid_form(parent=town.id, name_zh="错误层级网格"))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "level 3" in html or "三级" in html or "3" in html
    assert system.execute(select(Grid).where(Grid.name_zh == "错误层级网格")).first() is None
    # the typed name is kept in the form
    assert 'value="错误层级网格"' in html


def test_grid_cannot_become_its_own_ancestor(login, system):
    """Moving a village under one of its own basic grids is refused (and would also break levels)."""
    village = system.execute(select(Grid).where(Grid.level == 3).order_by(Grid.path)).scalars().first()
    town = village.parent
    # A township moved under a village of its own subtree: the level rule and the cycle rule both hold.
    c = login("admin")
    r = c.post(f"/gridview/edit/{town.id}", data={"kind": "village", "name_zh": town.name_zh, "parent": village.id})
    assert r.status_code == 200
    assert "网格不能成为自身的上级" in r.get_data(as_text=True)
    system.expire_all()
    assert system.get(Grid, town.id).parent_id == town.parent_id


def test_moving_a_village_rewrites_the_subtree_paths(login, system):
    towns = system.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().all()
    src, dst = towns[0], towns[-1]
    c = login("admin")
    r = c.post("/gridview/add", data={"kind": "village", "name_zh": "搬迁测试村", "parent": src.id, "active": "y"})
    assert r.status_code == 302
    village = system.execute(select(Grid).where(Grid.name_zh == "搬迁测试村")).scalar_one()
    r = c.post("/gridview/add", data={"kind": "basic", "name_zh": "搬迁测试网格", "parent": village.id, "active": "y"})
    basic = system.execute(select(Grid).where(Grid.name_zh == "搬迁测试网格")).scalar_one()
    r = c.post(f"/gridview/edit/{village.id}", data={"kind": "village", "name_zh": "搬迁测试村", "parent": dst.id, "active": "y"})
    assert r.status_code == 302
    system.expire_all()
    assert system.get(Grid, village.id).path == f"{dst.path}{village.id}/"
    assert system.get(Grid, basic.id).path == f"{dst.path}{village.id}/{basic.id}/"


def test_delete_refused_while_grid_has_children_or_units(login, system):
    from portal.ledger.models import Unit

    c = login("admin")
    unit = system.execute(select(Unit).order_by(Unit.id)).scalars().first()
    basic_id, village_id = unit.grid_id, unit.grid.parent_id
    for pk in (basic_id, village_id):
        r = c.post(f"/gridview/delete/{pk}", follow_redirects=True)
        assert r.status_code == 200
        html = r.get_data(as_text=True)
        assert "units" in html or "child" in html or "单位" in html or "下级" in html
    system.expire_all()
    assert system.get(Grid, basic_id) is not None and system.get(Grid, village_id) is not None


def test_structure_chart_lists_workers(login, system):
    from portal.grid.models import Person

    worker = system.execute(select(Person).where(Person.role == "grid_worker").order_by(Person.id)).scalars().first()
    village_id = worker.grid.parent_id
    r = login("admin").get(f"/gridchart/{village_id}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert worker.name_zh in html and worker.grid.name_zh in html


def test_coverage_audit_finds_gaps(login, system):
    c = login("admin")
    village = system.execute(select(Grid).where(Grid.level == 3).order_by(Grid.path)).scalars().first()
    r = c.post("/gridview/add", data={"kind": "basic", "name_zh": "无人网格测试", "parent": village.id, "active": "y"})
    assert r.status_code == 302
    html = c.get("/coverage/").get_data(as_text=True)
    no_worker = html.split("coverage-no-worker")[1].split("</ul>")[0]
    empty = html.split("coverage-empty")[1].split("</ul>")[0]
    assert "无人网格测试" in no_worker and "无人网格测试" in empty


def test_moving_a_person_keeps_assignment_history(login, system):
    from portal.grid.models import Assignment

    grids = system.execute(select(Grid).where(Grid.level == 4).order_by(Grid.id)).scalars().all()
    c = login("admin")
    data = {"name_zh": "调动测试人", "role": "grid_worker", "status": "active", "grid": str(grids[0].id)}
    assert c.post("/personview/add", data=data).status_code == 302
    pid = system.execute(select(Person.id).where(Person.name_zh == "调动测试人")).scalar_one()
    assert c.post(f"/personview/edit/{pid}", data={**data, "grid": str(grids[1].id)}).status_code == 302
    rows = system.execute(select(Assignment).where(Assignment.person_id == pid).order_by(Assignment.id)).scalars().all()
    assert [(a.grid_id, a.end_date is None) for a in rows] == [(grids[0].id, False), (grids[1].id, True)]


def test_pickers_do_not_dump_tables(login):
    """Add forms hold no <option> per grid or person: the pickers search on the server."""
    c = login("admin")
    for url in ("/unitview/add", "/personview/add", "/assignmentview/add", "/gridview/add"):
        html = c.get(url).get_data(as_text=True)
        assert html.count("<option") < 40, url
    res = c.get("/personsearch/?q=").json["results"]
    assert 0 < len(res) <= 30
