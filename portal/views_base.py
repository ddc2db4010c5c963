"""The base of every portal list/CRUD view.

What every view gets here, once: a streamed .xlsx export of exactly the filtered rows (with scope),
actions that answer 404 for rows outside the user's scope (FAB fetches action rows without
``base_filters``; our ORM-level scope hands them back as ``None``), labels for coded values, and an
import link where a view supports import.
"""
from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from flask import abort, current_app, g, has_app_context, redirect, request, session, url_for
from flask_appbuilder import ModelView, expose, has_access
from flask_appbuilder.models.sqla.filters import SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_appbuilder.widgets import ListWidget, RenderTemplateWidget, SearchWidget
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload

from portal import xlsx
from portal.fields import AjaxModelSelectField
from portal.i18n import current_locale, once_per_language, text

# TimestampMixin's columns: FAB would label them "Created On"/"Changed On" (untranslated English)
# wherever a view leaves show or search columns at FAB's default of "every column".
TIMESTAMP_LABELS = {"created_on": _l("Created on"), "changed_on": _l("Changed on")}


class CachedFilterConverter(SQLAFilterConverter):
    """FAB's filter converter, answering each column once per interface.

    FAB builds a ``Filters`` object three times per list request, and each converts every column of
    the model to its filter instances (~25 columns: a few percent of a list page). The instances are
    bound to the column and interface only and are never changed after creation, so they are kept.
    """

    def convert(self, col_name):
        cache = self.datamodel.__dict__.setdefault("_portal_filter_cache", {})
        try:
            return cache[col_name]
        except KeyError:
            cache[col_name] = out = super().convert(col_name)
            return out


class AtLeast(int):
    """A capped row count: an int for the pagination's arithmetic, shown as "100,000+"."""

    def __str__(self) -> str:
        return f"{int(self):,}+"

    __html__ = __str__


