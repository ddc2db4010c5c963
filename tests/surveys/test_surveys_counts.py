"""Per-question counters (survey_answer_count): kept by every ORM insert, equal to counting the answers
themselves, summed within the viewer's scope, and rebuilt identically from the stored answers."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from tests.surveys.conftest import unique

SHEETS = [  # (grid key, answers)
    ("b0", {"knows_worker": True, "q_reward": True, "q_report": "worker", "q_ways": ["board", "visit"], "note": "多宣传"}),
    ("b0", {"knows_worker": False, "q_reward": False, "q_report": "nobody", "q_ways": [], "note": None}),
    ("b1", {"knows_worker": True, "q_reward": True, "q_report": "worker", "q_ways": ["visit"]}),
    ("other", {"knows_worker": True, "q_reward": False, "q_report": "worker", "q_ways": ["board"]}),
    (None, {"knows_worker": False, "q_report": "nobody"}),
]


def _expected(sheets):
    """Counted the slow way, straight from the answers (the rules of the former SQL)."""
    out = {"_total": len(sheets)}
    options = {"knows_worker": [True, False], "q_reward": [True, False], "q_report": ["worker", "nobody"],
               "q_ways": ["board", "visit"], "note": []}
    for key, opts in options.items():
        values = [a.get(key) for _g, a in sheets]
        answered = [v for v in values if v is not None]
        counts = Counter()
        for v in answered:
            for x in (set(v) if isinstance(v, list) else [v]):
                counts[x] += 1
        out[key] = {"answered": len(answered), "options": [(o, counts[o]) for o in opts]}
    return out


def test_counters_match_answers_scope_and_rebuild(app, make_campaign, grids):
    from portal.extensions import db
    from portal.security.scope import Scope, request_cache, system_scope
    from surveys.counts import rebuild
    from surveys.models import AnswerCount, FormVersion, Response
    from surveys.stats import question_counts
    from surveys.versions import schema_of

    cid, _slug, vid = make_campaign()
    where = {"b0": grids["basic"][0], "b1": grids["basic"][1], "other": grids["other_basic"], None: None}
    with app.app_context(), system_scope("test counters"):
        for g, answers in SHEETS:
            db.session.add(Response(campaign_id=cid, form_version_id=vid, grid_id=where[g], answers_json=answers,
                                    idempotency_key=unique("c").ljust(32, "0")[:32]))
        db.session.commit()
        schema = schema_of(db.session.get(FormVersion, vid))
        assert question_counts(db.session, cid, vid, schema) == _expected(SHEETS)
        # a counter is the sum of its shards' rows
        rows = lambda: sorted(tuple(r) for r in db.session.execute(  # noqa: E731
            select(AnswerCount.grid_id, AnswerCount.question, AnswerCount.value, func.sum(AnswerCount.n))
            .where(AnswerCount.campaign_id == cid)
            .group_by(AnswerCount.grid_id, AnswerCount.question, AnswerCount.value)))
        shards = set(db.session.execute(select(AnswerCount.shard).where(AnswerCount.campaign_id == cid)).scalars())
        assert len(shards) > 1  # the sheets' keys spread them
        kept = rows()
        assert (0, "", "", 1) in kept  # the sheet without a grid is counted under grid 0
        rebuild(db.session.connection(), cid)
        db.session.commit()
        assert rows() == kept
        from portal.grid.models import Grid

        town_path = db.session.get(Grid, grids["town"]).path
        db.session.remove()
    # A station of the township sees the counts of its own grids only (b0, b1: three sheets).
    with app.test_request_context():
        request_cache()["scope"] = Scope("subtree", prefix=town_path, grid_id=grids["town"])
        got = question_counts(db.session, cid, vid, schema)
        db.session.remove()
    assert got == _expected([s for s in SHEETS if s[0] in ("b0", "b1")])


def test_failed_submission_leaves_no_count(app, make_campaign, grids):
    from sqlalchemy.exc import IntegrityError

    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys.models import AnswerCount, Response

    cid, _slug, vid = make_campaign()
    key = unique("dup").ljust(32, "0")[:32]
    with app.app_context(), system_scope("test counters"):
        db.session.add(Response(campaign_id=cid, form_version_id=vid, grid_id=grids["basic"][0],
                                answers_json={"knows_worker": True}, idempotency_key=key))
        db.session.commit()
        db.session.add(Response(campaign_id=cid, form_version_id=vid, grid_id=grids["basic"][0],
                                answers_json={"knows_worker": True}, idempotency_key=key))
        try:
            db.session.commit()
            raise AssertionError("duplicate key accepted")
        except IntegrityError:
            db.session.rollback()
        n = db.session.execute(select(func.sum(AnswerCount.n)).where(
            AnswerCount.campaign_id == cid, AnswerCount.question == "knows_worker", AnswerCount.value == "true")).scalar()
        db.session.remove()
    assert n == 1


def test_an_answer_counts_in_the_shard_of_its_key(app):
    from surveys.counts import SHARDS, shard_for

    keys = [f"{i:08x}" + "0" * 24 for i in range(64)]
    with app.app_context():
        got = [shard_for(k) for k in keys]
        assert got == [shard_for(k) for k in keys]  # a retry adds to the same rows
        assert set(got) == set(range(SHARDS))
        assert shard_for(None) == 0
        app.config["SURVEY_COUNTER_SHARDS"] = 1
        try:
            assert {shard_for(k) for k in keys} == {0}
        finally:
            del app.config["SURVEY_COUNTER_SHARDS"]


def test_a_sheet_counts_alike_in_one_statement_or_row_by_row(tmp_path):
    """``add_sheet`` writes a sheet's counters as one multi-row upsert (a very large sheet row by row):
    either way every counter ends up with what the answers say, added to what was there."""
    import sqlalchemy as sa

    from surveys import counts

    engine = sa.create_engine(f"sqlite:///{tmp_path}/counts.db")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE survey_answer_count (campaign_id integer NOT NULL, form_version_id integer NOT NULL, "
            "grid_id integer NOT NULL, question text NOT NULL, value text NOT NULL, shard smallint NOT NULL, "
            "n integer NOT NULL, PRIMARY KEY (campaign_id, form_version_id, grid_id, question, value, shard))")
    small = ([("knows", "yes_no"), ("ways", "multi_choice")], {"knows": True, "ways": ["a", "b"]})
    many = [(f"q{i}", "single_choice") for i in range(40)]
    large = (many, {f"q{i}": f"v{i % 3}" for i in range(40)})  # 80 counter rows: over the one-statement size
    assert len(counts.tokens(*large)) > counts.MAX_ROWS_IN_ONE >= len(counts.tokens(*small))
    with engine.begin() as conn:
        for fields, answers in (small, small, large, large):
            counts.add_sheet(conn, 1, 1, None, fields, answers, shard=3)
    with engine.connect() as conn:
        stored = {(q, v): n for q, v, n, g, s in conn.exec_driver_sql(
            "SELECT question, value, n, grid_id, shard FROM survey_answer_count") if g == 0 and s == 3}
        assert conn.exec_driver_sql("SELECT count(*) FROM survey_answer_count WHERE grid_id <> 0 OR shard <> 3"
                                    ).scalar() == 0
    want = Counter()
    for fields, answers in (small, small, large, large):
        want.update(counts.tokens(fields, answers))
    assert stored == dict(want)
    engine.dispose()
