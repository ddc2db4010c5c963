"""Every list page costs a fixed number of SQL statements whatever the page size (pinned per view).

The counts live in query_counts.json (as NetBox pins its list views); a change that adds a lazy load per
row, a permission query or a second user load fails here. The ceiling for any list page is 6.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from pathlib import Path

import pytest

PINNED = json.loads((Path(__file__).with_name("query_counts.json")).read_text())
CEILING = 6
VIEWS = [v for v in PINNED if not v.startswith("_")]
SHOW_RE = r'/{view}/show/(\d+)' 


@pytest.fixture(scope="module")
def enough_rows(app):
    """Assignments and user profiles beyond one page, so a per-row load would show at size 100."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from portal.extensions import db
    from portal.grid.models import Assignment, Grid, Person
    from portal.security.models import UserProfile
    from portal.security.scope import system_scope

    tag = secrets.token_hex(3)
    with app.app_context(), system_scope("query-count fixtures"):
        # 50 extra basic grids (with 100 people) under the LAST township, away from the demo users' nodes.
        town = db.session.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code.desc())).scalars().first()
        village = Grid(parent=town, kind="village", level=3, name_zh=f"计数村{tag}", code=f"QC{tag}")
        db.session.add(village)
        db.session.flush()
        for i in range(50):
            db.session.add(Grid(parent=village, kind="basic", level=4, name_zh=f"计数网格{tag}-{i}", code=f"QC{tag}{i:02d}"))
        db.session.flush()
        extra = db.session.execute(select(Grid).where(Grid.parent_id == village.id)).scalars().all()
        for i in range(100):
            db.session.add(Person(name_zh=f"计数{i}", role="grid_worker", status="active",
                                  badge_no=f"QC{tag}{i:03d}", grid_id=extra[i % len(extra)].id))
        db.session.flush()
        people = db.session.execute(select(Person).order_by(Person.id)).scalars().all()
        grids = db.session.execute(select(Grid).where(Grid.level == 4).order_by(Grid.path)).scalars().all()
        for i in range(120):
            p = people[i % len(people)]
            db.session.add(Assignment(
                person_id=p.id, grid_id=p.grid_id or grids[i % len(grids)].id, role="grid_worker",
                start_date=dt.date(2025, 1, 1) + dt.timedelta(days=i), note=f"qc-{tag}-{i}",
            ))
        for i in range(110):
            u = User(first_name=f"qc{i}", last_name=tag, username=f"qc-{tag}-{i}", email=f"qc-{tag}-{i}@example.invalid",
                     active=True, password="!")
            db.session.add(u)
            db.session.flush()
            db.session.add(UserProfile(user_id=u.id, grid_id=grids[i % len(grids)].id))
        db.session.commit()
        db.session.remove()
    return tag


def test_pinned_counts_respect_the_ceiling():
    for view in VIEWS:
        for role, sizes in PINNED[view].items():
            for size, n in (sizes or {}).items():
                assert n <= CEILING, f"{view} {role} {size}: pinned {n} > {CEILING}"


@pytest.mark.parametrize("psize", [25, 100])
@pytest.mark.parametrize("user", ["admin", "station"])
@pytest.mark.parametrize("view", VIEWS)
def test_list_page_statement_count(enough_rows, login, count_queries, view, user, psize):
    client = login(user)
    url = f"/{view.lower()}/list/?psize_{view}={psize}"
    client.get(url)  # warm: first request of a client may load per-process caches
    with count_queries() as statements:
        r = client.get(url)
    expected = PINNED[view][user]
    if expected is None:
        assert r.status_code == 403
        return
    assert r.status_code == 200
    rows = len(set(re.findall(SHOW_RE.strip().format(view=view.lower()), r.get_data(as_text=True))))
    assert rows > 0, f"{view} as {user} showed no rows"
    if user == "admin":
        assert rows == psize, f"{view}: expected a full page of {psize}, got {rows}"
    expected = expected[str(psize)]
    detail = "\n".join(s[:160] for s in statements)
    assert len(statements) == expected, f"{view} as {user}, page {psize}: {len(statements)} statements\n{detail}"


def test_unit_add_form_does_not_list_every_grid(login, system, count_queries):
    from sqlalchemy import func, select

    from portal.grid.models import Grid

    n_grids = system.execute(select(func.count(Grid.id))).scalar()
    client = login("admin")
    with count_queries() as statements:
        r = client.get("/unitview/add")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    options = re.findall(r"<option\b", html)
    # Only the fixed choice lists (kind, scale, mode) are options; the grid is searched on the server.
    assert len(options) < 40 < n_grids
    assert "portal-ajax-select" in html and "/gridsearch/" in html
    assert len(statements) <= CEILING


@pytest.mark.parametrize("user", ["admin", "station"])
def test_every_list_page_stays_under_the_ceiling(app, login, count_queries, user):
    """Every list view of the portal, not only the pinned ones: at most CEILING statements at page sizes
    25 and 100 — in particular no search form listing a whole table as <option>s."""
    from portal.extensions import appbuilder
    from portal.views_base import PortalModelView

    client = login(user)
    over = {}
    for view in [v for v in appbuilder.baseviews if isinstance(v, PortalModelView)]:
        name = type(view).__name__
        for psize in (25, 100):
            url = f"{view.route_base}/list/?psize_{name}={psize}"
            client.get(url)
            with count_queries() as statements:
                r = client.get(url)
            if r.status_code == 200 and len(statements) > CEILING:
                over[url] = [s[:120] for s in statements]
    assert not over, over


def _record_count(html: str) -> int | None:
    m = re.search(r"(?:Record Count|记录数):</strong>\s*(\d+)", html)
    return int(m.group(1)) if m else None


def test_the_count_rides_in_the_page_query_and_stands_alone_past_the_last_page(login, system, count_queries):
    """A planned list reads its rows and their count in one SELECT; a page past the last has no row to
    carry the count, so it is asked for alone — the record count is right either way."""
    from sqlalchemy import func, select

    from portal.ledger.models import Unit

    units = system.execute(select(func.count(Unit.id))).scalar()
    system.rollback()
    client = login("admin")
    client.get("/unitview/list/")
    with count_queries() as statements:
        page = client.get("/unitview/list/?psize_UnitView=10&page_UnitView=1").get_data(as_text=True)
    assert _record_count(page) == units
    assert len(statements) == 2 and "count(*)" in statements[1]
    beyond = units // 10 + 5
    with count_queries() as statements:
        page = client.get(f"/unitview/list/?psize_UnitView=10&page_UnitView={beyond}").get_data(as_text=True)
    assert not re.search(r'href="/unitview/show/\d+', page)
    assert len(statements) == 3
    alone = statements[2].lower()
    assert "count(*)" in alone and "from data_version" in alone and "limit" not in alone


def test_an_empty_first_page_counts_nothing_more(login, count_queries):
    client = login("admin")
    url = "/unitview/list/?_flt_0_name=no-such-unit-anywhere"
    client.get(url)
    with count_queries() as statements:
        page = client.get(url).get_data(as_text=True)
    assert not re.search(r'href="/unitview/show/\d+', page)
    assert "暂无记录" in page  # "No records found"
    assert len(statements) == 2
