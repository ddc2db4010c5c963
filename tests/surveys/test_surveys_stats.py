"""Statistics: hand-made answers per level, round trip through the public page, scope, exports, versions."""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from tests.surveys.conftest import unique


def add_responses(app, campaign_id, version_id, rows):
    """rows: (grid_id, correct, knowledge, knows_worker)."""
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import Response

    with app.app_context(), system_scope("test answers"):
        for grid_id, correct, knowledge, knows in rows:
            db.session.add(Response(campaign_id=campaign_id, form_version_id=version_id, grid_id=grid_id,
                                    answers_json={"knows_worker": knows} if knows is not None else {},
                                    correct_count=correct, knowledge_count=knowledge, knows_worker=knows,
                                    idempotency_key=unique("k").ljust(32, "0")[:32]))
        db.session.commit()
        db.session.remove()


@pytest.fixture()
def handmade(app, make_campaign, grids):
    cid, slug, vid = make_campaign()
    b0, b1 = grids["basic"][:2]
    add_responses(app, cid, vid, [
        (b0, 2, 2, True), (b0, 1, 2, False), (b1, 0, 2, True), (grids["other_basic"], 2, 2, None),
        (None, 1, 2, True),  # no grid: counted in the total only
    ])
    return cid, slug, vid


def test_awareness_per_level(app, handmade, grids):
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.stats import awareness_by_level, totals

    cid, _slug, _vid = handmade
    with app.app_context(), system_scope("test stats"):
        rows = {s.grid_id: s for s in awareness_by_level(db.session, cid)}
        total = totals(db.session, cid)
        db.session.remove()
    b0, b1 = grids["basic"][:2]
    assert (rows[b0].respondents, rows[b0].awareness_rate, rows[b0].knows_worker_rate) == (2, 0.75, 0.5)
    assert (rows[b1].awareness_rate, rows[b1].knows_worker_rate) == (0.0, 1.0)
    assert rows[grids["village"]].awareness_rate == 0.5 and rows[grids["village"]].respondents == 3
    assert rows[grids["village"]].knows_worker_rate == pytest.approx(2 / 3)
    assert rows[grids["town"]].awareness_rate == 0.5 and rows[grids["town"]].level == 2
    assert rows[grids["other_town"]].awareness_rate == 1.0
    assert rows[grids["other_town"]].knows_worker_rate is None
    banner = rows[grids["banner"]]
    assert (banner.level, banner.respondents, banner.awareness_rate) == (1, 4, 5 / 8)
    assert banner.knows_worker_rate == pytest.approx(2 / 3)
    assert (total.respondents, total.awareness_rate) == (5, 6 / 10)


def test_station_sees_only_its_township(app, handmade, grids, login):
    cid, slug, _ = handmade
    client = login("station")

    def shown(query=""):
        html = client.get(f"/surveyadmin/stats/{slug}{query}").get_data(as_text=True)
        assert 'id="sv-levels"' in html
        return {int(x) for x in __import__("re").findall(r'data-grid="(\d+)"', html)}

    # One level at a time: the township and its villages; a village and its basic grids.
    assert grids["town"] in shown() and grids["village"] in shown() and grids["basic"][0] not in shown()
    assert {grids["village"], grids["basic"][0]} <= shown(f"?node={grids['village']}")
    for query in ("", f"?node={grids['other_town']}", f"?node={grids['banner']}", "?node=abc"):
        # another township or the banner: not the station's; it gets its own township back
        got = shown(query)
        assert grids["town"] in got
        assert grids["other_town"] not in got and grids["other_basic"] not in got and grids["banner"] not in got
    # The export of raw answers holds only the township's 3 answers.
    r = client.get(f"/surveyadmin/stats/{slug}/answers")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    assert ws.max_row == 1 + 3
    # Station staff may read but not edit questionnaires.
    assert client.get(f"/surveyadmin/builder/{slug}").status_code in (302, 403)
    office = login("office")
    ws = openpyxl.load_workbook(io.BytesIO(office.get(f"/surveyadmin/stats/{slug}/answers").data)).active
    assert ws.max_row == 1 + 5


def test_stats_export_reads_back(app, handmade, login):
    cid, slug, _ = handmade
    r = login("office").get(f"/surveyadmin/stats/{slug}/export")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert values[1][3] == 5 and values[1][4] == 60.0  # all answers: 5, awareness 60 %
    assert any(row[0] and "Question" in str(row[0]) or row[0] == "问题" for row in values if row)


