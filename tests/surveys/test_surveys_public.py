"""The public questionnaire: submission, idempotency, one answer per device, bad input, rate limit."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from tests.surveys.conftest import GOOD, form_fields


def count_responses(app, campaign_id):
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import Response

    with app.app_context(), system_scope("test count"):
        n = db.session.execute(select(func.count(Response.id)).where(Response.campaign_id == campaign_id)).scalar()
        db.session.remove()
    return n


def test_submit_and_thank_you_shows_correct_answers(app, make_campaign, answer, grids):
    cid, slug, vid = make_campaign(grids=[grids["village"]])
    client = app.test_client()
    code = grids["codes"][grids["basic"][0]]
    r = answer(client, slug, grid=code, q_reward="no")
    html = r.get_data(as_text=True)
    assert r.status_code == 200, html
    assert 'id="survey-thanks"' in html
    assert "举报有奖励吗" in html and "网格员" in html  # the knowledge questions and the right answer
    assert count_responses(app, cid) == 1
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import Response

    with app.app_context(), system_scope("t"):
        resp = db.session.execute(select(Response).where(Response.campaign_id == cid)).scalar_one()
        assert resp.grid_id == grids["basic"][0]
        assert (resp.correct_count, resp.knowledge_count, resp.knows_worker) == (1, 2, True)
        assert resp.answers_json["q_ways"] == ["board"]
        assert resp.form_version_id == vid
        columns = set(Response.__table__.columns.keys())
        assert not any(c for c in columns if "ip" in c.split("_") or "device" in c or "agent" in c)
        db.session.remove()


def test_mongolian_page(app, make_campaign, grids):
    cid, slug, _ = make_campaign()
    html = app.test_client().get(f"/survey/{slug}/?_l_=mn_Mong_CN").get_data(as_text=True)
    assert '<html lang="mn-Mong-CN">' in html
    assert "ᠱᠠᠩᠨᠠᠯ" in html
    # Both scripts in the header, the Mongolian first.
    assert html.index("ᠰᠤᠳᠤᠯᠭ᠎ᠠ") < html.index("测试调查")
    assert "http://" not in html and "https://" not in html


def test_same_idempotency_key_stores_one(app, make_campaign, answer):
    cid, slug, _ = make_campaign()
    client = app.test_client()
    url = f"/survey/{slug}/"
    fields = form_fields(client.get(url).get_data(as_text=True))
    data = dict(fields, **GOOD)
    first = client.post(url, data=data)
    again = client.post(url, data=data)  # a retry after a lost connection
    assert first.status_code == again.status_code == 200
    assert 'id="survey-thanks"' in again.get_data(as_text=True)
    assert count_responses(app, cid) == 1


def test_second_answer_from_same_device_refused(app, make_campaign, answer):
    cid, slug, _ = make_campaign()
    client = app.test_client()
    assert answer(client, slug).status_code == 200
    page = client.get(f"/survey/{slug}/")
    assert 'id="survey-already"' in page.get_data(as_text=True)
    # Posting a fresh key from the same device (cookie) is refused too.
    import secrets

    r = client.post(f"/survey/{slug}/", data=dict(GOOD, idempotency_key=secrets.token_hex(16)))
    assert 'id="survey-already"' in r.get_data(as_text=True)
    assert count_responses(app, cid) == 1
    # Another device may answer.
    assert answer(app.test_client(), slug).status_code == 200
    assert count_responses(app, cid) == 2


def test_bad_input_reshown_in_language_nothing_stored(app, make_campaign, answer):
    cid, slug, _ = make_campaign()
    client = app.test_client()
    r = answer(client, slug, data={"knows_worker": "yes", "q_reward": "", "q_report": "bogus", "note": "保留我"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "保留我" in html and 'value="yes" checked' in html.replace("checked ", "checked ")  or "checked" in html
    assert "has-error" in html
    # Tampered schema hash
    r = answer(app.test_client(), slug, schema_hash="0" * 64)
    assert r.status_code == 400 and "alert-danger" in r.get_data(as_text=True)
    # Mongolian respondent gets Mongolian-script page back
    r = answer(app.test_client(), slug, lang="mn_Mong_CN", q_report="bogus")
    assert r.status_code == 400 and '<html lang="mn-Mong-CN">' in r.get_data(as_text=True)
    assert count_responses(app, cid) == 0


def test_closed_campaign(app, make_campaign, answer):
    today = dt.date.today()
    cid, slug, _ = make_campaign(start=today - dt.timedelta(days=30), end=today - dt.timedelta(days=1))
    client = app.test_client()
    assert 'id="survey-closed"' in client.get(f"/survey/{slug}/").get_data(as_text=True)
    cid2, slug2, _ = make_campaign(start=today + dt.timedelta(days=3), end=today + dt.timedelta(days=9))
    assert 'id="survey-closed"' in client.get(f"/survey/{slug2}/").get_data(as_text=True)
    r = client.post(f"/survey/{slug}/", data=dict(GOOD, idempotency_key="a" * 32))
    assert r.status_code == 400 and count_responses(app, cid) == 0
    assert client.get("/survey/no-such-campaign/").status_code == 404


def test_honeypot_stores_nothing(app, make_campaign, answer):
    cid, slug, _ = make_campaign()
    r = answer(app.test_client(), slug, website="http://spam.example")
    assert r.status_code == 200 and count_responses(app, cid) == 0


def test_rate_limit_answers_429(app, make_campaign):
    from surveys.limits import limiter

    cid, slug, _ = make_campaign()
    app.config["SURVEY_RATE_LIMIT"] = "3 per minute"
    limiter.enabled = True
    try:
        limiter.reset()
        codes = []
        for _ in range(5):
            codes.append(app.test_client().post(f"/survey/{slug}/", data={"q_report": "x"}).status_code)
        assert codes[:3] == [400, 400, 400]
        assert codes[3] == 429
    finally:
        limiter.enabled = False
        limiter.reset()
        app.config.pop("SURVEY_RATE_LIMIT", None)


def _refused_and_kept(r, app, cid):
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "alert-danger" in html and 'id="survey-thanks"' not in html
    assert "保留我" in html  # what was typed is still there
    assert count_responses(app, cid) == 0
    return form_fields(html)


def test_form_token_binds_the_page_to_its_device_and_key(app, make_campaign):
    """The questionnaire's anti-forgery token: a POST without the page's token, with another device's
    cookie, with a swapped key or an expired token stores nothing and shows the page again with the
    answers kept and a fresh token that then goes through."""
    cid, slug, _ = make_campaign()
    url = f"/survey/{slug}/"
    answers = dict(GOOD, note="保留我")
    phone = app.test_client()
    fields = form_fields(phone.get(url).get_data(as_text=True))

    # A cross-site POST: the browser sends no cookie (SameSite=Lax), the forger has no token.
    forged = app.test_client().post(url, data=dict(answers, idempotency_key=fields["idempotency_key"]))
    _refused_and_kept(forged, app, cid)
    # The page's own fields from another browser (another device cookie): refused too.
    other = app.test_client()
    other.get(url)
    _refused_and_kept(other.post(url, data=dict(fields, **answers)), app, cid)
    # A key that is not the one the token signed.
    import secrets

    swapped = dict(fields, **answers, idempotency_key=secrets.token_hex(16))
    _refused_and_kept(phone.post(url, data=swapped), app, cid)
    # Expired.
    app.config["SURVEY_FORM_MAX_AGE"] = 60
    try:
        issued, mac = fields["form_token"].split(".")
        from surveys import submit

        with app.test_request_context():
            old = submit.form_token(cid, phone.get_cookie("anwang_sv").value, fields["idempotency_key"],
                                    int(issued) - 3600)
        again = _refused_and_kept(phone.post(url, data=dict(fields, **answers, form_token=old)), app, cid)
    finally:
        app.config["SURVEY_FORM_MAX_AGE"] = 7 * 24 * 3600
    # The page shown again carries a fresh key and token: sending it again stores the answer once.
    assert again["form_token"] != old and again["idempotency_key"] != fields["idempotency_key"]
    ok = phone.post(url, data=dict(again, **answers))
    assert 'id="survey-thanks"' in ok.get_data(as_text=True)
    assert count_responses(app, cid) == 1


def test_a_post_without_cookie_gets_one_to_send_again(app, make_campaign):
    """A browser that lost its cookie between page and answer (or never sent it) gets the page back with
    a device cookie and a token for it: sending again works."""
    cid, slug, _ = make_campaign()
    url = f"/survey/{slug}/"
    client = app.test_client()
    fields = form_fields(client.get(url).get_data(as_text=True))
    client.delete_cookie("anwang_sv")
    r = client.post(url, data=dict(fields, **dict(GOOD, note="保留我")))
    again = _refused_and_kept(r, app, cid)
    assert client.get_cookie("anwang_sv")
    assert 'id="survey-thanks"' in client.post(url, data=dict(again, **GOOD)).get_data(as_text=True)
    assert count_responses(app, cid) == 1
