"""Unit intake (调查摸底 → 单位确认 → 网格长审核 → 入台账), R3."""
from flask_babel import lazy_gettext as _l

from portal.ledger.models import Unit
from portal.security import roles as R
from portal.workflow import StateMachine, Transition

_FIELD = frozenset({R.GRID_WORKER, R.GRID_HEAD, R.STATION_STAFF, R.COMMITTEE_OFFICE})
_REVIEW = frozenset({R.GRID_HEAD, R.STATION_STAFF, R.COMMITTEE_OFFICE})

INTAKE = StateMachine(
    Unit,
    "intake_status",
    [
        Transition("confirm", frozenset({"draft"}), "confirmed", _FIELD, _l("Confirmed and signed by the unit")),
        Transition("approve", frozenset({"confirmed"}), "approved", _REVIEW, _l("Approve (grid head review)")),
        Transition("enter_ledger", frozenset({"approved"}), "ledger", _REVIEW, _l("Enter into the ledger")),
        Transition("reject", frozenset({"confirmed", "approved"}), "draft", _REVIEW, _l("Send back"), note_required=False),
    ],
)

INTAKE_LABELS = {
    "draft": _l("Draft (survey)"),
    "confirmed": _l("Confirmed by the unit"),
    "approved": _l("Approved by the grid head"),
    "ledger": _l("In the ledger"),
}