def test_round_trip_schema_form_submission_statistics(app, make_campaign, answer, grids, login):
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import Response
    from surveys.stats import awareness_by_level, question_counts
    from surveys.versions import schema_of

    cid, slug, vid = make_campaign(grids=[grids["town"]])
    code = grids["codes"][grids["basic"][1]]
    answer(app.test_client(), slug, grid=code)  # all correct
    answer(app.test_client(), slug, grid=code, q_report="nobody", q_ways=["board", "visit"], knows_worker="no")
    with app.app_context(), system_scope("t"):
        from surveys.models import FormVersion

        schema = schema_of(db.session.get(FormVersion, vid))
        counts = question_counts(db.session, cid, vid, schema)
        levels = {s.grid_id: s for s in awareness_by_level(db.session, cid)}
        assert db.session.execute(select(Response).where(Response.campaign_id == cid)).scalars().all()
        db.session.remove()
    assert counts["_total"] == 2
    assert dict(counts["q_report"]["options"]) == {"worker": 1, "nobody": 1}
    assert dict(counts["q_ways"]["options"]) == {"board": 2, "visit": 1}
    assert dict(counts["knows_worker"]["options"]) == {True: 1, False: 1}
    assert counts["note"]["answered"] == 2
    assert levels[grids["basic"][1]].awareness_rate == 0.75
    assert levels[grids["basic"][1]].knows_worker_rate == 0.5
    html = login("office").get(f"/surveyadmin/stats/{slug}").get_data(as_text=True)
    assert "75.0%" in html and "<svg" in html and "https://" not in html.split("</nav>")[-1]


