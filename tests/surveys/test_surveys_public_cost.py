"""What one public answer costs, pinned: statements per GET and POST, the form class cache, and that the
shortcuts of the fast path (no idempotency SELECT, the grid's scope rule in the WHERE clause, inserts
without the ORM) keep the behaviour they replace (docs/scaling.md, fifth round)."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.surveys.conftest import GOOD, form_fields
from tests.surveys.test_surveys_public import count_responses

# GET: one statement, the campaign with its version and the QR code's grid with "inside the targets".
# POST from a new device: that one, then the device mark, the answer and its counters — three INSERTs on
# SQLite, one statement on PostgreSQL (the first two as CTEs of the counters' upsert). Retries, refusals
# and returning devices may cost more; a plain answer may not.
GET_STATEMENTS = 1
POST_STATEMENTS = {"postgresql": 2, "sqlite": 4}


def test_statements_per_get_and_post_are_pinned(app, make_campaign, grids, count_queries):
    cid, slug, _ = make_campaign(grids=[grids["village"]])
    client = app.test_client()
    url = f"/survey/{slug}/?grid={grids['codes'][grids['basic'][0]]}"
    with count_queries() as statements:
        page = client.get(url)
    assert page.status_code == 200
    assert len(statements) == GET_STATEMENTS, statements
    assert client.get_cookie("anwang_sv")  # a new device: its cookie came with the page
    data = dict(form_fields(page.get_data(as_text=True)), **GOOD)
    with count_queries() as statements:
        r = client.post(url, data=data)
    assert 'id="survey-thanks"' in r.get_data(as_text=True)
    from portal.extensions import db

    with app.app_context():
        dialect = db.engine.dialect.name
    assert len(statements) == POST_STATEMENTS[dialect], statements
    assert count_responses(app, cid) == 1


def test_retry_after_a_lost_answer_stores_one(app, make_campaign):
    """The phone sent the answer but never got the thank-you page: the retry meets the key's unique
    constraint (and the device mark's) and gets the thank-you page again, nothing stored twice."""
    cid, slug, _ = make_campaign()
    client = app.test_client()
    url = f"/survey/{slug}/"
    data = dict(form_fields(client.get(url).get_data(as_text=True)), **GOOD)
    assert 'id="survey-thanks"' in client.post(url, data=data).get_data(as_text=True)
    again = client.post(url, data=data)
    assert again.status_code == 200 and 'id="survey-thanks"' in again.get_data(as_text=True)
    assert "举报有奖励吗" in again.get_data(as_text=True)  # the stored answer's review, not an empty page
    assert count_responses(app, cid) == 1


def test_grid_must_be_active_and_inside_the_targets(app, make_campaign, grids):
    from portal.extensions import db
    from portal.grid.models import Grid
    from portal.security.scope import system_scope
    from surveys.models import Response

    cid, slug, _ = make_campaign(grids=[grids["village"]])
    inside, outside = grids["basic"][0], grids["other_basic"]

    def answer_for(grid_id):
        client = app.test_client()
        url = f"/survey/{slug}/?grid={grids['codes'][grid_id]}"
        data = dict(form_fields(client.get(url).get_data(as_text=True)), **GOOD)
        assert 'id="survey-thanks"' in client.post(url, data=data).get_data(as_text=True)

    answer_for(inside)
    answer_for(outside)  # not a target of this campaign: counted without a grid
    with app.app_context(), system_scope("test"):
        db.session.get(Grid, inside).active = False
        db.session.commit()
    try:
        answer_for(inside)  # an inactive grid is not public: counted without a grid
        with app.app_context(), system_scope("test"):
            got = db.session.execute(select(Response.grid_id, func.count()).where(Response.campaign_id == cid)
                                     .group_by(Response.grid_id)).all()
            db.session.remove()
        assert dict(got) == {inside: 1, None: 2}
    finally:
        with app.app_context(), system_scope("test"):
            db.session.get(Grid, inside).active = True
            db.session.commit()
            db.session.remove()


def test_form_class_cached_per_version_hash_and_locale(app):
    from forms import FormSchema
    from surveys.public import SurveyFormBase
    from surveys.versions import cached_schema, form_class_of
    from tests.surveys.conftest import KNOWLEDGE_SCHEMA

    schema = FormSchema.from_dict(KNOWLEDGE_SCHEMA)
    digest = schema.schema_hash()
    with app.test_request_context("/"):
        zh = form_class_of(9001, digest, schema, "zh", SurveyFormBase)
        assert form_class_of(9001, digest, schema, "zh", SurveyFormBase) is zh
        assert form_class_of(9001, digest, schema, "mn_Mong_CN", SurveyFormBase) is not zh
        assert form_class_of(9002, digest, schema, "zh", SurveyFormBase) is not zh
        # A draft edited in place keeps its id but not its hash: its old class is never served again.
        changed = dict(KNOWLEDGE_SCHEMA, fields=KNOWLEDGE_SCHEMA["fields"][:2])
        changed_schema = FormSchema.from_dict(changed)
        other = form_class_of(9001, changed_schema.schema_hash(), changed_schema, "zh", SurveyFormBase)
        assert other is not zh and "q_report" not in other.__dict__ and "q_report" in zh.__dict__
    import json

    text = json.dumps(KNOWLEDGE_SCHEMA)
    assert cached_schema(9001, digest, text) is cached_schema(9001, digest, text)
    assert cached_schema(9001, "another-hash", text) is not cached_schema(9001, digest, text)


def test_draft_edit_changes_the_public_form(app, make_campaign):
    """The cache is keyed by the stored hash: editing a draft version shows the new questions at once."""
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import FormVersion
    from surveys.versions import _fill

    cid, slug, vid = make_campaign()
    client = app.test_client()
    assert "了解渠道" in client.get(f"/survey/{slug}/?_l_=zh").get_data(as_text=True)
    with app.app_context(), system_scope("test"):
        version = db.session.get(FormVersion, vid)
        schema = version.schema_dict
        schema["fields"] = [f for f in schema["fields"] if f["key"] != "q_ways"]
        _fill(version, schema)
        db.session.commit()
        db.session.remove()
    html = client.get(f"/survey/{slug}/?_l_=zh").get_data(as_text=True)
    assert "向谁报告隐患" in html and "了解渠道" not in html


def test_a_public_answer_uses_no_session(app, make_campaign):
    """A respondent gets the device cookie and nothing else: the form's own token stands in for the
    session's CSRF token, with CSRF protection on as served."""
    _cid, slug, _ = make_campaign()
    client = app.test_client()
    url = f"/survey/{slug}/"
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get(url)
        fields = form_fields(page.get_data(as_text=True))
        assert fields.get("form_token") and not fields.get("csrf_token")
        r = client.post(url, data=dict(fields, **GOOD))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert 'id="survey-thanks"' in r.get_data(as_text=True)
    for resp in (page, r):
        cookies = resp.headers.getlist("Set-Cookie")
        assert any(h.startswith("anwang_sv=") for h in cookies)
        assert not any(h.startswith("session=") for h in cookies)


def test_a_logged_in_session_from_another_browser_is_no_longer_fresh(app):
    from tests.conftest import DEMO_PASSWORD

    client = app.test_client()
    client.post("/login/", data={"username": "station", "password": DEMO_PASSWORD},
                headers={"User-Agent": "browser-a"})
    with client.session_transaction() as sess:
        assert sess.get("_user_id") and sess.get("_fresh") is True
    client.get("/gridview/list/", headers={"User-Agent": "browser-b"})
    with client.session_transaction() as sess:
        assert sess.get("_fresh") is False


def test_thank_you_pages_follow_the_review_and_the_titles(app, make_campaign):
    """Thank-you pages are kept per campaign titles, language, address and review: each answer still
    sees its own right and wrong answers, and a renamed campaign its new title."""
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import Campaign

    cid, slug, _ = make_campaign()
    url = f"/survey/{slug}/"

    def answer(**changes):
        client = app.test_client()
        page = client.get(url)
        return client.post(url, data=dict(form_fields(page.get_data(as_text=True)), **{**GOOD, **changes}))

    right = answer().get_data(as_text=True)
    wrong = answer(q_reward="no").get_data(as_text=True)
    assert right != wrong
    assert answer().get_data(as_text=True) == right
    with app.app_context(), system_scope("test"):
        db.session.get(Campaign, cid).title_zh = "改名后的调查"
        db.session.commit()
        db.session.remove()
    renamed = answer().get_data(as_text=True)
    assert "改名后的调查" in renamed and "改名后的调查" not in right


def test_store_writes_all_or_nothing_for_a_new_a_repeated_key_and_a_used_device(app, make_campaign, grids):
    """``submit.store``: a new answer writes the sheet, the device mark and its counters together (one
    statement on PostgreSQL, three on SQLite); the same key again is a "duplicate", another key from
    the same device is refused as "device", and neither leaves a row or a count behind."""
    import secrets
    from types import SimpleNamespace

    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys import submit
    from surveys.counts import token
    from surveys.models import AnswerCount, DeviceToken, FormVersion, Response
    from surveys.versions import schema_of

    cid, _slug, vid = make_campaign(grids=[grids["village"]])
    grid = grids["basic"][0]
    answers = {"knows_worker": True, "q_reward": True, "q_report": "worker", "q_ways": ["board"], "note": "好"}
    device, key = secrets.token_hex(16), secrets.token_hex(16)

    def figures():
        with app.app_context(), system_scope("test store"):
            out = (
                db.session.execute(select(func.count()).select_from(Response).where(Response.campaign_id == cid)).scalar(),
                db.session.execute(select(func.count()).select_from(DeviceToken).where(DeviceToken.campaign_id == cid)).scalar(),
                db.session.execute(select(func.coalesce(func.sum(AnswerCount.n), 0)).where(
                    AnswerCount.campaign_id == cid, AnswerCount.question == "q_report", AnswerCount.value == token("worker"))).scalar(),
            )
            db.session.remove()
        return out

    def store(answer_key, token):
        with app.test_request_context("/"), system_scope("test store"):
            schema = schema_of(db.session.get(FormVersion, vid))
            campaign = SimpleNamespace(id=cid, form_version_id=vid)
            outcome, earlier = submit.store(db.session, campaign, schema, answers, grid, answer_key, token)
            found = earlier.idempotency_key if earlier is not None else None
            db.session.remove()
        return outcome, found

    assert figures() == (0, 0, 0)
    assert store(key, device) == ("stored", None)
    assert figures() == (1, 1, 1)
    assert store(key, device) == ("duplicate", key)
    assert store(secrets.token_hex(16), device) == ("device", None)
    assert figures() == (1, 1, 1)
    assert store(secrets.token_hex(16), secrets.token_hex(16)) == ("stored", None)
    assert figures() == (2, 2, 2)
    with app.app_context(), system_scope("test store"):
        stored = db.session.execute(select(Response).where(Response.idempotency_key == key)).scalar_one()
        assert (stored.grid_id, stored.answers_json["note"], stored.knows_worker) == (grid, "好", True)
        db.session.remove()


def test_an_answer_is_one_prepared_statement_whatever_its_size(app, make_campaign, grids):
    """On PostgreSQL every answer sheet, however many questions it answers, is the same statement text
    (the counters as arrays), so psycopg prepares it: six sheets of six different sizes on one
    connection leave it in ``pg_prepared_statements``. With one text per number of counter rows none
    of them ran the five times psycopg waits for, and each was parsed and planned anew."""
    import secrets
    from types import SimpleNamespace

    import pytest
    from sqlalchemy.orm import Session

    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys import counts, submit
    from surveys.models import FormVersion
    from surveys.versions import schema_of

    cid, _slug, vid = make_campaign(grids=[grids["village"]])
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are psycopg's (PostgreSQL)")
        sheets = [{"knows_worker": True}, {"knows_worker": False, "q_reward": True},
                  {"knows_worker": True, "q_reward": False, "q_report": "worker"},
                  {"knows_worker": True, "q_reward": True, "q_report": "worker", "q_ways": ["board"]},
                  {"knows_worker": True, "q_reward": True, "q_report": "worker", "q_ways": ["board", "wechat"]},
                  {"knows_worker": True, "q_reward": True, "q_report": "worker", "q_ways": ["board", "wechat"],
                   "note": "好"}]
        with db.engine.connect() as conn, system_scope("test prepared answer"):
            session = Session(bind=conn)
            schema = schema_of(session.get(FormVersion, vid))
            fields = counts.layout(schema)
            assert len({len(counts.tokens(fields, s)) for s in sheets}) == len(sheets)  # six sizes
            campaign = SimpleNamespace(id=cid, form_version_id=vid)
            for answers in sheets:
                outcome = submit.store(session, campaign, schema, answers, grids["basic"][0], secrets.token_hex(16),
                                       secrets.token_hex(16))
                assert outcome == ("stored", None)
            prepared = [s for (s,) in conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements")]
            session.close()
    assert any("INSERT INTO survey_answer_count" in s for s in prepared), prepared
