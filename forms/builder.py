"""Build a WTForms class from a FormSchema at run time.

Visibility (show_if) is decided on the server from the submitted data, the
same way show_if.js decides it in the browser: a hidden field is never
required and its value is dropped, so a worker is not blocked by a question
they could not see.
"""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    DateField, DecimalField, HiddenField, IntegerField, RadioField,
    SelectMultipleField, StringField, TextAreaField,
)
from wtforms.validators import Length, NumberRange, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .schema import RESERVED_KEYS, SchemaError, text_for, visible_keys
from .validators import MongolianText

IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "webp", "gif", "heic", "heif")
TEXT_MAX = 500
TEXTAREA_MAX = 5000


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes rather than a <select multiple>, which is awkward on phones."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _is_empty(field):
    if isinstance(field, FileField):
        return not field.data
    raw = getattr(field, "raw_data", None) or []
    return not any(str(v).strip() for v in raw)


# Replaces WTForms' own parse errors, so every message comes from this catalog.
_PARSE_MESSAGES = {
    "number": _l("Enter a whole number."),
    "decimal": _l("Enter a number."),
    "date": _l("Enter a date as YYYY-MM-DD."),
}


class _Presence:
    """First validator of every schema field: visibility, required, parse errors."""

    def __init__(self, spec):
        self.spec = spec
        # The browser's own check only for fields that are always shown (a
        # hidden required input would block submission), and never on
        # checkboxes, where it would demand that every box be ticked.
        browser_check = spec.required and not spec.show_if and spec.type != "multi_choice"
        self.field_flags = {"required": True} if browser_check else {}

    def __call__(self, form, field):
        if self.spec.key not in form._visible:
            field.errors[:] = []
            field.data = [] if self.spec.type == "multi_choice" else None
            raise StopValidation()
        if _is_empty(field):
            field.errors[:] = []
            raise StopValidation(_l("This field is required.") if self.spec.required else None)
        if field.process_errors:
            kind = "decimal" if self.spec.type == "number" and self.spec.decimals else self.spec.type
            field.errors[:] = []
            raise StopValidation(_PARSE_MESSAGES.get(kind, field.process_errors[0]))


class _AllowedChoices:
    def __init__(self, values):
        self.values = set(values)

    def __call__(self, form, field):
        submitted = field.data if isinstance(field.data, list) else [field.data]
        for value in submitted:
            if value not in self.values:
                raise ValidationError(_l(
                    "\u201c%(value)s\u201d is not one of the offered choices.", value=value))


def _range_validator(lo, hi):
    if lo is not None and hi is not None:
        message = _l("Enter a number from %(min)s to %(max)s.")
    elif lo is not None:
        message = _l("Enter a number of at least %(min)s.")
    elif hi is not None:
        message = _l("Enter a number of at most %(max)s.")
    else:
        return None
    return NumberRange(min=lo, max=hi, message=message)


def _make_field(spec, locale):
    label = text_for(spec.label, locale)
    description = text_for(spec.help, locale) if spec.help else ""
    validators = [_Presence(spec)]
    kind = spec.type

    def radio(choices):
        values = [value for value, _ in choices]
        return RadioField(label, choices=choices, coerce=str, validate_choice=False,
                          description=description,
                          validators=validators + [_AllowedChoices(values)])

    if kind == "single_choice":
        return radio([(c.value, text_for(c.label, locale)) for c in spec.choices])
    if kind == "rating":
        lo, hi = spec.bounds
        return radio([(str(i), str(i)) for i in range(int(lo), int(hi) + 1)])
    if kind == "yes_no":
        return radio([("yes", _l("Yes")), ("no", _l("No"))])
    if kind == "multi_choice":
        choices = [(c.value, text_for(c.label, locale)) for c in spec.choices]
        return MultiCheckboxField(label, choices=choices, coerce=str, validate_choice=False,
                                  description=description,
                                  validators=validators + [_AllowedChoices(v for v, _ in choices)])
    if kind in ("text", "textarea"):
        limit = TEXT_MAX if kind == "text" else TEXTAREA_MAX
        cls = StringField if kind == "text" else TextAreaField
        return cls(label, description=description, filters=[_strip],
                   validators=validators + [
                       Length(max=limit, message=_l("At most %(max)d characters.")),
                       MongolianText()])
    if kind == "number":
        extra = [v for v in [_range_validator(spec.min, spec.max)] if v]
        if spec.decimals:
            return DecimalField(label, places=spec.decimals, description=description,
                                validators=validators + extra)
        return IntegerField(label, description=description, validators=validators + extra)
    if kind == "date":
        return DateField(label, format="%Y-%m-%d", description=description, validators=validators)
    if kind == "photo":
        return FileField(label, description=description, validators=validators + [
            FileAllowed(IMAGE_EXTENSIONS, message=_l(
                "Upload a photo: a JPG, PNG, WebP, GIF or HEIC image."))])
    raise SchemaError(f"unknown field type {kind!r} for {spec.key!r}")


