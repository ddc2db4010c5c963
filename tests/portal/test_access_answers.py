"""The security manager's per-request shortcut for permission checks answers as FAB's own check does:
for every permission of every view, for each demo role and for an anonymous visitor."""
from __future__ import annotations

import pytest
from flask import g
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_login import login_user


def _pairs():
    from portal.extensions import appbuilder

    pairs = set()
    for view in appbuilder.baseviews:
        for perm in getattr(view, "base_permissions", None) or []:
            pairs.add((perm, view.class_permission_name))
    pairs.add(("menu_access", "Grid"))
    return sorted(pairs)


@pytest.mark.parametrize("username", ["admin", "office", "station", "worker", "dept", None])
def test_answers_are_fabs(app, username):
    from portal.extensions import appbuilder, db

    sm = appbuilder.sm
    with app.test_request_context("/"):
        if username:
            login_user(sm.find_user(username=username))
        g.user = None if username is None else sm.find_user(username=username)
        pairs = _pairs()
        ours = [sm.has_access(p, v) for p, v in pairs]
        again = [sm.has_access(p, v) for p, v in pairs]  # from the memo
        fabs = [SecurityManager.has_access(sm, p, v) for p, v in pairs]
        db.session.remove()
    assert ours == fabs == again
    if username == "admin":
        assert all(ours)
    elif username in ("station", "worker"):
        assert any(ours) and not all(ours)  # the check can say no


def test_a_role_kept_in_the_database_is_asked_fabs_way(app, monkeypatch):
    from portal.extensions import appbuilder, db

    sm = appbuilder.sm
    with app.test_request_context("/"):
        user = sm.find_user(username="station")
        login_user(user)
        g.user = user
        monkeypatch.setattr(type(sm), "builtin_roles", {}, raising=False)
        assert sm._builtin_roles_key() is None
        db.session.remove()
    with app.test_request_context("/"):
        g.user = None
        assert sm._builtin_roles_key() is None  # nobody logged in
