"""FAB's list-page link filters (``link_page``, ``link_page_size``, ``link_order``), built once per page.

FAB's filters copy the request's arguments and call ``url_for`` for every page number, page size and
sortable column (about 25 URL builds on a list page). The URLs of one kind differ only in one value,
so each kind is built once per request with a placeholder, and the placeholder is replaced. Same URLs.
"""
from __future__ import annotations

from urllib.parse import quote_plus

from flask import request, url_for

from portal.security.scope import request_cache

PH = "portal0placeholder0"
_SAFE = "!$'()*,/:;?@"  # what werkzeug leaves unquoted in query values


def _url(modelview_name: str, overrides: dict) -> str:
    args = request.args.copy()
    for k, v in overrides.items():
        args[k] = v
    return url_for(request.endpoint, **dict(list(request.view_args.items()) + list(args.to_dict().items())))


def _template(kind: str, modelview_name: str, overrides: dict) -> str | None:
    """The URL with ``overrides`` applied in FAB's order, one of them being the placeholder."""
    cache = request_cache().setdefault("portal.links", {})
    ck = (kind, modelview_name)
    if ck not in cache:
        url = _url(modelview_name, overrides)
        cache[ck] = url if url.count(PH) == 1 else None
    return cache[ck]


def _fill(template: str | None, value, slow):
    if template is None:
        return slow()
    return template.replace(PH, quote_plus(str(value), safe=_SAFE), 1)


def link_page(page, modelview_name):
    key = "page_" + modelview_name
    return _fill(_template("page", modelview_name, {key: PH}), page,
                 lambda: _url(modelview_name, {key: page}))


def link_page_size(page_size, modelview_name):
    key = "psize_" + modelview_name
    return _fill(_template("psize", modelview_name, {key: PH}), page_size,
                 lambda: _url(modelview_name, {key: page_size}))


def link_order(column, modelview_name):
    oc, od = "_oc_" + modelview_name, "_od_" + modelview_name
    if oc in request.args:
        direction = "desc" if request.args.get(od) == "asc" else "asc"
    else:
        direction = "asc"
    return _fill(_template("order", modelview_name, {oc: PH, od: direction}), column,
                 lambda: _url(modelview_name, {oc: column, od: direction}))


def install(app) -> None:
    # FAB's own, kept for tests/portal/test_list_render.py (same URLs either way)
    app.extensions["portal.fab_link_filters"] = {
        n: app.jinja_env.filters[n] for n in ("link_page", "link_page_size", "link_order")}
    app.jinja_env.filters["link_page"] = link_page
    app.jinja_env.filters["link_page_size"] = link_page_size
    app.jinja_env.filters["link_order"] = link_order
