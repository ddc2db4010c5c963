"""The unit ledger through the pages: identifiers, basic-grid rule, management mode, intake workflow,
change log."""
from __future__ import annotations

import json

from sqlalchemy import select
from stdnum.cn import ric, uscc

from portal.changelog.models import ChangeLog
from portal.grid.models import Grid, Person
from portal.ledger.models import Unit
from portal.workflow import WorkflowEvent

VALID_USCC = "91150430MA0N000000"[:17]
VALID_USCC = VALID_USCC + uscc.calc_check_digit(VALID_USCC)


def _basic_grid(session):
    return session.execute(select(Grid).where(Grid.level == 4).order_by(Grid.id)).scalars().first()


def _unit_form(grid, **kw):
    data = {"name": "测试单位", "kind": "enterprise", "scale": "micro", "grid": str(grid.id), "phone": "13912345678"}
    data.update(kw)
    return data


def test_invalid_identifiers_refused_with_field_rule_and_input_kept(login, system):
    grid = _basic_grid(system)
    c = login("admin")
    bad_code = VALID_USCC[:-1] + ("0" if VALID_USCC[-1] != "0" else "1")
    r = c.post("/unitview/add", data=_unit_form(grid, name="坏代码单位", credit_code=bad_code, phone="12345678901"))
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "统一社会信用代码无效" in html
    assert "手机号无效" in html
    assert 'value="坏代码单位"' in html and bad_code in html  # what was typed stays
    assert system.execute(select(Unit).where(Unit.name == "坏代码单位")).first() is None


def test_valid_unit_is_stored_with_derived_mode(login, system):
    grid = _basic_grid(system)
    c = login("admin")
    r = c.post("/unitview/add", data=_unit_form(grid, name="合法小微企业", credit_code=VALID_USCC.lower()))
    assert r.status_code == 302
    u = system.execute(select(Unit).where(Unit.name == "合法小微企业")).scalar_one()
    assert u.credit_code == VALID_USCC  # normalised to upper case
    assert u.management_mode == "packaged" and u.intake_status == "draft"
    # Same code again: refused as a duplicate.
    r = c.post("/unitview/add", data=_unit_form(grid, name="重复代码单位", credit_code=VALID_USCC))
    assert r.status_code == 200
    assert system.execute(select(Unit).where(Unit.name == "重复代码单位")).first() is None


def test_key_management_rule_and_override_needs_reason(login, system):
    grid = _basic_grid(system)
    c = login("admin")
    c.post("/unitview/add", data=_unit_form(grid, name="测试学校", kind="school", scale=""))
    c.post("/unitview/add", data=_unit_form(grid, name="测试矿山", sector_list=["mining"]))
    assert system.execute(select(Unit.management_mode).where(Unit.name == "测试学校")).scalar_one() == "key"
    assert system.execute(select(Unit.management_mode).where(Unit.name == "测试矿山")).scalar_one() == "key"
    r = c.post("/unitview/add", data=_unit_form(grid, name="无理由覆盖", mode_override="key"))
    assert r.status_code == 200 and system.execute(select(Unit).where(Unit.name == "无理由覆盖")).first() is None
    r = c.post("/unitview/add", data=_unit_form(grid, name="有理由覆盖", mode_override="key", mode_override_reason="曾发生事故"))
    assert r.status_code == 302
    assert system.execute(select(Unit.management_mode).where(Unit.name == "有理由覆盖")).scalar_one() == "key"


def test_unit_only_in_basic_grid(login, system):
    village = system.execute(select(Grid).where(Grid.level == 3).order_by(Grid.id)).scalars().first()
    r = login("admin").post("/unitview/add", data=_unit_form(village, name="村级单位"))
    assert r.status_code == 200
    assert "level 4" in r.get_data(as_text=True) or "基础网格" in r.get_data(as_text=True)
    assert system.execute(select(Unit).where(Unit.name == "村级单位")).first() is None


