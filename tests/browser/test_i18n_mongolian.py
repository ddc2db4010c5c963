"""Real browser: the Mongolian grid list and add form, with the served font and vertical labels."""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def server(live_server):
    """The shared live server (tests/browser/conftest.py): CSRF on, local port."""
    return live_server

@pytest.fixture(scope="module")
def page(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.conftest import ADMIN_PASSWORD

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        pg = context.new_page()
        pg.outside = []
        pg.on("request", lambda req: pg.outside.append(req.url)
              if urlparse(req.url).hostname not in ("127.0.0.1", "localhost") and not req.url.startswith("data:") else None)
        pg.goto(server + "/lang/mn_Mong_CN")
        pg.goto(server + "/login/")
        pg.fill("input[name=username]", "admin")
        pg.fill("input[name=password]", ADMIN_PASSWORD)
        pg.click("input[type=submit], button[type=submit]")
        pg.wait_for_load_state("networkidle")
        yield pg
        browser.close()


def _font_checks(pg):
    pg.evaluate("document.fonts.ready")
    loaded = pg.evaluate("""() => { const out = [];
        document.fonts.forEach(f => { if (f.family.replace(/"/g, '') === 'Anwang Mongolian') out.push(f.status); });
        return out; }""")
    assert "loaded" in loaded, loaded
    assert pg.evaluate("""document.fonts.check('16px "Anwang Mongolian"', 'ᠮᠣᠩᠭᠣᠯ')""")


def test_mongolian_grid_list(page, server):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server + "/gridview/list/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.lang").startswith("mn-Mong")
    _font_checks(page)
    # Menu items vertical, list cells horizontal.
    menu_mode = page.evaluate("getComputedStyle(document.querySelector('.navbar-nav > li > a')).writingMode")
    assert menu_mode.startswith("vertical")
    cell_mode = page.evaluate("getComputedStyle(document.querySelector('table.table-hover td')).writingMode")
    assert cell_mode == "horizontal-tb"
    page.screenshot(path=str(ARTIFACTS / "i18n_mn_grid_list.png"), full_page=True)
    assert page.outside == []


def test_mongolian_add_form(page, server):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server + "/gridview/add")
    page.wait_for_load_state("networkidle")
    _font_checks(page)
    labels = page.evaluate("""() => Array.from(document.querySelectorAll('form td.col-lg-2 label')).map(l => {
        const r = l.getBoundingClientRect();
        return {mode: getComputedStyle(l).writingMode, w: r.width, h: r.height, text: l.textContent.trim()}; })""")
    assert len(labels) >= 5
    for label in labels:
        assert label["mode"].startswith("vertical"), label
        assert label["h"] > label["w"], label  # laid out top to bottom
    # Inputs stay horizontal and usable.
    inputs = page.evaluate("""() => Array.from(document.querySelectorAll('form input.form-control')).map(i => {
        const r = i.getBoundingClientRect(); return {mode: getComputedStyle(i).writingMode, w: r.width}; })""")
    assert inputs and all(i["mode"] == "horizontal-tb" and i["w"] > 100 for i in inputs), inputs
    # FAB's JS texts: the Select2 placeholder of ab.js comes out in Mongolian.
    placeholders = page.evaluate("() => Array.from(document.querySelectorAll('.select2-selection__placeholder')).map(e => e.textContent)")
    assert all("Select" not in p for p in placeholders), placeholders
    page.screenshot(path=str(ARTIFACTS / "i18n_mn_grid_add.png"), full_page=True)
    assert page.outside == []
