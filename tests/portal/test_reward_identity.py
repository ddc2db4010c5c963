"""The reporter's identity is sealed: encrypted at rest, never shown to handlers, revealed only on a
logged action by the committee office (R13)."""
from __future__ import annotations

import contextlib
import io
import os
import re

os.environ.setdefault("PORTAL_SEAL_KEY", "x1Pq0m2vXb8f0yJkz6s9y7n3l0cQe0l1R6c4VbGmZ2s=")

import sqlalchemy as sa  # noqa: E402
from openpyxl import load_workbook  # noqa: E402

NAME = "封存测试人乙"
PHONE = "13912345678"
CONTACT = "微信 seal_test_b"


@contextlib.contextmanager
def sysdb(app):
    """Short-lived system-scope session, never held across requests (they would share its app context)."""
    from portal.extensions import db
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test"):
        try:
            yield db.session
        finally:
            db.session.rollback()
            db.session.remove()


def _station_grid_id(app):
    from flask_appbuilder.security.sqla.models import User

    from portal.security.models import UserProfile

    with sysdb(app) as s:
        return s.query(UserProfile.grid_id).join(User, User.id == UserProfile.user_id).filter(User.username == "station").scalar()


def named_tip(app, login, what):
    r = app.test_client().post("/tipoff/", data={
        "what": what, "where_text": "示例村", "identity": "named", "reporter_name": NAME,
        "reporter_phone": PHONE, "reporter_contact": CONTACT}, content_type="multipart/form-data")
    code = re.search(r'id="tracking-code">([^<]+)<', r.get_data(as_text=True)).group(1).replace("-", "")
    from portal.reward.models import TipOff

    with sysdb(app) as s:
        tid = s.query(TipOff.id).filter_by(tracking_code=code).scalar()
    login("office").post(f"/tipoffs/triage/{tid}", data={"station_id": _station_grid_id(app)})
    return tid, code


def _access_rows(app, tid):
    from portal.changelog.models import AccessLog

    with sysdb(app) as s:
        return [(a.username, a.fields) for a in s.query(AccessLog).filter_by(model="TipOff", object_id=str(tid))]


def _xlsx_text(resp) -> str:
    wb = load_workbook(io.BytesIO(resp.data), read_only=True)
    return "\n".join("|".join("" if v is None else str(v) for v in row) for row in wb.active.iter_rows(values_only=True))


def test_identity_is_encrypted_at_rest(app, login):
    tid, code = named_tip(app, login, "封存：静态加密")
    with sysdb(app) as s:
        row = s.execute(sa.text("SELECT * FROM tipoff WHERE id = :i"), {"i": tid}).mappings().one()
        changes = " ".join(c or "" for (c,) in s.execute(sa.text(
            "SELECT changes FROM change_log WHERE model = 'TipOff' AND object_id = :i"), {"i": str(tid)}))
    dump = " ".join(str(v) for v in row.values())
    assert NAME not in dump and PHONE not in dump and "seal_test_b" not in dump
    assert row["reporter_name_enc"].startswith("gAAAAA")  # a Fernet token
    assert PHONE not in changes and NAME not in changes  # the change log masks sealed columns
    from portal.reward.crypto import unseal

    with app.app_context():
        assert unseal(row["reporter_phone_enc"]) == PHONE


def test_handler_never_sees_identity(app, login):
    tid, code = named_tip(app, login, "封存：经办人不可见")
    station = login("station")
    for url in (f"/tipoffs/show/{tid}", "/tipoffs/list/", f"/api/v1/tipoff/{tid}", "/api/v1/tipoff/"):
        r = station.get(url)
        assert r.status_code == 200, url
        body = r.get_data(as_text=True)
        assert NAME not in body and PHONE not in body and "seal_test_b" not in body, url
    assert "_enc" not in station.get(f"/api/v1/tipoff/{tid}").get_data(as_text=True)
    r = station.get(f"/tipoffs/export/?_flt_0_tracking_code={code}")
    assert r.status_code == 200
    text = _xlsx_text(r)
    assert code[:5] in text and NAME not in text and PHONE not in text
    assert station.get(f"/tipoffs/export/?include_identity=1&_flt_0_tracking_code={code}").status_code == 403
    assert station.post(f"/tipoffs/reveal/{tid}").status_code == 403
    assert "Reveal identity" not in station.get(f"/tipoffs/show/{tid}").get_data(as_text=True)
    assert _access_rows(app, tid) == []


