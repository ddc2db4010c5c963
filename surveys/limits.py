"""Per-IP rate limit of public submissions (Flask-Limiter).

Storage is Redis when ``REDIS_URL`` is set (several workers must share counters), memory otherwise.
The limit itself is the ``survey_rate_limit`` setting; ``SURVEY_RATE_LIMIT`` in the config overrides it.
"""
from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, key_prefix="survey", strategy="fixed-window", headers_enabled=True)


def submission_limit() -> str:
    from portal.core.settings import get_setting

    return current_app.config.get("SURVEY_RATE_LIMIT") or str(get_setting("survey_rate_limit"))


def init_limiter(app) -> None:
    # Flask-Limiter reads RATELIMIT_ENABLED (shared with FAB's login limiter) and skips all set-up
    # when it is off; we set up anyway and honour the flag through ``limiter.enabled``, so a test can
    # switch this limiter on without touching the login limiter.
    enabled = app.config.get("SURVEY_RATELIMIT_ENABLED", app.config.get("RATELIMIT_ENABLED", True))
    saved = dict(app.config)
    app.config["RATELIMIT_ENABLED"] = True
    app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or app.config.get(
        "RATELIMIT_STORAGE_URI") or "memory://"
    try:
        limiter.init_app(app)
    finally:
        for key in ("RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "RATELIMIT_STRATEGY"):
            if key in saved:
                app.config[key] = saved[key]
            else:
                app.config.pop(key, None)
    limiter.enabled = bool(enabled)
