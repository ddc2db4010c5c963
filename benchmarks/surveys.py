"""Survey statistics at banner scale: the statistics page and ``awareness_by_level`` against baseline (c),
hand-written SQL over the same answers.

(c) is the plainest single statement computing the same per-level figures: answers summed per grid, then
those sums per ancestor found by the grid path prefix (``node.path LIKE anc.path || '%'``), no ORM, no
scope, no template. (Joining every answer to its ancestors before grouping is the same SQL with the GROUP
BYs merged, and tests answers × grids prefixes: minutes at 200,000 answers.) The prefix join tests every
(grid, ancestor) pair, so (c0), only the per-grid GROUP BY (reading every answer once, the floor of any
way of computing these figures), is measured too.
"""
from __future__ import annotations

import sqlalchemy as sa

from benchmarks import dataset
from benchmarks.dataset import ADMIN_PASSWORD
from benchmarks.list_pages import _count, _getter, login
from benchmarks.registry import benchmark, ratio, time_calls

PER_GRID = """
    SELECT grid_id, count(*) AS n, sum(correct_count) AS correct, sum(knowledge_count) AS knowledge,
           sum(CASE WHEN knows_worker THEN 1 ELSE 0 END) AS knows_yes, count(knows_worker) AS knows_answered
    FROM survey_response
    WHERE campaign_id = :campaign AND grid_id IS NOT NULL
    GROUP BY grid_id
"""
BASELINE_C = f"""
WITH per_grid AS ({PER_GRID})
SELECT anc.id, anc.level, anc.code, anc.name_zh, anc.name_mn, anc.path,
       sum(p.n), sum(p.correct), sum(p.knowledge), sum(p.knows_yes), sum(p.knows_answered)
FROM per_grid p
JOIN grid node ON node.id = p.grid_id
JOIN grid anc ON node.path LIKE anc.path || '%'
WHERE anc.level IN (1, 2, 3, 4)
GROUP BY anc.id, anc.level, anc.code, anc.name_zh, anc.name_mn, anc.path
ORDER BY anc.path
"""


def baseline_c(engine, campaign_id: int, sql: str = BASELINE_C) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), {"campaign": campaign_id})]


def ensure_answers(ctx) -> tuple[int, str]:
    """The bench campaign with its 200,000 × SCALE answers (generated once per run)."""
    campaign_id, slug = dataset.survey_campaign(ctx)
    if not ctx.timings.get("survey_answers_s"):
        dataset.add_survey_answers(ctx, ctx.sizes["survey_answers"])
    return campaign_id, slug


