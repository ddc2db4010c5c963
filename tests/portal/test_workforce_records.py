"""Attendance, meetings, training coverage, badges, the public grid page and the registers (R9–R12)."""
from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from portal.grid.models import Grid, Person

from support.workforce import SysDB, _ns, demo_nodes, set_setting, sysdb  # noqa: F401


def village_people(sysdb, village_id):
    def fn(s):
        path = s.get(Grid, village_id).path
        return [p.id for p in s.execute(
            select(Person).join(Grid, Person.grid_id == Grid.id).where(Grid.path.like(path + "%"), Person.status == "active")
        ).scalars()]

    return sysdb(fn)


def attendance_count(sysdb, day):
    from portal.workforce.models import AttendanceRecord

    return sysdb(lambda s: s.execute(select(func.count(AttendanceRecord.id)).where(AttendanceRecord.date == day)).scalar())


# -- attendance ------------------------------------------------------------------------------------------
def test_bulk_attendance_one_post_writes_all(sysdb, login):
    from portal.workforce.models import AttendanceRecord

    n = demo_nodes(sysdb, __name__)
    people = village_people(sysdb, n["village"].id)
    assert len(people) >= 2
    day = dt.date(2026, 3, 2)
    c = login("station")
    page = c.get(f"/workforce/attendance/{n['village'].id}?date={day}").get_data(as_text=True)
    assert all(f'name="status-{pid}"' in page for pid in people)
    data = {"date": day.isoformat()}
    for i, pid in enumerate(people):
        data[f"status-{pid}"] = "late" if i == 0 else "present"
    data[f"note-{people[0]}"] = "迟到十分钟"
    r = c.post(f"/workforce/attendance/{n['village'].id}", data=data)
    assert r.status_code == 302
    rows = sysdb(lambda s: {a.person_id: (a.status, a.note) for a in s.execute(select(AttendanceRecord).where(AttendanceRecord.date == day)).scalars()})
    assert rows[people[0]] == ("late", "迟到十分钟") and all(rows[p][0] == "present" for p in people[1:])
    # Saving again updates in place: still one row per person and day.
    data[f"status-{people[0]}"] = "absent"
    c.post(f"/workforce/attendance/{n['village'].id}", data=data)
    assert attendance_count(sysdb, day) == len(people)

    # The monthly sign-in sheet: people down, days across.
    r = c.get("/workforce/attendance/export?month=2026-03")
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    sheet = list(ws.iter_rows(values_only=True))
    header = sheet[0]
    assert header[2] == "1" and header[32] == "31"
    row = next(x for x in sheet[1:] if x[0] == n["worker"].name_zh)
    assert row[2 + 1] in ("√", "×")  # 2 March
    assert row[2 + 0] in (None, "")  # nothing recorded on 1 March


def test_attendance_for_out_of_scope_person_refused_nothing_written(sysdb, login):
    n = demo_nodes(sysdb, __name__)
    people = village_people(sysdb, n["village"].id)
    day = dt.date(2026, 3, 3)
    data = {"date": day.isoformat(), f"status-{n['outsider'].id}": "present"}
    for pid in people:
        data[f"status-{pid}"] = "present"
    c = login("station")
    r = c.post(f"/workforce/attendance/{n['village'].id}", data=data)
    assert r.status_code == 403
    assert attendance_count(sysdb, day) == 0
    # The form keeps what was typed.
    assert 'name="status-%d"' % people[0] in r.get_data(as_text=True)
    # A village of another township is not even visible.
    other_village = sysdb(lambda s: s.execute(select(Grid.id).where(Grid.level == 3, Grid.path.like(s.get(Grid, n["other"].id).path + "%"))).scalar())
    assert c.get(f"/workforce/attendance/{other_village}").status_code == 404
    # A future date is refused with a message.
    r = c.post(f"/workforce/attendance/{n['village'].id}", data={"date": "2999-01-01", f"status-{people[0]}": "present"})
    assert r.status_code == 400


# -- meetings ----------------------------------------------------------------------------------------------
def _town_without_meetings(sysdb, index):
    return sysdb(lambda s: s.execute(select(Grid.id).where(Grid.level == 2).order_by(Grid.code)).scalars().all()[index])


