"""The tip-off and reward-claim workflows (R14), declared with the portal's StateMachine.

Views call the functions below; each takes the step through ``MACHINE.transition`` (role, state,
compare-and-set, timeline row) and only then records the step's own data (assignment, amounts,
payment), in the same transaction. The caller commits.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from portal.core.models import utcnow
from portal.reward.models import VERIFIED_VERDICTS, RewardClaim, RewardScale, TipOff
from portal.security import roles as R
from portal.workflow import StateMachine, Transition, TransitionError, WorkflowEvent

OFFICE = frozenset({R.COMMITTEE_OFFICE})
# Handlers: the station or department the office assigned (scope decides which rows they reach).
HANDLERS = frozenset({R.STATION_STAFF, R.INDUSTRY_DEPT, R.COMMITTEE_OFFICE})
# Claims are written rows: departments have a read-only scope, so stations and the office handle them.
CLAIM_HANDLERS = frozenset({R.STATION_STAFF, R.COMMITTEE_OFFICE})
VERDICT_SOURCES = frozenset({"verifying"})

TIPOFF = StateMachine(
    TipOff,
    "status",
    [
        Transition("triage", frozenset({"submitted"}), "triaged", OFFICE, _l("Assign for verification")),
        Transition("start_verifying", frozenset({"triaged"}), "verifying", HANDLERS, _l("Start verifying")),
        Transition("verified_true", VERDICT_SOURCES, "verified_true", HANDLERS, _l("Verified: true")),
        Transition("verified_partly", VERDICT_SOURCES, "verified_partly", HANDLERS, _l("Verified: partly true")),
        Transition("not_found", VERDICT_SOURCES, "not_found", HANDLERS, _l("Not found"), note_required=True),
        Transition(
            "duplicate", frozenset({"submitted", "triaged", "verifying"}), "duplicate", HANDLERS,
            _l("Duplicate of another report"), note_required=True,
        ),
        Transition(
            "close", frozenset({"verified_true", "verified_partly", "not_found", "duplicate"}), "closed", OFFICE,
            _l("Close"),
        ),
    ],
)

CLAIM = StateMachine(
    RewardClaim,
    "status",
    [
        Transition("review", frozenset({"proposed"}), "reviewed", CLAIM_HANDLERS, _l("Review the amount")),
        Transition("approve", frozenset({"reviewed"}), "approved", OFFICE, _l("Approve")),
        Transition("reject", frozenset({"reviewed"}), "rejected", OFFICE, _l("Reject"), note_required=True),
        Transition("pay", frozenset({"approved"}), "paid", OFFICE, _l("Record payment")),
    ],
)

TIPOFF_STATE_LABELS = {
    "submitted": _l("Submitted"),
    "triaged": _l("Assigned"),
    "verifying": _l("Being verified"),
    "verified_true": _l("Verified: true"),
    "verified_partly": _l("Verified: partly true"),
    "not_found": _l("Not found"),
    "duplicate": _l("Duplicate"),
    "closed": _l("Closed"),
}
CLAIM_STATE_LABELS = {
    "proposed": _l("Proposed"),
    "reviewed": _l("Reviewed"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "paid": _l("Paid"),
}
BASIS_LABELS = {"fixed": _l("Fixed amount"), "percent_of_fine": _l("Percentage of the fine")}
PAY_METHODS = {"bank_transfer": _l("Bank transfer"), "cash": _l("Cash"), "mobile": _l("Mobile payment")}

CENT = Decimal("0.01")


def _event(session, model: str, obj_id: int, action: str, from_state: str, to_state: str, user, note=None):
    session.execute(insert(WorkflowEvent), [{
        "model": model, "object_id": obj_id, "action": action, "from_state": from_state, "to_state": to_state,
        "user_id": getattr(user, "id", None), "username": getattr(user, "username", "system"),
        "time": utcnow(), "note": note,
    }])


def record_filed(session, tip: TipOff, user=None) -> None:
    """First timeline row of a new tip-off (the machine moves existing objects only)."""
    _event(session, "TipOff", tip.id, "submit", "", "submitted", user or _Anonymous(), None)


class _Anonymous:
    id = None
    username = "anonymous"


# -- tip-off ---------------------------------------------------------------------------------------
def triage(session, tip: TipOff, user, note=None, station=None, sector: str | None = None) -> None:
    """Committee office assigns the report to a township station (level-2 grid) or a department sector."""
    if (station is None) == (not sector):
        raise TransitionError(str(_l("Choose either a township station or a department")))
    if station is not None and station.level != 2:
        raise TransitionError(str(_l("Choose a township-level station (level 2)")))
    TIPOFF.transition(session, tip, "triage", user, note)
    tip.assigned_grid_id = station.id if station is not None else None
    tip.assigned_sector = sector or None


def step(session, tip: TipOff, action: str, user, note=None) -> str:
    if action == "triage":
        raise TransitionError(str(_l("Use the assignment form")))
    target = TIPOFF.transition(session, tip, action, user, note)
    if target in ("verified_true", "verified_partly", "not_found", "duplicate"):
        tip.verdict = target  # kept after closing: the reward rests on it
    return target


# -- reward claim ----------------------------------------------------------------------------------
def propose_amount(scale: RewardScale, fine_amount: Decimal | None) -> Decimal:
    """Amount from the scale: fixed, or a percentage of the fine, kept within [minimum, maximum]."""
    if scale.basis == "percent_of_fine":
        if fine_amount is None or fine_amount <= 0:
            raise TransitionError(str(_l("This reward scale needs the amount of the fine")))
        amount = Decimal(fine_amount) * Decimal(scale.percentage) / 100
    else:
        amount = Decimal(scale.fixed_amount if scale.fixed_amount is not None else (scale.minimum or 0))
    if scale.minimum is not None:
        amount = max(amount, Decimal(scale.minimum))
    if scale.maximum is not None:
        amount = min(amount, Decimal(scale.maximum))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def propose_claim(session, tip: TipOff, scale: RewardScale, user, fine_amount=None, note=None) -> RewardClaim:
    roles = {r.name for r in getattr(user, "roles", [])}
    if not (roles & (CLAIM_HANDLERS | {R.ADMIN})):
        raise TransitionError(str(_l("Your role may not take this step")))
    if tip.verdict not in VERIFIED_VERDICTS:
        raise TransitionError(str(_l("Only a tip-off verified as true or partly true can earn a reward")))
    if not scale.active:
        raise TransitionError(str(_l("This reward scale is not in use")))
    if session.execute(select(RewardClaim.id).where(RewardClaim.tipoff_id == tip.id)
                       .execution_options(skip_scope=True)).first() is not None:
        raise TransitionError(str(_l("This tip-off already has a reward claim")))
    claim = RewardClaim(
        tipoff_id=tip.id, scale_id=scale.id, fine_amount=fine_amount,
        proposed_amount=propose_amount(scale, fine_amount), proposed_by_id=getattr(user, "id", None),
    )
    try:
        with session.begin_nested():  # the unique constraint decides a race between two proposers
            session.add(claim)
            session.flush()
    except IntegrityError:
        raise TransitionError(str(_l("This tip-off already has a reward claim")))
    _event(session, "RewardClaim", claim.id, "propose", "", "proposed", user, note)
    return claim


def review_claim(session, claim: RewardClaim, user, amount=None, note=None) -> None:
    amount = Decimal(amount) if amount not in (None, "") else Decimal(claim.proposed_amount)
    scale = claim.scale
    if amount <= 0 or (scale.maximum is not None and amount > scale.maximum):
        raise TransitionError(str(_l("The amount must be above zero and within the scale's maximum")))
    CLAIM.transition(session, claim, "review", user, note)
    claim.amount = amount.quantize(CENT)
    claim.reviewer_id = getattr(user, "id", None)
    claim.reviewed_on = utcnow()


def decide_claim(session, claim: RewardClaim, action: str, user, note=None) -> None:
    if action not in ("approve", "reject"):
        raise TransitionError(str(_l("Unknown action")))
    # Four eyes: whoever reviewed the amount may not also approve it.
    if claim.reviewer_id is not None and claim.reviewer_id == getattr(user, "id", None):
        raise TransitionError(str(_l("The reviewer of a claim may not decide it")))
    CLAIM.transition(session, claim, action, user, note)
    claim.approver_id = getattr(user, "id", None)
    claim.decided_on = utcnow()
    claim.decision_note = note or None


def pay_claim(session, claim: RewardClaim, user, paid_on: dt.date, method: str, reference: str | None, note=None) -> None:
    if paid_on is None or method not in PAY_METHODS:
        raise TransitionError(str(_l("Give the payment date and method")))
    CLAIM.transition(session, claim, "pay", user, note)
    claim.paid_on = paid_on
    claim.pay_method = method
    claim.pay_reference = (reference or "").strip() or None


def timeline(session, model: str, obj_id: int):
    return session.execute(
        select(WorkflowEvent).where(WorkflowEvent.model == model, WorkflowEvent.object_id == obj_id)
        .order_by(WorkflowEvent.time, WorkflowEvent.id)
    ).scalars().all()
