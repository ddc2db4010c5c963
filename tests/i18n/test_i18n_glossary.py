"""The glossary: the catalogs use its terms, and admins can read it with each term's status."""
from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from portal.glossary import read_glossary

ROOT = Path(__file__).resolve().parents[2]

# (zh term, msgid): places where the Mongolian legitimately does not contain the glossary term.
EXCEPTIONS = {
    # 新增 ᠨᠡᠮᠡᠬᠦ: in a sentence the verb is conjugated (ᠨᠡᠮᠡᠭᠳᠡᠪᠡ, "was added"); checked by stem below.
    # 登录 in FAB's "Last login"/"Login count" is the noun ᠨᠡᠪᠲᠡᠷᠡᠯᠲᠡ (a login), stem-checked too.
}
# Chinese compounds that contain a glossary term but are translated as a whole.
COMPOUND_EXCEPTIONS = {
    "用户组": "FAB's user groups (unused by the portal: roles are code-defined) are ᠪᠦᠯᠦᠭ, 'group', "
              "in FAB's Mongolian catalog, without ᠬᠡᠷᠡᠭᠯᠡᠭᠴᠢ 'user'",
}


def _norm(s: str) -> str:
    return s.replace("\u202f", " ").replace("\u180e", "")


def _stems(mn: str) -> list[str]:
    """The term, and for a verb in -ᠬᠤ/-ᠬᠦ its stem (conjugated forms share it)."""
    mn = _norm(mn)
    out = [mn]
    for ending in ("ᠬᠤ", "ᠬᠦ"):
        if mn.endswith(ending) and len(mn) > 4:
            out.append(mn[: -len(ending)])
    return out


def _catalog(loc):
    with open(ROOT / "translations" / loc / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id and isinstance(m.id, str)}


def test_catalogs_use_glossary_terms_consistently():
    zh, mn = _catalog("zh"), _catalog("mn_Mong_CN")
    rows = read_glossary()
    assert len(rows) >= 40
    mismatches = []
    for row in rows:
        for msgid, zh_text in zh.items():
            if row["zh"] not in zh_text or (row["zh"], msgid) in EXCEPTIONS:
                continue
            if any(row["zh"] in c and c in zh_text and row["zh"] not in zh_text.replace(c, "")
                   for c in COMPOUND_EXCEPTIONS):
                continue
            # A longer glossary term containing this one decides instead (乡镇 for 乡 and 镇).
            if any(o["zh"] != row["zh"] and row["zh"] in o["zh"] and o["zh"] in zh_text
                   and any(s in _norm(mn[msgid]) for s in _stems(o["mn"])) for o in rows):
                continue
            if not any(s in _norm(mn.get(msgid, "")) for s in _stems(row["mn"])):
                mismatches.append((row["zh"], row["mn"], msgid, zh_text, mn.get(msgid)))
    assert not mismatches, "\n".join(map(str, mismatches))


def test_glossary_rows_have_a_review_status():
    statuses = {r["status"] for r in read_glossary()}
    assert statuses <= {"draft", "reviewed", "approved"}


def test_glossary_page_for_admins(login):
    admin = login("admin")
    with admin.session_transaction() as s:
        s["locale"] = "zh"
    html = admin.get("/glossary/").get_data(as_text=True)
    assert "术语表" in html
    rows = read_glossary()
    assert html.count('class="glossary-status') == len(rows)
    assert 'data-status="draft"' in html
    for row in rows[:5]:
        assert row["zh"] in html and row["mn"] in html
    assert "草稿" in html  # the status is shown in the interface language


def test_glossary_page_not_for_field_staff(login):
    assert login("station").get("/glossary/").status_code in (302, 403)
