"""The request's user kept between requests while the auth version stays (portal/security/kept_users.py):
loaded again after any committed change to users, roles, groups, profiles or grids, whoever makes it;
each request gets objects of its own. On SQLite and PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import sqlalchemy as sa

from tests.portal.test_list_count_cache import other_worker
from tests.portal.test_listplan import _record_count

URL = "/unitview/list/?psize_UnitView=10"


def _auth_version(conn) -> int:
    return conn.execute(sa.text("SELECT version FROM data_version WHERE id = 2")).scalar_one()


def _user_loads(statements) -> int:
    return sum(1 for s in statements if "FROM ab_user" in s)


def test_every_auth_table_has_its_version_triggers(app):
    """Each table the user is loaded from moves the auth version in a committed write and not in a
    rolled-back one (a migration that rebuilt a table and lost its triggers fails here). Tables the
    demo has no rows in get one, inserted and deleted in the same transaction."""
    from portal.core.data_version import AUTH_TABLES

    with other_worker(app) as conn:
        for table in AUTH_TABLES:
            before = _auth_version(conn)
            _write(conn, table)
            conn.rollback()
            assert _auth_version(conn) == before, table
            _write(conn, table)
            conn.commit()
            assert _auth_version(conn) > before, table
            conn.rollback()


def _write(conn, table) -> None:
    """A write to each row of ``table`` that changes nothing, or a row inserted and deleted again."""
    if conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0:
        _insert_and_delete(conn, table)
        return
    column = sa.inspect(conn).get_columns(table)[0]["name"]
    conn.execute(sa.text(f"UPDATE {table} SET {column} = {column}"))


def _insert_and_delete(conn, table) -> None:
    # Only the tables a fresh demo leaves empty: FAB's groups and their links.
    if table == "ab_group":
        conn.execute(sa.text("INSERT INTO ab_group (name, label, description) VALUES ('kept-users-test', 'x', 'x')"))
        conn.execute(sa.text("DELETE FROM ab_group WHERE name = 'kept-users-test'"))
        return
    role = conn.execute(sa.text("SELECT min(id) FROM ab_role")).scalar_one()
    user = conn.execute(sa.text("SELECT min(id) FROM ab_user")).scalar_one()
    group = conn.execute(sa.text("INSERT INTO ab_group (name, label, description) VALUES ('kept-users-link', 'x', 'x')"
                                 " RETURNING id")).scalar_one()
    if table == "ab_user_group":
        conn.execute(sa.text("INSERT INTO ab_user_group (user_id, group_id) VALUES (:u, :g)"), {"u": user, "g": group})
    else:
        conn.execute(sa.text("INSERT INTO ab_group_role (group_id, role_id) VALUES (:g, :r)"), {"g": group, "r": role})
    conn.execute(sa.text(f"DELETE FROM {table} WHERE group_id = :g"), {"g": group})
    conn.execute(sa.text("DELETE FROM ab_group WHERE id = :g"), {"g": group})


def test_the_user_is_loaded_again_only_after_the_auth_version_moved(app, login, count_queries):
    client = login("station")
    client.get(URL)
    with count_queries() as statements:
        assert client.get(URL).status_code == 200
    assert _user_loads(statements) == 0, statements
    with other_worker(app) as conn:
        conn.execute(sa.text("UPDATE ab_user SET first_name = first_name WHERE username = 'station'"))
        conn.commit()
    with count_queries() as statements:
        assert client.get(URL).status_code == 200
    assert _user_loads(statements) == 1, statements
    with count_queries() as statements:
        client.get(URL)
    assert _user_loads(statements) == 0, statements


def test_a_user_deactivated_elsewhere_is_refused_on_the_next_request(app, login):
    client = login("worker")
    assert client.get(URL).status_code == 200
    with other_worker(app) as conn:
        conn.execute(sa.text("UPDATE ab_user SET active = :no WHERE username = 'worker'"), {"no": False})
        conn.commit()
        try:
            r = client.get(URL)
            assert r.status_code in (302, 303) and "/login" in r.headers["Location"]
        finally:
            conn.execute(sa.text("UPDATE ab_user SET active = :yes WHERE username = 'worker'"), {"yes": True})
            conn.commit()
    assert client.get(URL).status_code == 200


def test_a_profile_moved_elsewhere_moves_the_scope_on_the_next_request(app, login):
    """The township's user put on the village's node by another connection sees the village's units on
    the next page, and the township's again once moved back."""
    station, head = login("station"), login("head")
    town_count = _record_count(station.get(URL).get_data(as_text=True))
    village_count = _record_count(head.get(URL).get_data(as_text=True))
    assert village_count < town_count
    with other_worker(app) as conn:
        ids = dict(conn.execute(sa.text(
            "SELECT u.username, p.grid_id FROM ab_user u JOIN user_profile p ON p.user_id = u.id "
            "WHERE u.username IN ('station', 'head')")).all())
        move = sa.text("UPDATE user_profile SET grid_id = :g WHERE user_id = (SELECT id FROM ab_user WHERE username = 'station')")
        conn.execute(move, {"g": ids["head"]})
        conn.commit()
        try:
            assert _record_count(station.get(URL).get_data(as_text=True)) == village_count
        finally:
            conn.execute(move, {"g": ids["station"]})
            conn.commit()
    assert _record_count(station.get(URL).get_data(as_text=True)) == town_count


