"""Factories for survey tests: a published questionnaire and a campaign over chosen grids."""
from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

_seq = itertools.count(1)

KNOWLEDGE_SCHEMA = {
    "key": "t_awareness",
    "version": 1,
    "title": {"zh": "测试问卷", "mn": "ᠰᠢᠯᠭᠠᠯᠲᠠ"},
    "fields": [
        {"key": "knows_worker", "type": "yes_no", "required": True,
         "label": {"zh": "认识网格员吗", "mn": "ᠲᠣᠷ ᠤᠨ ᠠᠵᠢᠯᠲᠠᠨ"}},
        {"key": "q_reward", "type": "yes_no", "required": True, "correct": True,
         "label": {"zh": "举报有奖励吗", "mn": "ᠱᠠᠩᠨᠠᠯ"}},
        {"key": "q_report", "type": "single_choice", "required": True, "correct": "worker",
         "label": {"zh": "向谁报告隐患", "mn": "ᠮᠡᠳᠡᠭᠦᠯᠬᠦ"},
         "choices": [{"value": "worker", "label": {"zh": "网格员", "mn": "ᠠᠵᠢᠯᠲᠠᠨ"}},
                     {"value": "nobody", "label": {"zh": "不报告", "mn": "ᠦᠭᠡᠢ"}}]},
        {"key": "q_ways", "type": "multi_choice", "required": False,
         "label": {"zh": "了解渠道", "mn": "ᠵᠠᠮ"},
         "choices": [{"value": "board", "label": {"zh": "公示牌", "mn": "ᠬᠠᠪᠲᠠᠰᠤ"}},
                     {"value": "visit", "label": {"zh": "走访", "mn": "ᠠᠶᠢᠯᠴᠢᠯᠠᠯ"}}]},
        {"key": "note", "type": "text", "required": False, "label": {"zh": "建议", "mn": "ᠰᠠᠨᠠᠯ"}},
    ],
}


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}x{id(object()) % 100000}"


@pytest.fixture()
def make_campaign(app):
    """make_campaign(grids=[...], start=..., end=..., schema=...) -> (campaign_id, slug, version_id)."""
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import Campaign
    from surveys.versions import get_or_create_definition, publish, save_schema

    def make(grids=(), start=None, end=None, schema=None, active=True):
        schema = dict(schema or KNOWLEDGE_SCHEMA)
        key = unique("t_form_").replace("x", "_")
        schema["key"] = key
        today = dt.date.today()
        with app.app_context(), system_scope("test campaign"):
            d = get_or_create_definition(db.session, key, "测试问卷", "ᠰᠢᠯᠭᠠᠯᠲᠠ")
            v = publish(db.session, save_schema(db.session, d, schema))
            from portal.grid.models import Grid

            slug = unique("t-camp-")
            c = Campaign(title_zh="测试调查", title_mn="ᠰᠤᠳᠤᠯᠭ᠎ᠠ", slug=slug, form_version=v,
                         start_date=start or today - dt.timedelta(days=1), end_date=end or today + dt.timedelta(days=30),
                         active=active)
            c.target_grids = [db.session.get(Grid, g) for g in grids]
            db.session.add(c)
            db.session.commit()
            out = (c.id, slug, v.id)
            db.session.remove()
        return out

    return make


def form_fields(html: str) -> dict:
    """Hidden inputs of a rendered questionnaire."""
    out = {}
    for name in ("schema_hash", "schema_version", "idempotency_key", "form_token", "csrf_token"):
        m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', html)
        if m:
            out[name] = m.group(1)
    return out


GOOD = {"knows_worker": "yes", "q_reward": "yes", "q_report": "worker", "q_ways": ["board"], "note": "好"}


@pytest.fixture()
def answer(app):
    """answer(client, slug, data=GOOD, grid=None) -> POST response after a GET of the page."""

    def post(client, slug, data=None, grid=None, lang=None, **override):
        q = []
        if grid:
            q.append(f"grid={grid}")
        if lang:
            q.append(f"_l_={lang}")
        url = f"/survey/{slug}/" + ("?" + "&".join(q) if q else "")
        page = client.get(url)
        assert page.status_code == 200, page.status_code
        fields = form_fields(page.get_data(as_text=True))
        payload = dict(fields)
        payload.update(GOOD if data is None else data)
        payload.update(override)
        return client.post(url, data=payload)

    return post


@pytest.fixture()
def grids(app):
    """Demo grid ids: {"town": id, "village": id, "basic": [ids], "other_basic": id} around the station's township."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.grid.models import Grid
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test grids"):
        towns = db.session.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().all()
        town = towns[0]
        village = db.session.execute(select(Grid).where(Grid.level == 3, Grid.path.like(town.path + "%"))
                                     .order_by(Grid.path)).scalars().first()
        basics = db.session.execute(select(Grid).where(Grid.level == 4, Grid.path.like(village.path + "%"))
                                    .order_by(Grid.path)).scalars().all()
        other = db.session.execute(select(Grid).where(Grid.level == 4, ~Grid.path.like(town.path + "%"))
                                   .order_by(Grid.path)).scalars().first()
        out = {"town": town.id, "village": village.id, "basic": [b.id for b in basics], "other_basic": other.id,
               "codes": {g.id: g.code for g in [town, village, *basics, other]},
               "banner": int(town.path.strip("/").split("/")[0]), "other_town": int(other.path.strip("/").split("/")[1])}
        db.session.remove()
    return out
