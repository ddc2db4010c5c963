"""List pages render the same HTML through the fast paths as through FAB's own templates and filters.

The fast paths (benchmarks/profile_page.py showed where a list page's time went): rows rendered in
Python (portal/listrows.py), the navbar and asset links kept per user/language (portal/fragments.py),
page/sort links built once per page (portal/links.py), search texts and plain inputs kept per view
(views_base.PortalSearchWidget), rows selected as tuples instead of objects (portal/listplan.py), the list
widget in one template instead of FAB's three (portal/widgets/list.html). Each is
switched off here and the page compared, for several views, users, languages, filters and orders.
"""
from __future__ import annotations

import contextlib
import re

import pytest
from flask_appbuilder.widgets import SearchWidget


def _normal(html: str) -> str:
    html = re.sub(r'value="[A-Za-z0-9._-]{40,}"', 'value=""', html)  # CSRF tokens differ per render
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r">\s+<", "><", html)
    return re.sub(r"\s+>", ">", html)


@contextlib.contextmanager
def plain_fab(app):
    """FAB's template loop, filters and widgets; no fragment cache."""
    from portal.extensions import appbuilder
    from portal.views_base import PortalModelView

    env = app.jinja_env
    saved_rows, saved_ttl = env.globals["portal_list_rows"], app.config.get("FRAGMENT_CACHE_TTL")
    saved_tuples = app.config.get("LIST_ROWS_AS_TUPLES", True)
    app.config["LIST_ROWS_AS_TUPLES"] = False
    saved_lean = app.config.get("LIST_LEAN_WIDGET", True)
    app.config["LIST_LEAN_WIDGET"] = False
    saved_filters = {n: env.filters[n] for n in app.extensions["portal.fab_link_filters"]}
    views = [v for v in appbuilder.baseviews if isinstance(v, PortalModelView)]
    saved_views = [(v, v.search_widget) for v in views]
    env.globals["portal_list_rows"] = lambda *a, **k: None
    app.config["FRAGMENT_CACHE_TTL"] = 0
    env.filters.update(app.extensions["portal.fab_link_filters"])
    for v in views:
        v.search_widget = SearchWidget
    try:
        yield
    finally:
        env.globals["portal_list_rows"] = saved_rows
        app.config["FRAGMENT_CACHE_TTL"] = saved_ttl
        app.config["LIST_ROWS_AS_TUPLES"] = saved_tuples
        app.config["LIST_LEAN_WIDGET"] = saved_lean
        env.filters.update(saved_filters)
        for v, widget in saved_views:
            v.search_widget = widget


URLS = [
    "/unitview/list/?psize_UnitView=100",
    "/unitview/list/?_oc_UnitView=name&_od_UnitView=desc&page_UnitView=1",
    "/unitview/list/?_flt_2_name=%E7%A4%BA%E4%BE%8B&psize_UnitView=50",
    "/gridview/list/?psize_GridView=50",
    "/personview/list/",
    "/leaverequestview/list/",
    "/assignmentview/list/",
    "/rewardscales/list/",
    "/trainingsessionview/list/?psize_TrainingSessionView=100",
    "/gridview/list/?_oc_GridView=level&_od_GridView=desc&_flt_0_kind=village",
    "/unitview/list/?page_UnitView=5",  # pagination with a first-page link
    "/unitview/list/?_flt_0_name=no-such-unit-anywhere",  # no records
]


@contextlib.contextmanager
def remembered_language(app, *usernames):
    """/lang/<code> is remembered in the user's profile: put back what was there before."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from portal.extensions import db
    from portal.security.models import UserProfile
    from portal.security.scope import system_scope

    def profiles():
        return db.session.execute(
            select(UserProfile).join(User, User.id == UserProfile.user_id).where(User.username.in_(usernames))
        ).scalars().all()

    with app.app_context(), system_scope("test"):
        saved = {p.user_id: p.locale for p in profiles()}
        db.session.remove()
    try:
        yield
    finally:
        with app.app_context(), system_scope("test"):
            for p in profiles():
                p.locale = saved.get(p.user_id)
            db.session.commit()
            db.session.remove()


@pytest.mark.parametrize("user", ["admin", "station", "worker"])
@pytest.mark.parametrize("lang", ["zh", "mn_Mong_CN"])
def test_fast_paths_render_the_same_page(app, login, user, lang):
    c = login(user)
    with remembered_language(app, user):
        c.get(f"/lang/{lang}")
        _compare_pages(app, c)


def _compare_pages(app, c):
    for url in URLS:
        fast = [c.get(url) for _ in range(2)]  # the second from the caches
        with plain_fab(app):
            slow = c.get(url)
        assert slow.status_code == fast[0].status_code == fast[1].status_code
        if slow.status_code != 200:
            continue
        want = _normal(slow.get_data(as_text=True))
        if url == URLS[0]:
            assert 'class="action_check"' in want or "/unitview/show/" in want  # rows to compare
        for got in fast:
            assert _normal(got.get_data(as_text=True)) == want, url


def test_lean_widget_renders_fabs_rows_where_python_cannot(app, login):
    """The one-template list widget falls back to FAB's row loop (portal/widgets/list_rows.html) when
    the rows cannot be rendered in Python; the page is still FAB's."""
    env = app.jinja_env
    saved = env.globals["portal_list_rows"]
    env.globals["portal_list_rows"] = lambda *a, **k: None
    try:
        _compare_pages(app, login("admin"))
    finally:
        env.globals["portal_list_rows"] = saved