@benchmark("survey_stats", "the survey statistics page and awareness_by_level over 200,000 answers vs (c) bare SQL")
def survey_stats(ctx) -> dict:
    from portal.extensions import db
    from portal.security.scope import system_scope
    from surveys import stats

    campaign_id, slug = ensure_answers(ctx)
    with ctx.app.app_context():
        engine = db.engine
    page_url = f"/surveyadmin/stats/{slug}"
    admin = login(ctx.app, "admin", ADMIN_PASSWORD)

    def by_level():
        with ctx.app.app_context(), system_scope("benchmark"):
            out = stats.awareness_by_level(db.session, campaign_id)
            db.session.remove()
            return out

    # Same figures both ways, or the comparison means nothing.
    got = [(s.grid_id, s.respondents, s.correct, s.knowledge, s.knows_yes, s.knows_answered) for s in by_level()]
    want = [(r[0], *(int(v) for v in r[6:])) for r in baseline_c(engine, campaign_id)]
    if got != want:
        raise RuntimeError(f"awareness_by_level differs from baseline (c): {len(got)} vs {len(want)} rows")
    runs, warmup = max(5, ctx.runs // 3), 1  # each call reads every answer: fewer runs than the list pages
    measures = {
        "stats_page": time_calls(_getter(admin, page_url, "sv-levels"), runs, warmup),
        "awareness_by_level": time_calls(by_level, runs, warmup),
        "baseline_c_bare_sql": time_calls(lambda: baseline_c(engine, campaign_id), runs, warmup),
        "baseline_c0_per_grid_group_by": time_calls(lambda: baseline_c(engine, campaign_id, PER_GRID), runs, warmup),
    }
    return {
        "measures": measures,
        "ratios": {
            "page/c": ratio(measures["stats_page"], measures["baseline_c_bare_sql"]),
            "awareness_by_level/c": ratio(measures["awareness_by_level"], measures["baseline_c_bare_sql"]),
            "page/c0": ratio(measures["stats_page"], measures["baseline_c0_per_grid_group_by"]),
            "awareness_by_level/c0": ratio(measures["awareness_by_level"], measures["baseline_c0_per_grid_group_by"]),
        },
        "rows": len(want),
        "answers": ctx.sizes["survey_answers"],
        "statements": {"stats_page": _count(ctx.app, admin, page_url)},
    }


# -- the public questionnaire under load (a target of benchmarks/submission.py) -------------------------

import html  # noqa: E402
import re  # noqa: E402

from benchmarks import submission  # noqa: E402

_INPUT = re.compile(r"<input\b[^>]*>", re.I)
_ATTR = re.compile(r'\b(name|value|type)="([^"]*)"')
THANKS_MARKER = b'id="survey-thanks"'


def load_app():
    """The portal as gunicorn serves it, with the per-IP submission limit raised (every client is
    127.0.0.1 here): the limiter still runs, it just does not refuse."""
    from portal import create_app

    return create_app({"SURVEY_RATE_LIMIT": "1000000 per second"})


def _survey_path(ctx) -> str:
    """The questionnaire of the bench campaign for one basic grid (as its QR code would link)."""
    engine = sa.create_engine(ctx.url)
    with engine.connect() as conn:
        code = conn.execute(sa.text("SELECT code FROM grid WHERE level = 4 ORDER BY path LIMIT 1")).scalar_one()
    engine.dispose()
    return f"/survey/{dataset.SURVEY_SLUG}/?grid={code}"


def _fresh_form(conn, path, client, seq):
    """GET the questionnaire as a new device (no cookies sent) and keep what its POST needs, as a phone
    would: the hidden fields (form_token, schema_hash, schema_version, a new idempotency_key) and the
    cookies the page set (the device cookie the form token is signed for). Nothing is carried to the
    next GET, so every answer comes from a new device."""
    conn.request("GET", path)
    resp = conn.getresponse()
    page = resp.read().decode()
    if resp.status != 200:
        raise RuntimeError(f"GET {resp.status}")
    cookies = [c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie") or []]
    return hidden_fields(page), {"Cookie": "; ".join(cookies)} if cookies else {}


def hidden_fields(page: str) -> dict:
    """The hidden inputs of a questionnaire page (form_token, schema_hash, schema_version, idempotency_key)."""
    hidden = {}
    for tag in _INPUT.findall(page):
        attrs = dict(_ATTR.findall(tag))
        if attrs.get("type") == "hidden" and attrs.get("name"):
            hidden[attrs["name"]] = html.unescape(attrs.get("value", ""))
    if "idempotency_key" not in hidden:
        raise RuntimeError("no questionnaire on the page")
    return hidden


def _answers(client: int, seq: int) -> dict:
    knows = (client + seq) % 3 != 0
    out = {"knows_worker": "yes" if knows else "no", "knows_boundary": "village_area",
           "report_hazard": ("tell_worker", "ignore", "unknown")[seq % 3], "reward": "yes",
           "major_hazard": "severe", "website": "", "suggestion": f"第{seq}份 ᠰᠠᠶᠢᠨ" if seq % 5 == 0 else ""}
    if knows:
        out["worker_visits"] = "monthly"
    return out


def _answers_of(slug: str):
    """database URL -> answers stored for the campaign ``slug``."""
    def count(url: str) -> int:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            n = conn.execute(sa.text(
                "SELECT count(*) FROM survey_response r JOIN survey_campaign c ON c.id = r.campaign_id "
                "WHERE c.slug = :slug"), {"slug": slug}).scalar()
        engine.dispose()
        return n

    return count


_count_answers = _answers_of(dataset.SURVEY_SLUG)
_count_baseline_answers = _answers_of(dataset.BASELINE_SLUG)


def _baseline_path(ctx) -> str:
    campaign, version, grid = dataset.baseline_campaign(ctx)
    return f"/answer?campaign={campaign}&version={version}&grid={grid}"


def _posted_answers(client: int, seq: int) -> dict:
    """What a respondent posts: the answers and the page's hidden fields (the baseline ignores these)."""
    return {**_answers(client, seq), "idempotency_key": "0" * 32, "form_token": "0." + "0" * 32}


# (e): the same insert as an answer, by a minimal endpoint, for the same questionnaire and grid.
submission.BASELINES["e"] = submission.Target(
    name="baseline_e_same_insert", app_spec="benchmarks.baselines:same_insert_app()", path=_baseline_path,
    fields=_posted_answers, count_stored=_count_baseline_answers, ready_path="/",
)

_PUBLIC_FORM = dict(
    app_spec="benchmarks.surveys:load_app()",
    path=_survey_path,
    fields=_answers,
    count_stored=_count_answers,
    prepare=dataset.survey_campaign,
    acknowledged=lambda status, body: THANKS_MARKER in body,
)
# Primary: a submission is the POST; every form was fetched (as a new device) before the timed window.
submission.TARGETS.append(submission.Target(name="survey_public_post", prefetch=_fresh_form, **_PUBLIC_FORM))
# Secondary: the whole answer, GET of the form page then its POST, both inside the window.
submission.TARGETS.append(submission.Target(name="survey_public_get_post_cycle", before=_fresh_form, **_PUBLIC_FORM))
