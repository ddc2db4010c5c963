"""CRUD views of the workforce records (leave, meetings, training, kits)."""
from __future__ import annotations

from flask import abort, flash, redirect
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField
from wtforms.validators import DataRequired, Optional

from portal.extensions import db
from portal.grid.fields import GridSelectField, PersonSelectField
from portal.ledger.views import MultiCheckboxField
from portal.views_base import PortalModelView
from portal.workflow import TransitionError
from portal.workforce.labels import (
    KIT_ITEM_LABELS,
    LEAVE_KIND_LABELS,
    LEAVE_STATUS_LABELS,
    MEETING_ATTENDANCE_LABELS,
    TRAINING_ATTENDANCE_LABELS,
    TRAINING_LEVEL_LABELS,
)
from portal.workforce.models import (
    KIT_ITEMS,
    KitIssue,
    LeaveRequest,
    Meeting,
    MeetingAttendance,
    TrainingAttendance,
    TrainingSession,
)
from portal.workforce.validators import LeaveDates
from portal.workforce.workflow import transition_leave


def _choices(labels):
    return list(labels.items())


def _upload_field():
    from flask_appbuilder.upload import FileUploadField

    return FileUploadField(_l("Attachment"), validators=[Optional()])


def _download_link(endpoint):
    from flask import url_for
    from markupsafe import Markup, escape

    def fmt(value):
        if not value:
            return ""
        name = value.split("_sep_", 1)[-1]
        return Markup(f'<a href="{url_for(endpoint, filename=value)}">{escape(name)}</a>')

    return fmt


class AttachmentView(PortalModelView):
    """FAB's download serves any stored file by name; here only the attachment of a row in scope."""

    @expose("/download/<string:filename>")
    @has_access
    def download(self, filename):
        dm = self.datamodel
        if dm.session.query(dm.obj.id).filter(dm.obj.attachment == filename).first() is None:
            abort(404)
        return super().download(filename)


class FilterUnreportedAbsence(BaseFilter):
    """Leave longer than the setting ``absence_report_days`` not reported to the station."""

    name = _l("Longer than the report limit, not reported")
    arg_name = "unreported"

    def apply(self, query, value):
        from portal.workforce.rules import unreported_absence_clause

        return query.filter(unreported_absence_clause())


LEAVE_LABELS = {
    "person": _l("Person"),
    "person.grid": _l("Grid"),
    "kind": _l("Kind of leave"),
    "start_date": _l("From"),
    "end_date": _l("To"),
    "days": _l("Days"),
    "reason": _l("Reason"),
    "away_from_area": _l("Away from the area"),
    "covering_person": _l("Covering person"),
    "absence_reported": _l("Reported to the station"),
    "absence_reported_on": _l("Reported on"),
    "status": _l("Status"),
}


class LeaveRequestView(PortalModelView):
    """请假登记: requests and their approval."""

    datamodel = SQLAInterface(LeaveRequest)
    # No delete: a request leaves the register only by being rejected or cancelled (its timeline stays).
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_title = _l("Leave requests")
    show_title = _l("Leave request")
    add_title = _l("Request leave")
    edit_title = _l("Edit leave request")
    list_columns = ["person", "kind", "start_date", "end_date", "days", "away_from_area", "absence_reported", "status"]
    order_columns = ["start_date", "end_date", "days", "status"]
    # The person is picked by a server-side search: FAB's own relation filter is a <select> of every
    # row in scope.
    search_columns = ["person", "kind", "start_date", "end_date", "days", "status", "absence_reported"]
    search_form_extra_fields = {"person": PersonSelectField(_l("Person"))}  # searched on the server
    base_order = ("start_date", "desc")
    value_labels = {"kind": LEAVE_KIND_LABELS, "status": LEAVE_STATUS_LABELS}
    add_columns = ["person", "kind", "start_date", "end_date", "away_from_area", "reason", "covering_person"]
    # Dates are fixed once submitted (cancel and request again), so the overlap check holds.
    edit_columns = ["kind", "away_from_area", "reason", "covering_person", "absence_reported", "absence_reported_on"]
    show_columns = [
        "person", "kind", "start_date", "end_date", "days", "away_from_area", "reason", "covering_person",
        "absence_reported", "absence_reported_on", "status",
    ]
    export_columns = [
        "person", "person.grid", "kind", "start_date", "end_date", "days", "away_from_area", "reason",
        "covering_person", "absence_reported", "absence_reported_on", "status",
    ]
    export_title = _l("Leave register")
    label_columns = LEAVE_LABELS
    add_form_extra_fields = {
        "person": PersonSelectField(_l("Person"), validators=[DataRequired()]),
        "covering_person": PersonSelectField(_l("Covering person"), validators=[Optional()]),
        "kind": SelectField(_l("Kind of leave"), choices=_choices(LEAVE_KIND_LABELS), validators=[DataRequired()]),
    }
    edit_form_extra_fields = add_form_extra_fields
    validators_columns = {"end_date": [LeaveDates()]}

    def pre_add(self, item):
        item.days = (item.end_date - item.start_date).days + 1
        item.requested_by_id = current_user.id

    def pre_update(self, item):
        if item.absence_reported and item.absence_reported_on is None:
            import datetime as dt

            item.absence_reported_on = dt.date.today()

    def _step(self, items, act):
        if not isinstance(items, list):
            items = [items]
        done = 0
        for leave in items:
            try:
                transition_leave(db.session, leave, act, current_user)
                done += 1
            except TransitionError as e:
                flash(f"{leave}: {e}", "warning")
        db.session.commit()
        if done:
            flash(str(_l("%(n)s leave request(s) updated", n=done)), "success")
        return redirect(self.get_redirect())

    @action("approve", _l("Approve"), None, "fa-check", single=False)
    def approve(self, items):
        return self._step(items, "approve")

    @action("reject", _l("Reject"), None, "fa-times", single=False)
    def reject(self, items):
        return self._step(items, "reject")

    @action("cancel", _l("Cancel"), None, "fa-ban", single=False)
    def cancel(self, items):
        return self._step(items, "cancel")


