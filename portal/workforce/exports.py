"""The monthly attendance sheet (考勤签到表) in its usual layout: people down, days across, totals."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from portal import xlsx
from portal.extensions import db
from portal.grid.models import Grid, Person
from portal.workforce.labels import ATTENDANCE_LABELS, ATTENDANCE_MARKS
from portal.workforce.models import AttendanceRecord

STATUSES = ["present", "leave", "absent", "late"]


def attendance_rows(first: dt.date, node=None):
    """(headers, rows) of the sheet for the people in scope (under ``node`` if given)."""
    from portal.workforce.pages import month_days

    days = month_days(first)
    people_stmt = select(Person).where(Person.status == "active", Person.grid_id.is_not(None))
    if node is not None:
        people_stmt = people_stmt.where(Person.grid_id.in_(select(Grid.id).where(Grid.path.like(node.path + "%"))))
    people = db.session.execute(people_stmt.order_by(Person.grid_id, Person.name_zh, Person.id)).scalars().all()
    marks: dict[int, dict[int, str]] = {}
    for rec in db.session.execute(
        select(AttendanceRecord).where(AttendanceRecord.date >= days[0], AttendanceRecord.date <= days[-1])
    ).scalars():
        marks.setdefault(rec.person_id, {})[rec.date.day] = rec.status
    headers = [_("Name"), _("Grid")] + [str(d.day) for d in days] + [str(ATTENDANCE_LABELS[s]) for s in STATUSES]
    rows = []
    for p in people:
        pm = marks.get(p.id, {})
        cells = [str(ATTENDANCE_MARKS[pm[d.day]]) if d.day in pm else "" for d in days]
        totals = [sum(1 for v in pm.values() if v == s) for s in STATUSES]
        rows.append([p.name_zh, p.grid.display_name if p.grid else ""] + cells + totals)
    return headers, rows


def attendance_sheet_response(first: dt.date, node=None):
    headers, rows = attendance_rows(first, node)
    title = _("Attendance %(month)s", month=first.strftime("%Y-%m"))
    return xlsx.export_response(f"{title}.xlsx", title, headers, rows)
