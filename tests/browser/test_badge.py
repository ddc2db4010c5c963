"""A printed badge's QR code decodes to the grid's public notice page, which opens without login (R9)."""
from __future__ import annotations

import io
import os
import threading
from urllib.parse import urlparse

import pytest
from sqlalchemy import select

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed at /usr/bin/chromium"),
]


@pytest.fixture()
def server(app):
    from werkzeug.serving import make_server

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join(5)


def _worker(app):
    from portal.extensions import db
    from portal.grid.models import Grid, Person
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test"):
        town = db.session.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().first()
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


def test_badge_qr_decodes_to_public_grid_page(app, server):
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) decodes the QR code")
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from tests.conftest import DEMO_PASSWORD

    w = _worker(app)
    hosts = set()
    os.makedirs("tests/artifacts", exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # Twice the pixel density, like a phone camera close to the printed card.
            page = browser.new_page(device_scale_factor=2)
            page.on("request", lambda r: hosts.add(urlparse(r.url).hostname))
            page.goto(f"{server}/login/")
            page.fill("input[name=username]", "station")
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"{server}/workforce/badge/{w['id']}")
            card = page.locator(".badge-card").first
            assert w["badge"] in card.inner_text() and w["name"] in card.inner_text()
            card.screenshot(path="tests/artifacts/badge.png")
            # Both scripts, Mongolian first: its column stands left of the Chinese name.
            mn_box = card.locator(".badge-mn").bounding_box()
            zh_box = card.locator(".badge-name").bounding_box()
            assert "ᠪᠠᠭᠠᠲᠦᠷ" in card.locator(".badge-mn").inner_text() and mn_box["x"] < zh_box["x"]
            png = page.locator(".badge-qr svg").first.screenshot(path="tests/artifacts/badge-qr.png")
            results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("L"))
            texts = [r.text for r in results]
            expected = f"{server}/public/grid/{w['code']}"
            assert texts == [expected]
            page.pdf(path="tests/artifacts/badge.pdf")  # the print path works too

            # The QR code's page opens for anyone: a fresh context has no login cookie.
            public = browser.new_context().new_page()
            public.on("request", lambda r: hosts.add(urlparse(r.url).hostname))
            public.goto(texts[0])
            body = public.locator("body").inner_text()
            assert w["grid"] in body and w["name"] in body
            assert w["mobile"] not in body and w["mobile"][-4:] in body
        finally:
            browser.close()
    assert hosts == {"127.0.0.1"}, hosts
