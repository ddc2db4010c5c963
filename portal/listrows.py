"""The body rows of every list page, rendered in Python in one pass.

FAB's list widget renders each cell through Jinja (a block, a macro call, a formatter lookup and an
escape per cell): on a 100-row page that loop was about half of the request (benchmarks/profile_page.py).
Here each row is a handful of string joins over parts built once per page; the HTML is the same as the
template's (tests/portal/test_list_render.py compares the two).
"""
from __future__ import annotations

import datetime as dt
import decimal
import enum
import operator
import re

from markupsafe import Markup, escape

PK = "__pk__"  # placeholder primary key in the links built once per page


def _button(href: str, title: str, label: str, icon: str) -> str:
    return (f'<a href="{href}" class="btn btn-sm btn-default" data-toggle="tooltip" rel="tooltip"\n'
            f'title="{title}">\n<span class="sr-only">{label}</span>\n<i class="fa {icon}"></i>\n</a>\n')


def _delete(href: str, title: str, label: str, confirm: str, nonce: str) -> str:
    return (f'<a\nid="btn-delete-{href}"\nhref="#"\nclass="btn btn-sm btn-default confirm"\nrel="tooltip"\n'
            f'title="{title}"\n>\n<span class="sr-only">{label}</span>\n<i class="fa fa-trash"></i>\n</a>\n'
            f'<script nonce="{nonce}">\ndocument.getElementById("btn-delete-{href}")\n'
            f'.addEventListener("click", function () {{\nconst adminAction = new AdminActions();\n'
            f"return adminAction.execute_single_delete('{href}','{confirm}');\n}})\n</script>\n")


def _splitter(link):
    """(prefix, suffix) around the placeholder key, escaped for HTML; None when the link has none."""
    if not link or PK not in link:
        return None
    head, tail = link.split(PK, 1)
    return str(escape(head)), str(escape(tail))


_MISSING = object()


def _getter(col: str):
    """A cell's value the way FAB's ``_get_attr_value`` reads it (dotted paths, methods called, enums
    by value), without building a dict per row."""
    if "." in col:
        parts = col.split(".")

        def dotted(item):
            if hasattr(item, col):
                return plain(item)
            try:
                for p in parts:
                    item = getattr(item, p)
                return item
            except Exception:
                return ""

        def plain(item):
            value = getattr(item, col)
            return value() if callable(value) else value

        return dotted

    def get(item):
        value = getattr(item, col, _MISSING)
        if value is _MISSING:
            return ""
        if callable(value):
            return value()
        if isinstance(value, enum.Enum):
            return value.value
        return value

    return get


def _escape(value) -> str:
    # markupsafe's mapping, without a Markup object per cell
    t = type(value)
    if t is str:
        if _NEEDS_ESCAPE.search(value) is None:
            return value
        return value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace(
            "'", "&#39;").replace('"', "&#34;")
    if t in _PLAIN:  # their str() has nothing to escape
        return str(value)
    return str(escape(value))


_PLAIN = frozenset({int, float, bool, decimal.Decimal, dt.date, dt.datetime})


_NEEDS_ESCAPE = re.compile(r"[&<>'\"]")


def _plan(col: str, fmt, mapper):
    """(getter, memoize) for one column: plain attribute reads for mapped columns and relations."""
    if mapper is not None and "." not in col:
        if col in mapper.relationships:
            return operator.attrgetter(col), True
        prop = mapper.column_attrs.get(col)
        if prop is not None and not getattr(prop.columns[0].type, "enum_class", None):
            # a stored scalar is never callable and never an Enum member: FAB's checks are moot
            return operator.attrgetter(col), fmt is not None
    return _getter(col), True


def list_rows(value_columns, pks, include_columns, formatters_columns, with_checkbox: bool,
              links: dict, texts: dict, nonce: str = "", items=None):
    """All ``<tr>`` rows of a list page as one Markup string, or None when a key is not an integer
    (composite keys: the template's own loop handles those). With ``items`` (the row objects) the
    cells are read from them; else from FAB's ``value_columns`` dicts."""
    if any(type(pk) is not int for pk in pks):
        return None
    t = {k: str(escape(v)) for k, v in texts.items()}
    nonce = str(escape(nonce or ""))
    parts = {a: _splitter(links.get(a)) for a in ("show", "edit", "delete")}
    if any(links.get(a) and parts[a] is None for a in parts):
        return None
    # Everything before the cells, built once with the placeholder key, then split on it.
    head = ["<tr>\n"]
    if with_checkbox:
        head.append(f'<td>\n<input id="{PK}" class="action_check" name="rowid" value="{PK}" type="checkbox">\n</td>\n')
    if links:
        head.append('<td><center>\n<div class="btn-group btn-group-xs" style="display: flex;">\n')
        if parts["show"]:
            head.append(_button(PK.join(parts["show"]), t["show_title"], t["show"], "fa-search"))
        if parts["edit"]:
            head.append(_button(PK.join(parts["edit"]), t["edit_title"], t["edit"], "fa-edit"))
        if parts["delete"]:
            head.append(_delete(PK.join(parts["delete"]), t["delete_title"], t["delete"], t["confirm"], nonce))
        head.append("</div>\n</center></td>\n")
    head_chunks = "".join(head).split(PK)

    if items is not None:
        rows = items
        mapper = getattr(type(items[0]), "__mapper__", None) if items else None
        # rows of portal.listplan: namedtuples of stored values and related labels (never a method or
        # an Enum member), read by position
        fields = getattr(type(items[0]), "_fields", None) if items and mapper is None else None
    else:
        rows = value_columns
        mapper = fields = None
    columns = []
    for c in include_columns:
        fmt = formatters_columns.get(c)
        if fields is not None and c in fields:
            get, memo = operator.itemgetter(fields.index(c)), True
        elif items is not None:
            get, memo = _plan(c, fmt, mapper)
        else:
            get, memo = operator.itemgetter(c), True
        columns.append((c, fmt, get, memo))
    # Cells repeat down a page (codes, the same grid): each distinct (column, value) of a formatted or
    # related column is formatted and escaped once. Formatters are functions of the value alone; ORM
    # objects hash by identity.
    seen: dict = {}
    out = []
    for item, pk in zip(rows, pks):
        row = [str(pk).join(head_chunks)]
        for col, fmt, get, memo in columns:
            value = get(item)
            if not memo:
                row.append(f"<td>{_escape(value)}</td>\n")
                continue
            try:
                cell = seen[col, value]
            except KeyError:
                cell = seen[col, value] = f"<td>{_escape(fmt(value) if fmt else value)}</td>\n"
            except TypeError:  # unhashable value
                cell = f"<td>{_escape(fmt(value) if fmt else value)}</td>\n"
            row.append(cell)
        row.append("</tr>\n")
        out.append("".join(row))
    return Markup("".join(out))
