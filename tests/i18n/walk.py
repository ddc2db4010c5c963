"""Discover the pages to walk from the running app itself (menu, model views, public routes), so
the walk grows as other wings add pages."""
from __future__ import annotations

from flask import url_for

# Routes that are not pages: never fetched anonymously while looking for public pages.
_NOT_PAGES = ("/static", "/appbuilder", "/api", "/lang", "/logout", "/health", "/swagger", "/forms-static", "/uploads")


def _menu_urls(items) -> list[str]:
    urls = []
    for item in items:
        if item.childs:
            urls += _menu_urls(item.childs)
        elif item.name != "-":
            url = item.get_url()
            if url and url != "#":
                urls.append(url)
    return urls


def discover(app) -> dict[str, list[str]]:
    """{"menu": [...], "crud": [...], "extra": [...], "public_candidates": [...]} (URLs)."""
    from flask_appbuilder.baseviews import BaseCRUDView

    from portal.extensions import appbuilder
    from portal.security.scope import system_scope

    found: dict[str, list[str]] = {"menu": [], "crud": [], "extra": [], "public_candidates": []}
    with app.test_request_context():
        found["menu"] = _menu_urls(appbuilder.menu.get_list())
        found["extra"].append(appbuilder.get_url_for_userinfo)
        with system_scope("i18n page walk: first row of each model view"):
            for view in appbuilder.baseviews:
                if not isinstance(view, BaseCRUDView):
                    continue
                perms = set(view.base_permissions or [])
                if "can_add" in perms:
                    found["crud"].append(url_for(f"{view.endpoint}.add"))
                try:
                    # the view's own base filters: its first row, not the model's (the unreported
                    # absences are attendance rows, but not every attendance row is one)
                    _count, rows = view.datamodel.query(getattr(view, "_base_filters", None), page=0, page_size=1)
                except Exception:  # a view over a model without rows or a broken query: skip
                    rows = []
                if rows:
                    pk = view.datamodel.get_pk_value(rows[0])
                    if "can_show" in perms:
                        found["crud"].append(url_for(f"{view.endpoint}.show", pk=pk))
                    if "can_edit" in perms:
                        found["crud"].append(url_for(f"{view.endpoint}.edit", pk=pk))
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.arguments or rule.rule.startswith(_NOT_PAGES):
                continue
            found["public_candidates"].append(rule.rule)
    for k in found:
        found[k] = list(dict.fromkeys(found[k]))
    return found
