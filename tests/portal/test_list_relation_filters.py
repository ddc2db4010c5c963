"""List filters on a related person or grid, picked through the server-side search (no <select> of every
row in scope): the filter shows the chosen rows only, stays inside the user's scope, and bad values are
refused without an error page."""
from __future__ import annotations

import datetime as dt
import json
import re
import secrets

import pytest
from sqlalchemy import select

from portal.grid.models import Grid, Person


def _list_names(html: str) -> list[str]:
    return re.findall(r'<td>\s*([^<]+?)\s*</td>', html)


@pytest.fixture()
def two_kit_issues(system):
    """Kit issues for two people of the township's first village and one outside the township."""
    from portal.workforce.models import KitIssue

    from portal.extensions import appbuilder

    town = system.get(Grid, appbuilder.sm.find_user(username="station").profile.grid_id)  # the station's township
    other_town = system.execute(select(Grid).where(Grid.level == 2, Grid.id != town.id).order_by(Grid.path)).scalars().first()
    inside = system.execute(select(Person).join(Grid, Person.grid_id == Grid.id)
                            .where(Grid.path.like(town.path + "%")).order_by(Person.id).limit(2)).scalars().all()
    outside = system.execute(select(Person).join(Grid, Person.grid_id == Grid.id)
                             .where(Grid.path.like(other_town.path + "%")).order_by(Person.id)).scalars().first()
    assert len(inside) == 2 and outside is not None
    note = "filter-" + secrets.token_hex(3)
    for p in (*inside, outside):
        system.add(KitIssue(person_id=p.id, items="vest,badge", date=dt.date(2026, 5, 1), note=note))
    system.commit()
    return {"inside": [p.id for p in inside], "outside": outside.id, "note": note}


def test_kit_register_filters_by_person(login, two_kit_issues):
    first, second = two_kit_issues["inside"]
    c = login("station")
    page = c.get(f"/kitissueview/list/?_flt_0_person={first}&psize_KitIssueView=100").get_data(as_text=True)
    rows = page.count(two_kit_issues["note"])
    assert rows == 1  # only that person's issue of the three
    everyone = c.get("/kitissueview/list/?psize_KitIssueView=100").get_data(as_text=True)
    assert everyone.count(two_kit_issues["note"]) == 2  # the township sees its two, not the third


def test_a_person_outside_the_scope_filters_to_nothing(login, two_kit_issues):
    c = login("station")
    r = c.get(f"/kitissueview/list/?_flt_0_person={two_kit_issues['outside']}")
    assert r.status_code == 200
    assert two_kit_issues["note"] not in r.get_data(as_text=True)


@pytest.mark.parametrize("value", ["abc", "9999999", "-1", "1 OR 1=1", "99999999999999999999", "1.5", ""])
def test_a_bad_filter_value_is_no_error(login, value):
    r = login("station").get(f"/kitissueview/list/?_flt_0_person={value}")
    assert r.status_code == 200


@pytest.mark.parametrize("url, field", [
    ("/kitissueview/list/", "person"),
    ("/leaverequestview/list/", "person"),
    ("/trainingattendanceview/list/", "person"),
    ("/meetingattendanceview/list/", "person"),
    ("/assignmentview/list/", "person"),
    ("/assignmentview/list/", "grid"),
    ("/personview/list/", "grid"),
    ("/unitview/list/", "grid"),
    ("/meetingview/list/", "grid"),
    ("/trainingsessionview/list/", "grid"),
])
def test_the_filter_offers_a_server_search_not_every_row(login, url, field):
    page = login("station").get(url).get_data(as_text=True)
    # FAB hands its filter script the labels, then the search form's fields as HTML, as JSON arguments
    args = re.search(r"new AdminFilters\(\s*'#filter_form',(.*?)\);", page, re.S).group(1)
    decoder = json.JSONDecoder()
    _labels, end = decoder.raw_decode(args.strip())
    fields, _end = decoder.raw_decode(args.strip()[end:].lstrip(" ,\n"))
    html = fields[field]
    assert "portal-ajax-select" in html and "search/" in html
    assert html.count("<option") <= 1  # the empty choice only


def test_units_filter_by_basic_grid(login, system):
    from portal.ledger.models import Unit

    from sqlalchemy import func

    grid_id = system.execute(select(Unit.grid_id).group_by(Unit.grid_id)
                             .order_by(func.count().desc(), Unit.grid_id)).scalars().first()
    grid = system.get(Grid, grid_id)
    names = set(system.execute(select(Unit.name).where(Unit.grid_id == grid.id)).scalars())
    assert names and len(names) < 100
    page = login("admin").get(f"/unitview/list/?_flt_0_grid={grid.id}&psize_UnitView=100").get_data(as_text=True)
    shown = {n for n in _list_names(page) if n in names}
    assert shown == names
    other = system.execute(select(Unit.name).where(Unit.grid_id != grid.id).limit(5)).scalars().all()
    assert not any(f">{n}<" in page for n in other)
    # the record count is the filtered one too (a subquery of the page's SELECT, filtered the same)
    units = system.execute(select(func.count(Unit.id)).where(Unit.grid_id == grid.id)).scalar()
    assert re.search(r"(?:Record Count|记录数):</strong>\s*(\d+)", page).group(1) == str(units)


def test_the_search_endpoint_names_a_chosen_row_in_scope_only(login, two_kit_issues):
    c = login("station")
    first = two_kit_issues["inside"][0]
    got = c.get(f"/personsearch/?id={first}").get_json()["results"]
    assert [r["id"] for r in got] == [first]
    assert c.get(f"/personsearch/?id={two_kit_issues['outside']}").get_json()["results"] == []
