"""Choosing the language: Accept-Language on a first visit, /lang/<code> on every page (login
included), the choice kept in the user's profile; FAB's JavaScript texts; explicit date patterns."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

MN_LANG = 'lang="mn-Mong-CN"'


def _html_lang(html: str) -> str:
    return re.search(r"<html lang=\"([^\"]+)\"", html).group(1)


@pytest.mark.parametrize("header, expected", [
    ("mn", "mn-Mong-CN"),
    ("mn-Mong", "mn-Mong-CN"),
    ("mn-CN", "mn-Mong-CN"),
    ("mn-Mong-CN,zh;q=0.8", "mn-Mong-CN"),
    ("zh-CN,zh;q=0.9,en;q=0.5", "zh-Hans"),
    ("en-US,mn;q=0.9,zh;q=0.5", "mn-Mong-CN"),
    ("en-US", "zh-Hans"),
    ("", "zh-Hans"),
])
def test_first_visit_follows_accept_language(app, header, expected):
    client = app.test_client()
    r = client.get("/login/", headers={"Accept-Language": header} if header else {})
    assert r.status_code == 200
    assert _html_lang(r.get_data(as_text=True)) == expected


def test_login_page_is_mongolian_and_has_the_language_switch(app):
    client = app.test_client()
    r = client.get("/lang/mn_Mong_CN", headers={"Referer": "/login/"})
    assert r.status_code == 302
    html = client.get("/login/").get_data(as_text=True)
    assert _html_lang(html) == "mn-Mong-CN"
    assert "ᠨᠡᠪᠲᠡᠷᠡᠬᠦ" in html  # Login
    assert 'href="/lang/zh"' in html and "中文" in html  # the way back, as text
    assert "flags/" not in re.sub(r"<link[^>]*>", "", html)  # no flag pictures


def test_unknown_language_code_is_refused(app):
    assert app.test_client().get("/lang/mn").status_code == 404  # bare mn is Cyrillic Mongolian


@pytest.fixture()
def fresh_user(app):
    """A throwaway grid worker without a profile row, so no shared demo user changes language."""
    from portal.extensions import appbuilder, db
    from portal.security.scope import system_scope

    name = f"i18n_{uuid.uuid4().hex[:8]}"
    with app.app_context(), system_scope("i18n test user"):
        user = appbuilder.sm.add_user(name, name, "test", f"{name}@example.invalid",
                                      appbuilder.sm.find_role("GridWorker"), password="pw-i18n-123")
        uid = user.id
        db.session.remove()
    return name, uid


def _profile_locale(app, uid):
    from portal.extensions import db
    from portal.security.models import UserProfile
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("i18n test read"):
        profile = db.session.get(UserProfile, uid)
        locale = profile.locale if profile else None
        db.session.remove()
        return profile is not None, locale


def test_choice_is_saved_in_the_profile_and_used_at_next_login(app, login, fresh_user):
    name, uid = fresh_user
    assert _profile_locale(app, uid) == (False, None)
    client = login(name, "pw-i18n-123")
    assert client.get("/lang/mn_Mong_CN").status_code == 302
    assert _profile_locale(app, uid) == (True, "mn_Mong_CN")  # profile row created
    # A new browser (no session) with a Chinese Accept-Language: the saved choice wins.
    other = login(name, "pw-i18n-123")
    html = other.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert _html_lang(html) == "mn-Mong-CN"
    assert other.get("/lang/zh").status_code == 302
    assert _profile_locale(app, uid) == (True, "zh")


def test_anonymous_choice_touches_no_profile(app, fresh_user):
    name, uid = fresh_user
    assert app.test_client().get("/lang/mn_Mong_CN").status_code == 302
    assert _profile_locale(app, uid) == (False, None)


def test_fab_javascript_texts_are_served_translated_and_locally(login):
    client = login("admin")
    with client.session_transaction() as s:
        s["locale"] = "mn_Mong_CN"
    html = client.get("/unitview/add").get_data(as_text=True)
    m = re.search(r"window\.ANWANG_I18N = (\{.*?\});</script>", html, re.S)
    assert m, "the JS texts block is missing"
    import json

    texts = json.loads(m.group(1))
    assert texts["placeholders"]["Select a State"] == "ᠰᠣᠩᠭᠤᠭᠠᠷᠠᠢ"
    assert texts["datepicker"]["days"][1] == "ᠭᠠᠷᠠᠭ\u202fᠤᠨ ᠨᠢᠭᠡᠨ"
    assert texts["select2"]["noResults"].startswith("ᠦᠷ")
    # Loaded before ab.js, and nothing from another host.
    assert html.index("anwang-i18n.js") < html.index("js/ab.js")
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    js = client.get("/static/js/anwang-i18n.js")
    assert js.status_code == 200 and b"select2" in js.data and b"datepicker" in js.data


def test_dates_use_an_explicit_pattern(app):
    from flask_babel import force_locale

    from portal.i18n import format_day

    with app.test_request_context():
        with force_locale("mn_Mong_CN"):
            assert format_day(dt.date(2024, 3, 9)) == "2024-03-09"  # never CLDR's "M03"
        assert format_day(None) == ""
