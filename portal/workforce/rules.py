"""The workforce's date rules, read from settings: absence reports (R10), meetings (R11), training (R12)."""
from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import func, select

from portal.core.settings import get_setting
from portal.extensions import db
from portal.workforce.models import LEAVE_OPEN_STATES, LeaveRequest, Meeting, TrainingAttendance, TrainingSession

MEETING_DUE_SOON_DAYS = 14


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def unreported_absence_clause():
    """Leave longer than ``absence_report_days`` that was not reported to the station."""
    limit = int(get_setting("absence_report_days"))
    return (
        (LeaveRequest.days > limit)
        & LeaveRequest.away_from_area.is_(True)
        & LeaveRequest.absence_reported.is_(False)
        & LeaveRequest.status.not_in(LEAVE_OPEN_STATES)
    )


def needs_absence_report(leave: LeaveRequest) -> bool:
    return (
        leave.days > int(get_setting("absence_report_days"))
        and leave.away_from_area
        and not leave.absence_reported
        and leave.status not in LEAVE_OPEN_STATES
    )


def meeting_status(township_id: int, today: dt.date | None = None) -> dict:
    """When the next station meeting is due: state ok | due_soon | overdue | never."""
    today = today or dt.date.today()
    last = db.session.execute(select(func.max(Meeting.date)).where(Meeting.grid_id == township_id)).scalar()
    if last is None:
        return {"state": "never", "last": None, "due": None}
    due = add_months(last, int(get_setting("meeting_interval_months")))
    if due < today:
        state = "overdue"
    elif (due - today).days <= MEETING_DUE_SOON_DAYS:
        state = "due_soon"
    else:
        state = "ok"
    return {"state": state, "last": last, "due": due}


def cycle_start(months: int, today: dt.date | None = None) -> dt.date:
    """Start of the current training cycle: cycles of ``months`` aligned on January (12 → the year,
    6 → January–June and July–December)."""
    today = today or dt.date.today()
    months = max(1, int(months))
    index = (today.year * 12 + today.month - 1) // months * months
    return dt.date(index // 12, index % 12 + 1, 1)


TRAINING_TARGETS = {
    # level: (setting, roles that must attend)
    "office": ("office_training_months", ("grid_worker",)),
    "station": ("station_training_months", ("grid_worker", "grid_head")),
}


def missed_training(level: str, today: dt.date | None = None, under=None):
    """People in scope (active, of the target roles) with no attended training of ``level`` this cycle;
    ``under``: only people in that grid node's subtree."""
    from portal.grid.models import Grid, Person

    setting, roles = TRAINING_TARGETS[level]
    start = cycle_start(int(get_setting(setting)), today)
    trained = (
        select(TrainingAttendance.person_id)
        .join(TrainingSession, TrainingAttendance.session_id == TrainingSession.id)
        .where(TrainingSession.level == level, TrainingSession.date >= start, TrainingAttendance.status == "attended")
    )
    stmt = select(Person).where(Person.role.in_(roles), Person.status == "active", Person.id.not_in(trained))
    if under is not None:
        stmt = stmt.where(Person.grid_id.in_(select(Grid.id).where(Grid.path.like(under.path + "%"))))
    people = db.session.execute(stmt.order_by(Person.grid_id, Person.name_zh)).scalars().all()
    return start, people
