"""Public tip-off page: filing, tracking code + PIN, the PIN limit, photo checks (R13, R14)."""
from __future__ import annotations

import datetime as dt
import io
import os
import re

os.environ.setdefault("PORTAL_SEAL_KEY", "x1Pq0m2vXb8f0yJkz6s9y7n3l0cQe0l1R6c4VbGmZ2s=")

import contextlib  # noqa: E402

from PIL import Image  # noqa: E402


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


def _png(size=(40, 30), color=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, "PNG")
    return buf.getvalue()


def file_tip(client, what="路边有人非法储存烟花爆竹", **extra):
    data = {"what": what, "where_text": "示例村东口", "identity": "anonymous"}
    data.update(extra)
    r = client.post("/tipoff/", data=data, content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    html = r.get_data(as_text=True)
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    pin = re.search(r'id="pin">([^<]+)<', html).group(1)
    return code, pin, r


class Row:
    pass


def tip_by_code(app, code):
    """A plain snapshot of the stored tip-off (columns and photos)."""
    from portal.reward.models import TipOff

    with sysdb(app) as s:
        tip = s.query(TipOff).filter_by(tracking_code=code.replace("-", "")).one()
        row = Row()
        for col in TipOff.__table__.columns.keys():
            setattr(row, col, getattr(tip, col))
        row.photos = [(p.stored_name, p.content_type) for p in tip.photos]
        return row


def test_public_form_renders_in_both_languages_without_login(app):
    c = app.test_client()
    r = c.get("/tipoff/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'lang="zh-Hans"' in html and "width=device-width" in html
    assert "ᠵᠢᠭᠠᠨ ᠮᠡᠳᠡᠭᠦᠯᠬᠦ" in html  # the Mongolian header is always there, first
    r = c.get("/tipoff/?_l_=mn_Mong_CN")
    assert 'lang="mn-Mong-CN"' in r.get_data(as_text=True)
    # No resource from another host.
    assert not re.search(r'(src|href)="(https?:)?//', r.get_data(as_text=True))


def test_anonymous_tipoff_gets_code_and_pin_and_status(app):
    c = app.test_client()
    code, pin, r = file_tip(c, what="非法开采：夜间有卡车拉矿石")
    assert r.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}", code)
    assert re.fullmatch(r"\d{8}", pin)
    tip = tip_by_code(app, code)
    assert tip.status == "submitted" and tip.anonymous and tip.reporter_name_enc is None
    assert pin not in tip.pin_hash and tip.pin_hash.startswith(("scrypt:", "pbkdf2:"))
    r = c.post("/tipoff/status", data={"code": code.lower().replace("-", " "), "pin": pin})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="tip-status"' in html
    status = re.search(r'id="tip-status">([^<]+)<', html).group(1)
    assert status in ("Submitted", "已提交")
    assert 'id="reward-status"' in html


def test_pin_brute_force_is_blocked_per_tracking_code(app):
    from portal.reward.models import TipOff

    c = app.test_client()
    code, pin, _ = file_tip(c, what="暴力破解测试")
    for i in range(4):
        r = c.post("/tipoff/status", data={"code": code, "pin": "00000000"})
        assert r.status_code == 400 and 'id="tip-status"' not in r.get_data(as_text=True)
    r = c.post("/tipoff/status", data={"code": code, "pin": "11111111"})  # 5th wrong: locks
    assert "15" in r.get_data(as_text=True)
    # Now even the right PIN is refused, from another client (another worker would read the same row).
    r = app.test_client().post("/tipoff/status", data={"code": code, "pin": pin})
    assert 'id="tip-status"' not in r.get_data(as_text=True)
    tip = tip_by_code(app, code)
    assert tip.pin_locked_until is not None
    # After the cooldown the right PIN works again.
    with sysdb(app) as s:
        s.query(TipOff).filter_by(id=tip.id).update({"pin_locked_until": dt.datetime(2000, 1, 1)})
        s.commit()
    r = app.test_client().post("/tipoff/status", data={"code": code, "pin": pin})
    assert 'id="tip-status"' in r.get_data(as_text=True)


def test_unknown_code_and_wrong_pin_look_the_same(app):
    c = app.test_client()
    code, pin, _ = file_tip(c, what="同一提示")
    a = c.post("/tipoff/status", data={"code": "ZZZZZ-ZZZZZ", "pin": "12345678"}).get_data(as_text=True)
    b = c.post("/tipoff/status", data={"code": code, "pin": "12345678"}).get_data(as_text=True)
    msg = re.search(r'role="alert">([^<]+)<', a).group(1)
    assert msg == re.search(r'role="alert">([^<]+)<', b).group(1)


def test_photos_images_only_and_size_limited(app):
    c = app.test_client()
    bad = {"what": "照片测试：不是图片", "where_text": "某地", "identity": "anonymous",
           "photos": (io.BytesIO(b"MZ\x90\x00 this is an exe renamed"), "photo.jpg")}
    r = c.post("/tipoff/", data=bad, content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "photo.jpg" in html and "照片测试：不是图片" in html  # typed text kept
    big = b"\xff\xd8\xff\xe0" + os.urandom(9 * 1024 * 1024)
    r = c.post("/tipoff/", data={"what": "照片测试：太大", "where_text": "某地", "identity": "anonymous",
                                 "photos": (io.BytesIO(big), "big.jpg")}, content_type="multipart/form-data")
    assert r.status_code == 400 and "big.jpg" in r.get_data(as_text=True)
    from portal.reward.models import TipOff

    with sysdb(app) as s:
        assert s.query(TipOff).filter(TipOff.what.like("照片测试%")).count() == 0  # nothing half-written
    exif_png = _png()
    code, pin, _ = file_tip(c, what="照片测试：正常", photos=(io.BytesIO(exif_png), "ok.png"))
    tip = tip_by_code(app, code)
    assert len(tip.photos) == 1 and tip.photos[0][1] == "image/jpeg"
    from portal.reward.photos import path_of

    with app.app_context():
        with open(path_of(tip.photos[0][0]), "rb") as fh:
            assert fh.read(3) == b"\xff\xd8\xff"


def test_named_report_needs_name_and_phone(app):
    c = app.test_client()
    r = c.post("/tipoff/", data={"what": "实名举报缺电话", "where_text": "某地", "identity": "named", "reporter_name": "张三"},
               content_type="multipart/form-data")
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "张三" in html and "实名举报缺电话" in html
    r = c.post("/tipoff/", data={"what": "缺地点", "identity": "anonymous"}, content_type="multipart/form-data")
    assert r.status_code == 400


def test_public_grid_search(app):
    c = app.test_client()
    r = c.get("/tipoff/grids?q=示例")
    assert r.status_code == 200 and r.json["results"]
    gid = r.json["results"][0]["id"]
    code, pin, _ = file_tip(c, what="按网格选择地点", grid_id=str(gid), where_text="")
    r = c.post("/tipoff/", data={"what": "未知网格", "grid_id": "999999", "identity": "anonymous"},
               content_type="multipart/form-data")
    assert r.status_code == 400


def test_grid_worker_files_inside_portal(app, login):
    c = login("worker")
    r = c.get("/tipoffs/file/")
    assert r.status_code == 200
    r = c.post("/tipoffs/file/", data={"what": "网格员上报：加油站无证经营", "identity": "anonymous",
                                       "grid_id": r.get_data(as_text=True).split('name="grid_id" value="')[1].split('"')[0]},
               content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'id="pin"' in html
    code = re.search(r'id="tracking-code">([^<]+)<', html).group(1)
    assert tip_by_code(app, code).channel == "portal"
