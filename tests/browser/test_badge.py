"""A printed badge's QR code decodes to the grid's public notice page, which opens without login (R9)."""
from __future__ import annotations

import io
import os

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture()
def own_chromium(live_server):
    """A browser of this test only, closed at its end. (The shared session ``chromium`` fixture keeps a
    Playwright loop running, which breaks later tests that start their own ``sync_playwright``.)"""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _badge_worker(app):
    """A grid worker of this test (with a Mongolian name) in the station's first basic grid."""
    from portal.extensions import appbuilder, db
    from portal.grid.models import Grid, Person
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test"):
        town = appbuilder.sm.find_user(username="station").profile.grid
        g = db.session.execute(
            select(Grid).where(Grid.path.like(town.path + "%"), Grid.level == 4).order_by(Grid.path)
        ).scalars().first()
        p = db.session.execute(select(Person).where(Person.badge_no == "AHT-BADGE-1")).scalars().first()
        if p is None:
            p = Person(name_zh="巴特尔", name_mn="ᠪᠠᠭᠠᠲᠦᠷ", role="grid_worker", grid_id=g.id, status="active",
                       badge_no="AHT-BADGE-1", mobile="13912345678")
            db.session.add(p)
            db.session.commit()
        out = {"id": p.id, "name": p.name_zh, "badge": p.badge_no, "mobile": p.mobile, "code": g.code, "grid": g.name_zh}
        db.session.remove()
        return out


def test_badge_qr_decodes_to_public_grid_page(app, live_server, own_chromium, browser_login, artifacts):
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) decodes the QR code")
    from urllib.parse import urlparse

    from PIL import Image

    chromium = own_chromium
    hosts = set()
    ctx = chromium.new_context()
    page = ctx.new_page()
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname))
    w = _badge_worker(app)
    browser_login(page, "station")
    page.goto(f"{live_server}/workforce/badge/{w['id']}")
    card = page.locator(".badge-card").first
    assert w["badge"] in card.inner_text() and w["name"] in card.inner_text()
    card.screenshot(path=os.path.join(artifacts, "badge.png"))
    # Both scripts, Mongolian first: its column stands left of the Chinese name.
    assert "ᠪᠠᠭᠠᠲᠦᠷ" in card.locator(".badge-mn").inner_text()
    assert card.locator(".badge-mn").bounding_box()["x"] < card.locator(".badge-name").bounding_box()["x"]
    page.pdf(path=os.path.join(artifacts, "badge.pdf"))  # the print path works too

    # Twice the pixel density, like a phone camera held close to the printed card.
    hi = chromium.new_context(device_scale_factor=2, storage_state=ctx.storage_state())
    ctx.close()
    try:
        hp = hi.new_page()
        hp.goto(f"{live_server}/workforce/badge/{w['id']}")
        png = hp.locator(".badge-qr svg").first.screenshot(path=os.path.join(artifacts, "badge-qr.png"))
    finally:
        hi.close()
    texts = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))]
    assert texts == [f"{live_server}/public/grid/{w['code']}"]

    # The QR code's page opens for anyone: a fresh context has no login cookie.
    public = chromium.new_context()
    try:
        pp = public.new_page()
        pp.on("request", lambda r: hosts.add(urlparse(r.url).hostname))
        pp.goto(texts[0])
        body = pp.locator("body").inner_text()
    finally:
        public.close()
    assert w["grid"] in body and w["name"] in body
    assert w["mobile"] not in body and w["mobile"][-4:] in body
    assert hosts == {"127.0.0.1"}, hosts  # nothing loaded from another host
