"""The banner office reads a campaign's statistics in a real browser: the banner and its townships first,
a click on a township shows its villages, the breadcrumb leads back up."""
from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def answered_campaign(app):
    """A campaign with answers in one basic grid of the first township (by path)."""
    import secrets

    from sqlalchemy import select

    from portal.extensions import db
    from portal.grid.models import Grid
    from portal.security.scope import system_scope
    from surveys.models import Campaign, Response
    from surveys.seed import load_demo_campaign

    with app.app_context(), system_scope("browser test"):
        demo = load_demo_campaign(db.session)  # its questionnaire; a campaign of this test's own
        c = Campaign(slug="stats-" + secrets.token_hex(3), title_zh=demo.title_zh, title_mn=demo.title_mn,
                     form_version_id=demo.form_version_id, start_date=demo.start_date, end_date=demo.end_date)
        db.session.add(c)
        db.session.flush()
        basic = db.session.execute(select(Grid).where(Grid.level == 4).order_by(Grid.path)).scalars().first()
        ids = [int(x) for x in basic.path.strip("/").split("/")]
        for i in range(3):
            db.session.add(Response(campaign_id=c.id, form_version_id=c.form_version_id, grid_id=basic.id,
                                    answers_json={}, correct_count=i, knowledge_count=2, knows_worker=True,
                                    idempotency_key=secrets.token_hex(16)))
        db.session.commit()
        names = {g.id: g.name_zh for g in db.session.execute(select(Grid).where(Grid.id.in_(ids))).scalars()}
        out = {"slug": c.slug, "banner": names[ids[0]], "town": names[ids[1]], "village": names[ids[2]]}
        db.session.remove()
    return out


def test_office_drills_from_banner_to_village(page, live_server, browser_login, artifacts, answered_campaign):
    a = answered_campaign
    browser_login(page, "office")
    page.goto(f"{live_server}/surveyadmin/stats/{a['slug']}")
    table = page.locator("#sv-levels")
    assert a["banner"] in table.inner_text() and a["town"] in table.inner_text()
    assert a["village"] not in table.inner_text()
    table.get_by_role("link", name=a["town"]).click()
    page.wait_for_load_state("networkidle")
    assert a["village"] in page.locator("#sv-levels").inner_text()
    assert "50.0%" in page.locator("#sv-levels tr", has_text=a["village"]).inner_text()  # 3 of 6 right
    page.screenshot(path=os.path.join(artifacts, "survey_stats_township.png"), full_page=True)
    page.locator("#sv-crumbs").get_by_role("link", name=a["banner"]).click()
    page.wait_for_load_state("networkidle")
    assert a["village"] not in page.locator("#sv-levels").inner_text()
