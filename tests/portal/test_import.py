"""Excel import of units and people: dry run, import all / only the good rows, scope, bad files, round trip."""
from __future__ import annotations

import contextlib
import html
import io
import random
import re
import secrets

from openpyxl import Workbook, load_workbook
from stdnum.cn import ric, uscc


# -- helpers --------------------------------------------------------------------------------------------
@contextlib.contextmanager
def sysdb(app):
    """A system-scope session, closed before any request is made (scope is per context)."""
    from portal.extensions import db
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test_import"):
        yield db.session
        db.session.rollback()
        db.session.remove()


def credit_code(rng: random.Random, prefix="91") -> str:
    body = prefix + "150430" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc.calc_check_digit(body)


def resident_id(rng: random.Random) -> str:
    # Born 1984 or later: python-stdnum only knows 150430 (Aohan) from 1983 on (see the report).
    body = f"150430{rng.randrange(1984, 2005)}0{rng.randrange(1, 10)}1{rng.randrange(0, 10)}{rng.randrange(0, 1000):03d}"
    return body + ric.calc_check_digit(body + "0")  # calc_check_digit ignores the last character


def xlsx_bytes(headers, rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_xlsx(data: bytes):
    wb = load_workbook(io.BytesIO(data), read_only=True)
    rows = [["" if v is None else v for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return [str(h) for h in rows[0]], rows[1:]


def template_headers(client, base="/unitimport") -> list[str]:
    r = client.get(f"{base}/template")
    assert r.status_code == 200
    headers, rows = read_xlsx(r.get_data())
    assert rows == []
    return headers


def upload(client, data: bytes, base="/unitimport", name="file.xlsx"):
    r = client.post(f"{base}/", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def problems(page: str) -> list[tuple[int, str, str]]:
    found = re.findall(r'<td class="row-no">(\d+)</td><td class="col-name">(.*?)</td><td class="reason">(.*?)</td>', page)
    return [(int(n), html.unescape(c), html.unescape(m)) for n, c, m in found]


def token_of(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)


def error_of(page: str) -> str | None:
    m = re.search(r'class="alert alert-danger import-error"[^>]*>(.*?)</div>', page, re.S)
    return html.unescape(m.group(1).strip()) if m else None


def good_count(page: str) -> int:
    m = re.search(r'class="label label-success import-good">\D*(\d+)', page)
    return int(m.group(1))


def labels(app, view_path: str) -> dict[str, str]:
    module, cls = view_path.rsplit(".", 1)
    view = getattr(__import__(module, fromlist=[cls]), cls)
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        return {k: str(v) for k, v in view.label_columns.items()}


def station_grids(app):
    """Codes of: two basic grids of the station's township, one of its villages, a basic grid elsewhere."""
    from sqlalchemy import select

    from portal.grid.models import Grid

    with sysdb(app) as s:
        town = s.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().first()
        inside = s.execute(
            select(Grid).where(Grid.level == 4, Grid.path.like(town.path + "%")).order_by(Grid.path)
        ).scalars().all()
        village = s.execute(select(Grid).where(Grid.level == 3, Grid.path.like(town.path + "%"))).scalars().first()
        from portal.ledger.models import Unit

        # Elsewhere, and a demo grid (with a code and units): other tests add bare grids.
        outside = s.execute(
            select(Grid).where(Grid.level == 4, ~Grid.path.like(town.path + "%"), Grid.code.is_not(None),
                               Grid.id.in_(select(Unit.grid_id)))
            .order_by(Grid.path)
        ).scalars().first()
        return {
            "a": inside[0].code, "b": inside[-1].code, "village": village.code, "outside": outside.code,
            "a_id": inside[0].id, "b_id": inside[-1].id,
        }


def units_named(app, prefix: str) -> list:
    from portal.ledger.models import Unit

    with sysdb(app) as s:
        rows = s.query(Unit).filter(Unit.name.like(prefix + "%")).order_by(Unit.name).all()
        return [
            {c: getattr(u, c) for c in ("name", "credit_code", "kind", "grid_id", "management_mode", "intake_status",
                                        "sectors", "fire_key", "scale", "employees", "phone", "mode_override")}
            for u in rows
        ]


# -- units -------------------------------------------------------------------------------------------------
def bad_and_good_unit_file(app, client, tag: str):
    """Headers as the template writes them; 3 good rows and one row per rule broken."""
    rng = random.Random(tag)
    g = station_grids(app)
    with sysdb(app) as s:
        from portal.grid.models import Grid
        from portal.ledger.models import Unit

        # A code registered in ANOTHER township: uniqueness is global although the station cannot see the unit.
        taken = (
            s.query(Unit.credit_code).join(Grid, Unit.grid_id == Grid.id)
            .filter(Unit.credit_code.is_not(None), Grid.code == g["outside"]).first()[0]
        )
    headers = template_headers(client)
    lab = labels(app, "portal.ledger.views.UnitView")
    idx = {h: i for i, h in enumerate(headers)}
    good_code, dup_code = credit_code(rng), credit_code(rng)
    bad_check = good_code[:-1] + ("0" if good_code[-1] != "0" else "1")

    def row(**kw):
        r = [""] * len(headers)
        for k, v in kw.items():
            r[idx[lab[k]]] = v
        return r

    rows = [
        row(name=f"{tag}-good-1", credit_code=good_code.lower(), kind="enterprise", scale="small",
            **{"grid.code": g["a"]}, employees=12, phone="0476-1234567", fire_key="否"),  # row 2
        row(name=f"{tag}-good-2", kind=labels_zh(app, "kind", "school"), **{"grid.code": g["a"]}),  # row 3
        row(name=f"{tag}-bad-code", credit_code=bad_check, kind="enterprise", **{"grid.code": g["a"]}),  # row 4
        row(name=f"{tag}-bad-outside", kind="enterprise", **{"grid.code": g["outside"]}),  # row 5
        row(name=f"{tag}-bad-village", kind="enterprise", **{"grid.code": g["village"]}),  # row 6
        row(name=f"{tag}-good-3", credit_code=dup_code, kind="individual", **{"grid.code": g["b"]},
            sectors="mining"),  # row 7
        row(name=f"{tag}-bad-dup", credit_code=dup_code, kind="individual", **{"grid.code": g["b"]}),  # row 8
        row(name=f"{tag}-bad-taken", credit_code=taken, kind="enterprise", **{"grid.code": g["b"]}),  # row 9
        row(name="", kind="enterprise", **{"grid.code": g["b"]}),  # row 10: no name
        row(name=f"{tag}-bad-kind", kind="spaceport", **{"grid.code": g["b"]}, employees=-3),  # row 11: two problems
        row(name=f"{tag}-bad-override", kind="enterprise", **{"grid.code": g["b"]},
            mode_override="key"),  # row 12: override without reason
    ]
    return xlsx_bytes(headers, rows), lab, g, good_code


def labels_zh(app, column, code):
    from portal.ledger.views import UnitView

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        return str(UnitView.value_labels[column][code])


def test_dry_run_lists_every_bad_row_and_writes_nothing(app, login):
    c = login("station")
    tag = "导入测试" + secrets.token_hex(3)
    data, lab, g, _ = bad_and_good_unit_file(app, c, tag)
    page = upload(c, data)
    found = problems(page)
    by_row = {}
    for n, col, msg in found:
        by_row.setdefault(n, []).append((col, msg))
    assert sorted(by_row) == [4, 5, 6, 8, 9, 10, 11, 12]
    from forms.validators import CreditCode

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        from flask_babel import gettext

        bad_code_msg = str(CreditCode.default_message)
        not_basic_msg = gettext("Choose a basic grid (level 4): units belong to exactly one basic grid")
    assert by_row[4] == [(lab["credit_code"], bad_code_msg)]
    assert by_row[5][0][0] == lab["grid.code"] and g["outside"] in by_row[5][0][1]
    assert by_row[6] == [(lab["grid.code"], not_basic_msg)]
    assert by_row[8][0][0] == lab["credit_code"] and "7" in by_row[8][0][1]  # same value as row 7
    assert by_row[9][0][0] == lab["credit_code"]
    assert by_row[10] == [(lab["name"], by_row[10][0][1])]
    assert {col for col, _ in by_row[11]} == {lab["kind"], lab["employees"]}
    assert by_row[12][0][0] == lab["mode_override_reason"]
    assert good_count(page) == 3
    assert units_named(app, tag) == []  # nothing written by the dry run


def test_import_all_refused_then_good_rows_only(app, login):
    c = login("station")
    tag = "导入测试" + secrets.token_hex(3)
    data, lab, g, good_code = bad_and_good_unit_file(app, c, tag)
    page = upload(c, data)
    token = token_of(page)
    refused = c.post("/unitimport/confirm", data={"token": token, "mode": "all"})
    assert refused.status_code == 200
    assert error_of(refused.get_data(as_text=True))
    assert units_named(app, tag) == []
    # A stale or forged token is refused too.
    assert error_of(c.post("/unitimport/confirm", data={"token": "0" * 32, "mode": "good"}).get_data(as_text=True))
    r = c.post("/unitimport/confirm", data={"token": token, "mode": "good"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/unitview/list/")
    written = units_named(app, tag)
    assert [u["name"] for u in written] == [f"{tag}-good-1", f"{tag}-good-2", f"{tag}-good-3"]
    one, school, three = written
    assert one["credit_code"] == good_code  # normalised to upper case
    assert one["grid_id"] == g["a_id"] and one["scale"] == "small" and one["employees"] == 12
    assert one["management_mode"] == "key"  # small enterprise: rules.apply_mode
    assert school["kind"] == "school" and school["management_mode"] == "key"
    assert three["sectors"] == ",mining," and three["management_mode"] == "key"
    assert {u["intake_status"] for u in written} == {"draft"}
    # The token is spent: confirming again writes nothing more.
    again = c.post("/unitimport/confirm", data={"token": token, "mode": "good"})
    assert error_of(again.get_data(as_text=True)) and len(units_named(app, tag)) == 3


def test_import_all_when_every_row_is_good(app, login):
    c = login("worker")  # grid workers may import units into their own basic grid
    from portal.grid.models import Grid
    from portal.security.models import UserProfile

    with sysdb(app) as s:
        from flask_appbuilder.security.sqla.models import User

        uid = s.query(User.id).filter(User.username == "worker").scalar()
        code = s.get(Grid, s.query(UserProfile.grid_id).filter(UserProfile.user_id == uid).scalar()).code
    tag = "导入测试" + secrets.token_hex(3)
    # Headers by field name are accepted too; blank rows are skipped.
    data = xlsx_bytes(["name", "kind", "grid.code", "fire_key"], [
        [f"{tag}-1", "individual", code, "是"], [None, None, None, None], [f"{tag}-2", "market", int(code), "No"],
    ])
    page = upload(c, data)
    assert problems(page) == [] and good_count(page) == 2
    r = c.post("/unitimport/confirm", data={"token": token_of(page), "mode": "all"})
    assert r.status_code == 302
    written = units_named(app, tag)
    assert [(u["kind"], u["fire_key"], u["management_mode"]) for u in written] == [
        ("individual", True, "key"), ("market", False, "key"),
    ]


def test_garbage_uploads_answer_200_with_a_message(app, login):
    c = login("station")
    for data, name in [
        (b"garbage", "garbage.xlsx"),
        (b"", "empty.xlsx"),
        (b"name,kind\nx,enterprise\n", "units.csv"),
        (b"PK\x03\x04 broken zip", "broken.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, "old.xls"),
    ]:
        page = upload(c, data, name=name)
        assert error_of(page), name
        assert "import-problems" not in page
    # A workbook whose header row lacks required columns.
    page = upload(c, xlsx_bytes(["whatever", "else"], [["a", "b"]]))
    msg = error_of(page)
    assert msg and labels(app, "portal.ledger.views.UnitView")["name"] in msg
    # No file chosen.
    r = c.post("/unitimport/", data={}, content_type="multipart/form-data")
    assert r.status_code == 200 and error_of(r.get_data(as_text=True))


def test_too_large_upload_answers_with_a_message(app, login):
    c = login("station")
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 2048
    try:
        page = upload(c, b"x" * 5000, name="big.xlsx")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert error_of(page)


def test_mongolian_interface_matches_mongolian_headers(app, login):
    """Headers are matched in the user's language: a Mongolian user's template comes back in."""
    c = login("station")
    g = station_grids(app)
    headers = read_xlsx(c.get("/unitimport/template?_l_=mn_Mong_CN").get_data())[0]
    tag = "蒙文表头" + secrets.token_hex(3)
    row = [""] * len(headers)
    row[0], row[2] = f"{tag}-1", "enterprise"
    row[headers.index(labels_in(app, "mn_Mong_CN")["grid.code"])] = g["a"]
    r = c.post("/unitimport/?_l_=mn_Mong_CN", data={"file": (io.BytesIO(xlsx_bytes(headers, [row])), "mn.xlsx")},
               content_type="multipart/form-data")
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'lang="mn-Mong-CN"' in page
    assert problems(page) == [] and good_count(page) == 1


def labels_in(app, locale):
    from flask_babel import force_locale

    from portal.ledger.views import UnitView

    with app.test_request_context(), force_locale(locale):
        return {k: str(v) for k, v in UnitView.label_columns.items()}


def test_permissions(app, login):
    assert login("dept").get("/unitimport/").status_code == 403
    assert login("worker").get("/personimport/").status_code == 403
    assert login("worker").get("/unitimport/").status_code == 200
    for user in ("office", "station", "head"):
        c = login(user)
        assert c.get("/unitimport/").status_code == 200
        assert c.get("/personimport/").status_code == 200
    # The list pages show the import button.
    assert "/unitimport/" in login("station").get("/unitview/list/").get_data(as_text=True)
    assert "/personimport/" in login("station").get("/personview/list/").get_data(as_text=True)
    assert "/personimport/" not in login("worker").get("/personview/list/").get_data(as_text=True)


def test_template_headers_are_the_export_labels(app, login):
    c = login("station")
    lab = labels(app, "portal.ledger.views.UnitView")
    headers = template_headers(c)
    assert headers[0] == lab["name"] and lab["grid.code"] in headers and lab["credit_code"] in headers
    export_headers = read_xlsx(c.get("/unitview/export/?_flt_3_kind=school").get_data())[0]
    importable = set(headers)
    # Every exported column that can be imported has the same header in both files.
    assert {lab[c] for c in ("name", "credit_code", "kind", "scale", "sectors", "fire_key", "grid.code")} <= importable & set(export_headers)


# -- round trip ---------------------------------------------------------------------------------------------
def test_round_trip_export_import_into_another_grid(app, login):
    """Export some units, import the file into another basic grid: every cell but the grid comes back."""
    import datetime as dt

    from portal.ledger.models import Unit
    from portal.ledger.rules import derived_mode
    from portal.ledger.views import UnitView

    rng = random.Random(7)
    tag = "往返" + secrets.token_hex(3)
    g = station_grids(app)
    specs = [
        dict(kind="enterprise", scale="medium", sectors=["dust_explosion", "confined_space"], fire_key=True,
             credit_code=credit_code(rng), industry_code="C26", phone="13912345678", employees=120),
        dict(kind="individual", scale=None, sectors=[], fire_key=False, credit_code=None, industry_code="F52",
             phone="0476-7654321", employees=2),
        dict(kind="school", scale=None, sectors=["crowded_place"], fire_key=False, credit_code=credit_code(rng, "12"),
             industry_code="P83", phone=None, employees=None),
    ]
    with sysdb(app) as s:
        for i, spec in enumerate(specs):
            sectors = spec.pop("sectors")
            u = Unit(name=f"{tag}-{i}", grid_id=g["a_id"], address=f"示例路{i}号", legal_rep="王海",
                     safety_contact="李梅", last_verified=dt.date(2026, 10, i + 1), **spec)
            u.sector_list = sectors
            u.management_mode = derived_mode(u)
            s.add(u)
        s.commit()
    c = login("station")
    flt = f"_flt_0_name={tag}"
    headers, rows = read_xlsx(c.get(f"/unitview/export/?{flt}").get_data())
    assert len(rows) == 3
    col = {name: i for i, name in enumerate(UnitView.export_columns)}
    # Move to grid B: change the grid code cells, free the credit codes by removing the originals.
    moved = [list(r) for r in rows]
    for r in moved:
        r[col["grid.code"]] = g["b"]
    page = upload(c, xlsx_bytes(headers, moved))
    assert {p[0] for p in problems(page)} == {2, 4}  # the two credit codes are still registered
    with sysdb(app) as s:
        s.query(Unit).filter(Unit.name.like(tag + "%")).delete(synchronize_session=False)
        s.commit()
    page = upload(c, xlsx_bytes(headers, moved))
    assert problems(page) == [] and good_count(page) == 3
    assert "import-ignored" in page  # grid name, management mode, intake status are not imported
    assert c.post("/unitimport/confirm", data={"token": token_of(page), "mode": "all"}).status_code == 302
    headers2, rows2 = read_xlsx(c.get(f"/unitview/export/?{flt}").get_data())
    assert headers2 == headers
    assert all(u["grid_id"] == g["b_id"] for u in units_named(app, tag))
    # Same cells, except the grid (moved on purpose) and the intake status (imports start as drafts).
    skip = {col["grid"], col["grid.code"], col["intake_status"]}
    for before, after in zip(rows, rows2):
        assert [v for i, v in enumerate(before) if i not in skip] == [v for i, v in enumerate(after) if i not in skip]
        assert after[col["grid.code"]] == g["b"]


# -- people -------------------------------------------------------------------------------------------------
def test_person_import_normalises_identifiers_and_checks_them(app, login):
    from portal.grid.models import Person

    c = login("station")
    rng = random.Random(secrets.token_hex(4))
    tag = "人员" + secrets.token_hex(3)
    g = station_grids(app)
    headers = template_headers(c, "/personimport")
    lab = labels(app, "portal.grid.views.PersonView")
    idx = {h: i for i, h in enumerate(headers)}
    gi = next(i for i, h in enumerate(headers) if h not in set(lab.values()))  # "Grid code" is the import's own
    while True:
        rid = resident_id(rng)
        if rid.endswith("X"):
            break
    other = resident_id(rng)

    def row(grid=g["a"], **kw):
        r = [""] * len(headers)
        for k, v in kw.items():
            r[idx[lab[k]]] = v
        r[gi] = grid
        return r

    data = xlsx_bytes(headers, [
        row(name_zh=f"{tag}甲", id_number=rid.lower(), mobile="+86 138 0000 1111", role="grid_worker",
            gender="male", lives_in_grid="是"),  # row 2: good
        row(name_zh=f"{tag}乙", id_number=other[:-1] + ("0" if other[-1] != "0" else "1"), role="grid_worker"),  # row 3
        row(name_zh=f"{tag}丙", mobile="12345", role="grid_worker"),  # row 4: bad mobile
        row(name_zh=f"{tag}丁", role="grid_worker", grid=g["outside"]),  # row 5: outside scope
        row(name_zh=f"{tag}戊", role="grid_head", grid=g["village"], id_number=other),  # row 6: good (village head)
        row(name_zh=f"{tag}己", role="grid_worker", id_number=other),  # row 7: duplicate ID in the file
    ])
    page = upload(c, data, base="/personimport")
    found = problems(page)
    assert sorted({n for n, _, _ in found}) == [3, 4, 5, 7]
    cols = {n: col for n, col, _ in found}
    assert cols[3] == lab["id_number"] and cols[4] == lab["mobile"] and cols[7] == lab["id_number"]
    assert good_count(page) == 2
    r = c.post("/personimport/confirm", data={"token": token_of(page), "mode": "good"})
    assert r.status_code == 302
    with sysdb(app) as s:
        people = s.query(Person).filter(Person.name_zh.like(tag + "%")).order_by(Person.id).all()
        got = [(p.name_zh, p.id_number, p.mobile, p.role, p.lives_in_grid, p.gender) for p in people]
    assert got == [
        (f"{tag}甲", rid, "13800001111", "grid_worker", True, "male"),
        (f"{tag}戊", other, None, "grid_head", False, None),
    ]
