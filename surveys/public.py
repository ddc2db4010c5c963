"""Public questionnaire pages (no login): /survey/<slug>/?grid=<code>.

Anti-abuse, in the order a POST meets it: per-IP rate limit → honeypot → form token (signed for the
device cookie and the idempotency key the page was served with: the questionnaire's CSRF token,
``submit.form_token``) → schema hash and answer validation → idempotency key (a retry returns the same
thank-you) → device cookie (one answer per campaign per device; the device mark's primary key). Any
refusal re-shows the page in the respondent's language with every answer kept, and stores nothing.
Public questionnaires use no session at all: no session cookie is set for a respondent.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from flask import Blueprint, abort, current_app, get_template_attribute, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import String, bindparam, cast, exists, literal, or_, select
from wtforms import HiddenField, StringField

from forms import answers_from_form
from forms.schema import text_for
from portal.extensions import db
from portal.grid.models import Grid
from portal.security.scope import current_scope
from surveys import submit
from surveys.limits import limiter, submission_limit
from surveys.models import Campaign, FormVersion, campaign_grid
from surveys.versions import cached_schema, form_class_of, schema_of

bp = Blueprint("surveys", __name__, template_folder="templates", static_folder="static",
               static_url_path="/survey-static")

DEVICE_COOKIE = "anwang_sv"
DEVICE_MAX_AGE = 400 * 24 * 3600
LANGS = ("zh", "mn_Mong_CN")
HONEYPOT = "website"


class SurveyFormBase(FlaskForm):
    class Meta:
        csrf = False  # ``form_token`` stands in for the session's CSRF token (see ``submit.form_token``)

    idempotency_key = HiddenField()
    form_token = HiddenField()
    # Honeypot: hidden from people by CSS, filled by naive bots.
    website = StringField()


def _today() -> dt.date:
    return dt.date.today()


def _locale() -> str:
    loc = str(get_locale() or "zh")
    return loc if loc in LANGS else "zh"


# What a public page needs, in one statement: the campaign, its questionnaire version, and the grid of
# the QR code (``?grid=<code>``) with whether it lies inside the campaign. A target is the grid itself or
# one of its ancestors, i.e. an id on its path ("/1/7/15/"); a campaign without targets takes any grid
# (loading campaign.target_grids would be every village of a banner-wide campaign). One round trip: on
# PostgreSQL each statement is one more wait and more work for the database's share of the CPU. The
# schema text is read with the row but parsed once per version (``surveys.versions.cached_schema``).
#
# Data scope: of the tables read, only Grid is grid data. The statement carries the rule the ORM
# listener would add for Grid (``Scope.criteria_for``: anonymous visitors see active grids, staff
# their subtree) in the subquery that picks the grid, and runs on the session's connection: the
# listener's options for every scoped model cost ~1 ms per statement. Built once per scope, except for
# a subtree, whose prefix varies.
_CONTEXT_COLUMNS = (
    Campaign.id, Campaign.slug, Campaign.title_zh, Campaign.title_mn, Campaign.start_date, Campaign.end_date,
    Campaign.active, Campaign.form_version_id, FormVersion.schema_hash, FormVersion.schema_json,
    FormVersion.published, Grid.id.label("grid_id"), Grid.name_zh.label("grid_name_zh"),
    Grid.name_mn.label("grid_name_mn"),
)
_context_statements: dict = {}


def _context_statement(rule):
    chosen = select(Grid.id).where(Grid.code == bindparam("code"), Grid.active.is_(True))
    if rule is not None:
        chosen = chosen.where(rule)
    chosen = chosen.order_by(Grid.level.desc()).limit(1).correlate(None).scalar_subquery()
    targets = select(campaign_grid.c.grid_id).where(campaign_grid.c.campaign_id == Campaign.id)
    on_path = targets.where(Grid.path.contains(literal("/") + cast(campaign_grid.c.grid_id, String) + literal("/")))
    return (
        select(*_CONTEXT_COLUMNS, or_(~exists(targets), exists(on_path)).label("grid_inside"))
        .select_from(Campaign)
        .join(FormVersion, FormVersion.id == Campaign.form_version_id)
        .outerjoin(Grid, Grid.id == chosen)
        .where(Campaign.slug == bindparam("slug"))
    )


def _campaign(slug: str, grid_code: str | None = None):
    """The campaign as a read-only row (``id``, titles, dates, ``active``, ``form_version_id``, its
    version's ``schema_hash``, ``schema_json``, ``published``, and the QR code's grid: ``grid_id``,
    ``grid_name_zh``, ``grid_name_mn``, ``grid_inside``); 404 if there is none."""
    scope = current_scope()
    rule = scope.criteria_for(Grid)
    if scope.kind == "subtree":
        stmt = _context_statement(rule)
    else:
        stmt = _context_statements.get(scope)
        if stmt is None:
            stmt = _context_statements[scope] = _context_statement(rule)
    code = grid_code if grid_code and len(grid_code) <= 20 else None
    c = db.session.connection().execute(stmt, {"slug": slug, "code": code}).first()
    if c is None:
        abort(404)
    return c


def _is_open(campaign, today) -> bool:
    return bool(campaign.active) and campaign.start_date <= today <= campaign.end_date


class PublicGrid(NamedTuple):
    id: int
    name_zh: str
    name_mn: str | None


def _grid(campaign):
    """The grid the answer counts for, if the QR code named one inside the campaign's target grids."""
    if campaign.grid_id is None or not campaign.grid_inside:
        return None
    return PublicGrid(campaign.grid_id, campaign.grid_name_zh, campaign.grid_name_mn)


