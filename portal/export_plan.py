"""What a list view's .xlsx export selects and how each column becomes a cell — decided once per export.

The list's own query (filters, order, and the data scope added by ``portal.security.scope`` at execute
time) is kept; only what it selects changes. Every export column that is a stored column of the model,
or of a model reached through many-to-one relations (``grid.code``), is selected as a plain column
through a LEFT OUTER JOIN of a plain table alias, so no ORM object is built per row. A many-to-one
relation shown as itself (``grid``) whose target says how its label is made (``display_columns`` and
``display_from``, as list pages use them: portal/listplan.py) selects those columns, and ``display_name``
the model's own; a label is computed once per related row. Related rows come through table aliases, not
mapped classes, so the data scope leaves them alone as it leaves the list's: a township's own top grid
is in its scope and its parent, the banner, is exported by name as the list shows it. Anything else — a
property, a method, a to-many relation — makes the plan load the model's objects as the list does,
still with one converter per column.

Each column gets one converter decided here instead of type tests per cell: coded values through a
per-export dict of translated labels, booleans to the translated Yes/No, dates to text, formatters
(masking of personal identifiers, for instance) called per value as in the list.
"""
from __future__ import annotations

import array
import datetime as dt
import decimal
from collections import namedtuple
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Load, aliased

from portal.xlsx import plain

Converter = Callable | None  # None: the value already is a cell (str, int, float or None)


class _Memo(dict):
    """value → cell, computed on first sight. A plain dict lookup (in C) per cell afterwards.

    Only for columns with few distinct values (coded values, dates, related rows), so it stays small.
    """

    __slots__ = ("fn",)

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def __missing__(self, value):
        self[value] = out = self.fn(value)
        return out


def _label_or_none(value):
    return None if value is None else str(value)


def _date(value):
    return None if value is None else value.strftime("%Y-%m-%d")


def _datetime(value):
    return None if value is None else value.strftime("%Y-%m-%d %H:%M")


def _text(value):
    return None if value is None else str(value)


def _formatted(fmt):
    def convert(value):
        return plain(fmt(value))

    return convert


@dataclass
class ExportPlan:
    """One export: headers, the statement (rows as tuples), one converter per column."""

    columns: list[str]
    headers: list[str]
    statement: sa.Select
    converters: list[Converter]
    #: per column, a getter on the loaded object — only when the plan loads objects (``entity_rows``).
    getters: list[Callable] | None
    pk: list
    session: object
    #: per column, the position of its value in a selected row, or a slice of several values (a label's
    #: columns, handed together to the converter); None when each column is one selected value.
    picks: list | None = None

    @property
    def entity_rows(self) -> bool:
        return self.getters is not None

    def rows(self, batch: int = 1000, chunked: bool = False) -> Iterator[Sequence]:
        """The rows, raw per column (the converters make cells of them).

        ``chunked``: complete reads of ``batch`` rows each instead of one open cursor — SQLite, where
        an open read would block the job's progress writes until the end.
        """
        if not chunked:
            result = self.session.execute(self.statement.execution_options(yield_per=batch))
            yield from self._shape(result)
            return
        if len(self.pk) != 1:
            yield from self._offset_chunks(batch)
            return
        # The primary keys in the list's order first (one short read; a few MB at banner scale), then
        # each chunk by key: every read costs the same, where OFFSET would rescan all rows before it.
        (pk,) = self.pk
        keys = self._all_keys(pk)
        with_key = self.statement.add_columns(pk).order_by(None)
        for start in range(0, len(keys), batch):
            chunk = list(keys[start:start + batch])
            by_key = {row[-1]: row for row in self.session.execute(with_key.where(pk.in_(chunk)))}
            yield from self._shape(by_key[k][:-1] for k in chunk if k in by_key)
            self._release()

    def _all_keys(self, pk):
        """Every key, read to the end before the first row is written (no read left open).

        Integer keys go into an ``array`` (8 bytes each: 1.6 MB for 200,000 rows, where a list of
        Row objects would briefly take some 40 MB).
        """
        result = self.session.execute(self.statement.with_only_columns(pk).execution_options(yield_per=10_000))
        keys: array.array | list = array.array("q")
        for part in result.scalars().partitions():
            try:
                keys.extend(part)
            except (TypeError, OverflowError):  # not integers
                keys = list(keys) + list(part)
        return keys

    def _offset_chunks(self, batch):
        offset = 0
        while True:
            chunk = self.session.execute(self.statement.limit(batch).offset(offset)).all()
            yield from self._shape(chunk)
            if len(chunk) < batch:
                return
            offset += batch
            self._release()

    def _release(self):
        # Objects already written go (entity rows). Column rows hold none but related rows shown by
        # label (``grid``): those stay, so the next chunk finds the same objects and labels.
        if self.getters is not None:
            self.session.expunge_all()

    def _shape(self, result):
        if self.getters is None:
            if self.picks is None:
                return iter(result)
            picks = self.picks
            return ([row[p] for p in picks] for row in result)
        getters = self.getters
        return ([g(obj) for g in getters] for (obj,) in result)


