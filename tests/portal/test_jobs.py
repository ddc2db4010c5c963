"""Background jobs: a large export becomes a job that runs as its owner, with progress and a download.

Exports read back with openpyxl hold exactly the owner's scoped rows; nobody else sees the job; a
failure is recorded with a message each reader gets in their own language. The RQ path runs on a burst
``SimpleWorker`` against the local Redis (skipped when Redis is unreachable).
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import socket
from pathlib import Path

import pytest
from openpyxl import load_workbook

SCHOOLS = "_flt_3_kind=school"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def jobs_cfg(app, tmp_path, monkeypatch):
    """Exports above 3 rows become jobs, results under a temporary folder, the in-process runner."""
    monkeypatch.setitem(app.config, "EXPORT_SYNC_LIMIT", 3)
    monkeypatch.setitem(app.config, "JOBS_DIR", str(tmp_path / "exports"))
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    return tmp_path / "exports"


@contextlib.contextmanager
def sysdb(app):
    from portal.extensions import db
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test_jobs"):
        yield db.session
        db.session.rollback()
        db.session.remove()


def read_xlsx(data: bytes):
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = [["" if v is None else v for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return [str(h) for h in rows[0]], rows[1:]


def job_id_of(response) -> int:
    assert response.status_code == 302, response.status_code
    m = re.search(r"/jobs/(\d+)$", response.headers["Location"])
    assert m, response.headers["Location"]
    return int(m.group(1))


def sync_export(app, client, args=""):
    """The same export below the limit: what the owner gets at once today."""
    old = app.config["EXPORT_SYNC_LIMIT"]
    app.config["EXPORT_SYNC_LIMIT"] = 10**9
    try:
        r = client.get(f"/unitview/export/?{args}")
    finally:
        app.config["EXPORT_SYNC_LIMIT"] = old
    assert r.status_code == 200
    return read_xlsx(r.get_data())


def wait_local():
    from portal.jobs import runner

    runner.wait_local(timeout=120)


def test_large_export_runs_as_the_owner(app, login, jobs_cfg):
    from sqlalchemy import func, select

    from portal.grid.models import Grid
    from portal.jobs.models import Job
    from portal.ledger.models import Unit
    from portal.ledger.views import UnitView

    with sysdb(app) as s:
        town = s.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().first()
        inside = s.execute(
            select(func.count(Unit.id)).join(Grid, Unit.grid_id == Grid.id).where(Grid.path.like(town.path + "%"))
        ).scalar()
        total = s.execute(select(func.count(Unit.id))).scalar()
        town_codes = set(s.execute(select(Grid.code).where(Grid.path.like(town.path + "%"))).scalars())
    assert 3 < inside < total

    station = login("station")
    job_id = job_id_of(station.get("/unitview/export/"))
    page = station.get(f"/jobs/{job_id}")
    assert page.status_code == 200 and 'class="progress' in page.get_data(as_text=True)
    wait_local()

    status = station.get(f"/jobs/{job_id}/status").json
    assert status["status"] == "done" and status["finished"]
    assert status["done"] == status["total"] == inside and status["percent"] == 100
    assert status["download"] == f"/jobs/{job_id}/download"
    with sysdb(app) as s:
        job = s.get(Job, job_id)
        path = job.result_path
        assert job.kind == "export" and job.endpoint == "UnitView" and job.finished_on is not None
    assert path.startswith(str(jobs_cfg)) and os.path.exists(path)

    r = station.get(status["download"])
    assert r.status_code == 200
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers, rows = read_xlsx(r.get_data())
    assert len(rows) == inside
    gi = UnitView.export_columns.index("grid.code")
    assert {row[gi] for row in rows} <= town_codes
    # Exactly what the owner's own synchronous export holds, row for row, in the same order.
    assert (headers, rows) == sync_export(app, station)
    # The file stays for a second download (delete=False) and is never under static/.
    assert os.path.exists(path) and "/static/" not in path
    assert station.get(status["download"]).status_code == 200

    # The list page of "My jobs" shows it, and the user menu links to it.
    listing = station.get("/jobs/").get_data(as_text=True)
    assert f"/jobs/{job_id}" in listing
    assert "/jobs/" in station.get("/unitview/list/").get_data(as_text=True)


def test_filters_and_order_travel_with_the_job(app, login, jobs_cfg):
    office = login("office")
    args = SCHOOLS + "&_oc_UnitView=name&_od_UnitView=desc"
    expected = sync_export(app, office, args)
    assert len(expected[1]) > 3
    job_id = job_id_of(office.get(f"/unitview/export/?{args}"))
    wait_local()
    status = office.get(f"/jobs/{job_id}/status").json
    assert status["status"] == "done", status
    assert read_xlsx(office.get(status["download"]).get_data()) == expected


def test_other_users_get_404(app, login, jobs_cfg):
    station = login("station")
    job_id = job_id_of(station.get("/unitview/export/"))
    wait_local()
    assert station.get(f"/jobs/{job_id}/download").status_code == 200
    for other in ("head", "office", "dept"):
        c = login(other)
        for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download"):
            assert c.get(url).status_code == 404, (other, url)
        assert f"/jobs/{job_id}" not in c.get("/jobs/").get_data(as_text=True)
    assert login("admin").get(f"/jobs/{job_id}").status_code == 200
    assert station.get("/jobs/999999").status_code == 404
    # Not logged in: no job data at all.
    r = app.test_client().get(f"/jobs/{job_id}/status")
    assert r.status_code in (302, 401, 403)


def test_progress_is_reported_up_to_the_total(app, login, jobs_cfg, monkeypatch):
    from portal.jobs import runner

    monkeypatch.setattr(runner, "PROGRESS_EVERY", 7)
    monkeypatch.setattr(runner, "CHUNK", 10)  # SQLite reads several chunks
    seen = []
    real_set = runner._set

    def spy(job_id, where_status=None, **values):
        if "done" in values:
            seen.append((values["done"], values.get("total")))
        return real_set(job_id, where_status=where_status, **values)

    monkeypatch.setattr(runner, "_set", spy)
    office = login("office")
    job_id = job_id_of(office.get("/unitview/export/"))
    wait_local()
    status = office.get(f"/jobs/{job_id}/status").json
    total = status["total"]
    assert status["status"] == "done" and status["done"] == total > 20
    dones = [d for d, _ in seen]
    assert dones[0] == 0 and dones == sorted(dones) and dones[-1] == total
    assert 7 in dones and 14 in dones  # intermediate updates, not only start and end
    assert len(read_xlsx(office.get(status["download"]).get_data())[1]) == total


def _po_translation(locale: str, msgid: str) -> str:
    from babel.messages.pofile import read_po

    with open(ROOT / "translations" / "parts" / "jobs" / f"{locale}.po", "rb") as fh:
        cat = read_po(fh)
    return cat[msgid].string


def test_failure_is_recorded_with_a_translated_message(app, login, jobs_cfg, monkeypatch):
    from flask_babel import force_locale, gettext

    from portal.jobs import runner
    from portal.jobs.models import Job

    def broken(path, *a, **kw):
        Path(path).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner.xlsx, "write_workbook", broken)
    station = login("station")
    job_id = job_id_of(station.get("/unitview/export/"))
    wait_local()
    msgid = runner.msgid(runner.E_WRITE)
    with sysdb(app) as s:
        job = s.get(Job, job_id)
        assert job.status == "failed" and job.error == msgid and job.result_path is None
    assert not list(jobs_cfg.glob("*"))  # no half-written file left behind
    status = station.get(f"/jobs/{job_id}/status").json
    assert status["finished"] and status["download"] is None
    with app.test_request_context(), force_locale("zh"):
        expected = gettext(msgid)
    assert status["error"] == expected
    assert station.get(f"/jobs/{job_id}/download").status_code == 404
    assert expected in station.get(f"/jobs/{job_id}").get_data(as_text=True)
    # Every failure message has its Chinese and Mongolian translation.
    for message in (runner.E_FAILED, runner.E_OWNER, runner.E_VIEW, runner.E_DENIED, runner.E_WRITE):
        mid = runner.msgid(message)
        assert re.search(r"[\u4e00-\u9fff]", _po_translation("zh", mid))
        assert re.search(r"[\u1800-\u18af]", _po_translation("mn_Mong_CN", mid))


def test_a_job_from_a_vanished_view_fails_cleanly(app, jobs_cfg):
    from portal.extensions import db
    from portal.jobs import runner
    from portal.jobs.models import Job

    with sysdb(app) as s:
        owner = app.appbuilder.sm.find_user(username="station")
        job = Job(kind="export", owner_id=owner.id, endpoint="NoSuchView", title="x", locale="zh")
        job.args = []
        s.add(job)
        s.commit()
        job_id = job.id
    with app.app_context():
        assert runner.run_job(job_id) == "failed"
        assert runner.run_job(job_id) is None  # only a queued job runs
        job = db.session.get(Job, job_id)
        assert job.error == runner.msgid(runner.E_VIEW)
        db.session.remove()


# -- the RQ path ----------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            pass
    except OSError:
        return False
    try:
        from redis import Redis

        return bool(Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_reachable(), reason="Redis is not reachable at 127.0.0.1:6379")
def test_rq_worker_runs_the_same_job(app, login, jobs_cfg, monkeypatch):
    pytest.importorskip("rq")
    from rq import SimpleWorker

    from portal.jobs import runner

    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", f"anwang-test-{secrets.token_hex(4)}")
    station = login("station")
    expected = sync_export(app, station)
    job_id = job_id_of(station.get("/unitview/export/"))
    assert not runner._futures  # queued on Redis, not in this process
    with app.app_context():
        queue = runner.rq_queue(app)
        try:
            assert queue.count == 1
            assert SimpleWorker([queue], connection=queue.connection).work(burst=True)
        finally:
            queue.delete(delete_jobs=True)
    status = station.get(f"/jobs/{job_id}/status").json
    assert status["status"] == "done", status
    assert status["done"] == status["total"] == len(expected[1])
    assert read_xlsx(station.get(status["download"]).get_data()) == expected


# -- a large import ----------------------------------------------------------------------------------------
def test_large_import_runs_as_a_job_in_the_owners_scope(app, login, jobs_cfg, monkeypatch):
    from openpyxl import Workbook
    from sqlalchemy import select

    from portal import importer
    from portal.grid.models import Grid
    from portal.jobs.models import Job
    from portal.ledger.models import Unit
    from portal.ledger.views import UnitView

    real = importer.get_setting
    monkeypatch.setattr(importer, "get_setting", lambda k: 2 if k == "import_sync_limit" else real(k))
    with sysdb(app) as s:
        town = s.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().first()
        inside = s.execute(select(Grid.code).where(Grid.level == 4, Grid.path.like(town.path + "%"),
                                                   Grid.code.is_not(None))).scalars().first()
        outside = s.execute(select(Grid.code).where(Grid.level == 4, ~Grid.path.like(town.path + "%"),
                                                    Grid.code.is_not(None))).scalars().first()
    c = login("station")
    r = c.get("/unitimport/template")
    wb = load_workbook(io.BytesIO(r.get_data()), read_only=True)
    headers = [str(h) for h in next(wb.worksheets[0].iter_rows(values_only=True))]
    wb.close()
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        lab = {k: str(v) for k, v in UnitView.label_columns.items()}
    idx = {h: i for i, h in enumerate(headers)}
    tag = "任务导入" + secrets.token_hex(3)

    def row(name, grid):
        out = [""] * len(headers)
        out[idx[lab["name"]]], out[idx[lab["kind"]]], out[idx[lab["grid.code"]]] = name, "enterprise", grid
        return out

    book = Workbook()
    book.active.append(headers)
    for i in range(4):
        book.active.append(row(f"{tag}-{i}", inside))
    book.active.append(row(f"{tag}-outside", outside))  # refused by the station's scope
    buf = io.BytesIO()
    book.save(buf)
    page = c.post("/unitimport/", data={"file": (io.BytesIO(buf.getvalue()), "units.xlsx")},
                  content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    job_id = job_id_of(c.post("/unitimport/confirm", data={"token": token, "mode": "good"}))
    wait_local()
    status = c.get(f"/jobs/{job_id}/status").json
    assert status["status"] == "done", status
    assert status["done"] == status["total"] == 4 and status["download"] is None
    with sysdb(app) as s:
        names = sorted(n for (n,) in s.query(Unit.name).filter(Unit.name.like(tag + "%")))
        assert names == [f"{tag}-{i}" for i in range(4)]
        assert s.get(Job, job_id).kind == "import"
    assert importer.kept_file(token) is None  # the kept upload is gone
    assert login("head").get(f"/jobs/{job_id}").status_code == 404


def test_a_job_exports_people_as_the_request_does(app, login, jobs_cfg):
    """A view exported from loaded objects (display names, masked phones) gives the same file as a job."""
    station = login("station")
    job_id = job_id_of(station.get("/personview/export/"))
    wait_local()
    status = station.get(f"/jobs/{job_id}/status").json
    assert status["status"] == "done"
    headers, rows = read_xlsx(station.get(status["download"]).get_data())
    old = app.config["EXPORT_SYNC_LIMIT"]
    app.config["EXPORT_SYNC_LIMIT"] = 10**9
    try:
        r = station.get("/personview/export/")
    finally:
        app.config["EXPORT_SYNC_LIMIT"] = old
    assert r.status_code == 200
    assert rows and (headers, rows) == read_xlsx(r.get_data())
    assert not any(re.fullmatch(r"1\d{10}", str(v)) for row in rows for v in row)  # phones stay masked


def _job_row(app, s, status: str, minutes_ago: float, owner: str = "station") -> int:
    import datetime as dt

    from portal.core.models import utcnow
    from portal.jobs.models import Job

    when = utcnow() - dt.timedelta(minutes=minutes_ago)
    job = Job(kind="export", owner_id=app.appbuilder.sm.find_user(username=owner).id, endpoint="UnitView",
              title="t", locale="zh", status=status, created_on=when, heartbeat_on=when,
              started_on=when if status == "running" else None)
    s.add(job)
    s.commit()
    return job.id


def test_a_job_whose_process_died_is_marked_failed(app, login, jobs_cfg):
    """No heartbeat for longer than ``job_stale_minutes`` (30): failed, with a translated message."""
    from flask_babel import force_locale, gettext

    from portal.jobs import runner
    from portal.jobs.models import Job

    with sysdb(app) as s:
        dead = _job_row(app, s, "running", 31)
        dead_waiting = _job_row(app, s, "queued", 45)
        alive = _job_row(app, s, "running", 5)
        waiting = _job_row(app, s, "queued", 1)
    station = login("station")
    status = station.get(f"/jobs/{dead}/status").json
    assert status["status"] == "failed" and status["finished"]
    with app.test_request_context(), force_locale("zh"):
        expected = gettext(runner.msgid(runner.E_STALE))
    assert status["error"] == expected and re.search(r"[\u4e00-\u9fff]", expected)
    assert re.search(r"[\u1800-\u18af]", _po_translation("mn_Mong_CN", runner.msgid(runner.E_STALE)))
    # The list reaps what it shows; live and recently queued jobs are left alone.
    assert station.get("/jobs/").status_code == 200
    with sysdb(app) as s:
        got = {j.id: j.status for j in s.query(Job).filter(Job.id.in_([dead, dead_waiting, alive, waiting]))}
        assert s.get(Job, dead).finished_on is not None
    assert got == {dead: "failed", dead_waiting: "failed", alive: "running", waiting: "queued"}


def test_on_rq_a_waiting_job_is_not_reaped(app, jobs_cfg, monkeypatch):
    """With RQ a waiting job sits in Redis and runs when a worker comes back; a running one is reaped."""
    from portal.jobs import runner
    from portal.jobs.models import Job

    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    with sysdb(app) as s:
        waiting = _job_row(app, s, "queued", 120)
        dead = _job_row(app, s, "running", 120)
        assert set(runner.reap_stale()) >= {dead}
        s.expire_all()
        assert s.get(Job, waiting).status == "queued" and s.get(Job, dead).status == "failed"


def test_progress_keeps_the_job_and_those_waiting_behind_it_alive(app, login, jobs_cfg):
    import datetime as dt

    from portal.core.models import utcnow
    from portal.jobs import runner
    from portal.jobs.models import Job

    with sysdb(app) as s:
        running = _job_row(app, s, "running", 29)
        waiting = _job_row(app, s, "queued", 29)
        runner._waiting.add(waiting)
        try:
            runner.heartbeat(running, done=5)
        finally:
            runner._waiting.discard(waiting)
        s.expire_all()
        fresh = utcnow() - dt.timedelta(minutes=1)
        assert s.get(Job, running).heartbeat_on > fresh and s.get(Job, running).done == 5
        assert s.get(Job, waiting).heartbeat_on > fresh
    # A real job leaves a heartbeat no older than its last progress.
    office = login("office")
    job_id = job_id_of(office.get("/unitview/export/"))
    wait_local()
    with sysdb(app) as s:
        job = s.get(Job, job_id)
        assert job.status == "done" and job.heartbeat_on >= job.started_on
