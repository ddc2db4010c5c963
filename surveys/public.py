"""Public questionnaire pages (no login): /survey/<slug>/?grid=<code>.

Anti-abuse, in the order a POST meets it: per-IP rate limit → CSRF (Flask-WTF) → honeypot →
idempotency key (a retry returns the same thank-you) → device cookie (one answer per campaign per
device) → schema hash and answer validation. Any refusal re-shows the page in the respondent's
language with every answer kept, and stores nothing.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, StringField

from forms import build_form_class
from forms.schema import text_for
from portal.extensions import db
from portal.grid.models import Grid
from surveys import submit
from surveys.limits import limiter, submission_limit
from surveys.models import Campaign, campaign_grid
from surveys.versions import schema_of

bp = Blueprint("surveys", __name__, template_folder="templates", static_folder="static",
               static_url_path="/survey-static")

DEVICE_COOKIE = "anwang_sv"
DEVICE_MAX_AGE = 400 * 24 * 3600
LANGS = ("zh", "mn_Mong_CN")
HONEYPOT = "website"


class SurveyFormBase(FlaskForm):
    idempotency_key = HiddenField()
    # Honeypot: hidden from people by CSS, filled by naive bots.
    website = StringField()


def _today() -> dt.date:
    return dt.date.today()


def _locale() -> str:
    loc = str(get_locale() or "zh")
    return loc if loc in LANGS else "zh"


def _campaign(slug: str) -> Campaign:
    c = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
    if c is None:
        abort(404)
    return c


def _grid(campaign: Campaign, code: str | None):
    """The grid the answer counts for, if the QR code named one inside the campaign's target grids."""
    if not code or len(code) > 20:
        return None
    grid = db.session.execute(
        select(Grid).where(Grid.code == code, Grid.active.is_(True)).order_by(Grid.level.desc())
    ).scalars().first()
    if grid is None:
        return None
    # A target is the grid itself or one of its ancestors (ids on its path); no targets: any grid. Asked
    # of the database: loading campaign.target_grids is every village of a banner-wide campaign.
    targets = select(campaign_grid.c.grid_id).where(campaign_grid.c.campaign_id == campaign.id)
    inside = select(Grid.id).where(Grid.id.in_(targets), Grid.id.in_(grid.ancestor_ids)).limit(1)
    if db.session.execute(inside).first() is None and \
            db.session.execute(select(Grid.id).where(Grid.id.in_(targets)).limit(1)).first() is not None:
        return None
    return grid


def _page(template, campaign, status=200, **ctx):
    loc = _locale()
    args = {k: v for k, v in request.args.items() if k != "_l_"}
    args.update(request.view_args or {})
    links = {code: url_for(request.endpoint, **args, _l_=code) for code in LANGS} if request.endpoint else {}
    return render_template(
        template, campaign=campaign, locale=loc, mn=loc.startswith("mn"), lang_links=links, **ctx
    ), status


def _form_page(campaign, schema, form, grid, status=200, messages=()):
    return _page("surveys/form.html", campaign, status, schema=schema, form=form, grid=grid,
                 messages=list(messages))


def _thanks(campaign, response, status=200):
    schema = schema_of(response.form_version) if response is not None else None
    return _page("surveys/thanks.html", campaign, status, review=_review(schema, response))


def _review(schema, response):
    """Knowledge questions with the correct answer, and whether this respondent got it."""
    if schema is None or response is None:
        return []
    from forms.schema import visible_keys

    loc, answers = _locale(), response.answers_json or {}
    shown = visible_keys(schema, answers)
    items = []
    for spec in schema.fields:
        if spec.correct is None or spec.key not in shown:
            continue
        if spec.type == "yes_no":
            correct_text = str(_l("Yes") if spec.correct else _l("No"))
        else:
            wanted = spec.correct if isinstance(spec.correct, list) else [spec.correct]
            correct_text = "；".join(text_for(c.label, loc) for c in spec.choices if c.value in wanted)
        given = answers.get(spec.key)
        right = (set(given or []) == set(spec.correct)) if spec.type == "multi_choice" else given == spec.correct
        items.append({"question": text_for(spec.label, loc), "answer": correct_text, "right": bool(right)})
    return items


@bp.route("/survey/<slug>/", methods=["GET", "POST"])
@limiter.limit(submission_limit, methods=["POST"])
def survey(slug):
    campaign = _campaign(slug)
    version = campaign.form_version
    schema = schema_of(version)
    grid = _grid(campaign, request.args.get("grid"))
    open_now = campaign.is_open(_today()) and version.published
    token = request.cookies.get(DEVICE_COOKIE)

    if request.method == "GET":
        if not open_now:
            return _page("surveys/closed.html", campaign)
        if submit.device_used(db.session, campaign.id, token):
            return _page("surveys/already.html", campaign)
        form = build_form_class(schema, _locale(), base=SurveyFormBase)(formdata=None)
        form.idempotency_key.data = submit.new_key()
        return _with_cookie(_form_page(campaign, schema, form, grid), token)

    form = build_form_class(schema, _locale(), base=SurveyFormBase)()
    key = request.form.get("idempotency_key", "")
    if request.form.get(HONEYPOT):
        return _thanks(campaign, None)  # a bot: look successful, store nothing
    earlier = submit.find_by_key(db.session, key)
    if earlier is not None and earlier.campaign_id == campaign.id:
        return _thanks(campaign, earlier)
    if not open_now:
        form.validate()
        return _form_page(campaign, schema, form, grid, 400,
                          [_l("This questionnaire is closed: answers are no longer accepted.")])
    if submit.device_used(db.session, campaign.id, token):
        return _page("surveys/already.html", campaign)
    problems = []
    if not submit.KEY_RE.match(key or ""):
        problems.append(_l("The page was altered or is out of date. Please check your answers and send again."))
        form.idempotency_key.data = submit.new_key()
    if not form.validate() or problems:
        if form.errors and not problems:
            problems.append(_l("Some answers are missing or not valid: see the marked questions."))
        return _form_page(campaign, schema, form, grid, 400, problems)
    if not token:
        token = submit.new_key()
    outcome, response = submit.store(db.session, campaign, schema, form, grid.id if grid else None, key, token)
    if outcome == "device":
        return _page("surveys/already.html", campaign)
    return _with_cookie(_thanks(campaign, response), token)


def _with_cookie(page, token):
    body, status = page
    resp = current_app.make_response((body, status))
    if token is None:
        token = submit.new_key()
    resp.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_MAX_AGE, httponly=True, samesite="Lax",
                    secure=request.is_secure)
    return resp


@bp.errorhandler(429)
def _too_many(e):
    body, _status = _page("surveys/limited.html", None)
    return body, 429


def init_app(app) -> None:
    """Register the public questionnaire blueprint and its rate limiter (one line in create_app)."""
    from surveys.limits import init_limiter

    init_limiter(app)
    app.register_blueprint(bp)
