"""A list counts its rows up to LIST_COUNT_LIMIT and then says "N+": the page, its pagination and its
statement count work the same, and an exact count comes back under the limit."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select


@pytest.fixture()
def count_limit(app):
    before = app.config.get("LIST_COUNT_LIMIT")
    yield lambda n: app.config.__setitem__("LIST_COUNT_LIMIT", n)
    app.config["LIST_COUNT_LIMIT"] = before


def _record_count(html: str) -> str:
    return re.search(r"记录数:</strong>\s*([^<\s]+)", html).group(1)


def test_a_large_list_says_at_least_the_limit(login, system, count_limit, count_queries):
    from portal.ledger.models import Unit

    units = system.execute(select(func.count(Unit.id))).scalar()
    system.rollback()
    assert units > 30
    c = login("admin")
    count_limit(25)
    with count_queries() as statements:
        page = c.get("/unitview/list/?psize_UnitView=10&page_UnitView=2").get_data(as_text=True)
    assert _record_count(page) == "25+"
    assert len(statements) <= 3
    assert len(set(re.findall(r'href="/unitview/show/(\d+)', page))) == 10  # a full second page
    assert "page_UnitView=2" in page  # and pagination links past it
    count_limit(units + 1)
    assert _record_count(c.get("/unitview/list/").get_data(as_text=True)) == str(units)


def test_under_the_limit_the_count_is_exact(login, count_limit):
    count_limit(0)  # 0: always exact
    exact = _record_count(login("admin").get("/gridview/list/").get_data(as_text=True))
    count_limit(100_000)
    assert _record_count(login("admin").get("/gridview/list/").get_data(as_text=True)) == exact
    assert exact.isdigit()
