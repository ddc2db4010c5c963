"""Rendered page fragments kept per process: the navigation bar, the stylesheet and script links.

FAB's navbar asks ``has_access`` for each of ~40 menu entries and translates each label on every page
(about a sixth of a list page, benchmarks/profile_page.py). Its HTML depends only on who is asking (the
user, their name and roles) and the language, so it is rendered once per such key and reused. The menu
is navigation, not access control — every view checks its own permission — so an entry shown from a
cache made before a role change at worst leads to a refusal; entries expire after ``FRAGMENT_CACHE_TTL``
seconds (config) all the same.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

from flask import current_app, request
from flask_login import current_user
from markupsafe import Markup

MAX_ENTRIES = 2048

_lock = threading.Lock()
_entries: OrderedDict = OrderedDict()


def _user_key():
    user = current_user
    if user is None or getattr(user, "is_anonymous", True):
        return (None,)
    roles = tuple(sorted(r.id for r in getattr(user, "roles", ()) or ()))
    return (user.id, user.get_full_name(), roles)


def cached_fragment(name: str, nonce: str = "", per_user: bool = True, caller=None):
    """Jinja call block: ``{% call portal_cached('navbar') %}…{% endcall %}`` renders the body once per
    (name, user, roles, language) and app — or per (name, language) with ``per_user=false`` — then
    serves the stored HTML. A fragment carrying a per-request CSP nonce is never stored."""
    from portal.i18n import current_locale

    ttl = current_app.config.get("FRAGMENT_CACHE_TTL", 300)
    if not ttl or nonce:
        return Markup(caller())
    # script_root: behind a proxy under a path prefix every URL in the fragment carries it
    key = (id(current_app._get_current_object()), request.script_root, name, current_locale(),
           *(_user_key() if per_user else ()))
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] > now:
            _entries.move_to_end(key)
            return hit[1]
    html = Markup(caller())
    with _lock:
        _entries[key] = (now + ttl, html)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return html


def clear() -> None:
    with _lock:
        _entries.clear()
