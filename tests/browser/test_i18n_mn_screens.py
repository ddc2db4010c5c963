"""Mongolian pages as a reader sees them: unit list and add form (desktop), the public survey and the
tip-off form on a 360 px phone. Screenshots go to tests/artifacts/ for a human look; the asserts
catch the layout faults that vertical Mongolian text tends to cause (pages wider than the phone,
inputs squeezed to nothing)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# Widest horizontal overflow tolerated on a phone page, in CSS px (sub-pixel rounding).
OVERFLOW_PX = 1
# A text input narrower than this cannot show what is typed.
MIN_INPUT_PX = 120

_INPUT_WIDTHS = """() => [...document.querySelectorAll(
  'input[type=text], input:not([type]), input[type=tel], input[type=number], select, textarea')]
  .filter(e => e.offsetParent !== null && !e.matches('.select2-offscreen, .select2-hidden-accessible'))
  .map(e => [e.name || e.id, e.getBoundingClientRect().width])"""
# select2 keeps its original <select> as a 1px hidden-accessible element; the visible widget is measured instead.
_SELECT2_WIDTHS = """() => [...document.querySelectorAll('.select2-container')]
  .filter(e => e.offsetParent !== null).map(e => [e.id, e.getBoundingClientRect().width])"""
# True when the portal's served Mongolian face was used: without it a phone with no Mongolian
# font of its own shows empty boxes.
_FONT_LOADED = """async () => { await document.fonts.ready;
  return [...document.fonts].some(f => f.family.replace(/"/g, '') === 'Anwang Mongolian' && f.status === 'loaded'); }"""


def _mongolian(page, live_server, path, switch=True):
    # Switch while anonymous only: a logged-in switch is saved in the user's profile, and the demo
    # users are shared by the whole test session.
    if switch:
        page.goto(f"{live_server}/lang/mn_Mong_CN")
    page.goto(live_server + path)
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang").startswith("mn")
    assert page.evaluate(_FONT_LOADED), "the Mongolian font was not loaded"


def _narrow_inputs(page):
    return [(name, w) for name, w in page.evaluate(_INPUT_WIDTHS) + page.evaluate(_SELECT2_WIDTHS)
            if w < MIN_INPUT_PX]


def test_unit_list_and_add_form(page, live_server, browser_login, artifacts):
    page.goto(f"{live_server}/lang/mn_Mong_CN")
    browser_login(page, "station")
    _mongolian(page, live_server, "/unitview/list/", switch=False)
    assert page.locator("table.table-hover tbody tr").count() > 0
    page.screenshot(path=f"{artifacts}/i18n_mn_unit_list.png", full_page=True)
    _mongolian(page, live_server, "/unitview/add", switch=False)
    page.screenshot(path=f"{artifacts}/i18n_mn_unit_add.png", full_page=True)
    assert not _narrow_inputs(page)


@pytest.fixture()
def phone(chromium, live_server):
    context = chromium.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


def _no_overflow(page):
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360 + OVERFLOW_PX, f"page is {width}px wide on a 360px phone"


def test_public_survey_on_phone(phone, live_server, app, artifacts):
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.seed import load_demo_campaign

    with app.app_context(), system_scope("browser test: demo campaign"):
        c = load_demo_campaign(db.session)
        db.session.commit()
        slug, code = c.slug, c.target_grids[0].code
        db.session.remove()
    _mongolian(phone, live_server, f"/survey/{slug}/?grid={code}&_l_=mn_Mong_CN")
    phone.screenshot(path=f"{artifacts}/i18n_mn_survey_360.png", full_page=True)
    _no_overflow(phone)
    assert not _narrow_inputs(phone)


def test_tipoff_form_on_phone(phone, live_server, artifacts):
    _mongolian(phone, live_server, "/tipoff/")
    phone.screenshot(path=f"{artifacts}/i18n_mn_tipoff_360.png", full_page=True)
    _no_overflow(phone)
    assert not _narrow_inputs(phone)
