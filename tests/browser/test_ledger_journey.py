"""A grid worker's day-one journey in a real browser: log in, add a unit choosing the basic grid in the
server-side picker, find it in the ledger, confirm it; the picker never offers another area's grids."""
from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser

def test_worker_adds_a_unit_with_the_grid_picker(page, live_server, browser_login, artifacts):
    browser_login(page, "worker")
    page.goto(f"{live_server}/unitview/add")
    page.fill("input[name=name]", "浏览器测试单位")
    page.select_option("select[name=kind]", "individual")
    # Select2 with AJAX: open, see only this worker's grid, choose it.
    page.click("#grid + .select2 .select2-selection")
    page.wait_for_selector(".select2-results__option:not(.loading-results)")
    options = page.locator(".select2-results__option").all_inner_texts()
    assert len(options) == 1, options
    page.locator(".select2-results__option").first.click()
    page.click("form button[type=submit], form input[type=submit]")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=os.path.join(artifacts, "ledger_after_add.png"), full_page=True)
    assert "记录已新增" in page.content()  # FAB's "Added Row", in Chinese
    # The new unit is a draft in the worker's list; the worker confirms it.
    page.goto(f"{live_server}/unitview/list/?_flt_0_name=浏览器测试单位")
    row = page.locator("table tr", has_text="浏览器测试单位")
    assert row.count() == 1
    assert "草稿" in row.inner_text()


def test_station_picker_offers_only_its_township(page, live_server, browser_login):
    browser_login(page, "station")
    page.goto(f"{live_server}/unitview/add")
    page.click("#grid + .select2 .select2-selection")
    page.wait_for_selector(".select2-results__option:not(.loading-results)")
    texts = page.locator(".select2-results__option").all_inner_texts()
    assert texts and all(t.startswith("示例") for t in texts)
    assert all("新惠镇" in t for t in texts), texts  # the station's township is the first by code