def test_each_load_is_a_graph_of_its_own(app):
    """What one request does to its user (an edit not committed, a role list changed) reaches neither the
    kept graph nor the next request's user."""
    from portal.extensions import appbuilder, db

    sm = appbuilder.sm
    with app.app_context():
        pk = db.session.execute(sa.text("SELECT id FROM ab_user WHERE username = 'head'")).scalar_one()
        db.session.remove()
        first = sm.load_user(pk)
        name, roles = first.first_name, [r.name for r in first.roles]
        first_profile = first.profile
        assert first in db.session and first_profile in db.session
        first.first_name = "changed in one request"
        first.roles.clear()
        db.session.rollback()
        db.session.remove()
        second = sm.load_user(pk)
        assert second is not first
        assert second.first_name == name and [r.name for r in second.roles] == roles
        assert second.profile is not first_profile and second.profile.grid.path
        db.session.remove()


def test_a_database_roles_permission_taken_away_elsewhere_applies_on_the_next_request(app, login):
    """A role kept in the database (not one of the builtin roles) is asked for its permissions on every
    request: they are not part of the kept graph, so removing one elsewhere — a write the auth version
    does not follow — is refused on the next page."""
    from portal.extensions import appbuilder, db
    from tests.conftest import DEMO_PASSWORD

    sm = appbuilder.sm
    with app.app_context():
        role = sm.add_role("KeptUsersDbRole")
        sm.add_permission_role(role, sm.find_permission_view_menu("can_list", "UnitView"))
        sm.add_user("kept-db-role", "kept", "role", "kept-db-role@example.invalid", role, password=DEMO_PASSWORD)
        db.session.remove()
    client = login("kept-db-role", DEMO_PASSWORD)
    assert client.get(URL).status_code == 200
    assert client.get(URL).status_code == 200  # the user kept
    with other_worker(app) as conn:
        version = _auth_version(conn)
        conn.execute(sa.text("DELETE FROM ab_permission_view_role WHERE role_id = "
                             "(SELECT id FROM ab_role WHERE name = 'KeptUsersDbRole')"))
        conn.commit()
        assert _auth_version(conn) == version
    r = client.get(URL)
    assert r.status_code in (302, 303, 403) and "/unitview/show/" not in r.get_data(as_text=True)


def test_threads_merge_the_same_kept_user_each_into_its_own_session(app):
    """gunicorn's threads (gthread) serve one user's requests at once: each merges the one kept graph into
    its own session, and gets objects of that session."""
    import threading

    from portal.extensions import appbuilder, db

    sm = appbuilder.sm
    with app.app_context():
        ids = [db.session.execute(sa.text("SELECT id FROM ab_user WHERE username = :u"), {"u": u}).scalar_one()
               for u in ("admin", "station")]
        db.session.remove()
    problems: list[str] = []
    users: list[int] = []

    def serve():
        try:
            for i in range(50):
                with app.test_request_context("/"):
                    user = sm.load_user(ids[i % 2])
                    if user is None or user not in db.session or not user.roles:
                        problems.append(f"request {i}: {user!r}")
                    users.append(id(user))
                    db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below, with the thread's others
            problems.append(repr(exc))

    threads = [threading.Thread(target=serve) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == [] and len(users) == 400


def test_a_process_keeps_at_most_limit_users(app, monkeypatch):
    """The kept users are bounded (a worker of a province's portal sees many users): past the limit the
    process starts again from none, and every load still returns its user."""
    from portal.extensions import appbuilder, db
    from portal.security import kept_users

    sm = appbuilder.sm
    monkeypatch.setattr(kept_users, "LIMIT", 2)
    monkeypatch.setattr(sm.kept_users, "_kept", {})  # the users earlier tests left kept
    with app.app_context():
        ids = db.session.execute(sa.text("SELECT id FROM ab_user WHERE active = :yes ORDER BY id LIMIT 5"),
                                 {"yes": True}).scalars().all()
        db.session.remove()
        assert len(ids) == 5
        for pk in ids:
            assert sm.load_user(pk).id == pk
            assert len(sm.kept_users._kept) <= 2
            db.session.remove()
