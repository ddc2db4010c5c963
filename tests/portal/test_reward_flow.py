"""Tip-off handling and reward claims: the full approval path, the refusals, concurrent approvals (R14)."""
from __future__ import annotations

import io
import os
import re
import threading
import time
from decimal import Decimal

os.environ.setdefault("PORTAL_SEAL_KEY", "x1Pq0m2vXb8f0yJkz6s9y7n3l0cQe0l1R6c4VbGmZ2s=")

import contextlib  # noqa: E402

import pytest  # noqa: E402
from PIL import Image  # noqa: E402


@contextlib.contextmanager
def sysdb(app):
    """A short-lived system-scope session. Never held across requests: a pushed app context would be
    shared by the test client's requests and leak the logged-in user between clients (fab-notes)."""
    from portal.extensions import db
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test"):
        try:
            yield db.session
        finally:
            db.session.rollback()
            db.session.remove()


def file_tip(app, what, named=True):
    data = {"what": what, "where_text": "示例村", "identity": "named" if named else "anonymous"}
    if named:
        data.update(reporter_name="流程举报人", reporter_phone="13800138000")
    r = app.test_client().post("/tipoff/", data=data, content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    pin = re.search(r'id="pin">([^<]+)<', html).group(1)
    return code, pin


def tip_id(app, code):
    from portal.reward.models import TipOff

    with sysdb(app) as s:
        return s.query(TipOff.id).filter_by(tracking_code=code.replace("-", "")).scalar()


def station_grid_id(app):
    from portal.security.models import UserProfile
    from flask_appbuilder.security.sqla.models import User

    with sysdb(app) as s:
        return s.query(UserProfile.grid_id).join(User, User.id == UserProfile.user_id).filter(User.username == "station").scalar()


def scale_id(app, category):
    from portal.reward.models import RewardScale

    with sysdb(app) as s:
        return s.query(RewardScale.id).filter_by(category=category).scalar()


class ClaimRow:
    def __init__(self, c):
        for k in ("id", "status", "proposed_amount", "amount", "paid_on", "pay_reference", "scale_id"):
            setattr(self, k, getattr(c, k))


def verified(app, login, what, verdict="verified_true"):
    code, pin = file_tip(app, what)
    tid = tip_id(app, code)
    office, station = login("office"), login("station")
    assert office.post(f"/tipoffs/triage/{tid}", data={"station_id": station_grid_id(app), "note": "请核查"}).status_code == 302
    assert station.post(f"/tipoffs/step/{tid}", data={"action": "start_verifying"}).status_code == 302
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (0, 90, 0)).save(buf, "JPEG")
    r = station.post(f"/tipoffs/step/{tid}", data={"action": verdict, "note": "现场核实属实", "public_reply": "已责令整改",
                                                   "photos": (io.BytesIO(buf.getvalue()), "site.jpg")},
                     content_type="multipart/form-data")
    assert r.status_code == 302
    return code, pin, tid, office, station


def claim_status(app, tid):
    from portal.reward.models import RewardClaim

    with sysdb(app) as s:
        c = s.query(RewardClaim).filter_by(tipoff_id=tid).one_or_none()
        return ClaimRow(c) if c is not None else None


def test_propose_amount_follows_the_scale():
    from portal.reward.models import RewardScale
    from portal.reward.workflow import propose_amount

    national = RewardScale(basis="percent_of_fine", percentage=Decimal(15), minimum=Decimal(3000), maximum=Decimal(300000))
    assert propose_amount(national, Decimal(100000)) == Decimal("15000.00")
    assert propose_amount(national, Decimal(1000)) == Decimal("3000.00")  # minimum
    assert propose_amount(national, Decimal(10_000_000)) == Decimal("300000.00")  # maximum
    local = RewardScale(basis="fixed", fixed_amount=Decimal(300), minimum=Decimal(300), maximum=Decimal(500))
    assert propose_amount(local, None) == Decimal("300.00")