def _add_meeting(sysdb, grid_id, day):
    from portal.workforce.models import Meeting

    sysdb(lambda s: s.add(Meeting(grid_id=grid_id, date=day, place="镇政府会议室", minutes="测试")))


@pytest.mark.parametrize("index,months_ago,extra_days,css", [
    (5, None, 0, "meeting-overdue"),  # never held
    (6, 3, 0, "meeting-overdue"),  # last one three months ago, interval two
    (7, 2, -7, "meeting-due"),  # due in a week
    (8, 0, 0, "meeting-ok"),
])
def test_station_page_meeting_warning(sysdb, login, index, months_ago, extra_days, css):
    from portal.workforce.rules import add_months

    town = _town_without_meetings(sysdb, index)
    if months_ago is not None:
        day = add_months(dt.date.today(), -months_ago) - dt.timedelta(days=extra_days)
        _add_meeting(sysdb, town, day)
    page = login("office").get(f"/workforce/station/{town}").get_data(as_text=True)
    assert css in page
    for other in {"meeting-overdue", "meeting-due", "meeting-ok"} - {css}:
        assert other not in page


def test_meeting_interval_setting_moves_the_warning(sysdb, login):
    town = _town_without_meetings(sysdb, 9)
    _add_meeting(sysdb, town, dt.date.today() - dt.timedelta(days=70))
    c = login("office")
    assert "meeting-overdue" in c.get(f"/workforce/station/{town}").get_data(as_text=True)
    old = set_setting(sysdb, "meeting_interval_months", 6)
    try:
        assert "meeting-ok" in c.get(f"/workforce/station/{town}").get_data(as_text=True)
    finally:
        set_setting(sysdb, "meeting_interval_months", old)


def test_meeting_register_export_and_attendees(sysdb, login):
    from portal.workforce.models import Meeting, MeetingAttendance

    n = demo_nodes(sysdb, __name__)
    c = login("station")
    r = c.post("/meetingview/add", data={"grid": n["town"].id, "date": "2026-02-10", "place": "第一会议室导出测试",
                                         "minutes": "会议记录", "decisions": "议定事项"})
    assert r.status_code == 302
    mid = sysdb(lambda s: s.execute(select(Meeting.id).where(Meeting.place == "第一会议室导出测试")).scalar_one())
    r = c.post("/meetingattendanceview/add", data={"meeting": mid, "person": n["worker"].id, "status": "came"})
    assert r.status_code == 302
    assert sysdb(lambda s: s.execute(select(MeetingAttendance.status).where(MeetingAttendance.meeting_id == mid)).scalar()) == "came"
    # Another township's meeting cannot be recorded by this station.
    r = c.post("/meetingview/add", data={"grid": n["other"].id, "date": "2026-02-11", "place": "越权会议"})
    assert sysdb(lambda s: s.execute(select(Meeting.id).where(Meeting.place == "越权会议")).first()) is None
    resp = c.get("/meetingview/export/")
    assert resp.data[:2] == b"PK", resp.get_data(as_text=True)[-3000:]
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    row = next(x for x in rows[1:] if x[2] == "第一会议室导出测试")
    assert row[1] == "2026-02-10" and row[5] == "1 / 0 / 0"


