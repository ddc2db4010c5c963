"""Workforce pages that are not plain lists: the station page, bulk attendance, who is away, training
coverage (R10–R12)."""
from __future__ import annotations

import calendar
import datetime as dt

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.grid.models import Grid, Person
from portal.workforce.labels import ATTENDANCE_LABELS, LEAVE_KIND_LABELS, LEAVE_STATUS_LABELS
from portal.workforce.models import LEAVE_OPEN_STATES, AttendanceRecord, LeaveRequest


def user_node():
    profile = getattr(current_user, "profile", None)
    return profile.grid if profile is not None else None


def township_of(grid):
    """The level-2 ancestor (township, sumu, street, park) of a node, or None above level 2."""
    if grid is None or grid.level < 2:
        return None
    ids = grid.ancestor_ids
    return grid if grid.level == 2 else db.session.get(Grid, ids[1])


def people_under(node, active=True):
    stmt = select(Person).where(Person.grid_id.in_(select(Grid.id).where(Grid.path.like(node.path + "%"))))
    if active:
        stmt = stmt.where(Person.status == "active")
    return db.session.execute(stmt.order_by(Person.grid_id, Person.name_zh, Person.id)).scalars().all()


def leave_under(node, start, end):
    """Leave (not rejected or cancelled) overlapping [start, end] of people under ``node`` (or in scope)."""
    stmt = select(LeaveRequest).where(
        LeaveRequest.status.not_in(LEAVE_OPEN_STATES), LeaveRequest.start_date <= end, LeaveRequest.end_date >= start
    )
    if node is not None:
        stmt = stmt.join(Person, LeaveRequest.person_id == Person.id).where(
            Person.grid_id.in_(select(Grid.id).where(Grid.path.like(node.path + "%")))
        )
    return db.session.execute(stmt.order_by(LeaveRequest.start_date)).scalars().all()


def parse_month(value):
    today = dt.date.today()
    try:
        y, m = (int(x) for x in (value or "").split("-"))
        return dt.date(y, m, 1)
    except (ValueError, TypeError):
        return today.replace(day=1)


def month_days(first: dt.date) -> list[dt.date]:
    n = calendar.monthrange(first.year, first.month)[1]
    return [first.replace(day=d) for d in range(1, n + 1)]


class StationView(BaseView):
    """安监站 page: what needs attention in one township (meetings, absences, training)."""

    route_base = "/workforce/station"
    default_view = "mine"

    @expose("/")
    @has_access
    @permission_name("show")
    def mine(self):
        town = township_of(user_node())
        if town is not None:
            return redirect(url_for("StationView.station", pk=town.id))
        towns = db.session.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().all()
        return self.render_template("workforce/stations.html", towns=towns, title=_l("Stations"))

    @expose("/<int:pk>")
    @has_access
    @permission_name("show")
    def station(self, pk):
        from portal.workforce.rules import meeting_status, missed_training, unreported_absence_clause

        town = db.session.get(Grid, pk)  # scoped: another township is a 404
        if town is None or town.level != 2:
            abort(404)
        today = dt.date.today()
        unreported = db.session.execute(
            select(LeaveRequest)
            .join(Person, LeaveRequest.person_id == Person.id)
            .where(unreported_absence_clause(), Person.grid_id.in_(select(Grid.id).where(Grid.path.like(town.path + "%"))))
            .order_by(LeaveRequest.start_date)
        ).scalars().all()
        return self.render_template(
            "workforce/station.html",
            town=town,
            meeting=meeting_status(town.id, today),
            unreported=unreported,
            away=leave_under(town, today, today),
            office_missed=missed_training("office", today, under=town)[1],
            station_missed=missed_training("station", today, under=town)[1],
            kind_labels=LEAVE_KIND_LABELS,
            title=_l("Station"),
        )


