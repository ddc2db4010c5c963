"""Test fixtures: one app and one fresh database per test session.

``TEST_DATABASE_URL`` selects the server (PostgreSQL in CI); the suite creates its own database on it
(``anwang_test_<random>``) and drops it at the end, so runs never see each other's leftovers. Without it,
a SQLite file in a temporary folder. The schema is built by the Alembic migrations, as in production.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import tempfile

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ADMIN_PASSWORD = "admin-Test-123"
DEMO_PASSWORD = "demo-Test-123"


def _fresh_database() -> tuple[str, callable]:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        tmp = tempfile.mkdtemp(prefix="anwang-test-")
        return f"sqlite:///{tmp}/test.db", lambda: None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    base = make_url(url)
    name = f"anwang_test_{secrets.token_hex(4)}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        from portal.extensions import db

        with contextlib.suppress(Exception):
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def app():
    url, drop = _fresh_database()
    os.environ["DATABASE_URL"] = url
    from portal import create_app

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "AUTH_RATE_LIMITED": False,
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    })
    with app.app_context():
        from portal.cli import create_demo_users, run_setup
        from portal.extensions import db
        from portal.security.scope import system_scope
        from portal.seed.demo import load_demo

        run_setup(admin_password=ADMIN_PASSWORD)
        with system_scope("test fixtures"):
            load_demo(db.session, units=300, grids=60)
            db.session.commit()
        create_demo_users(DEMO_PASSWORD)
        db.session.remove()
    yield app
    with app.app_context():
        from portal.extensions import db

        db.session.remove()
    drop()


@pytest.fixture()
def system(app):
    """A DB session under the audited system scope, with an app context, for the whole test.
    Safe across test-client requests: sessions and scopes are per request (portal.extensions)."""
    from portal.extensions import db
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test"):
        yield db.session
        db.session.rollback()
        db.session.remove()


@pytest.fixture()
def system_ctx(app):
    """``with system_ctx() as s:`` — a DB session under the audited system scope, for building and
    inspecting data. Leave the block before making requests: an app context or a system scope kept
    open across test-client requests would leak into them (fab-notes)."""
    from portal.extensions import db
    from portal.security.scope import system_scope

    @contextlib.contextmanager
    def open_system():
        with app.app_context(), system_scope("test"):
            try:
                yield db.session
            finally:
                db.session.rollback()
                db.session.remove()

    return open_system


PASSWORDS = {"admin": ADMIN_PASSWORD}


@pytest.fixture()
def login(app):
    """``login("station")`` → a test client logged in as that demo user."""

    def make(username: str, password: str | None = None):
        client = app.test_client()
        r = client.post(
            "/login/", data={"username": username, "password": password or PASSWORDS.get(username, DEMO_PASSWORD)}
        )
        assert r.status_code in (302, 303), f"login of {username} failed: {r.status_code}"
        return client

    return make


@pytest.fixture()
def count_queries(app):
    """Count SQL statements sent while the block runs: ``with count_queries() as n: ...; n()``."""
    from portal.extensions import db

    @contextlib.contextmanager
    def counter():
        statements: list[str] = []

        def before(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", before)

    return counter