class PortalInterface(SQLAInterface):
    """SQLAInterface whose list (and export) query eager-loads the relations the list shows.

    FAB's list query does not look at ``list_columns`` (fab-notes: one lazy load per row and related
    column); relations the model already loads eagerly are left alone. Keeps a list page at a fixed
    number of statements whatever the page size (tests/portal/test_query_counts.py).
    """

    eager_relations: tuple = ()
    filter_converter_class = CachedFilterConverter

    def apply_all(self, query, *args, eager: bool = True, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        if not eager:  # a query that will select columns, not objects
            return query
        for name in self.eager_relations:
            prop = self.obj.__mapper__.relationships[name]
            loader = selectinload if prop.uselist else joinedload
            query = query.options(loader(getattr(self.obj, name)))
        return query

    @staticmethod
    def count_limit() -> int:
        """``LIST_COUNT_LIMIT`` (config): how far a list counts its rows; 0 counts them all."""
        return max(int(current_app.config.get("LIST_COUNT_LIMIT") or 0), 0) if has_app_context() else 0

    def count_statement(self, query, filters=None, select_columns=None):
        """(SELECT of the rows a list shows, the cap it counts to): the statement ``query_count`` runs,
        which a list page also runs inside its own SELECT (``portal.listplan``)."""
        query = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        limit = self.count_limit()
        if limit:
            # Only the key in the limited subquery: PostgreSQL then reads an index, not the rows.
            mapper = self.obj.__mapper__
            pk = [getattr(self.obj, mapper.get_property_by_column(c).key) for c in mapper.primary_key]
            query = query.with_entities(*pk).order_by(None).limit(limit + 1)
        return sa.select(sa.func.count()).select_from(query.statement.subquery()), limit

    @staticmethod
    def capped_count(n: int, limit: int):
        """``n`` as counted by ``count_statement``: past a cap, a count that prints as "100,000+"."""
        return AtLeast(limit) if limit and n > limit else n

    def query_count(self, query, filters=None, select_columns=None):
        """The rows a list shows, counted up to ``LIST_COUNT_LIMIT`` (config): past it, a count that
        prints as "100,000+". A count reads every matching index entry; capped, an unfiltered list of
        a province's two million units costs what one of 100,000 does, and its pages still work."""
        stmt, limit = self.count_statement(query, filters, select_columns)
        return self.capped_count(self.session.execute(stmt).scalar_one(), limit)

    def get_related_obj(self, col_name, value):
        """The related row a relation filter names (``?_flt_0_person=42``), or None — whatever is typed
        into the address. A value that is not a key of the related table filters to no rows instead of
        failing in the database (PostgreSQL refuses 'abc' for an integer key: FAB then redirected away
        from the list); the scoped lookup gives None for a row outside the user's area."""
        model = self.get_related_model(col_name)
        (pk,) = model.__mapper__.primary_key
        try:
            key = pk.type.python_type(value)
        except (TypeError, ValueError, NotImplementedError):
            return None
        if isinstance(key, int) and not -2**31 <= key < 2**31:  # out of an INTEGER column's range
            return None
        return self.session.get(model, key)


# Search inputs whose HTML depends only on the view and the language (no rows, no request data).
_STATIC_FIELDS = frozenset({
    "StringField", "TextAreaField", "IntegerField", "DecimalField", "FloatField", "DateField",
    "DateTimeField", "BooleanField", "HiddenField",
})


def _static_input(field) -> bool:
    """Whether a GET's search input is the same on every request of its view and language. A GET's
    search form is unbound (FlaskForm binds only submitted forms), so a plain input is the same empty
    one, and so is a server-side picker (no rows in it); a relation's select lists whatever this user's
    scope holds now."""
    return type(field).__name__ in _STATIC_FIELDS or isinstance(field, AjaxModelSelectField)


class PortalSearchWidget(SearchWidget):
    """FAB's search widget with its translated texts computed once per view and language.

    FAB translates every filter name of every search column on each list page (~80 lazy strings); the
    column labels and filter names of a view are fixed, so they are kept per (filters, language). The
    inputs themselves and the active filters are rendered per request as FAB does.
    """

    _texts: dict = {}

    def __call__(self, **kwargs):
        from portal.i18n import current_locale, once_per_language, text

        form = self.template_args["form"]
        cols = self.template_args["include_cols"]
        key = (id(self.filters), tuple(cols), current_locale())
        texts = self._texts.get(key)
        if texts is None:
            dict_filters = self.filters.get_search_filters()
            texts = (
                {col: str(form[col].label.text) for col in cols},
                {col: [str(flt.name) for flt in dict_filters[col]] for col in cols},
            )
            if len(self._texts) < 10_000:
                self._texts[key] = texts
        kwargs["label_columns"], kwargs["search_filters"] = texts
        active = self.filters.get_filters_values_tojson()
        # With every input static (a GET whose inputs list no rows), the whole widget is a function of the
        # view, the language and the active filters: kept as rendered, unless it carries a CSP nonce.
        get = request.method == "GET"
        static = get and all(_static_input(form[col]) for col in cols)
        if static:
            try:
                wkey = key + ("widget", json.dumps(active, ensure_ascii=False, default=str))
            except (TypeError, ValueError):
                static = False
            else:
                html = self._texts.get(wkey)
                if html is not None:
                    return html
        fields = {}
        for col in cols:
            field = form[col]
            if get and _static_input(field):
                fkey = key + (col,)
                html = self._texts.get(fkey)
                if html is None:
                    html = field()
                    if len(self._texts) < 10_000:
                        self._texts[fkey] = html
                fields[col] = html
            else:
                fields[col] = field()
        kwargs["form_fields"] = fields
        kwargs["active_filters"] = active
        html = Markup(RenderTemplateWidget.__call__(self, **kwargs))
        if static and 'nonce=""' in html and len(self._texts) < 10_000:
            self._texts[wkey] = html
        return html


#: The list widget's own words (FAB's msgids, in FAB's catalog and ours) — asked ~18 times a page through
#: Jinja's gettext — translated once per language. Kept as Markup: what ``{{ _('…') }}`` gives in an
#: autoescaped template.
_LIST_WORDS = {
    "page_size": _l("Page size"), "add_title": _l("Add a new record"), "add": _l("Add"),
    "actions": _l("Actions"), "back": _l("Back"), "record_count": _l("Record Count"),
    "no_records": _l("No records found"),
}
_ROW_BUTTON_WORDS = {  # portal.listrows: the per-row buttons' titles and labels, the delete question
    "show_title": _l("Show record"), "show": _l("Show"), "edit_title": _l("Edit record"), "edit": _l("Edit"),
    "delete_title": _l("Delete record"), "delete": _l("Delete"),
    "confirm": _l("Are you sure you want to delete this item?"),
}


@once_per_language
def list_words() -> dict:
    """The list widget's words in the request's language (``words.buttons``: the row buttons')."""
    words = {k: Markup(text(v)) for k, v in _LIST_WORDS.items()}
    words["buttons"] = {k: Markup(text(v)) for k, v in _ROW_BUTTON_WORDS.items()}
    return words


class PortalListWidget(ListWidget):
    """FAB's list widget with the rows rendered in Python and the per-row action buttons built once per
    page (same HTML: tests/portal/test_list_render.py)."""

    #: FAB's list widget in one template, same HTML; FAB's own with ``LIST_LEAN_WIDGET`` off (the tests
    #: compare the two)
    template = "portal/widgets/list.html"

    def __call__(self, **kwargs):
        # Column headers as plain text, each translated once (the template escapes each lazy label,
        # and escaping a lazy string translates it again).
        labels = kwargs.get("label_columns", self.template_args.get("label_columns")) or {}
        cols = kwargs.get("include_columns", self.template_args.get("include_columns")) or ()
        kwargs["label_columns"] = {**labels, **{c: text(labels[c]) for c in cols if c in labels}}
        template = self.template if current_app.config.get("LIST_LEAN_WIDGET", True) else ListWidget.template
        args = self.template_args.copy()
        args.update(kwargs)
        args["words"] = list_words()
        return current_app.jinja_env.get_template(template).render(args)


class PortalModelView(ModelView):
    list_template = "portal/model_list.html"
    list_widget = PortalListWidget
    search_widget = PortalSearchWidget
    page_size = 25
    #: {column: {stored value: lazy label}} — shown in lists, detail pages and exports.
    value_labels: dict = {}
    #: columns written to the export (default: list_columns).
    export_columns: list[str] | None = None
    #: endpoint of the import page for this view, if any.
    import_endpoint: str | None = None
    export_title: str | None = None

    def __init__(self, **kwargs):
        formatters = dict(self.formatters_columns or {})
        for col, labels in self.value_labels.items():
            formatters.setdefault(col, self._label_formatter(labels))
        self.formatters_columns = formatters
        dm = self.datamodel
        if type(dm) is SQLAInterface:
            self.datamodel = PortalInterface(dm.obj, dm._session)
        self.label_columns = {**TIMESTAMP_LABELS, **(self.label_columns or {})}
        super().__init__(**kwargs)
        self.datamodel.eager_relations = self._lazy_list_relations()
        # Extra methods that need their own permission; FAB's defaults plus ours.
        self.base_permissions = list(dict.fromkeys((self.base_permissions or []) + ["can_export"]))

    def _lazy_list_relations(self) -> tuple:
        rels = self.datamodel.obj.__mapper__.relationships
        names = dict.fromkeys(c.split(".")[0] for c in (self.list_columns or []))
        return tuple(n for n in names if n in rels and rels[n].lazy in ("select", True))

    @staticmethod
    def _label_formatter(labels):
        def label(value):
            if value is None:
                return ""
            if isinstance(value, str) and value.startswith(",") and value.endswith(","):
                return "、".join(str(labels.get(v, v)) for v in value.strip(",").split(",") if v)
            return str(labels.get(value, value))

        seen: dict = {}

        def fmt(value):
            # A coded column holds a handful of values: each is translated once per language and process
            # (catalogs do not change while it runs), not once per cell — 300 lazy-string lookups on a
            # 100-row unit list. Outside an app context nothing is translated, so nothing is kept.
            if not has_app_context():
                return label(value)
            key = (current_locale(), value)
            try:
                return seen[key]
            except KeyError:
                out = label(value)
                if len(seen) < 10_000:
                    seen[key] = out
                return out
            except TypeError:  # unhashable
                return label(value)

        return fmt

    def update_redirect(self):
        # FAB's history stack never repeats the page on top, yet it reassigns the session each time,
        # which re-signs and re-sends the cookie on every list page: skip the no-op.
        history = session.get("page_history")
        if history and history[-1] == request.url:
            return
        super().update_redirect()

    # -- export -------------------------------------------------------------------------------------
    def export_plan(self, objects: bool = False):
        """What the export selects and how each column becomes a cell (``portal.export_plan``)."""
        from portal.export_plan import build_plan

        cols = self.export_columns or self.list_columns
        return build_plan(self, self.filtered_query, cols, objects=objects)

    def filtered_query(self, eager: bool = True):
        """The list's query as the user sees it: request filters + base filters + order (+ scope).

        ``eager=False`` leaves out the eager loads of the list's relations (for a query that selects
        columns, not objects).
        """
        get_filter_args(self._filters)
        joined = self._filters.get_joined_filters(self._base_filters)
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        dm = self.datamodel
        query = dm.session.query(dm.obj)
        if not eager and isinstance(dm, PortalInterface):
            return dm.apply_all(query, joined, order_column, order_direction, eager=False)
        return dm.apply_all(query, joined, order_column, order_direction)

    @expose("/export/")
    @has_access
    @permission_name("export")
    def export(self):
        title = str(self.export_title or self.list_title or self.__class__.__name__)
        filename = f"{title}-{dt.date.today():%Y%m%d}.xlsx"
        # One COUNT first: a large export runs as a background job (portal.jobs) with progress.
        total = self.filtered_query(eager=False).order_by(None).count()
        if total > current_app.config.get("EXPORT_SYNC_LIMIT", 50_000):
            from portal.jobs.runner import start

            job = start("export", type(self).__name__, title, request.args.items(multi=True), total)
            return redirect(url_for("JobView.show", pk=job.id))
        plan = self.export_plan()
        return xlsx.export_response(filename, title, plan.headers, plan.rows(), plan.converters)

    # -- actions: re-check scope ----------------------------------------------------------------------
    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):
        if name not in self.actions:
            abort(404)
        pk = self._deserialize_pk_if_composite(pk)
        if self.datamodel.get(pk, self._base_filters) is None:
            abort(404)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):
        name = request.form.get("action", "")
        if name not in self.actions:
            abort(404)
        pks = request.form.getlist("rowid")
        items = [self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters) for pk in pks]
        if not pks or any(i is None for i in items):
            abort(404)
        return super().action_post()

    def _list_plan(self):
        """The tuple plan of this list (``portal.listplan``), None where the rows need their objects:
        a listed column that is not stored, a widget or template of the view's own, or switched off
        (``LIST_ROWS_AS_TUPLES``; the tests render pages both ways)."""
        if not current_app.config.get("LIST_ROWS_AS_TUPLES", True):
            return None
        try:
            return self.__dict__["_portal_list_plan"]
        except KeyError:
            pass
        plan = None
        if (self.list_widget is PortalListWidget and self.list_template == PortalModelView.list_template
                and isinstance(self.datamodel, PortalInterface)):
            from portal.listplan import plan_for

            plan = plan_for(self)
        self.__dict__["_portal_list_plan"] = plan
        return plan

    def _get_list_widget(self, filters, actions=None, order_column="", order_direction="", page=None,
                         page_size=None, widgets=None, **kwargs):
        # FAB's _get_list_widget (baseviews.py), also handing the row objects to the widget: the rows
        # are rendered from them directly (portal/listrows.py), not from FAB's per-cell dicts.
        widgets = widgets or {}
        actions = actions or self.actions
        page_size = page_size or self.page_size
        if not order_column and self.base_order:
            order_column, order_direction = self.base_order
        joined_filters = filters.get_joined_filters(self._base_filters)
        plan = self._list_plan()
        if plan is not None:  # rows as tuples of the listed columns (portal/listplan.py)
            count, lst, pks = plan.page(joined_filters, order_column, order_direction, page, page_size)
        else:
            count, lst = self.datamodel.query(joined_filters, order_column, order_direction, page=page,
                                              page_size=page_size)
            pks = [self._serialize_pk_if_composite(pk) for pk in self.datamodel.get_keys(lst)]
        widgets["list"] = self.list_widget(
            label_columns=self.label_columns,
            include_columns=self.list_columns,
            value_columns=self.datamodel.get_values(lst, self.list_columns),
            items=lst,
            order_columns=self.order_columns,
            formatters_columns=self.formatters_columns,
            page=page,
            page_size=page_size,
            count=count,
            pks=pks,
            actions=actions,
            filters=filters,
            modelview_name=self.__class__.__name__,
            **kwargs,
        )
        g.portal_import_endpoint = self.import_endpoint
        return widgets
