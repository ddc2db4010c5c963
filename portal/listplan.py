"""A list page's rows as plain tuples: the listed columns selected, no ORM object built per row.

Building the ORM objects of a 100-row page (each unit with its grid) cost ~2.0 ms on PostgreSQL against
~0.7 ms for the same rows as tuples (benchmarks, docs/scaling.md "Seventh round"): the largest share
of a list request left outside FAB's templates. A view's list is planned here when every listed column
is either a stored column of its model or a many-to-one relation shown as itself whose target declares
how its label is made from its columns (``display_columns`` and ``display_from``: a grid's localized
name from ``name_zh`` and ``name_mn``; a function of those columns and the page's language alone), or
``display_name`` of a model that declares them. Anything else (a property, a method, a dotted path, a
relation with a formatter of its own, a to-many relation) leaves the view on FAB's own query of objects.

The statement is the list's own: FAB's filters, order, page and count, and the data scope that
``portal.security.scope`` adds when it runs (an ORM-enabled select of the model's columns gets the same
criteria as one of its objects). Only what is selected changes. The page's HTML is the same as from the
objects (tests/portal/test_list_render.py renders both ways).
"""
from __future__ import annotations

import keyword
from collections import namedtuple
from dataclasses import dataclass

import sqlalchemy as sa
from flask_appbuilder.models.sqla import filters as fab_filters

from portal import request_tx
from portal.core import data_version
from portal.i18n import current_locale
from portal.security.scope import current_scope

# Filters whose SQL follows from (filter, column, value) alone, so a page's statement can be kept and run
# again. Others build it on every request: the portal's own (their SQL may read the date or a setting)
# and FAB's relation filters (they look the related row up, in the user's scope).
_PURE_FILTERS = frozenset({
    fab_filters.FilterStartsWith, fab_filters.FilterNotStartsWith, fab_filters.FilterEndsWith,
    fab_filters.FilterNotEndsWith, fab_filters.FilterContains, fab_filters.FilterNotContains,
    fab_filters.FilterEqual, fab_filters.FilterNotEqual, fab_filters.FilterGreater, fab_filters.FilterSmaller,
})
MAX_KEPT_STATEMENTS = 128  # per list view and process
MAX_KEPT_COUNTS = 4096  # per list view and process: (filters, scope) pairs
MAX_KEPT_LABELS = 20_000  # per list view and process: labels of related rows, per language


@dataclass
class _Relation:
    """A many-to-one column shown by its target's label."""

    index: int  # position of the target's primary key in the selected row
    width: int  # how many selected values belong to it (key + label columns)
    row_type: type  # namedtuple of the label columns, handed to ``display_from``
    display_from: object


