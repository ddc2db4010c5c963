"""Interface language: choosing it, and showing user-entered names in it.

Order of choice: ``?_l_=`` (FAB's API convention) → the session (set by ``/lang/<code>``) → the
logged-in user's saved preference → the browser's Accept-Language → the default (zh).
"""
from __future__ import annotations

import functools

from flask import current_app, g, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _babel_gettext
from flask_babel.speaklater import LazyString
from flask.globals import _cv_app, _cv_request

MN = "mn_Mong_CN"
# The portal's name in Mongolian for the bilingual header (APP_NAME holds the Chinese one). Draft
# wording like the catalog; a deployment may set APP_NAME_MN.
APP_NAME_MN = "ᠠᠨᠸᠠᠩ · ᠠᠤᠬᠠᠨ ᠬᠣᠰᠢᠭᠤᠨ ᠤ ᠠᠶᠤᠯᠭᠦᠢ ᠦᠢᠯᠡᠳᠪᠦᠷᠢᠯᠡᠯ ᠦᠨ ᠲᠣᠷᠴᠢᠯᠠᠭᠰᠠᠨ ᠬᠠᠮᠢᠶᠠᠷᠤᠯ"
# Accept-Language tags that mean traditional-script Mongolian of China (and plain mn: in China the
# request almost always means the traditional script; Cyrillic is never offered here).
_MN_TAGS = ("mn", "mn-mong", "mn-cn", "mn-mong-cn")


def _from_accept_language() -> str | None:
    header = request.headers.get("Accept-Language", "")
    best: tuple[float, str] | None = None
    for part in header.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower().replace("_", "-")
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        loc = None
        if tag in _MN_TAGS or tag.startswith("mn-mong"):
            loc = MN
        elif tag == "zh" or tag.startswith("zh-"):
            loc = "zh"
        if loc and (best is None or q > best[0]):
            best = (q, loc)
    return best[1] if best else None


def select_locale() -> str:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default
    languages = current_app.config["LANGUAGES"]
    arg = request.args.get("_l_")
    if arg:
        return arg if arg in languages else default
    loc = session.get("locale")
    if loc in languages:
        return loc
    user = g.get("user")
    profile = getattr(user, "profile", None) if user is not None and getattr(user, "is_authenticated", False) else None
    if profile is not None and profile.locale in languages:
        return profile.locale
    return _from_accept_language() or default


_LOCALE_NAMES: dict = {}


def _babel_state():
    """Flask-Babel's per-request namespace (``g._flask_babel``), read without the ``g`` proxy; None
    outside an app context or before Flask-Babel first looked."""
    app_ctx = _cv_app.get(None)
    return app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None


def current_locale() -> str:
    """The request's language as a string ("zh", "mn_Mong_CN").

    Asked per cell on list pages (localized names): reads Flask-Babel's per-request value straight from
    ``g`` (the same attribute ``get_locale`` and ``force_locale`` set) instead of through three context
    proxies, and keeps each Locale's identifier (``str(Locale)`` rebuilds it every time).
    """
    if _cv_app.get(None) is None:
        return "zh"
    loc = getattr(_babel_state(), "babel_locale", None)
    if loc is None:
        try:
            loc = get_locale()
        except Exception:
            return "zh"
        if loc is None:
            return "zh"
    key = (loc.language, loc.territory, loc.script, loc.variant)
    try:
        return _LOCALE_NAMES[key]
    except KeyError:
        _LOCALE_NAMES[key] = name = str(loc)
        return name


def translations():
    """The request's catalog, as ``flask_babel.get_translations()`` returns it, found without going
    through ``g`` and the locale proxies when Flask-Babel has already loaded it (every template
    ``_()`` asks for it)."""
    domain = getattr(_babel_state(), "babel_domain", None)
    if domain is not None:
        found = domain.cache.get((current_locale(), domain.domain[0]))
        if found is not None:
            return found
    return get_translations()


def text(s) -> str:
    """``str(s)``; a ``lazy_gettext`` string is looked up in the catalog directly (Flask-Babel's
    ``LazyString.__str__`` goes through ``gettext`` and three context proxies)."""
    if type(s) is LazyString and s._func is _babel_gettext and len(s._args) == 1:
        msg = translations().ugettext(s._args[0])
        return msg % s._kwargs if s._kwargs else msg
    return str(s)


def _template_gettext(s):
    # FAB's templates pass lazy strings to _() (action names, labels): translating the msgid once is
    # what the double lookup amounted to
    if type(s) is LazyString:
        return text(s)
    return translations().ugettext(s)