def _relation_path(model, parts):
    """Relations along ``parts`` (all many-to-one), or None if any is not one."""
    rels = []
    mapper = sa.inspect(model)
    for p in parts:
        prop = mapper.relationships.get(p)
        if prop is None or prop.uselist:
            return None
        rels.append(prop)
        mapper = prop.mapper
    return rels


def build_plan(view, filtered_query, columns: Sequence[str], objects: bool = False) -> ExportPlan:
    """The plan for ``columns`` of ``view``; ``filtered_query(eager)`` is the list's filtered, ordered query.

    ``objects``: load the objects even where columns would do (the tests compare both ways).
    """
    model = view.datamodel.obj
    mapper = sa.inspect(model)
    formatters = view.formatters_columns or {}
    labelled = set(view.value_labels or {})
    yes_no = {True: _("Yes"), False: _("No"), None: None}

    selected, converters, entity_cols, picks = [], [], [], []
    aliases: dict[tuple, object] = {}
    joins, entities = [], []

    def alias_for(path, entity: bool = False):
        """The table alias at the end of relation ``path`` from the model, joining as needed. A plain
        table alias, not ``aliased(Class)``: the data scope's loader criteria then leave it alone.
        ``entity``: the last one as an aliased class, selected as an object (a label with no columns)."""
        parent = None  # the model's own table, as the list's query selects it
        for i in range(1, len(path) + 1):
            key = tuple(p.key for p in path[:i]) + (entity and i == len(path),)
            if key not in aliases:
                prop = path[i - 1]
                if key[-1]:
                    target = aliased(prop.mapper.class_)
                    table = sa.inspect(target).selectable
                    entities.append(target)
                else:
                    target = table = prop.mapper.local_table.alias()
                on = sa.and_(*[
                    table.corresponding_column(remote) == (local if parent is None else parent.corresponding_column(local))
                    for local, remote in prop.local_remote_pairs
                ])
                joins.append((target, on))
                aliases[key] = target
            parent = aliases[key]
        return parent

    def column_of(owner, mapper_, name):
        attr = mapper_.column_attrs[name].columns[0]
        return getattr(model, name) if owner is None else owner.corresponding_column(attr)

    def pick(*columns_):
        if len(columns_) == 1:
            picks.append(len(selected))
        else:
            picks.append(slice(len(selected), len(selected) + len(columns_)))
        selected.extend(columns_)

    for col in columns:
        parts = col.split(".")
        rels = _relation_path(model, parts[:-1])
        last = parts[-1]
        target_mapper = rels[-1].mapper if rels else mapper
        fmt = _own_formatter(formatters, col)
        if rels is None:
            entity_cols.append(col)
            continue
        owner = alias_for(rels) if rels else None
        if last in target_mapper.column_attrs:
            pick(column_of(owner, target_mapper, last))
            ctype = target_mapper.column_attrs[last].columns[0].type
            converters.append(_column_converter(col, ctype, fmt, col in labelled, yes_no))
            continue
        if last == "display_name" and fmt is None and _labelled_by_columns(target_mapper):
            # the row's own label (or a related row's, ``grid.display_name``), from its columns
            cls = target_mapper.class_
            pick(*[column_of(owner, target_mapper, c) for c in cls.display_columns])
            converters.append(_label_maker(cls, memo=bool(rels)))
            continue
        prop = target_mapper.relationships.get(last)
        if (prop is not None and not prop.uselist and fmt is None and prop.secondary is None
                and prop.local_remote_pairs and _labelled_by_columns(prop.mapper)):
            target = alias_for(rels + [prop])
            cls = prop.mapper.class_
            key = target.corresponding_column(prop.mapper.primary_key[0])
            pick(key, *[target.corresponding_column(prop.mapper.get_property(c).columns[0])
                        for c in cls.display_columns])
            converters.append(_label_maker(cls, memo=True, keyed=True))
            continue
        if prop is not None and not prop.uselist and prop.secondary is None and prop.local_remote_pairs:
            # A related row with no label columns (a user, a questionnaire version): the object itself,
            # labelled by ``str`` once per row. (It is scoped if its class is; none of these is.)
            pick(alias_for(rels + [prop], entity=True))
            converters.append(_Memo(_formatted(fmt) if fmt else _label_or_none).__getitem__)
            continue
        entity_cols.append(col)  # a property, a method, a to-many relation, or a label by formatter

    headers = [str(view.label_columns.get(c, c)) for c in columns]
    pk = list(mapper.primary_key)
    if entity_cols or objects:
        return _entity_plan(view, filtered_query(True), columns, headers, yes_no, labelled, formatters, pk)

    query = filtered_query(False)
    # The primary key after the list's order: the same order every time, and in the job's chunks.
    stmt = query.statement.order_by(*pk).with_only_columns(*selected)
    for target, on in joins:
        stmt = stmt.outerjoin(target, on)
    # A related object is loaded for its label only: none of its own eager relations.
    stmt = stmt.options(*[Load(target).lazyload("*") for target in entities])
    single = all(isinstance(p, int) for p in picks) and picks == list(range(len(picks)))
    return ExportPlan(list(columns), headers, stmt, converters, None, pk, query.session,
                      picks=None if single else picks)


