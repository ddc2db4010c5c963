"""The tip-off form, shared by the public page and the grid workers' page in the portal."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, HiddenField, MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forms.validators import Mobile
from portal.extensions import db
from portal.grid.models import Grid


class TipOffForm(FlaskForm):
    what = TextAreaField(
        _l("What did you see?"),
        validators=[DataRequired(message=_l("Describe what you saw")), Length(max=4000)],
    )
    grid_id = HiddenField()
    where_text = StringField(_l("Where (place, village, road, company)"), validators=[Optional(), Length(max=300)])
    occurred_on = DateField(_l("When"), validators=[Optional()])
    photos = MultipleFileField(_l("Photos"))
    identity = RadioField(
        _l("Reward"),
        choices=[("anonymous", _l("Stay anonymous")), ("named", _l("Give my name and phone for a reward"))],
        default="anonymous",
    )
    reporter_name = StringField(_l("Your name"), validators=[Optional(), Length(max=50)])
    reporter_phone = StringField(_l("Your mobile phone"), validators=[Optional(), Mobile()])
    reporter_contact = StringField(_l("Other contact (optional)"), validators=[Optional(), Length(max=200)])

    grid = None  # the resolved Grid, set by validate_grid_id

    def validate_grid_id(self, field):
        self.grid = None
        if not field.data:
            return
        try:
            pk = int(field.data)
        except ValueError:
            raise ValidationError(_l("Unknown grid"))
        # Scoped read: the public sees active grids; a grid worker only the grids of their scope.
        self.grid = db.session.execute(select(Grid).where(Grid.id == pk, Grid.active.is_(True))).scalar_one_or_none()
        if self.grid is None:
            raise ValidationError(_l("Unknown grid"))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.grid_id.data and not (self.where_text.data or "").strip():
            self.where_text.errors = list(self.where_text.errors) + [str(_l("Say where: choose a grid or describe the place"))]
            ok = False
        if self.identity.data == "named":
            if not (self.reporter_name.data or "").strip():
                self.reporter_name.errors = list(self.reporter_name.errors) + [str(_l("Give your name, or stay anonymous"))]
                ok = False
            if not (self.reporter_phone.data or "").strip():
                self.reporter_phone.errors = list(self.reporter_phone.errors) + [str(_l("Give your mobile phone, or stay anonymous"))]
                ok = False
        return ok


class StatusForm(FlaskForm):
    code = StringField(_l("Tracking code"), validators=[DataRequired(), Length(max=20)])
    pin = StringField(_l("PIN"), validators=[DataRequired(), Length(max=20)])
