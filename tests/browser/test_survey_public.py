"""A resident answers the public questionnaire on a phone (360x640), in Chinese and in Mongolian."""
from __future__ import annotations

import os
import threading
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(live_server):
    """The shared live server (tests/browser/conftest.py): CSRF on, local port."""
    return live_server

@pytest.fixture(scope="module")
def campaign(app):
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.seed import load_demo_campaign

    with app.app_context(), system_scope("browser test"):
        c = load_demo_campaign(db.session)
        db.session.commit()
        grid = c.target_grids[0]
        out = (c.slug, grid.code)
        db.session.remove()
    return out


def _answer(page, mn: bool):
    page.check('input[name="knows_worker"][value="yes"]')
    page.check('input[name="worker_visits"][value="monthly"]')  # shown only after "yes"
    page.check('input[name="knows_boundary"][value="village_area"]')
    page.check('input[name="report_hazard"][value="tell_worker"]')
    page.check('input[name="reward"][value="yes"]')
    page.check('input[name="major_hazard"][value="minor"]')  # one wrong answer
    page.fill('textarea[name="suggestion"]', "ᠰᠠᠢᠨ" if mn else "很好")
    page.click("button.btn-submit")


@pytest.mark.parametrize("lang", ["zh", "mn_Mong_CN"])
def test_answer_on_phone(server, campaign, lang, tmp_path):
    from playwright.sync_api import sync_playwright

    slug, code = campaign
    hosts = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 360, "height": 640}, locale="zh-CN")
        page = context.new_page()
        page.on("request", lambda req: hosts.append(urlparse(req.url).hostname))
        page.goto(f"{server}/survey/{slug}/?grid={code}")
        if lang != "zh":
            page.click('.lang-switch a[lang="mn-Mong-CN"]')
            page.wait_for_load_state("load")  # show_if.js runs on load; do not race it
        assert page.get_attribute("html", "lang") == ("mn-Mong-CN" if lang != "zh" else "zh-Hans-CN")
        # The conditional question is hidden until "yes".
        assert not page.is_visible('[data-field="worker_visits"]')
        # Nothing is wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        _answer(page, lang != "zh")
        page.wait_for_selector("#survey-thanks")
        text = page.inner_text("#survey-thanks")
        assert ("网格员" in text) if lang == "zh" else ("ᠠᠵᠢᠯᠲᠠᠨ" in text)
        assert page.locator(".review li.wrong").count() == 1
        os.makedirs("tests/artifacts", exist_ok=True)
        page.screenshot(path=f"tests/artifacts/survey-thanks-{lang}.png", full_page=True)
        # Same phone again: "already answered".
        page.goto(f"{server}/survey/{slug}/?grid={code}")
        assert page.is_visible("#survey-already")
        browser.close()
    assert hosts and set(hosts) == {"127.0.0.1"}, set(hosts)
