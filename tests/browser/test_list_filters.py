"""Filtering a list by a person or a grid in a real browser: "Add filter", type a few characters of the
name into the server-side picker, choose, search; the list shows that one's rows, and the applied filter
still names the chosen row when the page comes back."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser


def test_station_filters_people_by_grid(page, live_server, browser_login, artifacts, system):
    from sqlalchemy import func

    from portal.extensions import appbuilder
    from portal.grid.models import Grid, Person

    town = system.get(Grid, appbuilder.sm.find_user(username="station").profile.grid_id)
    in_town = select(Person.grid_id).join(Grid, Person.grid_id == Grid.id).where(Grid.path.like(town.path + "%"))
    grid_id = system.execute(in_town.group_by(Person.grid_id).order_by(func.count().desc(), Person.grid_id)).scalars().first()
    grid = system.get(Grid, grid_id)
    people = set(system.execute(select(Person.name_zh).where(Person.grid_id == grid.id)).scalars())
    others = set(system.execute(select(Person.name_zh).join(Grid, Person.grid_id == Grid.id)
                                .where(Grid.path.like(town.path + "%"), Person.grid_id != grid.id)).scalars())
    village = grid  # the picker's search text and the expected label
    system.rollback()
    assert people and others - people

    browser_login(page, "station")
    page.goto(f"{live_server}/personview/list/")
    page.click("#accordion1 a.accordion-toggle")  # FAB's "Search" panel
    page.click("#filter_form .dropdown-toggle")
    page.click('#filter_form a.filter[name="grid"]')
    picker = page.locator("#filter_form td.filter .select2-selection").last
    picker.click()
    page.keyboard.type(village.name_zh[-6:])
    page.wait_for_selector(".select2-results__option:not(.loading-results)")
    page.locator(".select2-results__option", has_text=village.name_zh).first.click()
    page.click("#filter_form button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=os.path.join(artifacts, "people_filtered_by_grid.png"), full_page=True)

    body = page.locator("table.table").last.inner_text()
    assert all(n in body for n in people)
    assert not any(n in body for n in others - people)
    assert f"_flt_0_grid={village.id}" in page.url
    # The applied filter names the chosen village (fetched by key from the same search endpoint).
    rendered = "#filter_form select.portal-ajax-select + .select2 .select2-selection__rendered"
    page.wait_for_function(f"(document.querySelector({rendered!r}) || {{}}).textContent > ' '")
    assert village.name_zh in page.locator(rendered).text_content()
