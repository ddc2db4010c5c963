"""Form checks for leave requests: dates in order, no overlap with the person's other leave (R10)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms.validators import ValidationError

from portal.extensions import db
from portal.workforce.models import LEAVE_OPEN_STATES, LeaveRequest


def overlapping_leave(person_id, start, end, exclude_id=None):
    stmt = select(LeaveRequest).where(
        LeaveRequest.person_id == person_id,
        LeaveRequest.status.not_in(LEAVE_OPEN_STATES),
        LeaveRequest.start_date <= end,
        LeaveRequest.end_date >= start,
    )
    if exclude_id is not None:
        stmt = stmt.where(LeaveRequest.id != exclude_id)
    return db.session.execute(stmt.limit(1)).scalars().first()


class LeaveDates:
    """On ``end_date``: the end is not before the start, and the period overlaps no other leave."""

    def __call__(self, form, field):
        start, end = form.start_date.data, field.data
        if start is None or end is None:
            return
        if end < start:
            raise ValidationError(_l("The end date is before the start date"))
        person = form.person.data if "person" in form else None
        if person is None:
            return
        other = overlapping_leave(person.id, start, end)
        if other is not None:
            raise ValidationError(
                _l(
                    "This overlaps another leave of the same person (%(start)s to %(end)s)",
                    start=other.start_date.isoformat(),
                    end=other.end_date.isoformat(),
                )
            )