def test_versioning_keeps_old_answers(app, make_campaign, answer, login):
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import Campaign, Response

    cid, slug, v1 = make_campaign()
    answer(app.test_client(), slug)
    client = login("office")
    page = client.get(f"/surveyadmin/builder/{slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    import re

    count = int(re.search(r'name="count" value="(\d+)"', html).group(1))
    data = {"count": str(count), "title_zh": "测试问卷二", "title_mn": "ᠰᠢᠯᠭᠠᠯᠲᠠ"}
    for name, value in re.findall(r'name="(q-\d+-(?:key|label_zh|label_mn|correct|show_if_field|show_if_equals))" value="([^"]*)"', html):
        data[name] = value
    for name in re.findall(r'name="(q-\d+-type)">', html):
        pass
    for i, kind in enumerate(re.findall(r'<option value="(\w+)" selected>', html)):
        data[f"q-{i}-type"] = kind
    for name, value in re.findall(r'name="(q-\d+-choices)">([^<]*)</textarea>', html):
        data[name] = value
    for name in re.findall(r'name="(q-\d+-required)" value="1" checked', html):
        data[name] = "1"
    data["q-1-label_zh"] = "举报隐患有奖励吗（新）"
    # A bad edit first: a choice without its Mongolian text is refused, nothing saved.
    bad = dict(data, **{"q-2-choices": "worker|网格员|ᠠᠵᠢᠯᠲᠠᠨ\nnobody|不报告"})
    r = client.post(f"/surveyadmin/builder/{slug}", data=dict(bad, action="publish"))
    assert r.status_code == 200 and 'id="builder-problems"' in r.get_data(as_text=True)
    r = client.post(f"/surveyadmin/builder/{slug}", data=dict(data, action="publish"))
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    with app.app_context(), system_scope("t"):
        c = db.session.get(Campaign, cid)
        assert c.form_version_id != v1 and c.form_version.number == 2 and c.form_version.published
        assert "（新）" in c.form_version.schema_json
        old = db.session.execute(select(Response).where(Response.campaign_id == cid)).scalar_one()
        assert old.form_version_id == v1
        db.session.remove()
    # The public page now serves version 2; the stats page lists both versions' answers.
    html = app.test_client().get(f"/survey/{slug}/").get_data(as_text=True)
    assert "（新）" in html
    answer(app.test_client(), slug)
    stats_html = client.get(f"/surveyadmin/stats/{slug}").get_data(as_text=True)
    assert stats_html.count("sv-questions") == 2


def test_poster_svg_bilingual(app, make_campaign, grids, login):
    cid, slug, _ = make_campaign(grids=[grids["village"]])
    r = login("station").get(f"/surveyadmin/poster/{slug}?grid={grids['basic'][0]}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<svg" in html
    assert html.index('class="mn"') < html.index('class="zh"')
    assert f"grid={grids['codes'][grids['basic'][0]]}" in html
    assert login("station").get(f"/surveyadmin/poster/{slug}?grid={grids['other_basic']}").status_code == 404


def test_campaign_list_and_add(app, login, grids):
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import Campaign
    from surveys.seed import load_standard_questionnaire

    with app.app_context(), system_scope("t"):
        version = load_standard_questionnaire(db.session)
        vid = version.id
        db.session.commit()
        db.session.remove()
    client = login("office")
    slug = unique("new-camp-")
    r = client.post("/campaignview/add", data={
        "title_zh": "新调查", "title_mn": "ᠰᠤᠳᠤᠯᠭ᠎ᠠ", "slug": slug, "form_version": str(vid),
        "start_date": "2026-01-01", "end_date": "2026-12-31", "target_codes": grids["codes"][grids["village"]],
        "active": "y"})
    assert r.status_code == 302
    with app.app_context(), system_scope("t"):
        c = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one()
        assert [g.id for g in c.target_grids] == [grids["village"]]
        db.session.remove()
    # Newest start first: campaigns made by other tests may fill the first page, so search for it.
    assert slug in client.get(f"/campaignview/list/?_flt_0_slug={slug}").get_data(as_text=True)
    assert login("station").get("/campaignview/add").status_code in (302, 403)


@pytest.mark.parametrize("who", ["system", "station"])
def test_campaign_figures_in_one_read_equal_the_four_statements(app, handmade, who):
    """``campaign_figures`` (one GROUPING SETS read on PostgreSQL) gives what the four functions give,
    for the whole banner and inside a township's scope."""
    import contextlib
    import datetime as dt

    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys import stats
    from tests.portal.test_export_plan import as_user

    cid, _slug, vid = handmade
    # answers in two weeks, so the trend has more than one row
    add_responses(app, cid, vid, [(None, 1, 1, False)])
    with app.app_context(), system_scope("test"):
        from surveys.models import Response

        last = db.session.execute(select(Response).where(Response.campaign_id == cid).order_by(Response.id.desc())).scalars().first()
        last.submitted_at = last.submitted_at - dt.timedelta(days=14)
        db.session.commit()
        db.session.remove()

    ctx = (contextlib.ExitStack() if who == "system" else as_user(app, "station"))
    with app.app_context(), ctx:
        with (system_scope("test") if who == "system" else contextlib.nullcontext()):
            s = db.session
            figures = stats.campaign_figures(s, cid)
            assert figures.levels == stats.awareness_by_level(s, cid)
            assert figures.total == stats.totals(s, cid)
            assert figures.trend == stats.weekly_trend(s, cid)
            assert figures.versions == stats.versions_answered(s, cid)
            if who == "system":
                assert len(figures.trend) == 2 and figures.total.respondents == 6
            else:
                assert 0 < figures.total.respondents < 6
            db.session.remove()


def test_the_banner_office_drills_down_from_the_banner(app, handmade, grids, login):
    import re

    _cid, slug, _vid = handmade
    client = login("admin")
    top = client.get(f"/surveyadmin/stats/{slug}").get_data(as_text=True)
    rows = [int(x) for x in re.findall(r'data-grid="(\d+)"', top)]
    assert rows[0] == grids["banner"] and {grids["town"], grids["other_town"]} <= set(rows)
    assert grids["village"] not in rows
    assert f'?node={grids["town"]}"' in top  # each township links one level down
    town = client.get(f"/surveyadmin/stats/{slug}?node={grids['town']}").get_data(as_text=True)
    rows = [int(x) for x in re.findall(r'data-grid="(\d+)"', town)]
    assert rows[0] == grids["town"] and grids["village"] in rows and grids["other_town"] not in rows
    assert 'id="sv-crumbs"' in town and f'?node={grids["banner"]}"' in town  # the way back up
    # The export still holds every level.
    import io

    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(client.get(f"/surveyadmin/stats/{slug}/export").data)).active
    names = {row[1] for row in ws.iter_rows(values_only=True)}
    assert len([n for n in names if n]) >= 5
