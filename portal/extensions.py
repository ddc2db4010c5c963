"""Extensions, created once and bound to the app in ``create_app``."""
from flask_appbuilder import AppBuilder
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

def _session_scope():
    """One session per request (not per app context): a test that keeps an app context pushed
    across test-client requests must not share its session — and identity map — with them."""
    from flask import has_request_context
    from flask.globals import app_ctx, request_ctx

    if has_request_context():
        return id(request_ctx._get_current_object())
    return id(app_ctx._get_current_object())


db = SQLAlchemy(session_options={"scopefunc": _session_scope})
migrate = Migrate()
# Built inside create_app's call to init_app; a module-level instance is fine because tests use one
# app per session (fab-notes: an AppBuilder cannot be attached to a second app).
appbuilder = AppBuilder()
# Every POST needs a CSRF token, not only WTForms forms: FAB's delete and bulk-action forms are plain
# HTML and carry a token only when CSRFProtect is registered (it defines ``csrf_token()``).
csrf = CSRFProtect()
