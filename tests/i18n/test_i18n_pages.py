"""PAGE WALK: every page reachable from the menu (plus add/show/edit of every model view, the user's
own page, the login page and any public page), fetched in Mongolian and in Chinese.

Pages are discovered from the running app (tests/i18n/walk.py), so pages that other wings add are
walked too. User data is left out of the check (tests/i18n/pagetext.py)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.i18n.pagetext import collect_db_strings, cyrillic, latin_words, mongolian_share, page_text, private_use
from tests.i18n.walk import discover

ROOT = Path(__file__).resolve().parents[2]
# Latin words the interface may show: a file format named in a button, protocol names in FAB's
# user form help text.
LATIN_ALLOWED = {"Excel", "LDAP", "OID"}
MIN_MONGOLIAN_SHARE = 0.80


def _fab_words() -> set[str]:
    with open(ROOT / "translations" / "fab" / "fab.pot", "rb") as fh:
        words = set()
        for m in read_po(fh):
            if m.id:
                words.update(w for w in re.findall(r"[A-Za-z]{2,}", m.id if isinstance(m.id, str) else m.id[0]))
    return words - LATIN_ALLOWED


@pytest.fixture(scope="module")
def walk(app):
    import flask_appbuilder

    from portal.extensions import db
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("i18n page walk: DB strings"):
        dbs = collect_db_strings(db.session, flask_appbuilder.Model.metadata)
        db.session.remove()
    return discover(app), dbs


def _check(html: str, locale: str, dbs, fab_words) -> list[str]:
    problems = []
    page_lang = "mn-Mong" if locale.startswith("mn") else "zh"
    lang, text = page_text(html, page_lang)
    text = dbs.strip(text)
    if not (lang or "").startswith(page_lang):
        problems.append(f"<html lang={lang!r}>")
    # FAB's /lang/<code>, or a public blueprint's own switch (/tipoff/lang/<code> returns to the same
    # public page, which FAB's cannot do for anonymous visitors).
    if not re.search(r'href="[^"]*/lang/(zh|mn_Mong_CN)\b', html):
        problems.append("no language switch")
    words = latin_words(text)
    english = sorted({w for w in words if w not in LATIN_ALLOWED})
    if english:
        problems.append(f"English: {english[:15]}")
    from_fab = sorted({w for w in words if w in fab_words})
    if from_fab:
        problems.append(f"FAB's English: {from_fab[:15]}")
    if cyrillic(text):
        problems.append(f"Cyrillic: {''.join(cyrillic(text))[:20]}")
    if private_use(text):
        problems.append("private-use characters")
    if locale.startswith("mn"):
        share = mongolian_share(text)
        if share < MIN_MONGOLIAN_SHARE:
            problems.append(f"Mongolian letters {share:.0%}: {text[:300]!r}")
    if re.search(r"(src|href)=\"(https?:)?//", html):
        problems.append("loads from another host")
    return problems


@pytest.mark.parametrize("locale", ["mn_Mong_CN", "zh"])
def test_page_walk(login, walk, locale):
    pages, dbs = walk
    assert len(pages["menu"]) >= 8 and len(pages["crud"]) >= 8  # the discovery itself works
    fab_words = _fab_words()
    client = login("admin")
    with client.session_transaction() as s:
        s["locale"] = locale
    failures, checked = {}, 0
    for url in pages["menu"] + pages["crud"] + pages["extra"]:
        r = client.get(url)
        if r.status_code != 200:
            failures[url] = [f"HTTP {r.status_code}"]
            continue
        if "text/html" not in r.content_type:
            continue
        checked += 1
        problems = _check(r.get_data(as_text=True), locale, dbs, fab_words)
        if problems:
            failures[url] = problems
    assert checked >= 20
    assert not failures, "\n".join(f"{u}: {p}" for u, p in failures.items())


@pytest.mark.parametrize("locale", ["mn_Mong_CN", "zh"])
def test_public_pages_walk(app, walk, locale):
    """Every argument-less GET route an anonymous visitor gets a page from (the login page at least)."""
    pages, dbs = walk
    fab_words = _fab_words()
    client = app.test_client()
    with client.session_transaction() as s:
        s["locale"] = locale
    failures, public = {}, []
    for url in pages["public_candidates"]:
        r = client.get(url)
        if r.status_code != 200 or "text/html" not in r.content_type:
            continue
        public.append(url)
        problems = _check(r.get_data(as_text=True), locale, dbs, fab_words)
        if problems:
            failures[url] = problems
    assert "/login/" in public
    assert not failures, "\n".join(f"{u}: {p}" for u, p in failures.items())


def test_the_checks_catch_faults():
    """The walk's extraction and checks on hand-made pages: data is ignored, UI faults are not."""
    from tests.i18n.pagetext import DbStrings

    dbs = DbStrings(["敖汉旗新惠镇", "Zhang"])
    fab = _fab_words()
    head = '<html lang="mn-Mong-CN"><head><title>English title</title></head><body><a href="/lang/zh" lang="zh-Hans">中文</a>'
    good = head + ('<h4>ᠲᠣᠷ ᠤᠨ ᠮᠣᠳᠣ</h4><table class="table table-hover"><tr><td>Some data row</td></tr></table>'
                   '<p>ᠠᠶᠤᠯᠭᠦᠢ 敖汉旗新惠镇 Zhang</p><select><option>English option</option></select></body></html>')
    assert _check(good, "mn_Mong_CN", dbs, fab) == []
    bad = head + '<h4>ᠲᠣᠷ</h4><button>Save</button><p>Ошибка</p></body></html>'
    problems = " ".join(_check(bad, "mn_Mong_CN", dbs, fab))
    assert "English" in problems and "FAB's English" in problems and "Cyrillic" in problems
    chinese_ui = head + "<h4>网格管理与人员台账</h4><p>ᠲᠣᠷ</p></body></html>"
    assert "Mongolian letters" in " ".join(_check(chinese_ui, "mn_Mong_CN", dbs, fab))
    no_lang = '<html><body><p>ᠲᠣᠷ</p></body></html>'
    assert any("html lang" in p for p in _check(no_lang, "mn_Mong_CN", dbs, fab))