def _page(template, campaign, status=200, **ctx):
    loc = _locale()
    args = {k: v for k, v in request.args.items() if k != "_l_"}
    args.update(request.view_args or {})
    links = {code: url_for(request.endpoint, **args, _l_=code) for code in LANGS} if request.endpoint else {}
    return render_template(
        template, campaign=campaign, locale=loc, mn=loc.startswith("mn"), lang_links=links, **ctx
    ), status


def _form_page(campaign, schema, form, grid, status=200, messages=(), fields_html=None):
    return _page("surveys/form.html", campaign, status, schema=schema, form=form, grid=grid,
                 messages=list(messages), fields_html=fields_html)


_blank_fields: dict[tuple, Markup] = {}


def _blank_fields_html(campaign, schema, form) -> Markup:
    """The questions of a blank questionnaire as HTML (``render_schema_fields``), rendered once per
    version and language: with no answers and no errors they depend on nothing else, and rendering them
    was half the cost of the page. Keyed like the form class (a draft's hash changes with its text)."""
    locale = str(get_locale() or "")
    key = (campaign.form_version_id, campaign.schema_hash, _locale(), locale)
    html = _blank_fields.get(key)
    if html is None:
        if len(_blank_fields) >= 256:
            _blank_fields.clear()
        render = get_template_attribute("forms/render.html", "render_schema_fields")
        html = _blank_fields[key] = Markup(render(form, schema, _locale()))
    return html


_thanks_pages: dict[tuple, str] = {}


def _thanks(campaign, schema=None, answers=None, status=200):
    """The thank-you page. It is a function of the campaign's titles, the language, the address (its
    language links) and the review, so each distinct page is rendered once: a questionnaire has a few
    knowledge questions, hence a few right/wrong combinations, and rendering was a sixth of a POST."""
    review = _review(schema, answers)
    key = (campaign.id, campaign.title_zh, campaign.title_mn, str(get_locale() or ""), request.full_path,
           tuple((i["question"], i["answer"], i["right"]) for i in review))
    html = _thanks_pages.get(key)
    if html is None:
        html, _status = _page("surveys/thanks.html", campaign, review=review)
        if len(_thanks_pages) >= 1024:
            _thanks_pages.clear()
        _thanks_pages[key] = html
    return html, status


