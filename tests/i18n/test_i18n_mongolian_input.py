"""Mongolian text typed into the portal: Menksoft private-use text is refused with a message in the
user's language (form kept), an ordinary space before a case suffix is saved with a warning."""
from __future__ import annotations

import uuid

from sqlalchemy import select


def _basic_grid_id(system_ctx):
    from portal.grid.models import Grid

    with system_ctx() as s:
        return s.execute(select(Grid.id).where(Grid.level == 4).order_by(Grid.path)).scalars().first()


def _person_form(name_zh, name_mn, grid_id):
    return {"name_zh": name_zh, "name_mn": name_mn, "role": "grid_worker", "status": "active",
            "grid": str(grid_id), "gender": "", "ethnicity": "", "mobile": "", "village_post": "",
            "lives_in_grid": "y", "kit_issued": "y"}


def test_menksoft_text_is_refused_in_the_form(login, system_ctx):
    from portal.grid.models import Person

    client = login("admin")
    with client.session_transaction() as s:
        s["locale"] = "mn_Mong_CN"
    name_zh = f"蒙科立测试{uuid.uuid4().hex[:6]}"
    r = client.post("/personview/add", data=_person_form(name_zh, "\ue234\ue2a1\ue301", _basic_grid_id(system_ctx)))
    html = r.get_data(as_text=True)
    assert r.status_code == 200  # the form again, not a redirect
    assert "ᠮᠧᠩᠺᠰᠣᠹᠲ" in html  # the refusal, in Mongolian
    assert name_zh in html  # what was typed is kept
    with system_ctx() as s:
        assert s.execute(select(Person).where(Person.name_zh == name_zh)).first() is None


def test_space_before_case_suffix_warns_on_save(login, system_ctx):
    from portal.grid.models import Person

    client = login("admin")
    with client.session_transaction() as s:
        s["locale"] = "zh"
    name_zh = f"格词缀测试{uuid.uuid4().hex[:6]}"
    spaced = "ᠲᠣᠷ ᠤᠨ ᠠᠵᠢᠯᠲᠠᠨ"  # U+0020 before the genitive suffix
    r = client.post("/personview/add", data=_person_form(name_zh, spaced, _basic_grid_id(system_ctx)),
                    follow_redirects=True)
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "格词缀" in html and "U+202F" in html  # the warning, in the user's language
    with system_ctx() as s:
        saved = s.execute(select(Person).where(Person.name_zh == name_zh)).scalars().one()
        assert saved.name_mn == spaced  # saved as typed: a warning, not a refusal
    # Correct text: no warning.
    name_zh2 = name_zh + "b"
    r = client.post("/personview/add", data=_person_form(name_zh2, "ᠲᠣᠷ\u202fᠤᠨ ᠠᠵᠢᠯᠲᠠᠨ", _basic_grid_id(system_ctx)),
                    follow_redirects=True)
    assert "U+202F" not in r.get_data(as_text=True)
