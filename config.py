"""Portal configuration, read from the environment.

Every value has a default that fits the embedded single-machine set-up (SQLite under ``instance/``);
production sets ``DATABASE_URL`` (PostgreSQL), ``SECRET_KEY`` and, for several workers, ``REDIS_URL``.
Domain rules (7-day absence, meeting interval, reward scales ...) are NOT here: they are rows of the
settings table, seeded for Aohan and editable by the committee office.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("PORTAL_INSTANCE_DIR", BASE_DIR / "instance"))


def _secret_key() -> str:
    """Use SECRET_KEY, else a key kept in instance/ so sessions survive restarts and workers agree."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'anwang.db'}"
    # Accept the common "postgresql://" spelling and use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = _database_url()
SQLALCHEMY_TRACK_MODIFICATIONS = False
# A server connection may have been dropped (database restart, failover, idle timeout): test it on
# checkout. An SQLite file cannot drop its connection, and the test was a statement per request.
# Last in, first out: a request takes the connection returned last, so under light load the same few
# connections serve every request and keep their statements prepared (psycopg prepares a statement on
# its fifth run on a connection; taken in turn, five pooled connections needed 25 pages for that).
_SERVER_DATABASE = not SQLALCHEMY_DATABASE_URI.startswith("sqlite")
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "pool_use_lifo": True} if _SERVER_DATABASE else {"pool_pre_ping": False}

APP_NAME = "安网 · 敖汉旗安全生产网格化管理"
APP_THEME = ""
AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 20 second")
RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
RATELIMIT_HEADERS_ENABLED = True
FAB_PASSWORD_COMPLEXITY_ENABLED = False

# Workers never create tables or permissions: `flask --app portal setup` does it once.
FAB_CREATE_DB = False
FAB_UPDATE_PERMS = os.environ.get("FAB_UPDATE_PERMS", "0") == "1"
FAB_ADD_SECURITY_API = False
FAB_API_SWAGGER_UI = False
FAB_SECURITY_MANAGER_CLASS = "portal.security.manager.PortalSecurityManager"
FAB_BASE_TEMPLATE = "portal/base.html"
FAB_INDEX_VIEW = "portal.home.HomeView"

# Roles are code-defined ("builtin") so a permission check never queries the database.
from portal.security.roles import FAB_ROLES  # noqa: E402

BABEL_DEFAULT_LOCALE = "zh"
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
LANGUAGES = {
    "zh": {"flag": "cn", "name": "中文"},
    "mn_Mong_CN": {"flag": "cn", "name": "ᠮᠣᠩᠭᠣᠯ"},
}

WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None
# Public questionnaires carry their own anti-forgery token (surveys.submit.form_token), valid this many
# seconds after the page was served (0: no limit). An expired page is shown again with its answers kept.
SURVEY_FORM_MAX_AGE = int(os.environ.get("SURVEY_FORM_MAX_AGE", 7 * 24 * 3600))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 32 * 1024 * 1024))

# Upload folders for grid maps and photos.
UPLOAD_FOLDER = str(INSTANCE_DIR / "uploads") + "/"
IMG_UPLOAD_FOLDER = str(INSTANCE_DIR / "uploads" / "img") + "/"
IMG_UPLOAD_URL = "/uploads/img/"

# List pages count at most this many rows and then show "N+" (0, the default: always count exactly).
# For a province-wide deployment (PostgreSQL), e.g. 100000: an unfiltered list's count(*) would read
# millions of index entries on every page. Off by default: at banner scale no list reaches such a
# limit, and the limited count costs a banner's unit list ~2 ms on SQLite (docs/scaling.md).
LIST_COUNT_LIMIT = int(os.environ.get("LIST_COUNT_LIMIT", 0))
# Exports above this many rows become background jobs (see portal.jobs).
EXPORT_SYNC_LIMIT = int(os.environ.get("EXPORT_SYNC_LIMIT", 50_000))
REDIS_URL = os.environ.get("REDIS_URL", "")
# RQ queue name, and where job results are kept (default instance/exports; shared storage for RQ hosts).
JOBS_QUEUE = os.environ.get("JOBS_QUEUE", "anwang")
JOBS_DIR = os.environ.get("JOBS_DIR", "")

FAB_API_MAX_PAGE_SIZE = 100