class ListPlan:
    """Rows of one view's list page as namedtuples with the listed columns as attributes."""

    def __init__(self, view, selected, relations, joins, row_type, pk_name):
        self.view = view
        self.selected = selected
        self.relations = relations  # {column position: _Relation}
        self.joins = joins
        self.row_type = row_type
        self.pk_name = pk_name

    def statements(self, filters, order_column, order_direction, page, page_size):
        """A list page's statements, kept per (filters, order, page, size, cap) when every filter is
        pure: building them through FAB's filters and order, and SQLAlchemy's cache key of a new
        statement, cost 0.5–1 ms of a 5–10 ms list page (docs/scaling.md, eleventh round). The data
        scope is not in them: it is added when they run."""
        dm = self.view.datamodel
        key = _statement_key(filters, order_column, order_direction, page, page_size, dm.count_limit())
        kept = self.__dict__.setdefault("_kept", {})
        if key is not None:
            hit = kept.get(key)
            if hit is not None:
                return hit
        query = dm.session.query(dm.obj)
        count_select, limit = dm.count_statement(query, filters)
        query = dm.apply_all(query, filters, order_column, order_direction, page, page_size, eager=False)
        # The count rides along as two more columns (the data version, and the count unless the kept one
        # is still good): one statement and one round trip fewer per page.
        version_and_count = data_version.counted(count_select)
        stmt = query.statement.with_only_columns(*self.selected, *version_and_count)
        for alias, on in self.joins:
            stmt = stmt.outerjoin(alias, on)
        # The count's key leaves out order and page: every page of one list in one scope has one count.
        out = _Statements(stmt, sa.select(*version_and_count), count_select, limit,
                          None if key is None else (key[0], key[-1]))
        if key is not None:
            if len(kept) >= MAX_KEPT_STATEMENTS:
                kept.clear()
            kept[key] = out
        return out

    def page(self, filters, order_column, order_direction, page, page_size):
        """(count, rows, keys) as FAB's ``datamodel.query`` would give (count, objects).

        The count is kept per (filters, cap, data scope) with the data version it was taken at, and
        asked again only when the version has moved (``portal.core.data_version``) — never after this
        transaction wrote: its own changes are not in the version until it commits."""
        dm = self.view.datamodel
        plan = self.statements(filters, order_column, order_direction, page, page_size)
        session = dm.session
        counts = self.__dict__.setdefault("_counts", _KeptCounts())
        count_key, kept = counts.lookup(plan, session)
        known = kept[0] if kept is not None else -1
        version = count = None
        # Labels of related rows, kept per (column, label values, language) across pages and requests:
        # ``display_from`` is a function of those alone (a grid's localized name), so a renamed grid
        # simply has a new key.
        labels = self.__dict__.setdefault("_labels", {})
        if len(labels) >= MAX_KEPT_LABELS:
            labels.clear()
        locale = current_locale()
        rows, keys = [], []
        relations = sorted(self.relations.items())
        make = self.row_type._make
        for raw in session.execute(plan.stmt, {data_version.KNOWN: known}):
            version, count = raw[-2], raw[-1]
            raw = raw[:-2]
            values = [raw[0]]  # the key
            start = 1
            for pos, rel in relations:
                values.extend(raw[start:rel.index])
                if raw[rel.index] is None:  # no related row
                    values.append(None)
                else:
                    shown = raw[rel.index + 1:rel.index + rel.width]
                    try:
                        label = labels[pos, shown, locale]
                    except KeyError:
                        label = labels[pos, shown, locale] = rel.display_from(rel.row_type._make(shown))
                    values.append(label)
                start = rel.index + rel.width
            values.extend(raw[start:])
            rows.append(make(values))
            keys.append(raw[0])
        if not rows:  # no row on this page: none at all on the first, else the count alone
            if not page:
                return 0, rows, keys
            version, count = session.execute(plan.count_alone, {data_version.KNOWN: known}).one()
        if count is None:  # the version is the kept count's
            count = kept[1]
        else:
            counts.keep(count_key, version, count, session)
        return dm.capped_count(count, plan.limit), rows, keys


class _KeptCounts(dict):
    """A list's counts with the data version each was taken at, per (filters with values, cap, scope)."""

    def __init__(self):
        super().__init__()
        self.watched: dict = {}  # key -> whether every table the count reads has the version triggers

    def lookup(self, plan, session):
        """(the key to keep this page's count under or None, (version, count) kept and still usable
        by this transaction or None)."""
        if plan.count_key is None:
            return None, None
        key = (plan.count_key, current_scope())
        kept = self.get(key)
        if kept is None:
            # Asked once per key (a walk of the statement's tables), not on every page that keeps nothing
            # (an empty first page, a transaction that wrote).
            watched = self.watched.get(key)
            if watched is None:
                if len(self.watched) >= MAX_KEPT_COUNTS:
                    self.watched.clear()
                watched = self.watched[key] = data_version.watched_only(plan.count_select, key[1])
            return (key, None) if watched else (None, None)
        if session.new or session.dirty or session.deleted or request_tx.wrote(session.connection()):
            return None, None  # this transaction's own writes are not in the version yet
        return key, kept

    def keep(self, key, version, count, session) -> None:
        if key is not None and not request_tx.wrote(session.connection()):
            if len(self) >= MAX_KEPT_COUNTS:
                self.clear()
            self[key] = (version, count)


