"""Labels of the workforce's coded values, in the user's language."""
from flask_babel import lazy_gettext as _l

LEAVE_KIND_LABELS = {
    "personal": _l("Personal leave"),
    "sick": _l("Sick leave"),
    "annual": _l("Annual leave"),
    "business": _l("Away on duty"),
    "other": _l("Other"),
}
LEAVE_STATUS_LABELS = {
    "submitted": _l("Submitted"),
    "approved_by_head": _l("Approved by the grid head"),
    "approved_by_station": _l("Approved by the station"),
    "approved_by_office": _l("Approved by the committee office"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
ATTENDANCE_LABELS = {
    "present": _l("Present"),
    "leave": _l("On leave"),
    "absent": _l("Absent"),
    "late": _l("Late"),
}
# One-character marks of the usual sign-in sheet (签到表).
ATTENDANCE_MARKS = {"present": "√", "leave": _l("L"), "absent": "×", "late": _l("Lt")}
MEETING_ATTENDANCE_LABELS = {"came": _l("Came"), "excused": _l("Excused"), "absent": _l("Absent")}
TRAINING_LEVEL_LABELS = {
    "office": _l("Committee office (yearly)"),
    "station": _l("Station (half-yearly)"),
}
TRAINING_ATTENDANCE_LABELS = {"attended": _l("Attended"), "excused": _l("Excused"), "absent": _l("Absent")}
KIT_ITEM_LABELS = {
    "manual": _l("Manual"),
    "record_book": _l("Record book"),
    "pen": _l("Pen"),
    "torch": _l("Torch"),
    "badge": _l("Badge"),
}
