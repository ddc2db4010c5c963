"""Leave (R10): the approval chain, self-approval, overlaps, the absence-report flag, scope."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from portal.grid.models import Grid, Person

from support.workforce import SysDB, _ns, demo_nodes, set_setting, sysdb  # noqa: F401


def make_leave(sysdb, person, start, days, **kw):
    from portal.workforce.models import LeaveRequest

    def fn(session):
        lv = LeaveRequest(person_id=person.id, kind=kw.pop("kind", "personal"), start_date=start,
                          end_date=start + dt.timedelta(days=days - 1), days=days, **kw)
        session.add(lv)
        session.flush()
        return lv.id

    return sysdb(fn)


def status_of(sysdb, leave_id):
    from portal.workforce.models import LeaveRequest

    return sysdb(lambda s: s.get(LeaveRequest, leave_id).status)


def far(offset_days: int) -> dt.date:
    # Dates far in the future per test so the shared database never sees two tests overlap.
    return dt.date(2031, 1, 1) + dt.timedelta(days=offset_days)


def test_worker_requests_leave_and_chain_head_then_station(sysdb, login):
    n = demo_nodes(sysdb, __name__)
    worker = login("worker")
    r = worker.post("/leaverequestview/add", data={
        "person": n["worker"].id, "kind": "personal", "start_date": far(0).isoformat(),
        "end_date": far(2).isoformat(), "away_from_area": "y", "reason": "家中有事",
    })
    assert r.status_code == 302
    from portal.workforce.models import LeaveRequest
    from portal.workflow import WorkflowEvent

    lv = sysdb(lambda s: _ns(s.execute(select(LeaveRequest).where(
        LeaveRequest.person_id == n["worker"].id, LeaveRequest.start_date == far(0))).scalar_one(),
        "id", "status", "days", "requested_by_id"))
    assert lv.status == "submitted" and lv.days == 3 and lv.requested_by_id is not None

    station, head = login("station"), login("head")
    # The station is second in the chain: it cannot take the head's step.
    station.post(f"/leaverequestview/action/approve/{lv.id}")
    assert status_of(sysdb, lv.id) == "submitted"
    head.post(f"/leaverequestview/action/approve/{lv.id}")
    assert status_of(sysdb, lv.id) == "approved_by_head"
    station.post(f"/leaverequestview/action/approve/{lv.id}")
    assert status_of(sysdb, lv.id) == "approved"
    events = sysdb(lambda s: s.execute(
        select(WorkflowEvent.action).where(WorkflowEvent.model == "LeaveRequest", WorkflowEvent.object_id == lv.id).order_by(WorkflowEvent.id)
    ).scalars().all())
    assert events == ["approve_gridhead", "approve_stationstaff"]
    # Nothing follows "approved" except cancel by the requester.
    head.post(f"/leaverequestview/action/reject/{lv.id}")
    assert status_of(sysdb, lv.id) == "approved"
    station.post(f"/leaverequestview/action/cancel/{lv.id}")
    assert status_of(sysdb, lv.id) == "approved"  # the station is not the requester
    worker.post(f"/leaverequestview/action/cancel/{lv.id}")
    assert status_of(sysdb, lv.id) == "cancelled"


def test_reject_at_a_step(sysdb, login):
    n = demo_nodes(sysdb, __name__)
    lid = make_leave(sysdb, n["worker"], far(10), 2)
    login("head").post(f"/leaverequestview/action/reject/{lid}")
    assert status_of(sysdb, lid) == "rejected"


def test_chain_is_a_setting(sysdb, login):
    n = demo_nodes(sysdb, __name__)
    lid = make_leave(sysdb, n["worker"], far(20), 2)
    old = set_setting(sysdb, "leave_approval_chain", ["StationStaff"])
    try:
        login("station").post(f"/leaverequestview/action/approve/{lid}")
        assert status_of(sysdb, lid) == "approved"
    finally:
        set_setting(sysdb, "leave_approval_chain", old)


def test_approving_own_request_is_refused(app, sysdb, login):
    n = demo_nodes(sysdb, __name__)
    from portal.extensions import appbuilder

    def add_me(session):
        head_user = appbuilder.sm.find_user(username="head")
        me = Person(name_zh="自批测试网格长", role="grid_head", grid_id=n["village"].id, user_id=head_user.id, status="active")
        session.add(me)
        session.flush()
        return _ns(me, "id")

    me = sysdb(add_me)
    lid = make_leave(sysdb, me, far(30), 2)
    head = login("head")
    r = head.post(f"/leaverequestview/action/approve/{lid}", follow_redirects=True)
    assert status_of(sysdb, lid) == "submitted"
    assert "不能审批自己" in r.get_data(as_text=True) or "own leave" in r.get_data(as_text=True)
    # The head may still cancel it: they are the requester.
    head.post(f"/leaverequestview/action/cancel/{lid}")
    assert status_of(sysdb, lid) == "cancelled"

    def retire(s):  # free the user link for other tests; people are kept, not deleted (history)
        p = s.get(Person, me.id)
        p.user_id, p.status = None, "left"

    sysdb(retire)


def test_overlap_and_reversed_dates_refused_nothing_stored(sysdb, login):
    from portal.workforce.models import LeaveRequest

    n = demo_nodes(sysdb, __name__)
    make_leave(sysdb, n["worker"], far(40), 5)
    count = lambda: sysdb(lambda s: len(s.execute(select(LeaveRequest.id).where(LeaveRequest.person_id == n["worker"].id)).all()))  # noqa: E731
    before = count()
    c = login("station")
    r = c.post("/leaverequestview/add", data={
        "person": n["worker"].id, "kind": "sick", "start_date": far(43).isoformat(), "end_date": far(47).isoformat(),
        "reason": "重叠测试",
    })
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and far(40).isoformat() in page  # the reason names the other leave
    assert "重叠测试" in page  # the form keeps what was typed
    r = c.post("/leaverequestview/add", data={
        "person": n["worker"].id, "kind": "sick", "start_date": far(60).isoformat(), "end_date": far(58).isoformat(),
    })
    assert r.status_code == 200
    assert count() == before


def test_long_unreported_absence_flagged_and_setting_changes_it(sysdb, login):
    n = demo_nodes(sysdb, __name__)
    long_id = make_leave(sysdb, n["worker"], far(100), 10, reason="长期外出-标记测试")
    short_id = make_leave(sysdb, n["worker"], far(120), 5, reason="短期外出-标记测试")
    c = login("station")

    def flagged():
        import re

        page = c.get("/unreportedabsences/list/?psize_UnreportedAbsenceView=100").get_data(as_text=True)
        return {int(x) for x in re.findall(r"/unreportedabsences/show/(\d+)", page)}

    assert long_id in flagged() and short_id not in flagged()
    station = c.get(f"/workforce/station/{n['town'].id}").get_data(as_text=True)
    assert "absence-warning" in station and f"/leaverequestview/show/{long_id}" in station

    old = set_setting(sysdb, "absence_report_days", 12)
    try:
        assert long_id not in flagged()
    finally:
        set_setting(sysdb, "absence_report_days", old)

    # Reporting to the station clears the flag.
    r = c.post(f"/leaverequestview/edit/{long_id}", data={
        "kind": "personal", "away_from_area": "y", "reason": "长期外出-标记测试", "absence_reported": "y",
    })
    assert r.status_code == 302
    assert long_id not in flagged()


def test_scope_other_township(sysdb, login):
    n = demo_nodes(sysdb, __name__)
    c = login("station")
    assert c.get(f"/workforce/station/{n['town'].id}").status_code == 200
    assert c.get(f"/workforce/station/{n['other'].id}").status_code == 404
    lid = make_leave(sysdb, n["outsider"], far(200), 2)
    assert c.get(f"/leaverequestview/show/{lid}").status_code == 404
    c.post(f"/leaverequestview/action/approve/{lid}")
    assert status_of(sysdb, lid) == "submitted"
    # Asking for leave on behalf of someone outside the scope: the person is unknown to the form.
    from portal.workforce.models import LeaveRequest

    r = c.post("/leaverequestview/add", data={
        "person": n["outsider"].id, "kind": "sick", "start_date": far(300).isoformat(), "end_date": far(301).isoformat(),
    })
    assert r.status_code in (200, 404)
    assert sysdb(lambda s: s.execute(select(LeaveRequest).where(LeaveRequest.start_date == far(300))).first()) is None


def test_away_calendar_and_leave_register_export(sysdb, login):
    import io

    import openpyxl

    n = demo_nodes(sysdb, __name__)
    today = dt.date.today()
    lid = make_leave(sysdb, n["worker"], today.replace(day=1) + dt.timedelta(days=400), 3)  # keep clear of others
    c = login("station")
    first = today.replace(day=1) + dt.timedelta(days=400)
    page = c.get(f"/workforce/away/?month={first:%Y-%m}").get_data(as_text=True)
    assert n["worker"].name_zh in page and "away-calendar" in page
    r = c.get("/leaverequestview/export/")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] and any(row[3] == first.isoformat() for row in rows[1:])
    # Nothing of the other township leaks into the station's register.
    assert sysdb(lambda s: s.get(Person, n["outsider"].id).grid.name_zh) not in {row[1] for row in rows[1:]}
