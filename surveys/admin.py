"""Staff views: campaigns (CRUD), the questionnaire builder, statistics with exports, QR posters."""
from __future__ import annotations

import datetime as dt

import segno
from flask import abort, flash, redirect, render_template_string, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import force_locale
from flask_wtf.csrf import generate_csrf
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import ValidationError

from forms import build_form_class
from forms.schema import text_for, validate_schema
from portal import xlsx
from portal.extensions import db
from portal.grid.models import Grid
from portal.views_base import PortalModelView
from surveys import stats
from surveys.builder_form import TYPE_LABELS, blank_row, rows_from_post, rows_from_schema, schema_from_rows
from surveys.models import Campaign, FormVersion, Response
from surveys.versions import PublishError, publish, save_schema, schema_of

LEVEL_LABELS = {1: _l("Banner"), 2: _l("Township"), 3: _l("Village"), 4: _l("Basic grid")}


def _codes(text):
    return [c for c in (text or "").replace(",", " ").replace("，", " ").split() if c]


class KnownGridCodes:
    def __call__(self, form, field):
        for code in _codes(field.data):
            if db.session.execute(select(Grid.id).where(Grid.code == code)).first() is None:
                raise ValidationError(_l("Unknown grid code: %(code)s", code=code))


class CampaignView(PortalModelView):
    """调查活动: which questionnaire version, when, where."""

    datamodel = SQLAInterface(Campaign)
    list_title = _l("Survey campaigns")
    show_title = _l("Survey campaign")
    add_title = _l("Add survey campaign")
    edit_title = _l("Edit survey campaign")
    list_columns = ["title_zh", "slug", "form_version", "start_date", "end_date", "active"]
    search_columns = ["title_zh", "slug", "start_date", "end_date", "active"]
    add_columns = ["title_zh", "title_mn", "slug", "form_version", "start_date", "end_date", "target_codes", "active"]
    edit_columns = add_columns
    show_columns = ["title_zh", "title_mn", "slug", "form_version", "start_date", "end_date", "target_grids", "active"]
    base_order = ("start_date", "desc")
    label_columns = {
        "title_zh": _l("Title (Chinese)"), "title_mn": _l("Title (Mongolian)"), "slug": _l("Web address name"),
        "form_version": _l("Questionnaire version"), "start_date": _l("Start date"), "end_date": _l("End date"),
        "target_grids": _l("Target grids"), "target_codes": _l("Target grid codes"), "active": _l("Active"),
    }
    description_columns = {
        "slug": _l("Lower-case Latin letters, digits and -; it becomes the last part of the public page's address"),
        "target_codes": _l("Codes of the villages or grids surveyed, separated by spaces; empty: everywhere"),
    }
    add_form_extra_fields = {"target_codes": StringField(_l("Target grid codes"), validators=[KnownGridCodes()])}
    edit_form_extra_fields = add_form_extra_fields
    add_form_query_rel_fields = {"form_version": [["published", FilterEqual, True]]}
    edit_form_query_rel_fields = add_form_query_rel_fields
    formatters_columns = {
        "slug": lambda slug: Markup(
            f'<a href="{url_for("SurveyAdminView.stats", slug=slug)}">{escape(slug)}</a> · '
            f'<a href="{url_for("SurveyAdminView.builder", slug=slug)}">{escape(_("Questionnaire"))}</a> · '
            f'<a href="{url_for("SurveyAdminView.poster", slug=slug)}">{escape(_("QR poster"))}</a>'),
    }

    def _set_targets(self, item):
        codes = _codes(request.form.get("target_codes"))
        item.target_grids = db.session.execute(select(Grid).where(Grid.code.in_(codes))).scalars().all() if codes else []

    def pre_add(self, item):
        self._set_targets(item)

    def pre_update(self, item):
        self._set_targets(item)

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        if item is not None:
            form.target_codes.data = " ".join(g.code or "" for g in item.target_grids)


def _campaign(slug) -> Campaign:
    c = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
    if c is None:
        abort(404)
    return c


def _check_csrf():
    """No CSRFProtect is installed app-wide, so this hand-written form checks its token itself."""
    from flask import current_app
    from flask_wtf.csrf import CSRFError, validate_csrf
    from wtforms.validators import ValidationError as WTFValidationError

    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    try:
        validate_csrf(request.form.get("csrf_token"))
    except WTFValidationError as e:
        raise CSRFError(str(e))


def _pct(v):
    return None if v is None else round(100.0 * v, 1)


def question_table(session, campaign, version, locale):
    """Per-question rows for the page and the export: (question, [(answer, count, share%)], answered)."""
    schema = schema_of(version)
    counts = stats.question_counts(session, campaign.id, version.id, schema)
    out = []
    for spec in schema.fields:
        c = counts[spec.key]
        labels = {ch.value: text_for(ch.label, locale) for ch in spec.choices or []}
        rows = []
        for value, n in c["options"]:
            if isinstance(value, bool):
                label = _("Yes") if value else _("No")
            else:
                label = labels.get(value, str(value))
            rows.append((label, n, _pct(n / c["answered"]) if c["answered"] else None))
        out.append({"key": spec.key, "question": text_for(spec.label, locale), "answered": c["answered"],
                    "rows": rows, "knowledge": spec.correct is not None})
    return out, counts["_total"]