# -- training ----------------------------------------------------------------------------------------------
def test_training_coverage_and_history(sysdb, login):
    from portal.workforce.models import TrainingAttendance, TrainingSession

    n = demo_nodes(sysdb, __name__)
    today = dt.date.today()

    def setup(s):
        banner = s.execute(select(Grid).where(Grid.level == 1)).scalar_one()
        office = TrainingSession(level="office", grid_id=banner.id, topic="年度网格员培训（覆盖测试）", date=today)
        station = TrainingSession(level="station", grid_id=n["town"].id, topic="半年培训（覆盖测试）", date=today)
        s.add_all([office, station])
        s.flush()
        s.add(TrainingAttendance(session_id=office.id, person_id=n["worker"].id, status="attended"))
        return office.id

    sysdb(setup)
    people = village_people(sysdb, n["village"].id)
    c = login("station")
    page = c.get("/workforce/training-coverage/").get_data(as_text=True)
    office = page.split("training-missed-office")[1].split("</ul>")[0]
    station = page.split("training-missed-station")[1].split("</ul>")[0]
    assert f'data-person="{n["worker"].id}"' not in office
    assert f'data-person="{n["worker"].id}"' in station  # trained by the office, not yet by the station
    assert any(f'data-person="{p}"' in office for p in people if p != n["worker"].id)
    assert f'data-person="{n["outsider"].id}"' not in page  # another township: out of scope
    # The roster page shows the person's training history.
    show = c.get(f"/personview/show/{n['worker'].id}").get_data(as_text=True)
    assert "年度网格员培训（覆盖测试）" in show
    # The training register export, read back.
    ws = openpyxl.load_workbook(io.BytesIO(c.get("/trainingsessionview/export/").data)).active
    topics = {r[3]: r[6] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert topics["年度网格员培训（覆盖测试）"] == 1


def test_training_cycle_setting(app):
    from portal.workforce.rules import cycle_start

    assert cycle_start(6, dt.date(2026, 8, 15)) == dt.date(2026, 7, 1)
    assert cycle_start(6, dt.date(2026, 6, 30)) == dt.date(2026, 1, 1)
    assert cycle_start(12, dt.date(2026, 8, 15)) == dt.date(2026, 1, 1)
    assert cycle_start(3, dt.date(2026, 8, 15)) == dt.date(2026, 7, 1)


# -- badges, kits, the public grid page ------------------------------------------------------------------------
def test_badge_page_and_public_grid_page(sysdb, login, app):
    n = demo_nodes(sysdb, __name__)
    c = login("station")
    page = c.get(f"/workforce/badge/{n['worker'].id}").get_data(as_text=True)
    assert "<svg" in page and n["worker"].badge_no in page and n["worker"].name_zh in page
    assert "http://" not in page.split("<svg", 1)[0] or "localhost" in page  # nothing from another host
    assert c.get(f"/workforce/badge/{n['outsider'].id}").status_code == 404
    public = app.test_client().get(f"/public/grid/{n['basic'].code}")
    text = public.get_data(as_text=True)
    assert public.status_code == 200 and n["basic"].name_zh in text and n["worker"].name_zh in text
    assert n["worker"].mobile not in text and n["worker"].mobile[-4:] in text
    assert app.test_client().get("/public/grid/no-such-grid").status_code == 404


def test_kit_register_marks_complete_kit(sysdb, login):
    from portal.workforce.models import KitIssue

    n = demo_nodes(sysdb, __name__)
    person = sysdb(lambda s: s.execute(select(Person.id).where(Person.grid_id == n["basic"].id)).scalar())

    def make_inner(s):
        p = Person(name_zh="工具包测试员", role="grid_worker", grid_id=n["basic"].id, status="active", kit_issued=False)
        s.add(p)
        s.flush()
        return p.id

    pid = sysdb(make_inner)
    c = login("station")
    c.post("/kitissueview/add", data={"person": pid, "item_list": ["manual", "pen"], "date": "2026-01-05"})
    assert sysdb(lambda s: s.get(Person, pid).kit_issued) is False
    c.post("/kitissueview/add", data={"person": pid, "item_list": ["record_book", "torch", "badge"], "date": "2026-01-06"})
    assert sysdb(lambda s: s.get(Person, pid).kit_issued) is True
    assert sysdb(lambda s: s.execute(select(func.count(KitIssue.id)).where(KitIssue.person_id == pid)).scalar()) == 2


def test_attendance_form_checks_csrf_token(sysdb, login, app):
    n = demo_nodes(sysdb, __name__)
    c = login("station")  # log in first: the login form itself needs a token when CSRF is on
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        url = f"/workforce/attendance/{n['village'].id}"
        page = c.get(f"{url}?date=2026-03-05").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert c.post(url, data={"date": "2026-03-05"}).status_code == 400
        assert c.post(url, data={"date": "2026-03-05", "csrf_token": token}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_list_pages_do_not_query_per_row(sysdb, login, count_queries):
    """Statement counts stay flat as rows grow (no lazy load per row)."""
    from portal.workforce.models import Meeting, MeetingAttendance, TrainingAttendance, TrainingSession

    n = demo_nodes(sysdb, __name__)
    people = village_people(sysdb, n["village"].id)
    c = login("station")
    c.get("/")  # the login wrote the user: its first page loads it again (portal/security/kept_users.py)
    pages = ["/meetingview/list/", "/trainingsessionview/list/", "/leaverequestview/list/",
             f"/workforce/attendance/{n['village'].id}?date=2026-04-01", f"/workforce/station/{n['town'].id}",
             "/workforce/badge/"]

    def counts():
        out = {}
        for url in pages:
            with count_queries() as q:
                assert c.get(url).status_code == 200
            out[url] = len(q)
        return out

    def more(s):
        for i in range(6):
            m = Meeting(grid_id=n["town"].id, date=dt.date(2025, 1, 1 + i), place=f"计数测试{i}")
            t = TrainingSession(level="station", grid_id=n["town"].id, topic=f"计数测试{i}", date=dt.date(2025, 1, 1 + i))
            s.add_all([m, t])
            s.flush()
            for pid in people[:2]:
                s.add(MeetingAttendance(meeting_id=m.id, person_id=pid, status="came"))
                s.add(TrainingAttendance(session_id=t.id, person_id=pid, status="attended"))

    sysdb(more)
    before = counts()
    sysdb(more)  # twice the rows
    after = counts()
    assert after == before, (before, after)
    assert after["/meetingview/list/"] <= 6 and after[f"/workforce/station/{n['town'].id}"] <= 12


def test_pages_render_in_both_languages_and_roles_see_what_they_should(sysdb, login):
    n = demo_nodes(sysdb, __name__)
    c = login("station")
    for url in [f"/workforce/station/{n['town'].id}", f"/workforce/attendance/{n['village'].id}", "/workforce/away/",
                "/workforce/training-coverage/", "/workforce/badge/", "/leaverequestview/add", "/meetingview/add",
                "/trainingsessionview/add", "/kitissueview/add", "/workforce/attendance/"]:
        for lang in ("zh", "mn_Mong_CN"):
            r = c.get(url + ("&" if "?" in url else "?") + "_l_=" + lang)
            assert r.status_code == 200, (url, lang, r.status_code)
    assert c.get("/workforce/station/").status_code == 302  # to the station's own township
    assert login("office").get("/workforce/station/").status_code == 200  # a list of stations
    worker = login("worker")
    assert worker.get("/leaverequestview/add").status_code == 200  # a grid worker asks for leave
    assert worker.get("/workforce/station/").status_code == 403
    assert worker.get("/workforce/attendance/").status_code == 403
    assert login("dept").get("/leaverequestview/list/").status_code == 403
    assert c.get("/leaverequestview/delete/1").status_code in (403, 404)  # leave is cancelled, never deleted


def test_meeting_attachment_upload_and_download(sysdb, login, app, tmp_path):
    from portal.workforce.models import Meeting

    n = demo_nodes(sysdb, __name__)
    old = app.config["UPLOAD_FOLDER"]
    app.config["UPLOAD_FOLDER"] = str(tmp_path) + "/"
    try:
        c = login("station")
        r = c.post("/meetingview/add", data={
            "grid": n["town"].id, "date": "2026-02-20", "place": "附件测试会议室",
            "attachment": (io.BytesIO("签到表内容".encode()), "signin.txt"),
        }, content_type="multipart/form-data")
        assert r.status_code == 302
        stored = sysdb(lambda s: s.execute(select(Meeting.attachment).where(Meeting.place == "附件测试会议室")).scalar_one())
        assert stored and stored.endswith("signin.txt") and (tmp_path / stored).exists()
        mid = sysdb(lambda s: s.execute(select(Meeting.id).where(Meeting.place == "附件测试会议室")).scalar_one())
        page = c.get(f"/meetingview/show/{mid}").get_data(as_text=True)
        link = re.search(r'href="(/meetingview/download/[^"]+)"', page).group(1)
        assert c.get(link).data.decode() == "签到表内容"
        (tmp_path / "other-file.txt").write_text("x")
        assert c.get("/meetingview/download/other-file.txt").status_code == 404  # not an attachment in scope
        assert login("worker").get(link).status_code in (403, 404)
    finally:
        app.config["UPLOAD_FOLDER"] = old
