"""A request's transaction ends in COMMIT only when it read and nothing else (portal/request_tx.py), and
a list page on PostgreSQL runs without one (autocommit), refusing any write.

On PostgreSQL a read-only request commits, so psycopg keeps the statements it prepared; anything that
wrote, failed or holds unflushed changes is rolled back as before — nothing half-done is ever stored by
the end of a request. On SQLite every request ends as it always did (rollback).
"""
from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from portal import request_tx
from portal.extensions import db

pytestmark = pytest.mark.usefixtures("app")


def _postgres(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "postgresql"


@pytest.fixture()
def tx_events(app):
    """Which way each transaction on the engine ended: a list of "commit" / "rollback"."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    on_commit, on_rollback = (lambda conn: seen.append("commit")), (lambda conn: seen.append("rollback"))
    sa.event.listen(engine, "commit", on_commit)
    sa.event.listen(engine, "rollback", on_rollback)
    yield seen
    sa.event.remove(engine, "commit", on_commit)
    sa.event.remove(engine, "rollback", on_rollback)


def _role_named(app, name: str) -> bool:
    with app.app_context():
        found = db.session.execute(sa.text("SELECT count(*) FROM ab_role WHERE name = :n"), {"n": name}).scalar()
        db.session.remove()
    return bool(found)


def test_a_list_page_ends_in_commit_on_postgresql_and_rollback_on_sqlite(app, login, tx_events):
    client = login("admin")
    tx_events.clear()
    r = client.get("/unitview/list/")
    assert r.status_code == 200
    assert tx_events == (["commit"] if _postgres(app) else ["rollback"])


def test_statements_stay_prepared_across_read_only_requests(app, login):
    if not _postgres(app):
        pytest.skip("prepared statements are psycopg's (PostgreSQL)")
    client = login("admin")
    with app.app_context():  # several idle connections in the pool, as after a burst of requests
        burst = [db.engine.connect() for _ in range(4)]
        for conn in burst:
            conn.exec_driver_sql("SELECT 1")
        for conn in burst:
            conn.close()
    # psycopg prepares a statement on its fifth run on a connection: the pool hands out the connection
    # returned last (pool_use_lifo), so eight pages in a row run on one connection, not in turn on four
    for _ in range(8):
        assert client.get("/unitview/list/").status_code == 200
    with app.app_context():
        pool = db.engine.pool
        names = set()
        # Ask every idle connection of the pool which statements it holds prepared.
        conns = [db.engine.raw_connection() for _ in range(pool.checkedin())]
        try:
            for raw in conns:
                cur = raw.cursor()
                cur.execute("SELECT statement FROM pg_prepared_statements")
                names |= {row[0] for row in cur.fetchall()}
                cur.close()
        finally:
            for raw in conns:
                raw.close()
    # Every request reads the auth version (the user itself is kept while it stays: kept_users.py).
    assert any(s.lstrip().startswith("SELECT data_version.version") and "FROM unit" not in s for s in names), \
        "the auth version is planned again on every request"
    assert any("FROM unit" in s for s in names), "the unit list is planned again on every request"


@pytest.mark.parametrize("how", ["insert", "unflushed", "failed", "exception"])
def test_a_transaction_that_did_more_than_read_is_never_committed(app, how, tx_events):
    name = f"tx-{how}-{secrets.token_hex(3)}"
    with app.test_request_context("/"):
        db.session.execute(sa.text("SELECT 1")).scalar()
        exc = None
        if how == "insert":
            db.session.execute(sa.text("INSERT INTO ab_role (name) VALUES (:n)"), {"n": name})
        elif how == "unflushed":
            from flask_appbuilder.security.sqla.models import Role

            db.session.add(Role(name=name))
        elif how == "failed":
            with pytest.raises(sa.exc.DBAPIError):
                db.session.execute(sa.text("SELECT * FROM no_such_table_here"))
        else:
            db.session.execute(sa.text("INSERT INTO ab_role (name) VALUES (:n)"), {"n": name})
            exc = RuntimeError("the view failed")
        assert request_tx.end(db.session, exc) is False
        db.session.remove()
    assert "commit" not in tx_events
    assert not _role_named(app, name)


def test_a_read_then_nothing_else_commits_only_on_postgresql(app, tx_events):
    with app.test_request_context("/"):
        db.session.execute(sa.text("SELECT 1")).scalar()
        committed = request_tx.end(db.session, None)
        db.session.remove()
    assert committed is _postgres(app)
    assert tx_events == (["commit"] if committed else ["rollback"])


def test_a_request_that_never_touched_the_database_ends_nothing(app, tx_events):
    with app.test_request_context("/"):
        assert request_tx.end(db.session, None) is False
    assert tx_events == []


@pytest.fixture()
def autocommit_seen(app):
    """For each statement on the engine: whether it ran without a transaction (psycopg's autocommit)."""
    seen: list[bool] = []
    with app.app_context():
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(bool(getattr(conn.connection.dbapi_connection, "autocommit", False)))

    sa.event.listen(engine, "before_cursor_execute", before)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", before)


def test_list_pages_run_without_a_transaction_on_postgresql(app, login, autocommit_seen):
    """No BEGIN and COMMIT for a list, which only reads; a form or detail page, which may write (a
    person's logs who saw the identifiers), keeps its transaction — on the same pooled connections, in
    any order."""
    if not _postgres(app):
        pytest.skip("SQLite pages keep their transaction: nothing to gain there")
    client = login("admin")
    with app.app_context():
        unit_id = db.session.execute(sa.text("SELECT min(id) FROM unit")).scalar_one()
        person_id = db.session.execute(sa.text("SELECT min(id) FROM person WHERE id_number IS NOT NULL")).scalar_one()
        db.session.remove()
    for url, read_only in [("/unitview/list/", True), (f"/unitview/edit/{unit_id}", False),
                           (f"/unitview/show/{unit_id}", False), ("/gridview/list/?psize_GridView=25", True),
                           (f"/personview/show/{person_id}", False), ("/personview/list/", True),
                           ("/unitview/add", False), ("/unitview/list/", True)]:
        autocommit_seen.clear()
        assert client.get(url).status_code == 200, url
        assert autocommit_seen and set(autocommit_seen) == {read_only}, url


def test_a_write_on_a_read_only_page_is_refused_and_the_connection_writes_again_after(app):
    if not _postgres(app):
        pytest.skip("read-only pages run without a transaction on PostgreSQL only")
    name = f"tx-read-only-{secrets.token_hex(3)}"
    with app.test_request_context("/"):
        assert request_tx.begin_read_only(db.session) is True
        with pytest.raises(request_tx.WriteInReadOnlyRequest):
            db.session.execute(sa.text("INSERT INTO ab_role (name) VALUES (:n)"), {"n": name})
        db.session.remove()
    assert not _role_named(app, name)
    with app.test_request_context("/"):  # the pool hands the same connection back, in a transaction
        db.session.execute(sa.text("INSERT INTO ab_role (name) VALUES (:n)"), {"n": name})
        assert _role_named_in(db.session, name)
        db.session.rollback()
        db.session.remove()
    assert not _role_named(app, name)


def _role_named_in(session, name: str) -> bool:
    return bool(session.execute(sa.text("SELECT count(*) FROM ab_role WHERE name = :n"), {"n": name}).scalar())