class UnreportedAbsenceView(LeaveRequestView):
    """The same register, only leave that should have been reported to the station and was not."""

    route_base = "/unreportedabsences"
    list_title = _l("Unreported absences")
    base_filters = [["id", FilterUnreportedAbsence, None]]


class MeetingAttendanceView(PortalModelView):
    datamodel = SQLAInterface(MeetingAttendance)
    list_title = _l("Meeting attendance")
    show_title = add_title = edit_title = _l("Meeting attendance")
    list_columns = ["person", "status"]
    search_columns = ["person", "status"]
    search_form_extra_fields = {"person": PersonSelectField(_l("Person"))}  # searched on the server
    add_columns = ["meeting", "person", "status"]
    edit_columns = add_columns
    value_labels = {"status": MEETING_ATTENDANCE_LABELS}
    label_columns = {"meeting": _l("Meeting"), "person": _l("Person"), "status": _l("Attendance")}
    add_form_extra_fields = {
        "person": PersonSelectField(_l("Person"), validators=[DataRequired()]),
        "status": SelectField(_l("Attendance"), choices=_choices(MEETING_ATTENDANCE_LABELS), validators=[DataRequired()]),
    }
    edit_form_extra_fields = add_form_extra_fields


class MeetingView(AttachmentView):
    """网格员例会 (R11)."""

    datamodel = SQLAInterface(Meeting)
    list_title = _l("Meetings")
    show_title = _l("Meeting")
    add_title = _l("Record a meeting")
    edit_title = _l("Edit meeting")
    list_columns = ["grid", "date", "place", "attendance_summary"]
    order_columns = ["date"]
    search_columns = ["grid", "date", "place"]
    search_form_extra_fields = {"grid": GridSelectField(_l("Township"), level=2)}  # searched on the server
    base_order = ("date", "desc")
    add_columns = ["grid", "date", "place", "minutes", "decisions", "attachment"]
    edit_columns = add_columns
    show_columns = ["grid", "date", "place", "minutes", "decisions", "attachment", "attendance_summary"]
    export_columns = ["grid", "date", "place", "minutes", "decisions", "attendance_summary"]
    export_title = _l("Meeting register")
    related_views = [MeetingAttendanceView]
    label_columns = {
        "grid": _l("Township"),
        "date": _l("Date"),
        "place": _l("Place"),
        "minutes": _l("Minutes"),
        "decisions": _l("Decisions"),
        "attachment": _l("Attachment"),
        "attendance_summary": _l("Came / excused / absent"),
    }
    add_form_extra_fields = {
        "grid": GridSelectField(_l("Township"), validators=[DataRequired()], level=2),
        "attachment": _upload_field(),
    }
    edit_form_extra_fields = add_form_extra_fields
    formatters_columns = {"attachment": _download_link("MeetingView.download")}


