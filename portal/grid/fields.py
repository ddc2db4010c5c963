"""Grid and person pickers (server-side search, scoped)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from portal.fields import AjaxModelSelectField


class GridSelectField(AjaxModelSelectField):
    endpoint = "GridSearchView.search"
    placeholder = _l("Type to search grids")
    unknown_message = _l("Unknown grid, or a grid outside your area")

    def __init__(self, label=None, validators=None, level: int | None = None, **kwargs):
        super().__init__(label, validators, **kwargs)
        from portal.grid.models import Grid

        self.model = Grid
        self.level = level

    def endpoint_args(self):
        return {"level": self.level or ""}

    def pre_validate(self, form):
        super().pre_validate(form)
        if self.level is not None and self.data is not None and self.data.level != self.level:
            raise ValidationError(_l("Choose a basic grid (level 4): units belong to exactly one basic grid"))


class PersonSelectField(AjaxModelSelectField):
    endpoint = "PersonSearchView.search"
    placeholder = _l("Type to search people")
    unknown_message = _l("Unknown person, or a person outside your area")

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        from portal.grid.models import Person

        self.model = Person