def _thanks_for(campaign, response):
    """The thank-you page of an answer stored earlier (a retry with the same idempotency key)."""
    return _thanks(campaign, schema_of(response.form_version), response.answers_json)


def _review(schema, answers):
    """Knowledge questions with the correct answer, and whether this respondent got it."""
    if schema is None or answers is None:
        return []
    from forms.schema import visible_keys

    loc = _locale()
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
    campaign = _campaign(slug, request.args.get("grid"))
    schema = cached_schema(campaign.form_version_id, campaign.schema_hash, campaign.schema_json)
    form_class = form_class_of(campaign.form_version_id, campaign.schema_hash, schema, _locale(), SurveyFormBase)
    grid = _grid(campaign)
    open_now = _is_open(campaign, _today()) and campaign.published
    token = request.cookies.get(DEVICE_COOKIE)

    if request.method == "GET":
        if not open_now:
            return _page("surveys/closed.html", campaign)
        if submit.device_used(db.session, campaign.id, token):
            return _page("surveys/already.html", campaign)
        device = token or submit.new_key()  # a new device gets its cookie with the page
        form = form_class(formdata=None)
        _arm(form, campaign.id, device)
        return _with_cookie(_form_page(campaign, schema, form, grid, fields_html=_blank_fields_html(campaign, schema, form)),
                            device)

    form = form_class()
    key = request.form.get("idempotency_key", "")
    if request.form.get(HONEYPOT):
        return _thanks(campaign)  # a bot: look successful, store nothing

    def earlier():
        """A retry of an answer already stored under this key gets its thank-you page again, whatever
        has changed since. Asked only before refusing: on the way to storing, the key's unique
        constraint answers the same question (``submit.store``) without a SELECT per answer."""
        found = submit.find_by_key(db.session, key)
        return found if found is not None and found.campaign_id == campaign.id else None

    if not open_now:
        if (found := earlier()) is not None:
            return _thanks_for(campaign, found)
        form.validate()
        return _form_page(campaign, schema, form, grid, 400,
                          [_l("This questionnaire is closed: answers are no longer accepted.")])
    problems = []
    if not (submit.KEY_RE.match(key or "")
            and submit.form_token_ok(request.form.get("form_token"), campaign.id, token, key)):
        problems.append(_l("The page was altered or is out of date. Please check your answers and send again."))
    if not form.validate() or problems:
        if (found := earlier()) is not None:
            return _thanks_for(campaign, found)
        if submit.device_used(db.session, campaign.id, token):
            return _page("surveys/already.html", campaign)
        if form.errors and not problems:
            problems.append(_l("Some answers are missing or not valid: see the marked questions."))
        # Sent again, the page must pass: a fresh key and token for this device (a new one if the
        # browser sent no cookie; it gets one with this page).
        token = token or submit.new_key()
        if problems:
            _arm(form, campaign.id, token)
        return _with_cookie(_form_page(campaign, schema, form, grid, 400, problems), token)
    # One answer per device: the device mark's primary key refuses a second one (``submit.store``), so
    # a plain answer costs no SELECT for it; the token proves the cookie came with the page.
    answers = answers_from_form(form, schema)
    outcome, response = submit.store(db.session, campaign, schema, answers, grid.id if grid else None, key, token)
    if outcome == "device":
        return _page("surveys/already.html", campaign)
    if outcome == "duplicate":
        return _with_cookie(_thanks_for(campaign, response), token)
    return _with_cookie(_thanks(campaign, schema, answers), token)


def _arm(form, campaign_id: int, device: str) -> None:
    """A new idempotency key, and the form token that signs it for this device."""
    form.idempotency_key.data = key = submit.new_key()
    form.form_token.data = submit.form_token(campaign_id, device, key)


def _with_cookie(page, token):
    body, status = page
    resp = current_app.make_response((body, status))
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
    csrf = app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(survey)  # checked by its own form token (module docstring)
