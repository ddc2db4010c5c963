"""The unit ledger's admin views."""
from __future__ import annotations

from flask import flash, redirect, request
from flask_appbuilder.actions import action
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, SelectField, SelectMultipleField
from wtforms import widgets as wtf_widgets
from wtforms.validators import DataRequired, Optional, ValidationError

from forms.validators import CreditCode, Mobile, normalize_credit_code
from portal.extensions import db
from portal.grid.fields import GridSelectField
from portal.ledger.labels import MODE_LABELS, SCALE_LABELS, SECTOR_LABELS, UNIT_KIND_LABELS
from portal.ledger.models import SECTORS, Unit
from portal.ledger.rules import apply_mode
from portal.ledger.workflow import INTAKE, INTAKE_LABELS
from portal.views_base import PortalModelView
from portal.workflow import TransitionError


class MultiCheckboxField(SelectMultipleField):
    widget = wtf_widgets.ListWidget(prefix_label=False)
    option_widget = wtf_widgets.CheckboxInput()


class OverrideNeedsReason:
    """On the mode field (FAB puts Optional() on the nullable reason column, which would skip us)."""

    def __call__(self, form, field):
        if field.data and not (form.mode_override_reason.data or "").strip():
            raise ValidationError(_l("A manual management mode needs a reason"))


class UnitPhone:
    """A mobile number or a fixed line with area code (the banner's is 0476)."""

    def __call__(self, form, field):
        import re

        value = (field.data or "").strip()
        if not value:
            return
        if re.fullmatch(r"0\d{2,3}-?\d{7,8}", value):
            return
        Mobile()(form, field)


class UnitView(PortalModelView):
    """生产经营单位信息台账."""

    datamodel = SQLAInterface(Unit)
    list_title = _l("Units")
    show_title = _l("Unit")
    add_title = _l("Add unit")
    edit_title = _l("Edit unit")
    list_columns = ["name", "credit_code", "kind", "grid", "management_mode", "intake_status", "last_verified"]
    order_columns = ["name", "credit_code", "kind", "management_mode", "intake_status", "last_verified"]
    search_columns = [
        "name", "credit_code", "kind", "grid", "scale", "industry_code", "management_mode", "intake_status",
        "fire_key", "last_verified",
    ]
    search_form_extra_fields = {"grid": GridSelectField(_l("Basic grid"), level=4)}  # searched on the server
    base_order = ("id", "asc")
    import_endpoint = "UnitImportView.upload"
    value_labels = {
        "kind": UNIT_KIND_LABELS,
        "scale": SCALE_LABELS,
        "management_mode": MODE_LABELS,
        "mode_override": MODE_LABELS,
        "intake_status": INTAKE_LABELS,
        "sectors": SECTOR_LABELS,
    }
    add_columns = [
        "name", "credit_code", "kind", "industry_code", "scale", "sector_list", "fire_key", "address",
        "legal_rep", "safety_contact", "phone", "employees", "grid", "mode_override", "mode_override_reason",
        "last_verified", "note",
    ]
    edit_columns = add_columns
    show_columns = [
        "name", "credit_code", "kind", "industry_code", "scale", "sectors", "fire_key", "address", "legal_rep",
        "safety_contact", "phone", "employees", "grid", "management_mode", "mode_override",
        "mode_override_reason", "intake_status", "last_verified", "note",
    ]
    export_columns = [
        "name", "credit_code", "kind", "industry_code", "scale", "sectors", "fire_key", "address", "legal_rep",
        "safety_contact", "phone", "employees", "grid", "grid.code", "management_mode", "intake_status",
        "last_verified",
    ]
    label_columns = {
        "name": _l("Unit name"),
        "credit_code": _l("Unified social credit code"),
        "kind": _l("Kind"),
        "industry_code": _l("Industry (GB/T 4754)"),
        "scale": _l("Scale"),
        "sectors": _l("High-risk sectors"),
        "sector_list": _l("High-risk sectors"),
        "fire_key": _l("Fire-safety key unit"),
        "address": _l("Address"),
        "legal_rep": _l("Legal representative"),
        "safety_contact": _l("Safety contact"),
        "phone": _l("Phone"),
        "employees": _l("Employees"),
        "grid": _l("Basic grid"),
        "grid.code": _l("Grid code"),
        "management_mode": _l("Management mode"),
        "mode_override": _l("Manual management mode"),
        "mode_override_reason": _l("Reason for the manual mode"),
        "intake_status": _l("Intake status"),
        "last_verified": _l("Last verified"),
        "note": _l("Note"),
    }
    add_form_extra_fields = {
        "grid": GridSelectField(_l("Basic grid"), validators=[DataRequired()], level=4),
        "kind": SelectField(_l("Kind"), choices=list(UNIT_KIND_LABELS.items()), validators=[DataRequired()]),
        "scale": SelectField(_l("Scale"), choices=[("", "")] + list(SCALE_LABELS.items()), validators=[Optional()]),
        "sector_list": MultiCheckboxField(
            _l("High-risk sectors"), choices=[(s, SECTOR_LABELS[s]) for s in SECTORS], validators=[Optional()]
        ),
        "mode_override": SelectField(
            _l("Manual management mode"), choices=[("", "")] + list(MODE_LABELS.items()),
            validators=[OverrideNeedsReason(), Optional()],
        ),
        # FAB makes every NOT NULL column required; an unticked box is a valid "no".
        "fire_key": BooleanField(_l("Fire-safety key unit")),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {
        "credit_code": [Optional(), CreditCode()],
        "phone": [UnitPhone()],
    }

    def _prepare(self, item):
        item.credit_code = normalize_credit_code(item.credit_code) or None
        item.scale = item.scale or None
        item.mode_override = item.mode_override or None
        if not item.mode_override:
            item.mode_override_reason = None
        apply_mode(item)

    def pre_add(self, item):
        self._prepare(item)

    def pre_update(self, item):
        self._prepare(item)

    def _transition(self, items, act):
        if not isinstance(items, list):
            items = [items]
        done = 0
        for unit in items:
            try:
                INTAKE.transition(db.session, unit, act, current_user, request.form.get("note"))
                done += 1
            except TransitionError as e:
                flash(f"{unit.name}: {e}", "warning")
        db.session.commit()
        if done:
            flash(str(_l("%(n)s unit(s) updated", n=done)), "success")
        return redirect(self.get_redirect())

    @action("confirm", _l("Confirmed by the unit"), None, "fa-check", single=False)
    def confirm(self, items):
        return self._transition(items, "confirm")

    @action("approve", _l("Approve (grid head review)"), None, "fa-check-double", single=False)
    def approve(self, items):
        return self._transition(items, "approve")

    @action("enter_ledger", _l("Enter into the ledger"), None, "fa-book", single=False)
    def enter_ledger(self, items):
        return self._transition(items, "enter_ledger")

    @action("reject", _l("Send back"), None, "fa-undo", single=False)
    def reject(self, items):
        return self._transition(items, "reject")
