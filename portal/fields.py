"""Pickers that search on the server instead of rendering every row as an <option>.

The browser side is portal/static/js/portal.js (Select2 4 with AJAX); the search endpoints run the
ordinary scoped queries, so a picker can never offer — or accept — a row outside the user's scope.
"""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.validators import StopValidation

from portal.extensions import db


class AjaxSelectWidget:
    def __call__(self, field, **kwargs):
        url = url_for(field.endpoint, **field.endpoint_args())
        current = ""
        if field.data is not None:
            current = f'<option value="{field.data.id}" selected>{escape(field.option_text(field.data))}</option>'
        return Markup(
            f'<select id="{field.id}" name="{field.name}" class="form-control portal-ajax-select" '
            f'data-url="{url}" data-placeholder="{escape(str(field.placeholder))}">'
            f'<option value=""></option>{current}</select>'
        )


class AjaxModelSelectField(Field):
    """Holds one ``model`` row chosen through ``endpoint`` (which answers ``{"results": [{id, text}]}``)."""

    widget = AjaxSelectWidget()
    model: type = None
    endpoint: str = ""
    placeholder = _l("Type to search")
    unknown_message = _l("Unknown choice, or outside your area")

    def endpoint_args(self) -> dict:
        return {}

    def option_text(self, obj) -> str:
        return getattr(obj, "display_name", None) or str(obj)

    def _value(self):
        return str(self.data.id) if self.data is not None else ""

    def process_formdata(self, valuelist):
        self.data = None
        self._unknown = False
        if valuelist and valuelist[0]:
            try:
                pk = int(valuelist[0])
            except ValueError:
                pk = None
            # session.get goes through the scoped SELECT: a row outside the user's scope is "unknown".
            self.data = db.session.get(self.model, pk) if pk is not None else None
            self._unknown = self.data is None

    def pre_validate(self, form):
        # Reported here, not as a process error: DataRequired would wipe that message.
        if getattr(self, "_unknown", False):
            raise StopValidation(self.unknown_message)
