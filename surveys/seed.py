"""The standard grid-work awareness questionnaire (网格化管理知晓率调查问卷) and a demo campaign.

Mongolian wording is a machine-assisted draft following translations/glossary.csv (U+202F before
case suffixes); it needs approval by the banner's Mongolian-language office like every term there.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from surveys.models import Campaign, FormVersion
from surveys.versions import get_or_create_definition, publish, save_schema

STANDARD_KEY = "grid_awareness"
N = "\u202f"  # joins a case suffix to its word


def _t(zh, mn):
    return {"zh": zh, "mn": mn}


def _c(value, zh, mn):
    return {"value": value, "label": _t(zh, mn)}


STANDARD_SCHEMA = {
    "key": STANDARD_KEY,
    "version": 1,
    "title": _t("安全生产网格化管理知晓率调查问卷",
                f"ᠠᠶᠤᠯᠭᠦᠢ ᠦᠢᠯᠡᠳᠪᠦᠷᠢᠯᠡᠯ ᠦᠨ ᠲᠣᠷᠴᠢᠯᠠᠭᠰᠠᠨ ᠬᠠᠮᠢᠶᠠᠷᠤᠯ ᠤᠨ ᠮᠡᠳᠡᠯᠭᠡ{N}ᠶᠢᠨ ᠠᠰᠠᠭᠤᠯᠭ᠎ᠠ"),
    "fields": [
        {"key": "knows_worker", "type": "yes_no", "required": True,
         "label": _t("您知道本网格的网格员是谁吗？", f"ᠲᠠ ᠥᠪᠡᠷ{N}ᠦᠨ ᠲᠣᠷ{N}ᠤᠨ ᠠᠵᠢᠯᠲᠠᠨ{N}ᠢ ᠮᠡᠳᠡᠬᠦ ᠦᠦ?")},
        {"key": "worker_visits", "type": "single_choice", "required": False,
         "show_if": {"field": "knows_worker", "equals": True},
         "label": _t("网格员多久到您这里走访一次？", f"ᠲᠣᠷ{N}ᠤᠨ ᠠᠵᠢᠯᠲᠠᠨ ᠬᠡᠳᠦᠢ ᠳᠤᠭᠠᠢ ᠠᠶᠢᠯᠴᠢᠯᠠᠳᠠᠭ ᠪᠤᠢ?"),
         "choices": [
             _c("weekly", "每周", "ᠳᠣᠯᠣᠭ᠎ᠠ ᠬᠣᠨᠣᠭ ᠲᠤᠮ"),
             _c("monthly", "每月", "ᠰᠠᠷ᠎ᠠ ᠪᠦᠷᠢ"),
             _c("rarely", "很少", "ᠮᠠᠰᠢ ᠴᠥᠭᠡᠨ"),
             _c("never", "从未", "ᠬᠡᠵᠢᠶ᠎ᠡ ᠴᠤ ᠦᠭᠡᠢ"),
         ]},
        {"key": "knows_boundary", "type": "single_choice", "required": True,
         "label": _t("您所在的基础网格包括哪些范围？", f"ᠲᠠᠨ{N}ᠤ ᠰᠠᠭᠤᠷᠢ ᠲᠣᠷ ᠶᠠᠮᠠᠷ ᠬᠦᠷᠢᠶ᠎ᠡ{N}ᠶᠢ ᠪᠠᠭᠲᠠᠭᠠᠳᠠᠭ ᠪᠤᠢ?"),
         "correct": "village_area",
         "choices": [
             _c("village_area", "本村（社区）划定的片区，以公示牌为准", f"ᠲᠣᠰᠬᠣᠨ{N}ᠤ ᠲᠣᠭᠲᠠᠭᠠᠭᠰᠠᠨ ᠬᠡᠰᠡᠭ, ᠵᠠᠷᠯᠠᠯ{N}ᠤᠨ ᠬᠠᠪᠲᠠᠰᠤ{N}ᠶᠢ ᠦᠵᠡ"),
             _c("whole_banner", "整个旗", "ᠪᠦᠬᠦ ᠬᠣᠰᠢᠭᠤ"),
             _c("unknown", "不知道", "ᠮᠡᠳᠡᠬᠦ ᠦᠭᠡᠢ"),
         ]},
        {"key": "report_hazard", "type": "single_choice", "required": True,
         "label": _t("发现安全隐患应当怎么做？", f"ᠳᠠᠯᠳᠠ ᠠᠶᠤᠯ{N}ᠢ ᠢᠯᠡᠷᠡᠭᠦᠯᠪᠡᠯ ᠶᠠᠭᠤ ᠬᠢᠬᠦ ᠪᠤᠢ?"),
         "correct": "tell_worker",
         "choices": [
             _c("tell_worker", "告诉网格员，或报告村委会、乡镇安监站",
                f"ᠲᠣᠷ{N}ᠤᠨ ᠠᠵᠢᠯᠲᠠᠨ, ᠲᠣᠰᠬᠣᠨ ᠪᠤᠶᠤ ᠠᠶᠤᠯᠭᠦᠢ{N}ᠶᠢᠨ ᠬᠢᠨᠠᠨ ᠬᠠᠮᠢᠶᠠᠷᠬᠤ ᠥᠷᠲᠡᠭᠡ{N}ᠳᠦ ᠮᠡᠳᠡᠭᠦᠯᠬᠦ"),
             _c("ignore", "与己无关，不用管", "ᠣᠷᠣᠯᠴᠠᠬᠤ ᠦᠭᠡᠢ"),
             _c("unknown", "不知道", "ᠮᠡᠳᠡᠬᠦ ᠦᠭᠡᠢ"),
         ]},
        {"key": "reward", "type": "yes_no", "required": True, "correct": True,
         "label": _t("举报重大隐患或非法生产经营行为，经核实可以获得奖励吗？",
                     f"ᠶᠡᠬᠡ ᠳᠠᠯᠳᠠ ᠠᠶᠤᠯ{N}ᠢ ᠵᠢᠭᠠᠨ ᠮᠡᠳᠡᠭᠦᠯᠬᠦ{N}ᠳᠦ ᠱᠠᠩᠨᠠᠯ ᠪᠠᠶᠢᠬᠤ ᠤᠤ?")},
        {"key": "major_hazard", "type": "single_choice", "required": True,
         "label": _t("什么是重大事故隐患？", f"ᠶᠡᠬᠡ ᠳᠠᠯᠳᠠ ᠠᠶᠤᠯ ᠭᠡᠳᠡᠭ ᠶᠠᠭᠤ ᠪᠤᠢ?"),
         "correct": "severe",
         "choices": [
             _c("severe", "危害大、整改难，可能导致重大事故的隐患",
                f"ᠬᠣᠣᠷ ᠶᠡᠬᠡ, ᠵᠠᠰᠠᠬᠤ{N}ᠳᠤ ᠬᠡᠴᠡᠭᠦ, ᠶᠡᠬᠡ ᠣᠫᠠᠳ ᠦᠭᠳᠡᠬᠦ ᠳᠠᠯᠳᠠ ᠠᠶᠤᠯ"),
             _c("minor", "环境卫生不整洁", f"ᠣᠷᠴᠢᠨ ᠲᠣᠭᠣᠷᠢᠨ{N}ᠤ ᠠᠷᠢᠭᠤᠨ ᠪᠤᠰᠤ"),
             _c("unknown", "不知道", "ᠮᠡᠳᠡᠬᠦ ᠦᠭᠡᠢ"),
         ]},
        {"key": "suggestion", "type": "textarea", "required": False,
         "label": _t("对网格化管理工作的意见和建议（选填）", f"ᠲᠣᠷᠴᠢᠯᠠᠭᠰᠠᠨ ᠬᠠᠮᠢᠶᠠᠷᠤᠯ{N}ᠤᠨ ᠠᠵᠢᠯ{N}ᠳᠤ ᠥᠭᠬᠦ ᠰᠠᠨᠠᠯ")},
    ],
}


def load_standard_questionnaire(session) -> FormVersion:
    """Create and publish version 1 of the standard questionnaire once; later runs change nothing."""
    d = get_or_create_definition(session, STANDARD_KEY, STANDARD_SCHEMA["title"]["zh"], STANDARD_SCHEMA["title"]["mn"])
    published = [v for v in d.versions if v.published]
    if published:
        return published[-1]
    if d.latest is not None:
        return publish(session, d.latest)
    return publish(session, save_schema(session, d, STANDARD_SCHEMA))


DEMO_SLUG = "demo-awareness"


def load_demo_campaign(session, today: dt.date | None = None):
    """A campaign over the demo villages (level-3 nodes that have basic grids), open for 90 days."""
    from portal.grid.models import Grid

    existing = session.execute(select(Campaign).where(Campaign.slug == DEMO_SLUG)).scalar_one_or_none()
    if existing is not None:
        return existing
    version = load_standard_questionnaire(session)
    today = today or dt.date.today()
    villages = session.execute(
        select(Grid).where(Grid.level == 3, Grid.id.in_(select(Grid.parent_id).where(Grid.level == 4)))
        .order_by(Grid.path)
    ).scalars().all()
    campaign = Campaign(
        title_zh="网格化管理知晓率调查（示例）",
        title_mn=f"ᠲᠣᠷᠴᠢᠯᠠᠭᠰᠠᠨ ᠬᠠᠮᠢᠶᠠᠷᠤᠯ{N}ᠤᠨ ᠮᠡᠳᠡᠯᠭᠡ{N}ᠶᠢᠨ ᠬᠤᠪᠢ{N}ᠶᠢᠨ ᠰᠤᠳᠤᠯᠭ᠎ᠠ",
        slug=DEMO_SLUG, form_version=version, start_date=today - dt.timedelta(days=7),
        end_date=today + dt.timedelta(days=90), active=True,
    )
    campaign.target_grids = list(villages)
    session.add(campaign)
    session.flush()
    return campaign