class SurveyAdminView(BaseView):
    route_base = "/surveyadmin"
    default_view = "stats"

    # -- statistics ---------------------------------------------------------------------------------
    @expose("/stats/<slug>")
    @has_access
    @permission_name("stats")
    def stats(self, slug):
        from portal.i18n import current_locale

        campaign = _campaign(slug)
        session = db.session
        figures = stats.campaign_figures(session, campaign.id)
        # One node and its children at a time (the export keeps every level).
        levels, crumbs = stats.drill(figures.levels, request.args.get("node", type=int))
        total, trend = figures.total, figures.trend
        sections = []
        for version_id, n in figures.versions:
            version = session.get(FormVersion, version_id)
            table, _total = question_table(session, campaign, version, current_locale())
            sections.append({"version": version, "respondents": n, "questions": table})
        peak = max([n for _, n, _ in trend] or [1])
        return self.render_template(
            "surveys/stats.html", campaign=campaign, levels=levels, crumbs=crumbs, deepest=max(stats.LEVELS),
            total=total, trend=trend, peak=peak,
            sections=sections, level_labels=LEVEL_LABELS, pct=_pct, title=_l("Survey statistics"),
        )

    @expose("/stats/<slug>/export")
    @has_access
    @permission_name("stats")
    def export_stats(self, slug):
        from portal.i18n import current_locale, localized_name

        campaign = _campaign(slug)
        session = db.session
        figures = stats.campaign_figures(session, campaign.id)
        total = figures.total
        rows = [[_("All answers you may see"), "", "", total.respondents, _pct(total.awareness_rate),
                 _pct(total.knows_worker_rate)]]
        for s in figures.levels:
            rows.append([str(LEVEL_LABELS.get(s.level, s.level)), localized_name(s), s.code or "", s.respondents,
                         _pct(s.awareness_rate), _pct(s.knows_worker_rate)])
        rows.append([])
        rows.append([_("Question"), _("Answer"), "", _("Count"), _("Share (%)")])
        for version_id, _n in figures.versions:
            table, _t = question_table(session, campaign, session.get(FormVersion, version_id), current_locale())
            for q in table:
                for label, n, share in q["rows"]:
                    rows.append([q["question"], label, "", n, share])
        headers = [_("Level"), _("Grid"), _("Code"), _("Respondents"), _("Awareness rate (%)"),
                   _("Knows the grid worker (%)")]
        label = _("Statistics")
        name = f"{campaign.slug}-{label}-{dt.date.today():%Y%m%d}.xlsx"
        return xlsx.export_response(name, label, headers, rows)

    @expose("/stats/<slug>/answers")
    @has_access
    @permission_name("stats")
    def export_answers(self, slug):
        from portal.i18n import current_locale

        campaign = _campaign(slug)
        schema = schema_of(campaign.form_version)
        keys = [f.key for f in schema.fields]
        headers = [_("Number"), _("Submitted at"), _("Grid code"), _("Grid"), _("Version"), _("Correct"),
                   _("Knowledge questions"), _("Knows the grid worker")] + [
            text_for(f.label, current_locale()) for f in schema.fields]

        def cell(v):
            if isinstance(v, bool):
                return _("Yes") if v else _("No")
            if isinstance(v, list):
                return ",".join(str(x) for x in v)
            return v

        getters = [
            lambda r: r.id, lambda r: r.submitted_at, lambda r: r.grid.code if r.grid else "",
            lambda r: r.grid.display_name if r.grid else "", lambda r: r.form_version.number,
            lambda r: r.correct_count, lambda r: r.knowledge_count, lambda r: cell(r.knows_worker),
        ] + [(lambda k: (lambda r: cell((r.answers_json or {}).get(k))))(k) for k in keys]
        query = db.session.query(Response).filter(Response.campaign_id == campaign.id).order_by(Response.id)
        label = _("Answers")
        name = f"{campaign.slug}-{label}-{dt.date.today():%Y%m%d}.xlsx"
        return xlsx.export_response(name, label, headers, xlsx.rows_from_query(query, getters))

    # -- QR poster ----------------------------------------------------------------------------------
    @expose("/poster/<slug>")
    @has_access
    @permission_name("poster")
    def poster(self, slug):
        campaign = _campaign(slug)
        grid = None
        if request.args.get("grid"):
            grid = db.session.get(Grid, request.args.get("grid", type=int) or 0)  # scoped
            if grid is None:
                abort(404)
        args = {"slug": campaign.slug, "_external": True}
        if grid is not None and grid.code:
            args["grid"] = grid.code
        link = url_for("surveys.survey", **args)
        svg = segno.make(link, error="m").svg_inline(scale=8, border=2, title=campaign.title_zh)
        texts = {}
        for loc in ("mn_Mong_CN", "zh"):
            with force_locale(loc):
                texts[loc] = {"scan": _("Scan the code with your phone to answer"),
                              "anon": _("Anonymous, about 3 minutes")}
        return render_template_string(
            POSTER, campaign=campaign, grid=grid, svg=Markup(svg), link=link, texts=texts,
            targets=campaign.target_grids,
        )

    # -- builder ------------------------------------------------------------------------------------
    @expose("/builder/<slug>", methods=["GET", "POST"])
    @has_access
    @permission_name("builder")
    def builder(self, slug):
        campaign = _campaign(slug)
        definition = campaign.form_version.definition
        latest = definition.latest
        base = latest.schema_dict if latest is not None else campaign.form_version.schema_dict
        title = dict(base.get("title") or {"zh": definition.title_zh, "mn": definition.title_mn or ""})
        problems, preview = [], None
        rows = rows_from_schema(base)
        if request.method == "POST":
            _check_csrf()
            title = {"zh": request.form.get("title_zh", "").strip(), "mn": request.form.get("title_mn", "").strip()}
            rows = rows_from_post(request.form)
            action = request.form.get("action", "save")
            number = latest.number if latest is not None and not latest.published else (latest.number + 1 if latest else 1)
            schema, problems = schema_from_rows(definition.key, title, number, rows)
            problems += validate_schema(schema)
            if action == "add":
                rows.append(blank_row())
                problems = []
            elif not problems and action in ("save", "publish"):
                version = save_schema(db.session, definition, schema)
                if action == "publish":
                    try:
                        publish(db.session, version)
                        campaign.form_version = version
                    except PublishError as e:  # pragma: no cover - validated just above
                        problems = e.errors
                if not problems:
                    db.session.commit()
                    flash(_("Questionnaire published as version %(n)d.", n=version.number) if action == "publish"
                          else _("Draft saved as version %(n)d.", n=version.number), "success")
                    return redirect(url_for("SurveyAdminView.builder", slug=slug))
            elif action == "preview" and not problems:
                preview = schema
        if preview is None and not problems and request.method == "GET":
            preview = base
        previews = []
        if preview is not None:
            from forms import FormSchema

            fs = FormSchema.from_dict(preview)
            for loc in ("mn_Mong_CN", "zh"):
                previews.append((loc, fs, build_form_class(fs, loc)(formdata=None, meta={"csrf": False})))
        if not any(not r["key"] for r in rows):
            rows.append(blank_row())
        return self.render_template(
            "surveys/builder.html", campaign=campaign, definition=definition, latest=latest, rows=rows,
            title_text=title, problems=problems, previews=previews, type_labels=TYPE_LABELS,
            title=_l("Questionnaire builder"), csrf_value=generate_csrf(),
        )


