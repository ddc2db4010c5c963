"""The unit list page (100 rows with related columns) against baselines (a) and (b), and the statement
count of every list page at page sizes 25 and 100."""
from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import sqlalchemy as sa

from benchmarks.baselines import FLOOR_URL, minimal_app
from benchmarks.dataset import ADMIN_PASSWORD, DEMO_PASSWORD
from benchmarks.registry import benchmark, ratio, time_interleaved
from benchmarks.servers import gunicorn

PORTAL_URL = "/unitview/list/?psize_UnitView=100"
STOCK_URL = "/stockunitview/list/?psize_StockUnitView=100"
BASELINE_A_URL = "/units/?n=100"


def login(app, username: str, password: str):
    client = app.test_client()
    r = client.post("/login/", data={"username": username, "password": password})
    if r.status_code not in (302, 303):
        raise RuntimeError(f"login of {username} failed: {r.status_code}")
    return client


def _getter(client, url: str, marker: str | None = None):
    def call():
        r = client.get(url)
        if r.status_code != 200:
            raise RuntimeError(f"{url}: {r.status_code}")
        body = r.get_data()
        if marker and marker.encode() not in body:
            raise RuntimeError(f"{url}: {marker!r} missing from the page")
        return body

    return call


@benchmark("unit_list", "GET the unit list, 100 rows with related columns, vs (a) minimal Flask and (b) stock FAB")
def unit_list(ctx) -> dict:
    admin = login(ctx.app, "admin", ADMIN_PASSWORD)
    first_unit = "示例单位00001"
    station = login(ctx.app, "station", DEMO_PASSWORD)
    # The same page right after a write elsewhere: the kept count is stale and counted again.
    after_write = _getter(admin, PORTAL_URL, first_unit)
    after_write.setup = _version_bump(ctx.url)
    # Interleaved: each round requests every page once, so load drift on a shared machine hits all alike.
    measures = time_interleaved({
        "portal": _getter(admin, PORTAL_URL, first_unit),
        "portal_after_a_write": after_write,
        # the same page under a township's data scope (subtree filter on count and page queries)
        "portal_station_scope": _getter(station, PORTAL_URL, "/unitview/show/"),
        "baseline_b_stock_fab": _getter(admin, STOCK_URL, first_unit),
        "baseline_a_minimal_flask": _getter(minimal_app(ctx.url).test_client(), BASELINE_A_URL, first_unit),
        # the floor under any portal page (login, user load, layout, no content): what limits portal/a
        "portal_page_floor": _getter(admin, FLOOR_URL, 'class="navbar'),
    }, ctx.runs, ctx.warmup)
    ratios = {
        "portal/a": ratio(measures["portal"], measures["baseline_a_minimal_flask"]),
        "portal/b": ratio(measures["portal"], measures["baseline_b_stock_fab"]),
        "b/a": ratio(measures["baseline_b_stock_fab"], measures["baseline_a_minimal_flask"]),
        "after_a_write/a": ratio(measures["portal_after_a_write"], measures["baseline_a_minimal_flask"]),
        "station/admin": ratio(measures["portal_station_scope"], measures["portal"]),
        "page_floor/a": ratio(measures["portal_page_floor"], measures["baseline_a_minimal_flask"]),
    }
    out = {"measures": measures, "ratios": ratios, "via": "flask test client"}
    out["statements"] = {
        "portal": _count(ctx.app, admin, PORTAL_URL),
        "baseline_b_stock_fab": _count(ctx.app, admin, STOCK_URL),
        "baseline_a_minimal_flask": 1,
    }
    if ctx.gunicorn:
        out["gunicorn"] = _through_gunicorn(ctx, first_unit)
    return out


def _version_bump(url: str):
    """A committed change to a watched table, as another worker's write makes (portal/core/data_version.py)."""
    engine = sa.create_engine(url)

    def bump():
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE data_version SET version = version + 1 WHERE id = 1"))

    return bump


def _through_gunicorn(ctx, marker: str) -> dict:
    """The same pages through a real gunicorn (gunicorn.conf.py, 2 workers), one keep-alive client."""
    measures = {}
    # Both servers up at once and requested in alternation (the stock view (b) exists only in-process).
    with gunicorn("portal:create_app()", ctx.env, workers=2, ready_path="/health") as base, \
            gunicorn("benchmarks.baselines:minimal_app()", ctx.env, workers=2, ready_path=BASELINE_A_URL) as base_a:
        opener = _http_login(base, "admin", ADMIN_PASSWORD)
        measures = time_interleaved({
            "portal": _http_getter(opener, base + PORTAL_URL, marker),
            "baseline_a_minimal_flask": _http_getter(urllib.request.build_opener(), base_a + BASELINE_A_URL, marker),
        }, ctx.runs, ctx.warmup)
    return {"measures": measures, "ratios": {"portal/a": ratio(measures["portal"], measures["baseline_a_minimal_flask"])}}


def _http_login(base: str, username: str, password: str):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login/").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    data = {"username": username, "password": password}
    if token:
        data["csrf_token"] = token.group(1)
    r = opener.open(base + "/login/", data=urllib.parse.urlencode(data).encode())
    if "/login" in r.geturl():
        raise RuntimeError("login through gunicorn failed")
    return opener


def _http_getter(opener, url: str, marker: str):
    def call():
        body = opener.open(url).read()
        if marker.encode() not in body:
            raise RuntimeError(f"{url}: {marker!r} missing")
        return body

    return call


def _count(app, client, url: str) -> int:
    from portal.extensions import db

    statements: list[str] = []
    with app.app_context():  # only to reach the engine: requests must not run inside a pushed context
        engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        r = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    if r.status_code != 200:
        return -r.status_code
    return len(statements)


@benchmark("statement_counts", "SQL statements of every list page at page sizes 25 and 100 (admin, station)")
def statement_counts(ctx) -> dict:
    from portal.extensions import appbuilder
    from portal.views_base import PortalModelView

    views = [v for v in appbuilder.baseviews if isinstance(v, PortalModelView)]
    clients = {"admin": login(ctx.app, "admin", ADMIN_PASSWORD), "station": login(ctx.app, "station", DEMO_PASSWORD)}
    counts: dict = {}
    for view in views:
        name = type(view).__name__
        for user, client in clients.items():
            for size in (25, 100):
                url = f"{view.route_base}/list/?psize_{name}={size}"
                client.get(url)  # warm
                counts.setdefault(name, {}).setdefault(user, {})[str(size)] = _count(ctx.app, client, url)
    worst = max(n for v in counts.values() for u in v.values() for n in u.values())
    return {"counts": counts, "max_statements": worst, "note": "negative = HTTP status (e.g. -403: not allowed)"}