@dataclass(frozen=True)
class _Statements:
    stmt: object  # the page's SELECT, with the data version and the count as its last two columns
    count_alone: object  # the version and the count without rows (a page past the last)
    count_select: object  # what is counted
    limit: int  # LIST_COUNT_LIMIT when the statements were made
    count_key: tuple | None  # (filters with values, cap) when the statements are kept


def _statement_key(filters, order_column, order_direction, page, page_size, limit) -> tuple | None:
    """What a list page's statements follow from, or None when a filter is not pure (or its value not
    hashable): then they are built for this request alone."""
    parts = []
    for flt, value in filters.get_filters_values():
        if type(flt) not in _PURE_FILTERS:
            return None
        kind = type(value)
        if kind is list:  # values from the address come as lists, each applied in turn
            value = tuple(value)
        try:
            hash(value)
        except TypeError:
            return None
        parts.append((type(flt), flt.column_name, kind, value))
    return tuple(parts), order_column, order_direction, page, page_size, limit


def plan_for(view) -> ListPlan | None:
    """The tuple plan of ``view``'s list page, or None when a listed column needs the objects."""
    model = view.datamodel.obj
    mapper = sa.inspect(model)
    if len(mapper.primary_key) != 1:
        return None
    pk = mapper.primary_key[0]
    pk_name = mapper.get_property_by_column(pk).key
    columns = list(view.list_columns or [])
    names = [pk_name] + columns
    if len(set(names)) != len(names) or any(not n.isidentifier() or keyword.iskeyword(n) or n.startswith("_")
                                           for n in names):
        return None
    formatters = view.formatters_columns or {}
    selected = [getattr(model, pk_name)]
    relations: dict[int, _Relation] = {}
    joins = []
    for pos, col in enumerate(columns):
        if col in mapper.column_attrs:
            selected.append(getattr(model, col))
            continue
        if col == "display_name" and getattr(model, "display_columns", None):
            # the row's own label, as its ``display_name`` property gives it (tests/portal/test_listplan.py)
            relations[pos] = _Relation(len(selected), 1 + len(model.display_columns),
                                       namedtuple(f"{model.__name__}Label", model.display_columns),
                                       model.display_from)
            selected.append(getattr(model, pk_name))
            selected.extend(getattr(model, c) for c in model.display_columns)
            continue
        prop = mapper.relationships.get(col)
        target = prop.mapper.class_ if prop is not None else None
        label_columns = getattr(target, "display_columns", None)
        fmt = formatters.get(col)
        # A formatter is handed the label instead of the object: only the app-wide one (empty for
        # None, the value itself otherwise; ``portal.i18n``) gives the same text for both.
        if (prop is None or prop.uselist or (fmt is not None and not getattr(fmt, "export_by_type", False))
                or not label_columns
                or not hasattr(target, "display_from") or len(prop.mapper.primary_key) != 1):
            return None
        if prop.secondary is not None or not prop.local_remote_pairs:
            return None
        # The related row through a plain table alias, not the mapped class: the data scope then leaves
        # it alone, as it leaves the object's relationship loads alone. A township's own top grid is in
        # its scope and shows its parent (the banner), which is not.
        alias = prop.mapper.local_table.alias()
        on = sa.and_(*[alias.corresponding_column(remote) == local for local, remote in prop.local_remote_pairs])
        joins.append((alias, on))
        relations[pos] = _Relation(len(selected), 1 + len(label_columns),
                                   namedtuple(f"{target.__name__}Label", label_columns), target.display_from)
        selected.append(alias.corresponding_column(prop.mapper.primary_key[0]))
        selected.extend(alias.corresponding_column(prop.mapper.get_property(c).columns[0]) for c in label_columns)
    if any(getattr(c.type, "enum_class", None) for c in selected):
        return None  # FAB shows an Enum member by its value; the rows hold stored values only
    selected = [c.label(f"c{i}") for i, c in enumerate(selected)]  # names of two tables may clash
    row_type = namedtuple(f"{model.__name__}ListRow", names, rename=False)
    return ListPlan(view, selected, relations, joins, row_type, pk_name)


__all__ = ["ListPlan", "plan_for"]
