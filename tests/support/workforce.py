"""Helpers shared by the workforce tests: short system-scope sessions and the demo users' nodes."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.grid.models import Grid, Person


class SysDB:
    """Short system-scope sessions between requests. (Keeping an app context pushed while the test
    client makes requests shares ``g`` — and so the logged-in user — between clients.)"""

    def __init__(self, app):
        self.app = app

    def __call__(self, fn):
        from portal.extensions import db
        from portal.security.scope import system_scope

        with self.app.app_context(), system_scope("test"):
            try:
                out = fn(db.session)
                db.session.commit()
                return out
            finally:
                db.session.remove()


@pytest.fixture()
def sysdb(app):
    return SysDB(app)


def _ns(obj, *names):
    return type("Row", (), {n: getattr(obj, n) for n in names})


def demo_nodes(sysdb, tag: str):
    """The demo users' nodes (from their profiles, not from orderings other tests may change), a
    grid worker of this test module in the worker's grid, and a person in another township."""
    from portal.extensions import appbuilder

    def fn(session):
        def node_of(username):
            return appbuilder.sm.find_user(username=username).profile.grid

        town, village, basic = node_of("station"), node_of("head"), node_of("worker")
        worker = session.execute(
            select(Person).where(Person.grid_id == basic.id, Person.name_zh == "测试员" + tag[-6:])
        ).scalars().first()
        if worker is None:
            worker = Person(name_zh="测试员" + tag[-6:], role="grid_worker", grid_id=basic.id, status="active",
                            mobile="13800001234", badge_no="WF-" + tag[-6:])
            session.add(worker)
        other = session.execute(
            select(Grid).where(Grid.level == 2, Grid.id != town.id).order_by(Grid.code.desc())
        ).scalars().first()
        outsider = session.execute(
            select(Person).join(Grid, Person.grid_id == Grid.id).where(Grid.path.like(other.path + "%"))
        ).scalars().first()
        if outsider is None:
            outsider = Person(name_zh="外乡测试员" + tag[-6:], role="grid_worker", grid_id=other.id, status="active")
            session.add(outsider)
        session.flush()
        out = {k: _ns(v, "id", "path", "code", "name_zh") for k, v in
               {"town": town, "other": other, "village": village, "basic": basic}.items()}
        for k, p in {"worker": worker, "outsider": outsider}.items():
            out[k] = _ns(p, "id", "name_zh", "grid_id", "mobile", "badge_no")
        return out

    return sysdb(fn)


def set_setting(sysdb, key, value):
    from portal.core.models import Setting

    def fn(session):
        row = session.query(Setting).filter_by(key=key).one()
        old = row.value
        row.value = value
        return old

    return sysdb(fn)