def test_office_reveal_is_explicit_and_logged(app, login):
    tid, code = named_tip(app, login, "封存：委办查看")
    office = login("office")
    page = office.get(f"/tipoffs/show/{tid}").get_data(as_text=True)
    assert NAME not in page and PHONE not in page and f"/tipoffs/reveal/{tid}" in page
    assert _access_rows(app, tid) == []
    r = office.post(f"/tipoffs/reveal/{tid}")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and NAME in page and PHONE in page and "seal_test_b" in page
    assert _access_rows(app, tid) == [("office", "reporter_name,reporter_phone,reporter_contact")]


def test_exports_omit_identity_unless_office_ticks_it(app, login):
    tid, code = named_tip(app, login, "封存：导出")
    office = login("office")
    plain = _xlsx_text(office.get(f"/tipoffs/export/?_flt_0_tracking_code={code}"))
    assert code[:5] in plain and NAME not in plain
    assert _access_rows(app, tid) == []
    full = _xlsx_text(office.get(f"/tipoffs/export/?include_identity=1&_flt_0_tracking_code={code}"))
    assert NAME in full and PHONE in full
    assert _access_rows(app, tid) == [("office", "reporter_name,reporter_phone,reporter_contact,export")]


def test_reward_register_export(app, login):
    tid, code = named_tip(app, login, "封存：奖励台账")
    station, office = login("station"), login("office")
    station.post(f"/tipoffs/step/{tid}", data={"action": "start_verifying"})
    station.post(f"/tipoffs/step/{tid}", data={"action": "verified_partly", "note": "部分属实"})
    from portal.reward.models import RewardScale

    with sysdb(app) as s:
        sid = s.query(RewardScale.id).filter_by(category="general_hazard").scalar()
    assert station.post(f"/tipoffs/claim/{tid}", data={"scale_id": sid}).status_code == 302
    r = station.get("/rewardclaims/export/")
    assert r.status_code == 200
    text = _xlsx_text(r)
    assert f"{code[:5]}-{code[5:]}" in text and "300" in text and NAME not in text
    assert station.get("/rewardclaims/export/?include_identity=1").status_code == 403
    full = _xlsx_text(office.get("/rewardclaims/export/?include_identity=1"))
    assert NAME in full
    assert ("office", "reporter_name,reporter_phone,reporter_contact,export") in _access_rows(app, tid)
    # The whole tip-off register, now that a tip-off has a claim, streams too and shows the claim's state.
    r = office.get("/tipoffs/export/")
    assert r.status_code == 200 and f"{code[:5]}-{code[5:]}" in _xlsx_text(r)


def test_identity_export_tick_box_only_for_the_office(app, login):
    assert 'name="include_identity"' in login("office").get("/tipoffs/list/").get_data(as_text=True)
    assert 'name="include_identity"' in login("office").get("/rewardclaims/list/").get_data(as_text=True)
    station_page = login("station").get("/tipoffs/list/").get_data(as_text=True)
    assert 'name="include_identity"' not in station_page and "portal-export" in station_page


def test_seal_key_file_fallback_and_rotation(tmp_path, monkeypatch, caplog):
    from cryptography.fernet import Fernet
    from flask import Flask

    from portal.reward import crypto

    import logging

    monkeypatch.delenv("PORTAL_SEAL_KEY", raising=False)
    # migrations/env.py's fileConfig() disables loggers that existed before an in-process upgrade.
    monkeypatch.setattr(logging.getLogger("portal.reward.crypto"), "disabled", False)
    bare = Flask("seal-test", instance_path=str(tmp_path / "instance"))
    with bare.app_context(), caplog.at_level("WARNING", logger="portal.reward.crypto"):
        token = crypto.seal("王五")
        assert (tmp_path / "instance" / "seal_key").exists()
        assert oct((tmp_path / "instance" / "seal_key").stat().st_mode & 0o777) == "0o600"
        assert "PORTAL_SEAL_KEY is not set" in caplog.text
        assert crypto.unseal(token) == "王五"
        old = (tmp_path / "instance" / "seal_key").read_text().strip()
    # Rotation: a new key first, the old one still opens what it sealed.
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("PORTAL_SEAL_KEY", f"{new},{old}")
    with bare.app_context():
        assert crypto.unseal(token) == "王五"
        assert Fernet(new.encode()).decrypt(crypto.seal("赵六").encode()).decode() == "赵六"
    monkeypatch.setenv("PORTAL_SEAL_KEY", new)
    with bare.app_context():
        assert crypto.unseal(token) is None  # wrong key: no crash, no plaintext
