"""Leave approval (请假审批, R10) as a state machine built from the setting ``leave_approval_chain``.

Default chain ["GridHead", "StationStaff"]: submitted → approved_by_head → approved. Each role in the
chain takes one step; any approver may reject at their step; the requester may cancel until the end.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.security import roles as R
from portal.workflow import StateMachine, Transition, TransitionError
from portal.workforce.models import LeaveRequest

# The intermediate state reached after a role's step (the last step always reaches "approved").
STEP_STATE = {
    R.GRID_HEAD: "approved_by_head",
    R.STATION_STAFF: "approved_by_station",
    R.COMMITTEE_OFFICE: "approved_by_office",
}
_ANYONE = frozenset(R.PORTAL_ROLES)


def approve_action(role: str) -> str:
    return f"approve_{role.lower()}"


def build_machine(chain: list[str]) -> StateMachine:
    chain = [r for r in chain if r in STEP_STATE] or [R.STATION_STAFF]
    transitions = []
    source = "submitted"
    pending = []
    for i, role in enumerate(chain):
        target = "approved" if i == len(chain) - 1 else STEP_STATE[role]
        transitions.append(
            Transition(approve_action(role), frozenset({source}), target, frozenset({role}), _l("Approve"))
        )
        pending.append(source)
        source = target
    transitions.append(Transition("reject", frozenset(pending), "rejected", frozenset(chain), _l("Reject")))
    transitions.append(
        Transition("cancel", frozenset(pending + ["approved"]), "cancelled", _ANYONE, _l("Cancel"))
    )
    return StateMachine(LeaveRequest, "status", transitions)


def leave_machine() -> StateMachine:
    from portal.core.settings import get_setting

    return build_machine(list(get_setting("leave_approval_chain") or []))


def is_requester(leave: LeaveRequest, user) -> bool:
    uid = getattr(user, "id", None)
    return uid is not None and (leave.person is not None and leave.person.user_id == uid or leave.requested_by_id == uid)


def resolve_action(machine: StateMachine, leave: LeaveRequest, action: str) -> str:
    """"approve" means the chain's next step from the current state."""
    if action != "approve":
        return action
    for t in machine.transitions:
        if t.action.startswith("approve_") and leave.status in t.sources:
            return t.action
    raise TransitionError(str(_l("This step is not possible in the current state")))


def transition_leave(session, leave: LeaveRequest, action: str, user, note: str | None = None) -> str:
    """The one entry point views use: adds the leave-specific rules to the generic machine."""
    machine = leave_machine()
    action = resolve_action(machine, leave, action)
    if action.startswith("approve_") and leave.person is not None and leave.person.user_id == getattr(user, "id", None):
        raise TransitionError(str(_l("You may not approve your own leave request")))
    if action == "cancel" and not is_requester(leave, user):
        raise TransitionError(str(_l("Only the requester may cancel a leave request")))
    return machine.transition(session, leave, action, user, note)
