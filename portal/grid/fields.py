"""A grid picker that searches on the server instead of rendering every grid as an <option>."""
from __future__ import annotations

from flask import url_for
from markupsafe import Markup, escape
from wtforms import Field
from wtforms.validators import StopValidation, ValidationError
from flask_babel import lazy_gettext as _l

from portal.extensions import db


class GridSelectWidget:
    def __call__(self, field, **kwargs):
        url = url_for("GridSearchView.search", level=field.level or "")
        current = ""
        if field.data is not None:
            current = f'<option value="{field.data.id}" selected>{escape(field.data.display_name)}</option>'
        return Markup(
            f'<select id="{field.id}" name="{field.name}" class="form-control portal-ajax-select" '
            f'data-url="{url}" data-placeholder="{escape(str(_l("Type to search grids")))}">'
            f'<option value=""></option>{current}</select>'
        )


class GridSelectField(Field):
    """Holds a ``Grid``; the browser searches ``/gridsearch/`` (scoped like every query)."""

    widget = GridSelectWidget()

    def __init__(self, label=None, validators=None, level: int | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.level = level

    def _value(self):
        return str(self.data.id) if self.data is not None else ""

    def process_formdata(self, valuelist):
        from portal.grid.models import Grid

        self.data = None
        self._unknown = False
        if valuelist and valuelist[0]:
            try:
                pk = int(valuelist[0])
            except ValueError:
                pk = None
            # session.get goes through the scoped SELECT: a grid outside the user's scope is "unknown".
            self.data = db.session.get(Grid, pk) if pk is not None else None
            self._unknown = self.data is None

    def pre_validate(self, form):
        # Reported here, not as a process error: DataRequired would wipe that message.
        if getattr(self, "_unknown", False):
            raise StopValidation(_l("Unknown grid, or a grid outside your area"))
        if self.level is not None and self.data is not None and self.data.level != self.level:
            raise ValidationError(_l("Choose a basic grid (level 4): units belong to exactly one basic grid"))
