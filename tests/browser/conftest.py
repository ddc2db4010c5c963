"""Shared browser fixtures: the app served on 127.0.0.1 by a thread, and Debian's headless Chromium."""
from __future__ import annotations

import os
import threading
from urllib.parse import urlparse

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "artifacts")


@pytest.fixture(scope="module")
def live_server(app):
    """The app on a local port, with CSRF ON as in production (real forms must carry their tokens)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("no Chromium at /usr/bin/chromium (apt-get install chromium fonts-noto-cjk fonts-noto-core)")
    pytest.importorskip("playwright.sync_api")
    from werkzeug.serving import make_server

    app.config["WTF_CSRF_ENABLED"] = True
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture(scope="module")
def chromium(live_server):
    # Module scope: a test module that drives its own sync_playwright() must not find one running.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(chromium, live_server):
    """A fresh browser context; asserts at the end that no request left the portal's host."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url) if urlparse(r.url).hostname not in ("127.0.0.1", "localhost") and not r.url.startswith("data:") else None)
    yield pg
    context.close()
    assert not outside, f"requests left the portal: {outside[:5]}"


@pytest.fixture()
def browser_login(live_server):
    """``browser_login(page, "station")``: log in through the real login form."""

    def do(page, username: str, password: str = "demo-Test-123") -> None:
        page.goto(f"{live_server}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_load_state("networkidle")

    return do


@pytest.fixture()
def artifacts():
    os.makedirs(ARTIFACTS, exist_ok=True)
    return ARTIFACTS