_wtforms_catalogs: dict[str, object] = {}


class _SchemaFormMeta:
    """Flask-WTF loads and parses WTForms' own message catalog once per request (for the default labels
    of hidden fields, among others); it never changes while the process runs, so keep one per locale.
    Everything else about Flask-WTF's translations is unchanged (``WTF_I18N_ENABLED`` is honoured)."""

    def get_translations(self, form):
        from flask_wtf.i18n import translations as per_request

        found = super().get_translations(form)
        if found is not per_request:
            return found
        locale = get_locale()
        key = str(locale or "")
        catalog = _wtforms_catalogs.get(key)
        if catalog is None:
            from babel import support
            from wtforms.i18n import messages_path

            catalog = _wtforms_catalogs[key] = support.Translations.load(messages_path(), [locale], domain="wtforms")
        return catalog


def _raw_answers(form, schema):
    """Submitted strings per field, as the browser script sees them."""
    return {spec.key: list(getattr(form[spec.key], "raw_data", None) or [])
            for spec in schema.fields if not isinstance(form[spec.key], FileField)}


def build_form_class(schema, locale=None, base=FlaskForm):
    """Return a Form subclass for ``schema`` with labels in ``locale``.

    ``locale`` defaults to the request's Flask-Babel locale; "mn..." picks
    the Mongolian text, anything else the Chinese.
    """
    locale = str(locale or get_locale() or "zh")
    digest, version = schema.schema_hash(), str(schema.version)
    attrs = {
        "schema_version": HiddenField(default=version),
        "schema_hash": HiddenField(default=digest),
    }
    for spec in schema.fields:
        if spec.key in RESERVED_KEYS or spec.key in attrs or hasattr(base, spec.key):
            raise SchemaError(f"field key {spec.key!r} is reserved")
        attrs[spec.key] = _make_field(spec, locale)

    def validate(self, extra_validators=None):
        self.form_errors = []
        self._visible = visible_keys(schema, _raw_answers(self, schema))
        ok = base.validate(self, extra_validators)
        # raw_data, not data: a missing hidden field would otherwise fall
        # back to the default and pass.
        if (getattr(self.schema_hash, "raw_data", None) != [digest]
                or getattr(self.schema_version, "raw_data", None) != [version]):
            self.form_errors.append(_l(
                "This form has changed since the page was opened, or the page was altered. "
                "Reload the page and fill in the form again."))
            ok = False
        return ok

    attrs["validate"] = validate
    attrs["Meta"] = _SchemaFormMeta
    attrs["form_schema"] = schema
    attrs["locale"] = locale
    return type(f"SchemaForm_{schema.key}", (base,), attrs)


def answers_from_form(form, schema):
    """JSON-ready answers of the visible fields, with normalised types.

    Lists for multiple choice, ISO dates, ints for ratings and whole numbers,
    floats for decimals, booleans for yes/no, None when left blank. A photo
    is given as the file name the phone sent (untrusted, display only): store
    the upload (see ``files_from_form``) and replace it with your reference.
    """
    shown = visible_keys(schema, _raw_answers(form, schema))
    answers = {}
    for spec in schema.fields:
        if spec.key not in shown:
            continue
        data = form[spec.key].data
        if spec.type == "multi_choice":
            chosen = set(data or [])
            value = [c.value for c in spec.choices if c.value in chosen]
        elif data in (None, ""):
            value = None
        elif spec.type == "rating":
            value = int(data)
        elif spec.type == "yes_no":
            value = data == "yes"
        elif spec.type == "number":
            value = float(data) if spec.decimals else int(data)
        elif spec.type == "date":
            value = data.isoformat()
        elif spec.type == "photo":
            value = data.filename or ""
        else:
            value = data
        answers[spec.key] = value
    return answers


def files_from_form(form, schema):
    """Uploaded photos of the visible photo fields: {key: FileStorage}."""
    shown = visible_keys(schema, _raw_answers(form, schema))
    return {spec.key: form[spec.key].data for spec in schema.fields
            if spec.type == "photo" and spec.key in shown and form[spec.key].data}


def score(schema, answers):
    """(correct_count, knowledge_count) over the knowledge questions shown.

    A question hidden by show_if for these answers is not counted: the
    person never saw it.
    """
    shown = visible_keys(schema, answers)
    correct = total = 0
    for spec in schema.fields:
        if spec.correct is None or spec.key not in shown:
            continue
        total += 1
        given = answers.get(spec.key)
        if spec.type == "multi_choice":
            correct += isinstance(given, list) and set(given) == set(spec.correct)
        else:
            correct += given == spec.correct and type(given) is type(spec.correct)
    return correct, total
