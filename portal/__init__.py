"""Anwang 安网 — the application factory (Flask tutorial style)."""
from __future__ import annotations

import logging
import os

from flask import Flask, jsonify, render_template
from werkzeug.exceptions import HTTPException

log = logging.getLogger("portal")


def create_app(test_config: dict | None = None) -> Flask:
    base = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(__name__, instance_path=os.path.join(base, "instance"), instance_relative_config=False)
    app.config.from_pyfile(os.path.join(base, "config.py"))
    if test_config:
        app.config.update(test_config)

    from portal.extensions import appbuilder, csrf, db, migrate

    db.init_app(app)
    _sqlite_settings(app)
    csrf.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(base, "migrations"), render_as_batch=True)

    from portal import models  # noqa: F401  (every mapper known before FAB and Alembic look)
    from portal.changelog import listeners as changelog
    from portal.security import scope

    from portal.grid import history

    # Order matters: assignment rows are added before the scope check and the change log see the flush.
    history.install()
    scope.install()
    changelog.install()

    with app.app_context():
        appbuilder.init_app(app, db.session)
        _install_locale_selector(app)
        from portal.menu import register_views

        register_views(appbuilder)

    __import__("portal.reward", fromlist=["register_public"]).register_public(app)
    import forms as forms_engine

    forms_engine.init_app(app)
    __import__("surveys.public").public.init_app(app)  # public questionnaire pages, no login
    app.register_blueprint(__import__("portal.workforce.public", fromlist=["bp"]).bp)
    _register_basics(app)
    from portal.cli import register_cli

    register_cli(app)
    return app


def _sqlite_settings(app: Flask) -> None:
    """SQLite (the single-machine set-up): write-ahead logging, so readers never wait for the writer
    and a writer never waits for readers, and a busy timeout long enough for every gunicorn thread
    writing at once (docs/scaling.md, fifth round). ``synchronous`` stays FULL: an answer
    acknowledged is on disk."""
    if not str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        return
    from sqlalchemy import event

    from portal.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, record):
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(app.config.get('SQLITE_BUSY_TIMEOUT_MS', 30000))}")
            cursor.execute("PRAGMA journal_mode = WAL")  # stored in the file: a no-op once set
        finally:
            cursor.close()


def _install_locale_selector(app: Flask) -> None:
    from portal.i18n import html_lang, select_locale

    babel_cfg = app.extensions["babel"]
    babel_cfg.locale_selector = select_locale
    app.jinja_env.globals["html_lang"] = html_lang
    from portal.i18n import current_locale

    app.jinja_env.globals["current_locale"] = current_locale
    from portal.grid.labels import PERSON_ROLE_LABELS

    app.jinja_env.filters["portal_role"] = lambda v: str(PERSON_ROLE_LABELS.get(v, v))
    from portal.listrows import list_rows

    app.jinja_env.globals["portal_list_rows"] = list_rows
    from portal.fragments import cached_fragment

    app.jinja_env.globals["portal_cached"] = cached_fragment
    from portal import links

    links.install(app)


def _render_error(code: int):
    from portal.extensions import appbuilder

    try:
        return render_template(
            "portal/error.html", code=code, base_template=appbuilder.base_template, appbuilder=appbuilder
        ), code
    except Exception:  # the error page itself must never fail
        return ("Error" if code >= 500 else "Not found"), code


def _register_basics(app: Flask) -> None:
    from portal.extensions import db
    from portal.security.scope import ScopeViolation

    def _fresh_login_user():
        # Flask-Login caches the user on ``g``, which belongs to the app context; where one app
        # context serves several requests (tests) that cache would hand a detached user — or another
        # client's user — to the next request. Production pushes a context per request: a no-op there.
        from flask import g

        g.pop("_login_user", None)

    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_login_user)

    from portal import request_tx

    with app.app_context():
        request_tx.install(db.engine)

    def _read_only_page():
        # Before any hook that reads (the user load): a list page runs without a transaction.
        from flask import request

        if request.method in ("GET", "HEAD") and request_tx.read_only_endpoint(
                app.view_functions.get(request.endpoint)):
            request_tx.begin_read_only(db.session)

    app.before_request_funcs[None].insert(1, _read_only_page)

    @app.teardown_request
    def _remove_session(exc):
        # Sessions are per request (portal.extensions._session_scope): close this one now — after a
        # COMMIT when it only read, so PostgreSQL keeps its prepared statements (portal/request_tx.py).
        try:
            request_tx.end(db.session, exc)
        except Exception:  # the request is over: whatever failed here, close() rolls back
            app.logger.warning("ending a read-only transaction failed", exc_info=True)
        db.session.remove()

    @app.get("/health")
    def health():
        from sqlalchemy import text

        try:
            db.session.execute(text("SELECT 1")).scalar()
            return jsonify({"status": "ok", "database": "ok", "dialect": db.engine.dialect.name})
        except Exception:  # /health must answer even when the database does not
            db.session.rollback()
            return jsonify({"status": "error", "database": "unavailable"}), 503

    @app.errorhandler(ScopeViolation)
    def _scope_violation(e):
        db.session.rollback()
        return _render_error(404)

    @app.errorhandler(Exception)
    def _unhandled(e):
        if isinstance(e, HTTPException):
            return e
        log.exception("unhandled error")
        db.session.rollback()
        # No traceback ever reaches a user.
        return _render_error(500)