def install_template_gettext(app) -> None:
    """Flask-Babel's template callables (the same four) reading the catalog through ``translations``."""
    app.jinja_env.install_gettext_callables(
        gettext=_template_gettext,
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


def is_mongolian() -> bool:
    return current_locale().startswith("mn")


def html_lang() -> str:
    return "mn-Mong-CN" if is_mongolian() else "zh-Hans"


def localized_name(obj) -> str:
    """The Mongolian form when the page is Mongolian and one exists, else the Chinese."""
    zh = getattr(obj, "name_zh", None) or ""
    if _cv_request.get(None) is not None and current_locale().startswith("mn"):
        mn = getattr(obj, "name_mn", None)
        if mn:
            return mn
    return zh


# ----------------------------------------------------------------- remembering the choice

def remember_locale(user, locale: str) -> bool:
    """Save ``locale`` as the user's preferred language, creating the profile row if missing.

    Returns True when something was written. A failure is logged and rolled back: choosing a
    language must never break the page that follows.
    """
    from portal.extensions import db
    from portal.security.models import UserProfile

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if locale not in current_app.config["LANGUAGES"]:
        return False
    try:
        profile = db.session.get(UserProfile, user.id)
        if profile is None:
            profile = UserProfile(user_id=user.id, sectors="", locale=locale)
            db.session.add(profile)
        elif profile.locale == locale:
            return False
        else:
            profile.locale = locale
        db.session.commit()
        return True
    except Exception:  # the redirect after /lang/<code> must still happen
        current_app.logger.exception("could not save the preferred language")
        db.session.rollback()
        return False


def _after_locale_view(response):
    """Hook after FAB's LocaleView (/lang/<code>): it set the session; also persist to the profile.

    A hook rather than a second view on /lang: FAB registers its LocaleView inside init_app and
    the first rule for a URL wins, so a replacement view would never be reached.
    """
    from flask_login import current_user

    from portal.extensions import appbuilder

    view = appbuilder.bm.locale_view
    if view is None or request.endpoint != f"{view.endpoint}.{view.default_view}":
        return response
    if response.status_code in (301, 302, 303) and current_user.is_authenticated:
        remember_locale(current_user, session.get("locale"))
    return response


# ------------------------------------------------------------------ dates and JavaScript texts

def format_day(value) -> str:
    """A date with an explicit pattern: CLDR has no Mongolian (China) month names (``M01``)."""
    if value is None:
        return ""
    from babel.dates import format_date

    return format_date(value, "yyyy-MM-dd", locale="en")


def once_per_language(build):
    """``build()`` run once per language and process, its result kept: catalogs do not change while the
    process runs. For texts every page asks for (``js_strings``, the list widget's words)."""
    kept: dict = {}

    @functools.wraps(build)
    def get():
        loc = current_locale()
        try:
            return kept[loc]
        except KeyError:
            kept[loc] = out = build()
            return out

    return get


@once_per_language
def js_strings() -> dict:
    """The texts FAB hard-codes in ab.js, Select2 and bootstrap-datepicker, in the page's language.

    Read by portal/static/js/anwang-i18n.js (loaded before ab.js), which installs them as the
    Select2 and datepicker defaults. msgids: translations/fab/js_strings.py. Built once per language
    (60 lookups on every page otherwise).
    """
    return _build_js_strings()


def _build_js_strings() -> dict:
    from flask_babel import gettext as _

    days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    days_short = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    days_min = ["Su", "Mo", "Tu", "We", "Th", "Fr", "Sa"]
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    months_short = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return {
        "placeholders": {"Select": _("Select"), "Select a State": _("Select a State")},
        "select2": {
            "errorLoading": _("The results could not be loaded."),
            # %(count)s is filled in by the script; both plural forms are sent.
            "inputTooLong": [_("Please delete %(count)s character"), _("Please delete %(count)s characters")],
            "inputTooShort": _("Please enter %(count)s or more characters"),
            "loadingMore": _("Loading more results…"),
            "maximumSelected": [_("You can only select %(count)s item"), _("You can only select %(count)s items")],
            "noResults": _("No results found"),
            "searching": _("Searching…"),
            "removeAllItems": _("Remove all items"),
        },
        "datepicker": {
            "days": [_(d) for d in days],
            "daysShort": [_(d) for d in days_short],
            "daysMin": [_(d) for d in days_min],
            "months": [_(m) for m in months],
            "monthsShort": [_(m) for m in months_short],  # "May" is one msgid for both forms
            "today": _("Today"),
            "clear": _("Clear"),
            "titleFormat": _("MM yyyy"),
            "format": "yyyy-mm-dd",
            "weekStart": 1,
        },
    }


def _msgids_not_extracted():  # pragma: no cover - read by pybabel extract only
    """Strings shown but never extracted: column names FAB's security views show without a msgid
    (prettified column keys), and _l() calls inside f-strings, which Babel's extractor skips."""
    from flask_babel import lazy_gettext as _l

    return [_l("Label"), _l("Description"), _l("Type to search grids")]


def _yes_no_none_formatters(appbuilder) -> None:
    """FAB prints booleans and empty values as Python's "True"/"False"/"None": on a Chinese or
    Mongolian page those are English words. Give every list/show column a translated formatter,
    unless the view already formats it."""
    from flask_appbuilder.baseviews import BaseCRUDView
    from flask_babel import gettext as _
    from sqlalchemy import Boolean
    from sqlalchemy import inspect as sa_inspect

    def fmt_bool(value):
        return "" if value is None else (_("Yes") if value else _("No"))

    def fmt_value(value):
        if value is None:
            return ""
        if value is True or value is False:
            return fmt_bool(value)
        return value

    # The export gives these columns the same text by column type, decided once per export
    # (portal.export_plan), instead of calling them for every cell.
    fmt_bool.export_by_type = fmt_value.export_by_type = True

    for view in appbuilder.baseviews:
        if not isinstance(view, BaseCRUDView):
            continue
        model = getattr(getattr(view, "datamodel", None), "obj", None)
        if model is None:
            continue
        mapper = sa_inspect(model)
        shown = set(getattr(view, "list_columns", []) or []) | set(getattr(view, "show_columns", []) or [])
        formatters = view.formatters_columns
        for name in shown - set(formatters):
            if name in mapper.columns and isinstance(mapper.columns[name].type, Boolean):
                formatters[name] = fmt_bool
            elif name in mapper.columns or name in mapper.relationships:
                if name in mapper.relationships and mapper.relationships[name].uselist:
                    continue
                formatters[name] = fmt_value


def _translate_fab_security_labels(appbuilder) -> None:
    """FAB's own security views leave some column labels as plain English (its GroupModelView has
    no label_columns at all; Role's "user", PermissionView's "role" filters): make every plain
    label a catalog lookup, and rebuild the forms that captured the English at start-up."""
    from flask_appbuilder.baseviews import BaseCRUDView
    from flask_babel import lazy_gettext as _l

    for view in appbuilder.baseviews:
        if not isinstance(view, BaseCRUDView) or not type(view).__module__.startswith("flask_appbuilder."):
            continue
        plain = {k: v for k, v in view.label_columns.items() if type(v) is str}
        if not plain:
            continue
        view.label_columns.update({k: _l(v) for k, v in plain.items()})
        view.add_form = view.edit_form = view.search_form = None
        view._init_forms()


def mongolian_warnings(item) -> list[str]:
    """Suffix-space warnings for every Mongolian text column (``*_mn``) of a model instance."""
    from sqlalchemy import inspect as sa_inspect

    from forms.mongolian import suffix_space_warnings

    out = []
    try:
        columns = sa_inspect(type(item)).columns
    except Exception:
        return out
    for column in columns:
        if column.key.endswith("_mn"):
            value = getattr(item, column.key, None)
            if isinstance(value, str):
                out += suffix_space_warnings(value)
    return out


def _warn_on_save(view) -> None:
    """Wrap a model view's pre_add/pre_update: flash a warning (the save goes on) when Mongolian
    text has an ordinary space before a case suffix. Menksoft text is refused by the form's
    MongolianText validator instead."""
    from flask import flash

    for hook in ("pre_add", "pre_update"):
        original = getattr(view, hook)

        def wrapped(item, _original=original):
            _original(item)
            for message in mongolian_warnings(item):
                flash(message, "warning")

        setattr(view, hook, wrapped)


def _adapt_views(appbuilder) -> None:
    """Translated yes/no/empty formatters and Mongolian suffix warnings on every model view.

    Once, at the first request, so that views registered after menu.py's i18n line count too."""
    from flask_appbuilder.baseviews import BaseCRUDView

    if getattr(appbuilder, "_portal_mn_warnings", False):
        return
    appbuilder._portal_mn_warnings = True
    _yes_no_none_formatters(appbuilder)
    for view in appbuilder.baseviews:
        if isinstance(view, BaseCRUDView) and getattr(view, "datamodel", None) is not None:
            table = getattr(getattr(view.datamodel, "obj", None), "__table__", None)
            if table is not None and any(c.key.endswith("_mn") for c in table.columns):
                _warn_on_save(view)


def register_views(appbuilder) -> None:
    """Language switch persistence, template helpers and the glossary page (one call from menu.py)."""
    app = current_app._get_current_object()  # register_views runs inside create_app's app context
    app.after_request(_after_locale_view)
    app.jinja_env.globals["portal_js_strings"] = js_strings
    install_template_gettext(app)
    app.jinja_env.filters["portal_day"] = format_day
    app.jinja_env.globals["app_name_mn"] = lambda: current_app.config.get("APP_NAME_MN", APP_NAME_MN)
    _translate_fab_security_labels(appbuilder)
    app.before_request(lambda: _adapt_views(appbuilder))
    from portal.glossary import register_views as register_glossary

    register_glossary(appbuilder)