POSTER = """<!DOCTYPE html>
<html lang="mn-Mong-CN"><head><meta charset="utf-8"><title>{{ campaign.title_zh }}</title>
<style>
@page { size: A4; margin: 12mm; }
body { font-family: "Noto Sans Mongolian", "Noto Sans CJK SC", sans-serif; text-align: center; margin: 0; }
.poster { max-width: 180mm; margin: 0 auto; }
.mn { font-size: 26pt; margin: 6mm 0 2mm; }
.zh { font-size: 24pt; margin: 0 0 6mm; }
.grid-name { font-size: 16pt; }
.qr svg { width: 110mm; height: 110mm; }
.note { font-size: 14pt; margin: 2mm 0; }
.link { font-size: 10pt; color: #444; word-break: break-all; }
.others { text-align: left; font-size: 11pt; }
@media print { .others { display: none; } }
</style></head>
<body><div class="poster">
  <h1 class="mn" lang="mn-Mong-CN">{{ campaign.title_mn or campaign.title_zh }}</h1>
  <h1 class="zh" lang="zh-Hans-CN">{{ campaign.title_zh }}</h1>
  {% if grid %}<p class="grid-name"><span lang="mn-Mong-CN">{{ grid.name_mn or '' }}</span> {{ grid.name_zh }}</p>{% endif %}
  <div class="qr">{{ svg }}</div>
  <p class="note" lang="mn-Mong-CN">{{ texts['mn_Mong_CN'].scan }} · {{ texts['mn_Mong_CN'].anon }}</p>
  <p class="note" lang="zh-Hans-CN">{{ texts['zh'].scan }} · {{ texts['zh'].anon }}</p>
  <p class="link">{{ link }}</p>
  {% if targets %}<div class="others"><ul>{% for g in targets %}
    <li><a href="{{ url_for('SurveyAdminView.poster', slug=campaign.slug, grid=g.id) }}">{{ g.name_zh }}</a></li>{% endfor %}</ul></div>{% endif %}
</div></body></html>"""


def register_views(appbuilder) -> None:
    appbuilder.add_view(CampaignView, "Survey campaigns", label=_l("Survey campaigns"), icon="fa-list-alt",
                        category="Surveys", category_label=_l("Surveys"))
    appbuilder.add_view_no_menu(SurveyAdminView)