def test_full_path_from_report_to_paid_reward(app, login):
    from portal.workflow import WorkflowEvent

    code, pin, tid, office, station = verified(app, login, "全流程：无证危化品仓库")
    page = station.get(f"/tipoffs/show/{tid}").get_data(as_text=True)
    assert "Verified: true" in page or "核实属实" in page
    r = station.post(f"/tipoffs/claim/{tid}", data={"scale_id": scale_id(app, "major_violation"), "fine_amount": "100000"})
    assert r.status_code == 302
    claim = claim_status(app, tid)
    assert claim.status == "proposed" and claim.proposed_amount == Decimal("15000.00")
    assert station.post(f"/rewardclaims/review/{claim.id}", data={"amount": "15000"}).status_code == 302
    assert claim_status(app, tid).status == "reviewed"
    # The station may not decide (no permission), the office may.
    assert station.post(f"/rewardclaims/decide/{claim.id}", data={"action": "approve"}).status_code in (302, 403)
    assert claim_status(app, tid).status == "reviewed"
    office.post(f"/rewardclaims/decide/{claim.id}", data={"action": "approve", "note": "同意"})
    assert claim_status(app, tid).status == "approved"
    r = app.test_client().post("/tipoff/status", data={"code": code, "pin": pin}).get_data(as_text=True)
    assert "15000.00" in r and "已责令整改" in r
    office.post(f"/rewardclaims/pay/{claim.id}", data={"paid_on": "2026-11-30", "pay_method": "bank_transfer", "pay_reference": "TX-1"})
    c = claim_status(app, tid)
    assert c.status == "paid" and str(c.paid_on) == "2026-11-30" and c.pay_reference == "TX-1"
    office.post(f"/tipoffs/step/{tid}", data={"action": "close"})
    r = app.test_client().post("/tipoff/status", data={"code": code, "pin": pin}).get_data(as_text=True)
    assert re.search(r'id="reward-status">\s*(Paid|已发放)', r)
    from portal.reward.models import TipOff

    with sysdb(app) as s:
        events = s.query(WorkflowEvent).filter_by(model="TipOff", object_id=tid).order_by(WorkflowEvent.id).all()
        assert [e.to_state for e in events] == ["submitted", "triaged", "verifying", "verified_true", "closed"]
        assert events[1].username == "office" and events[1].note == "请核查" and events[3].username == "station"
        steps = s.query(WorkflowEvent).filter_by(model="RewardClaim", object_id=c.id).order_by(WorkflowEvent.id).all()
        assert [e.to_state for e in steps] == ["proposed", "reviewed", "approved", "paid"]
        assert [e.username for e in steps] == ["station", "station", "office", "office"]
        photos = [(p.id, p.step) for p in s.get(TipOff, tid).photos]
    assert [p[1] for p in photos] == ["verified_true"]
    assert office.get(f"/tipoffs/photo/{photos[0][0]}").status_code == 200
    assert login("head").get(f"/tipoffs/photo/{photos[0][0]}").status_code == 404


def test_refusals(app, login):
    # An unverified tip-off earns no claim.
    code, pin = file_tip(app, "拒绝：未核实")
    tid = tip_id(app, code)
    office = login("office")
    r = office.post(f"/tipoffs/claim/{tid}", data={"scale_id": scale_id(app, "general_hazard")}, follow_redirects=True)
    assert "verified as true or partly true" in r.get_data(as_text=True) or "核实" in r.get_data(as_text=True)
    assert claim_status(app, tid) is None
    # not_found needs a reason; the station may not triage.
    _, _, tid2, office, station = verified(app, login, "拒绝：第二次申请")
    assert station.post(f"/tipoffs/claim/{tid2}", data={"scale_id": scale_id(app, "general_hazard")}).status_code == 302
    r = station.post(f"/tipoffs/claim/{tid2}", data={"scale_id": scale_id(app, "general_hazard")}, follow_redirects=True)
    assert "already has a reward claim" in r.get_data(as_text=True) or "已有" in r.get_data(as_text=True)
    from portal.reward.models import RewardClaim

    # The database refuses a second row even past the check (unique constraint).
    import sqlalchemy.exc

    claim = claim_status(app, tid2)
    with sysdb(app) as s:
        assert s.query(RewardClaim).filter_by(tipoff_id=tid2).count() == 1
        s.add(RewardClaim(tipoff_id=tid2, scale_id=claim.scale_id, proposed_amount=1))
        with pytest.raises(sqlalchemy.exc.IntegrityError):
            s.flush()
    # The reviewer of a claim may not decide it: office reviews, then office tries to approve.
    office.post(f"/rewardclaims/review/{claim.id}", data={"amount": "400"})
    assert claim_status(app, tid2).status == "reviewed"
    r = office.post(f"/rewardclaims/decide/{claim.id}", data={"action": "approve"}, follow_redirects=True)
    assert "may not decide" in r.get_data(as_text=True) or "不得" in r.get_data(as_text=True)
    assert claim_status(app, tid2).status == "reviewed"
    # A rejection needs a reason; then admin (another person) rejects.
    admin = login("admin")
    admin.post(f"/rewardclaims/decide/{claim.id}", data={"action": "reject"})
    assert claim_status(app, tid2).status == "reviewed"
    admin.post(f"/rewardclaims/decide/{claim.id}", data={"action": "reject", "note": "线索不实"})
    assert claim_status(app, tid2).status == "rejected"
    # Amount above the scale's maximum is refused at review.
    _, _, tid3, office, station = verified(app, login, "拒绝：超出上限")
    station.post(f"/tipoffs/claim/{tid3}", data={"scale_id": scale_id(app, "general_hazard")})
    c3 = claim_status(app, tid3)
    station.post(f"/rewardclaims/review/{c3.id}", data={"amount": "9999"})
    assert claim_status(app, tid3).status == "proposed"


