"""With CSRF on (as in production), a POST without the token is refused and nothing changes; the pages
carry the token, so a real user's delete and bulk action work."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.grid.models import Grid
from portal.ledger.models import Unit


@pytest.fixture()
def csrf_on(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_post_without_token_is_refused(app, system, csrf_on):
    grid = system.execute(select(Grid).where(Grid.level == 4).order_by(Grid.id)).scalars().first()
    u = Unit(name="CSRF测试单位", kind="other", grid_id=grid.id, management_mode="packaged")
    system.add(u)
    system.commit()
    uid = u.id
    c = app.test_client()
    resp = c.get("/login/")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page[:500]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    r = c.post("/login/", data={"username": "admin", "password": "admin-Test-123", "csrf_token": token})
    assert r.status_code == 302
    # No token: refused, the unit stays.
    r = c.post(f"/unitview/delete/{uid}")
    assert r.status_code == 400
    r = c.post("/unitview/action_post", data={"action": "confirm", "rowid": [str(uid)]})
    assert r.status_code == 400
    system.expire_all()
    assert system.get(Unit, uid).intake_status == "draft"
    # The list page carries the token for its delete and action forms: with it the delete goes through.
    show = c.get("/unitview/list/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', show).group(1)
    r = c.post(f"/unitview/delete/{uid}", data={"csrf_token": token})
    assert r.status_code == 302
    system.expire_all()
    assert system.get(Unit, uid) is None