def test_navbar_is_kept_per_user_and_language(app, login):
    admin, station = login("admin"), login("station")
    for _ in range(2):  # second round served from the fragment cache
        assert "/users/list/" in admin.get("/unitview/list/").get_data(as_text=True)
        page = station.get("/unitview/list/").get_data(as_text=True)
        assert "/users/list/" not in page and "/unitview/list/" in page
    with remembered_language(app, "station", "admin"):
        station.get("/lang/mn_Mong_CN")
        admin.get("/lang/zh")
        mn = station.get("/unitview/list/").get_data(as_text=True)
        zh = admin.get("/unitview/list/").get_data(as_text=True)
    assert 'lang="mn-Mong-CN"' in mn.split('<div class="navbar-collapse', 1)[1][:20000]
    assert mn.split("navbar-collapse", 1)[1][:3000] != zh.split("navbar-collapse", 1)[1][:3000]


def station_units(app) -> tuple[set[int], int]:
    """(ids of the units inside the demo station's township, number of all units), read as the system."""
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from portal.extensions import db
    from portal.grid.models import Grid
    from portal.ledger.models import Unit
    from portal.security.models import UserProfile
    from portal.security.scope import system_scope

    with app.app_context(), system_scope("test"):
        grid_id = db.session.execute(
            select(UserProfile.grid_id).join(User, User.id == UserProfile.user_id).where(User.username == "station")
        ).scalar_one()
        path = db.session.get(Grid, grid_id).path
        inside = set(db.session.execute(
            select(Unit.id).join(Grid, Grid.id == Unit.grid_id).where(Grid.path.like(path + "%"))).scalars())
        total = db.session.query(Unit).count()
        db.session.remove()
    return inside, total


def test_record_count_follows_the_scope(login, app):
    """The count over the list (FAB's ``count(*)`` subquery) is scoped like its rows."""
    want, total = station_units(app)
    assert 0 < len(want) < total
    page = login("station").get("/unitview/list/").get_data(as_text=True)
    shown = re.search(r"(?:Record Count|记录数):</strong>\s*(\d+)", page)
    assert shown and int(shown.group(1)) == len(want)


def test_the_kept_search_form_shows_each_requests_own_filters(login):
    """The search widget is kept as rendered per view, language and active filters: each request shows
    its own filters (in the widget's script), never the previous request's."""
    c = login("admin")

    def search_script(url):
        page = c.get(url).get_data(as_text=True)
        return page.split("new AdminFilters(", 1)[1].split("</script>", 1)[0]

    for _ in range(2):
        plain = search_script("/unitview/list/")
        first = search_script("/unitview/list/?_flt_2_name=qq-first-filter")
        second = search_script("/unitview/list/?_flt_2_name=qq-second-filter")
        assert "qq-first-filter" in first and "qq-second-filter" not in first
        assert "qq-second-filter" in second and "qq-first-filter" not in second
        assert "qq-first-filter" not in plain and "qq-second-filter" not in plain


def test_cells_are_escaped_as_markupsafe_escapes_them():
    """The row renderer's own escape (strings, and plain numbers and dates without a Markup object each)
    gives markupsafe's text for every kind of value a cell holds."""
    import datetime as dt
    import decimal
    import enum

    from markupsafe import escape

    from portal.listrows import _escape

    class Kind(enum.Enum):
        A = "<a>"

    class Html:
        def __html__(self):
            return "<b>kept</b>"

    values = ["plain", "a<b & 'c' \"d\"", "示例单位", 7, -1.5, True, decimal.Decimal("1.20"),
              dt.date(2026, 11, 30), dt.datetime(2026, 11, 30, 9, 5, 1, 7), dt.time(9, 5), None, Kind.A,
              Html(), b"<bytes>"]
    for value in values:
        assert _escape(value) == str(escape(value)), value