def test_station_cannot_triage_and_grid_head_sees_nothing(app, login):
    code, _ = file_tip(app, "范围：未分派")
    tid = tip_id(app, code)
    station = login("station")
    assert station.get(f"/tipoffs/show/{tid}").status_code == 404  # not assigned yet: office only
    assert station.post(f"/tipoffs/triage/{tid}", data={"station_id": station_grid_id(app)}).status_code == 404
    login("office").post(f"/tipoffs/triage/{tid}", data={"station_id": station_grid_id(app)})
    assert station.get(f"/tipoffs/show/{tid}").status_code == 200
    assert login("head").get(f"/tipoffs/show/{tid}").status_code == 404
    assert login("worker").get(f"/tipoffs/show/{tid}").status_code in (403, 404)


def test_department_handles_tipoffs_of_its_sector(app, login):
    code, _ = file_tip(app, "部门：非法采矿")
    tid = tip_id(app, code)
    dept = login("dept")
    assert dept.get(f"/tipoffs/show/{tid}").status_code == 404
    login("office").post(f"/tipoffs/triage/{tid}", data={"sector": "mining"})
    assert dept.get(f"/tipoffs/show/{tid}").status_code == 200
    assert dept.post(f"/tipoffs/step/{tid}", data={"action": "start_verifying"}).status_code == 302
    from portal.reward.models import TipOff

    with sysdb(app) as s:
        assert s.get(TipOff, tid).status == "verifying"


def _approve_in_thread(app, claim_id, username, barrier, results, hold):
    from flask_appbuilder.security.sqla.models import User

    from portal.extensions import db
    from portal.reward import workflow as W
    from portal.reward.models import RewardClaim
    from portal.security.scope import system_scope
    from portal.workflow import TransitionError

    with app.app_context(), system_scope("concurrency test"):
        session = db.session
        user = session.query(User).filter_by(username=username).one()
        claim = session.get(RewardClaim, claim_id)
        assert claim.status == "reviewed"
        barrier.wait()
        try:
            W.decide_claim(session, claim, "approve", user, f"by {username}")
            time.sleep(hold)  # keep the row locked while the other approver tries
            session.commit()
            results.append(("ok", username))
        except TransitionError as e:
            session.rollback()
            results.append(("refused", str(e)))
        finally:
            db.session.remove()


def test_two_approvers_at_once_give_exactly_one_decision(app, login):
    with sysdb(app) as s:
        dialect = s.get_bind().dialect.name
    if dialect != "postgresql":
        pytest.skip("SQLite serialises writers on one file lock: the row-level compare-and-set race needs PostgreSQL")
    from portal.workflow import WorkflowEvent

    _, _, tid, office, station = verified(app, login, "并发：两人同时审批")
    station.post(f"/tipoffs/claim/{tid}", data={"scale_id": scale_id(app, "general_hazard")})
    claim = claim_status(app, tid)
    station.post(f"/rewardclaims/review/{claim.id}", data={"amount": "500"})
    assert claim_status(app, tid).status == "reviewed"
    barrier, results = threading.Barrier(2), []
    threads = [threading.Thread(target=_approve_in_thread, args=(app, claim.id, u, barrier, results, h))
               for u, h in (("office", 0.5), ("admin", 0.5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r[0] for r in results) == ["ok", "refused"], results
    with sysdb(app) as s:
        approvals = s.query(WorkflowEvent).filter_by(model="RewardClaim", object_id=claim.id, action="approve").count()
    assert approvals == 1
    assert claim_status(app, tid).status == "approved"