def _labelled_by_columns(mapper_) -> bool:
    cls = mapper_.class_
    return (bool(getattr(cls, "display_columns", None)) and hasattr(cls, "display_from")
            and len(mapper_.primary_key) == 1)


def _label_maker(cls, memo: bool, keyed: bool = False):
    """A converter from a row's label columns (after its key when ``keyed``) to its label, as
    ``cls.display_from`` makes it; None for a missing related row. ``memo``: related rows repeat (a
    thousand grids over 200,000 units), so each label is made once."""
    row_type = namedtuple(f"{cls.__name__}Label", cls.display_columns)
    display_from = cls.display_from
    if len(cls.display_columns) == 1 and not keyed:
        def label(value):
            return None if value is None else plain(display_from(row_type(value)))
    elif keyed:
        def label(values):
            return None if values[0] is None else plain(display_from(row_type._make(values[1:])))
    else:
        def label(values):
            return plain(display_from(row_type._make(values)))
    return _Memo(label).__getitem__ if memo else label


def _own_formatter(formatters, col):
    """The view's formatter for ``col``, unless it is the app-wide Yes/No/empty one (``portal.i18n``),
    whose output the converters by type give anyway."""
    fmt = formatters.get(col)
    return None if getattr(fmt, "export_by_type", False) else fmt


def _column_converter(col, ctype, fmt, labelled: bool, yes_no) -> Converter:
    if fmt is not None:
        if labelled:  # coded column: a handful of distinct values, translated once each
            return _Memo(_formatted(fmt)).__getitem__
        return _formatted(fmt)  # e.g. masking: per value, as the list does
    py = _python_type(ctype)
    if py is bool:
        return yes_no.__getitem__
    if py is dt.datetime:
        return _datetime
    if py is dt.date:
        return _Memo(_date).__getitem__  # a few thousand distinct days at most
    if py in (str, int, float):
        return None
    if py is decimal.Decimal:
        return _text
    return plain


def _python_type(ctype):
    try:
        return ctype.python_type
    except NotImplementedError:
        return None


def _entity_plan(view, query, columns, headers, yes_no, labelled, formatters, pk) -> ExportPlan:
    """Columns that need the objects: load them as the list does, one getter and converter per column."""
    getters, converters = [], []
    for col in columns:
        fmt = _own_formatter(formatters, col)
        getters.append(_attr_getter(col.split(".")))
        if fmt is not None:
            converters.append(_Memo(_formatted(fmt)).__getitem__ if col in labelled else _formatted(fmt))
        else:
            converters.append(_object_cell(yes_no))
    stmt = query.statement.order_by(*pk)
    return ExportPlan(list(columns), headers, stmt, converters, getters, pk, query.session)


def _attr_getter(parts):
    def get(obj):
        v = obj
        for p in parts:
            v = getattr(v, p, None) if v is not None else None
        if callable(v) and not isinstance(v, (str, int, float)):
            v = v()
        return v

    return get


def _object_cell(yes_no):
    def convert(value):
        if value is True or value is False:
            return yes_no[value]
        return plain(value)

    return convert