def test_intake_workflow_roles_and_timeline(login, system):
    grid_id = system.execute(
        select(Unit.grid_id).join(Grid).where(Grid.path.like(_worker_path(system) + "%"))
    ).scalars().first()
    grid = system.get(Grid, grid_id)
    w = login("worker")
    r = w.post("/unitview/add", data=_unit_form(grid, name="走流程单位"))
    assert r.status_code == 302
    uid = system.execute(select(Unit.id).where(Unit.name == "走流程单位")).scalar_one()
    # A grid worker may confirm but not approve.
    assert w.post("/unitview/action_post", data={"action": "confirm", "rowid": [str(uid)]}).status_code == 302
    w.post("/unitview/action_post", data={"action": "approve", "rowid": [str(uid)]})
    system.expire_all()
    assert system.get(Unit, uid).intake_status == "confirmed"
    h = login("head")
    h.post("/unitview/action_post", data={"action": "approve", "rowid": [str(uid)]})
    h.post("/unitview/action_post", data={"action": "enter_ledger", "rowid": [str(uid)]})
    system.expire_all()
    assert system.get(Unit, uid).intake_status == "ledger"
    steps = system.execute(
        select(WorkflowEvent.action, WorkflowEvent.username).where(WorkflowEvent.model == "Unit", WorkflowEvent.object_id == uid).order_by(WorkflowEvent.id)
    ).all()
    assert [tuple(s) for s in steps] == [("confirm", "worker"), ("approve", "head"), ("enter_ledger", "head")]


def _worker_path(session):
    from flask_appbuilder.security.sqla.models import User

    from portal.security.models import UserProfile

    uid = session.execute(select(User.id).where(User.username == "worker")).scalar_one()
    return session.get(UserProfile, uid).grid.path


def test_state_machine_compare_and_set(app, system):
    """Two transitions from the same state: exactly one wins."""
    from portal.ledger.workflow import INTAKE
    from portal.workflow import TransitionError

    grid = _basic_grid(system)
    u = Unit(name="并发测试单位", kind="enterprise", grid_id=grid.id, management_mode="packaged", intake_status="confirmed")
    system.add(u)
    system.commit()

    class Admin:
        id, username, roles = None, "admin", []

    INTAKE.transition(system, u, "approve", Admin(), role_names={"Admin"})
    system.commit()
    stale = Unit(id=u.id, intake_status="confirmed")  # a second approver who loaded the old state
    try:
        INTAKE.transition(system, stale, "approve", Admin(), role_names={"Admin"})
        raised = False
    except TransitionError:
        raised = True
    assert raised
    system.rollback()
    assert system.get(Unit, u.id).intake_status == "approved"


def test_change_log_records_edits_with_user_and_diff(login, system):
    grid = _basic_grid(system)
    c = login("admin")
    c.post("/unitview/add", data=_unit_form(grid, name="日志测试单位"))
    uid = system.execute(select(Unit.id).where(Unit.name == "日志测试单位")).scalar_one()
    c.post(f"/unitview/edit/{uid}", data=_unit_form(grid, name="日志测试单位", address="新地址"))
    rows = system.execute(
        select(ChangeLog).where(ChangeLog.model == "Unit", ChangeLog.object_id == str(uid)).order_by(ChangeLog.id)
    ).scalars().all()
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[1].username == "admin"
    assert json.loads(rows[1].changes)["address"] == [None, "新地址"]


def test_person_identifiers_validated_and_masked(login, system):
    grid = _basic_grid(system)
    body = "15043019900307123"
    good = body + ric.calc_check_digit(body + "0")
    c = login("admin")
    r = c.post("/personview/add", data={"name_zh": "校验测试人", "role": "grid_worker", "status": "active",
                                        "id_number": good[:-1] + ("0" if good[-1] != "0" else "1"), "mobile": "23912345678",
                                        "grid": str(grid.id)})
    assert r.status_code == 200
    assert system.execute(select(Person).where(Person.name_zh == "校验测试人")).first() is None
    r = c.post("/personview/add", data={"name_zh": "校验测试人", "role": "grid_worker", "status": "active",
                                        "id_number": good.lower(), "mobile": "+8613912345678", "grid": str(grid.id)})
    assert r.status_code == 302
    p = system.execute(select(Person).where(Person.name_zh == "校验测试人")).scalar_one()
    assert p.id_number == good.upper() and p.mobile == "13912345678"
    # Lists mask identifiers; only the detail page of a role that needs them shows them, and logs it.
    assert good not in c.get("/personview/list/?_flt_0_name_zh=校验测试人").get_data(as_text=True)
    assert good.upper() in c.get(f"/personview/show/{p.id}").get_data(as_text=True)
    from portal.changelog.models import AccessLog

    assert system.execute(select(AccessLog).where(AccessLog.model == "Person", AccessLog.object_id == str(p.id))).first()


def test_demo_identifiers_are_valid(system):
    from forms.identifiers import normalize_credit_code, normalize_mobile, normalize_resident_id

    people = system.execute(select(Person.id_number, Person.mobile).where(Person.id_number.is_not(None))).all()
    assert people and all(normalize_resident_id(i) == i and normalize_mobile(m) == m for i, m in people)
    codes = system.execute(select(Unit.credit_code).where(Unit.credit_code.is_not(None))).scalars().all()
    assert codes and all(normalize_credit_code(c) == c for c in codes)
