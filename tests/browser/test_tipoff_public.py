"""A phone user files an anonymous tip-off and checks its status with the code and PIN shown (360x640)."""
from __future__ import annotations

import os
import shutil
import threading
from urllib.parse import urlparse

import pytest

os.environ.setdefault("PORTAL_SEAL_KEY", "x1Pq0m2vXb8f0yJkz6s9y7n3l0cQe0l1R6c4VbGmZ2s=")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM),
                       reason="Debian chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def server(live_server):
    """The shared live server (tests/browser/conftest.py): CSRF on, local port."""
    return live_server

def test_anonymous_tipoff_on_a_phone(server):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 640}, locale="zh-CN")
            hosts = set()
            page.on("request", lambda req: hosts.add(urlparse(req.url).hostname))
            page.goto(server + "/tipoff/")
            # Fits the phone: no horizontal scrolling.
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            page.fill("textarea[name=what]", "浏览器测试：夜间有人在仓库私自灌装液化气")
            page.fill("#grid-search", "示例")
            page.locator("#grid-results button").first.click()
            assert page.input_value("#grid_id") != ""
            page.check("input[name=identity][value=anonymous]")
            assert page.locator("#named-fields").is_hidden()
            page.click("button[type=submit]")
            code = page.text_content("#tracking-code").strip()
            pin = page.text_content("#pin").strip()
            assert len(code) == 11 and len(pin) == 8
            os.makedirs("tests/artifacts", exist_ok=True)
            page.screenshot(path="tests/artifacts/tipoff_receipt_360.png", full_page=True)
            page.goto(server + "/tipoff/status")
            page.fill("input[name=code]", code)
            page.fill("input[name=pin]", pin)
            page.click("button[type=submit]")
            status = page.text_content("#tip-status").strip()
            assert status in ("Submitted", "已提交")
            assert code in page.text_content("#status-result")
            page.screenshot(path="tests/artifacts/tipoff_status_360.png", full_page=True)
            assert hosts <= {"127.0.0.1"}, hosts
        finally:
            browser.close()