class AttendanceView(BaseView):
    """考勤: one page per village and day lists its people with a status each; one POST writes them all."""

    route_base = "/workforce/attendance"
    default_view = "index"

    @expose("/")
    @has_access
    @permission_name("list")
    def index(self):
        villages = db.session.execute(select(Grid).where(Grid.level == 3).order_by(Grid.path)).scalars().all()
        return self.render_template(
            "workforce/attendance_index.html", villages=villages, today=dt.date.today(),
            month=dt.date.today().strftime("%Y-%m"), title=_l("Attendance"),
        )

    def _village(self, pk):
        village = db.session.get(Grid, pk)
        if village is None or village.level != 3:
            abort(404)
        return village

    @expose("/<int:pk>", methods=["GET"])
    @has_access
    @permission_name("list")
    def sheet(self, pk):
        village = self._village(pk)
        day = _parse_day(request.args.get("date")) or dt.date.today()
        return self._render_sheet(village, day, None, [], 200)

    @expose("/<int:pk>", methods=["POST"])
    @has_access
    @permission_name("post")
    def save(self, pk):
        village = self._village(pk)
        _check_csrf()
        typed = {k: v for k, v in request.form.items()}
        day = _parse_day(request.form.get("date"))
        if day is None or day > dt.date.today():
            return self._render_sheet(village, dt.date.today(), typed, [_l("Give a date that is not in the future")], 400)
        people = {p.id: p for p in people_under(village)}
        entries = {}
        for key, value in request.form.items():
            if not key.startswith("status-"):
                continue
            try:
                pid = int(key[len("status-"):])
            except ValueError:
                abort(400)
            if pid not in people:
                # Refuse the whole sheet: nothing is half-written.
                visible = db.session.get(Person, pid) is not None
                msg = (
                    _l("This person is not in this village")
                    if visible
                    else _l("You may not record attendance for someone outside your area")
                )
                return self._render_sheet(village, day, typed, [msg], 400 if visible else 403)
            if value and value not in ATTENDANCE_LABELS:
                return self._render_sheet(village, day, typed, [_l("Unknown attendance status")], 400)
            entries[pid] = (value, (request.form.get(f"note-{pid}") or "").strip()[:200] or None)
        existing = {
            r.person_id: r
            for r in db.session.execute(
                select(AttendanceRecord).where(AttendanceRecord.date == day, AttendanceRecord.person_id.in_(list(entries) or [0]))
            ).scalars()
        }
        for pid, (status, note) in entries.items():
            rec = existing.get(pid)
            if not status:
                if rec is not None:
                    db.session.delete(rec)
                continue
            if rec is None:
                db.session.add(AttendanceRecord(person_id=pid, person=people[pid], date=day, status=status, note=note))
            else:
                rec.status, rec.note = status, note
        db.session.commit()
        flash(str(_l("Attendance saved for %(n)s people", n=sum(1 for s, _ in entries.values() if s))), "success")
        return redirect(url_for("AttendanceView.sheet", pk=village.id, date=day.isoformat()))

    def _render_sheet(self, village, day, typed, errors, code):
        people = people_under(village)
        records = {
            r.person_id: r
            for r in db.session.execute(
                select(AttendanceRecord).where(AttendanceRecord.date == day, AttendanceRecord.person_id.in_([p.id for p in people] or [0]))
            ).scalars()
        }
        on_leave = {
            lv.person_id for lv in leave_under(village, day, day) if lv.status == "approved"
        }
        rows = []
        for p in people:
            rec = records.get(p.id)
            if typed is not None:
                status, note = typed.get(f"status-{p.id}", ""), typed.get(f"note-{p.id}", "")
            elif rec is not None:
                status, note = rec.status, rec.note or ""
            else:
                # Suggest "on leave" for approved leave; everyone else starts as present.
                status, note = ("leave" if p.id in on_leave else "present"), ""
            rows.append({"person": p, "status": status, "note": note, "saved": rec is not None})
        for e in errors:
            flash(str(e), "danger")
        return self.render_template(
            "workforce/attendance.html", village=village, day=day, rows=rows, labels=ATTENDANCE_LABELS,
            csrf=_csrf_value(), title=_l("Attendance"),
        ), code

    @expose("/export")
    @has_access
    @permission_name("export")
    def export(self):
        from portal.workforce.exports import attendance_sheet_response

        first = parse_month(request.args.get("month"))
        node = None
        if request.args.get("grid"):
            node = db.session.get(Grid, request.args.get("grid", type=int) or 0)
            if node is None:
                abort(404)
        return attendance_sheet_response(first, node)


def _csrf_value() -> str:
    from flask import current_app
    from flask_wtf.csrf import generate_csrf

    return generate_csrf() if current_app.config.get("WTF_CSRF_ENABLED", True) else ""


def _check_csrf():
    """FAB protects its own forms only; this hand-written form checks Flask-WTF's token itself."""
    from flask import current_app
    from flask_wtf.csrf import ValidationError, validate_csrf

    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400)


def _parse_day(value):
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


class AwayView(BaseView):
    """Who is away this month: people × days, from leave requests."""

    route_base = "/workforce/away"
    default_view = "month"

    @expose("/")
    @has_access
    @permission_name("list")
    def month(self):
        first = parse_month(request.args.get("month"))
        days = month_days(first)
        leaves = leave_under(None, days[0], days[-1])
        rows: dict[int, dict] = {}
        for lv in leaves:
            row = rows.setdefault(lv.person_id, {"person": lv.person, "cells": {}})
            for d in days:
                if lv.start_date <= d <= lv.end_date:
                    row["cells"][d.day] = lv
        prev = (first - dt.timedelta(days=1)).replace(day=1)
        nxt = (days[-1] + dt.timedelta(days=1))
        return self.render_template(
            "workforce/away.html", first=first, days=days, rows=list(rows.values()), prev=prev, nxt=nxt,
            kind_labels=LEAVE_KIND_LABELS, status_labels=LEAVE_STATUS_LABELS, title=_l("Who is away"),
        )


class TrainingCoverageView(BaseView):
    """Who missed this cycle's training (R12): the committee office's yearly one, the station's half-yearly one."""

    route_base = "/workforce/training-coverage"
    default_view = "coverage"

    @expose("/")
    @has_access
    @permission_name("list")
    def coverage(self):
        from portal.workforce.labels import TRAINING_LEVEL_LABELS
        from portal.workforce.rules import missed_training

        sections = []
        for level in ("office", "station"):
            start, people = missed_training(level)
            sections.append({"level": level, "label": TRAINING_LEVEL_LABELS[level], "start": start, "people": people})
        return self.render_template("workforce/training_coverage.html", sections=sections, title=_l("Training coverage"))
