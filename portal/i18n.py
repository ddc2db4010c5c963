"""Interface language: choosing it, and showing user-entered names in it.

Order of choice: ``?_l_=`` (FAB's API convention) → the session (set by ``/lang/<code>``) → the
logged-in user's saved preference → the browser's Accept-Language → the default (zh).
"""
from __future__ import annotations

from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale

MN = "mn_Mong_CN"
# Accept-Language tags that mean traditional-script Mongolian of China (and plain mn: in China the
# request almost always means the traditional script; Cyrillic is never offered here).
_MN_TAGS = ("mn", "mn-mong", "mn-cn", "mn-mong-cn")


def _from_accept_language() -> str | None:
    header = request.headers.get("Accept-Language", "")
    best: tuple[float, str] | None = None
    for part in header.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower().replace("_", "-")
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        loc = None
        if tag in _MN_TAGS or tag.startswith("mn-mong"):
            loc = MN
        elif tag == "zh" or tag.startswith("zh-"):
            loc = "zh"
        if loc and (best is None or q > best[0]):
            best = (q, loc)
    return best[1] if best else None


def select_locale() -> str:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    languages = current_app.config["LANGUAGES"]
    arg = request.args.get("_l_")
    if arg:
        return arg if arg in languages else default
    loc = session.get("locale")
    if loc in languages:
        return loc
    user = g.get("user")
    profile = getattr(user, "profile", None) if user is not None and getattr(user, "is_authenticated", False) else None
    if profile is not None and profile.locale in languages:
        return profile.locale
    return _from_accept_language() or default


def current_locale() -> str:
    try:
        return str(get_locale() or "zh")
    except Exception:
        return "zh"


def is_mongolian() -> bool:
    return current_locale().startswith("mn")


def html_lang() -> str:
    return "mn-Mong-CN" if is_mongolian() else "zh-Hans"


def localized_name(obj) -> str:
    """The Mongolian form when the page is Mongolian and one exists, else the Chinese."""
    zh = getattr(obj, "name_zh", None) or ""
    if has_request_context() and is_mongolian():
        mn = getattr(obj, "name_mn", None)
        if mn:
            return mn
    return zh