class TrainingAttendanceView(PortalModelView):
    datamodel = SQLAInterface(TrainingAttendance)
    list_title = _l("Training attendance")
    show_title = add_title = edit_title = _l("Training attendance")
    list_columns = ["session", "session.level", "person", "status"]
    search_columns = ["person", "status"]  # a session <select> would list every session in scope
    search_form_extra_fields = {"person": PersonSelectField(_l("Person"))}  # searched on the server
    add_columns = ["session", "person", "status"]
    edit_columns = add_columns
    base_order = ("id", "desc")
    value_labels = {"status": TRAINING_ATTENDANCE_LABELS, "session.level": TRAINING_LEVEL_LABELS}
    label_columns = {
        "session": _l("Training"),
        "session.level": _l("Organiser"),
        "person": _l("Person"),
        "status": _l("Attendance"),
    }
    add_form_extra_fields = {
        "person": PersonSelectField(_l("Person"), validators=[DataRequired()]),
        "status": SelectField(_l("Attendance"), choices=_choices(TRAINING_ATTENDANCE_LABELS), validators=[DataRequired()]),
    }
    edit_form_extra_fields = add_form_extra_fields


class TrainingSessionView(AttachmentView):
    """培训 (R12)."""

    datamodel = SQLAInterface(TrainingSession)
    list_title = _l("Training sessions")
    show_title = _l("Training session")
    add_title = _l("Record a training")
    edit_title = _l("Edit training")
    list_columns = ["date", "level", "grid", "topic", "trainer", "attended_count"]
    order_columns = ["date", "level", "topic"]
    search_columns = ["grid", "date", "level", "topic", "trainer"]
    search_form_extra_fields = {"grid": GridSelectField(_l("Organising node"))}  # searched on the server
    base_order = ("date", "desc")
    value_labels = {"level": TRAINING_LEVEL_LABELS}
    add_columns = ["level", "grid", "topic", "date", "trainer", "materials", "attachment"]
    edit_columns = add_columns
    show_columns = ["level", "grid", "topic", "date", "trainer", "materials", "attachment", "attended_count"]
    export_columns = ["date", "level", "grid", "topic", "trainer", "materials", "attended_count"]
    export_title = _l("Training register")
    related_views = [TrainingAttendanceView]
    label_columns = {
        "level": _l("Organiser"),
        "grid": _l("Organising node"),
        "topic": _l("Topic"),
        "date": _l("Date"),
        "trainer": _l("Trainer"),
        "materials": _l("Materials"),
        "attachment": _l("Attachment"),
        "attended_count": _l("Attended"),
    }
    add_form_extra_fields = {
        "level": SelectField(_l("Organiser"), choices=_choices(TRAINING_LEVEL_LABELS), validators=[DataRequired()]),
        "grid": GridSelectField(_l("Organising node"), validators=[DataRequired()]),
        "attachment": _upload_field(),
    }
    edit_form_extra_fields = add_form_extra_fields
    formatters_columns = {"attachment": _download_link("TrainingSessionView.download")}


class KitIssueView(PortalModelView):
    """巡查工具包发放登记 (R9)."""

    datamodel = SQLAInterface(KitIssue)
    list_title = _l("Kit register")
    show_title = _l("Kit issue")
    add_title = _l("Issue a kit")
    edit_title = _l("Edit kit issue")
    list_columns = ["person", "person.grid", "items", "date", "note"]
    order_columns = ["date"]
    search_columns = ["person", "date"]
    search_form_extra_fields = {"person": PersonSelectField(_l("Person"))}  # searched on the server
    base_order = ("date", "desc")
    value_labels = {"items": KIT_ITEM_LABELS}
    add_columns = ["person", "item_list", "date", "note"]
    edit_columns = add_columns
    show_columns = ["person", "items", "date", "note"]
    label_columns = {
        "person": _l("Person"),
        "person.grid": _l("Grid"),
        "items": _l("Items"),
        "item_list": _l("Items"),
        "date": _l("Date issued"),
        "note": _l("Note"),
    }
    add_form_extra_fields = {
        "person": PersonSelectField(_l("Person"), validators=[DataRequired()]),
        "item_list": MultiCheckboxField(
            _l("Items"), choices=[(k, KIT_ITEM_LABELS[k]) for k in KIT_ITEMS], validators=[DataRequired()]
        ),
    }
    edit_form_extra_fields = add_form_extra_fields

    def post_add(self, item):
        self._mark_complete(item)

    def post_update(self, item):
        self._mark_complete(item)

    @staticmethod
    def _mark_complete(item):
        """A person whose issues together cover the whole kit counts as equipped (Person.kit_issued)."""
        issued = set()
        for (items,) in db.session.execute(select(KitIssue.items).where(KitIssue.person_id == item.person_id)):
            issued.update(i for i in (items or "").split(",") if i)
        if set(KIT_ITEMS) <= issued and item.person is not None and not item.person.kit_issued:
            item.person.kit_issued = True
            db.session.commit()
