"""How a request's transaction begins and ends: none at all for a page that only reads (PostgreSQL);
otherwise COMMIT when it only read, ROLLBACK when it wrote or failed.

A list page of a portal view only reads (``read_only_endpoint``). On PostgreSQL its
statements run without a transaction of their own (autocommit): the BEGIN and COMMIT round trips,
~0.2–0.3 ms of a 7 ms list page, are gone, and nothing else changes — under READ COMMITTED each
statement reads its own snapshot either way, and a list's rows and count are one statement. A write
on such a connection is a programming error and is refused before it reaches the database.

psycopg 3 forgets every prepared statement of a connection on ROLLBACK (and the count of how often
each statement ran). Ending each request with the session's rollback therefore meant that no
statement was ever prepared: PostgreSQL planned the user load's eight-table join, the list's count
and its page afresh on every request — about a millisecond of planning each, more than executing
them. A transaction that wrote nothing ends the same whichever way it ends, so a read-only one ends
in COMMIT, which keeps the prepared statements; a transaction that wrote anything, failed, or holds
unflushed changes is rolled back exactly as before.

"Wrote" is decided at the cursor: any statement other than a plain SELECT marks the connection
(INSERT, UPDATE, DELETE, DDL, a WITH that may hide one, PRAGMA), as does any error. The mark lives
until the connection's transaction ends; ``wrote`` reads it (on both databases: a list page keeps
no count taken after its own transaction wrote, ``portal.listplan``).
"""
from __future__ import annotations

import re

from sqlalchemy import event

_READ = re.compile(r"\s*select\b", re.IGNORECASE)
_MARK = "anwang.wrote"
_READ_ONLY = "anwang.read_only"


class WriteInReadOnlyRequest(RuntimeError):
    """A statement other than SELECT on the connection of a page that only reads."""


def install(engine) -> None:
    """Watch ``engine``'s statements for writes (idempotent per engine)."""
    if getattr(engine, "_anwang_write_marks", False):
        return
    engine._anwang_write_marks = True
    # SQLite's driver keeps its statement cache across rollbacks: ending in COMMIT gains nothing there.
    engine._anwang_request_tx = engine.dialect.name == "postgresql"

    @event.listens_for(engine, "before_cursor_execute")
    def _mark_write(conn, cursor, statement, parameters, context, executemany):
        if not _READ.match(statement):
            if conn.info.get(_READ_ONLY):
                raise WriteInReadOnlyRequest(statement.split(None, 1)[0])
            conn.info[_MARK] = True

    @event.listens_for(engine, "checkin")
    def _end_read_only(dbapi_connection, record):
        # ``info`` belongs to the pooled connection, not to one checkout of it
        record.info.pop(_READ_ONLY, None)

    @event.listens_for(engine, "handle_error")
    def _mark_error(ctx):
        if ctx.connection is not None:
            ctx.connection.info[_MARK] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _clear(conn):
        conn.info.pop(_MARK, None)


def wrote(conn) -> bool:
    """Whether ``conn`` (a SQLAlchemy connection) wrote, or failed, in its current transaction."""
    return bool(conn.info.get(_MARK))


def read_only_endpoint(view_func) -> bool:
    """Whether ``view_func`` (the endpoint's function) is the list page of a portal model view (FAB
    registers it as a bound method named ``list``; GET only, checked by the caller). Not the detail
    page: a person's logs who saw the identifiers on it (R13), and so may a page that lists people
    among its related rows."""
    from portal.views_base import PortalModelView

    return getattr(view_func, "__name__", None) == "list" and isinstance(
        getattr(view_func, "__self__", None), PortalModelView)


def begin_read_only(scoped) -> bool:
    """Run this request's session without a transaction (PostgreSQL only); True when it does. Call
    before the request's first statement."""
    session = scoped()
    bind = session.get_bind()
    if not getattr(bind, "_anwang_request_tx", False) or session.in_transaction():
        return False
    conn = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    conn.info[_READ_ONLY] = True
    return True


def end(scoped, exc: BaseException | None = None) -> bool:
    """End the request's session (``scoped``: the scoped session) transaction; True when it was
    committed because it only read. The caller still removes the session, which rolls back the rest."""
    if exc is not None or not scoped.registry.has():
        return False
    session = scoped()
    if not session.in_transaction():
        return False
    if session.new or session.dirty or session.deleted:
        return False
    try:
        conn = session.connection()
    except Exception:  # no usable connection: let close() deal with it
        return False
    if not getattr(conn.engine, "_anwang_request_tx", False) or conn.info.get(_MARK):
        return False
    session.commit()
    return True
