"""Form schemas as plain, JSON-serialisable data.

The portal stores a schema dict in its database; ``FormSchema`` is the typed
view used by the builder. ``validate_schema`` is meant to run before a schema
is saved or published; ``from_dict`` only parses (so a draft missing
Mongolian text can still be previewed, falling back to Chinese).
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

FIELD_TYPES = (
    "single_choice", "multi_choice", "text", "textarea", "number",
    "date", "rating", "yes_no", "photo",
)
CHOICE_TYPES = ("single_choice", "multi_choice")
# Types whose answer the show_if script can read from checked inputs.
CONTROL_TYPES = CHOICE_TYPES + ("yes_no", "rating")
KNOWLEDGE_TYPES = CHOICE_TYPES + ("yes_no",)
RATING_DEFAULT = (1, 5)
LANGS = ("zh", "mn")

# Keys become HTML names and Form attributes: keep them simple and make sure
# they cannot shadow the hidden fields or a WTForms attribute.
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
RESERVED_KEYS = frozenset({
    "schema_version", "schema_hash", "csrf_token", "data", "errors", "form_errors",
    "meta", "validate", "populate_obj", "process", "hidden_tag", "is_submitted",
    "validate_on_submit", "form_schema", "locale",
})


class SchemaError(ValueError):
    """Raised when a dict cannot be parsed as a schema."""


def text_for(text, locale):
    """Pick the text for a locale ("mn_Mong_CN" -> "mn"), falling back to zh."""
    text = text or {}
    lang = "mn" if str(locale or "").lower().startswith("mn") else "zh"
    return text.get(lang) or text.get("zh") or ""


def token(value):
    """The string an answer has in the HTML form; used to compare show_if."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


@dataclass
class Choice:
    value: str
    label: dict

    def to_dict(self):
        return {"value": self.value, "label": dict(self.label)}


@dataclass
class FieldSpec:
    key: str
    type: str
    label: dict
    help: dict | None = None
    required: bool = False
    choices: list[Choice] | None = None
    correct: Any = None
    show_if: dict | None = None
    min: float | None = None
    max: float | None = None
    # Number fields: 0 means whole numbers (IntegerField), >0 decimal places.
    decimals: int = 0

    @property
    def bounds(self):
        """(min, max) with the rating default applied."""
        if self.type == "rating":
            lo, hi = RATING_DEFAULT
            return (lo if self.min is None else self.min, hi if self.max is None else self.max)
        return self.min, self.max

    def to_dict(self):
        data = {"key": self.key, "type": self.type, "label": dict(self.label),
                "required": self.required}
        if self.help is not None:
            data["help"] = dict(self.help)
        if self.choices is not None:
            data["choices"] = [c.to_dict() for c in self.choices]
        for name in ("correct", "show_if", "min", "max"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        if self.decimals:
            data["decimals"] = self.decimals
        return data


@dataclass
class FormSchema:
    key: str
    title: dict
    fields: list[FieldSpec] = field(default_factory=list)
    version: int = 1

    @classmethod
    def from_dict(cls, data):
        try:
            specs = []
            for f in data.get("fields") or []:
                choices = f.get("choices")
                specs.append(FieldSpec(
                    key=f["key"], type=f["type"], label=f.get("label") or {},
                    help=f.get("help"), required=bool(f.get("required", False)),
                    choices=None if choices is None else [
                        Choice(value=c["value"], label=c.get("label") or {}) for c in choices],
                    correct=f.get("correct"), show_if=f.get("show_if"),
                    min=f.get("min"), max=f.get("max"), decimals=int(f.get("decimals") or 0),
                ))
            return cls(key=data["key"], title=data.get("title") or {}, fields=specs,
                       version=int(data.get("version", 1)))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SchemaError(f"not a form schema: {exc!r}") from exc

    def to_dict(self):
        return {"key": self.key, "title": dict(self.title), "version": self.version,
                "fields": [f.to_dict() for f in self.fields]}

    def field(self, key):
        return next((f for f in self.fields if f.key == key), None)

    def schema_hash(self):
        """sha256 of the canonical JSON: proves which schema a submission answered."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def visible_keys(schema, answers):
    """Keys of the fields shown for these answers (raw form values or normalised).

    show_if may only point at an earlier field, so one pass in order settles
    chains: a field whose controlling field is hidden is hidden as well.
    """
    shown = set()
    for spec in schema.fields:
        cond = spec.show_if
        if cond is None:
            shown.add(spec.key)
            continue
        if cond.get("field") not in shown:
            continue
        value = answers.get(cond["field"])
        values = value if isinstance(value, (list, tuple)) else [value]
        if token(cond.get("equals")) in {token(v) for v in values}:
            shown.add(spec.key)
    return shown


def _err(message):
    # Evaluated now, so the list holds plain strings in the request's language.
    return str(message)


def _missing_text(text, where):
    if not isinstance(text, dict):
        return [_err(_l("%(where)s: must be an object with zh and mn text", where=where))]
    return [_err(_l("%(where)s: missing %(lang)s text", where=where, lang=lang)) for lang in LANGS
            if not (isinstance(text.get(lang), str) and text[lang].strip())]


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_choices(f, where):
    choices = f.get("choices")
    if f.get("type") not in CHOICE_TYPES:
        return [_err(_l("%(where)s: choices are only allowed for choice fields", where=where))] \
            if choices else []
    if not isinstance(choices, list) or len(choices) < 2:
        return [_err(_l("%(where)s: a choice field needs at least two choices", where=where))]
    errors, seen = [], set()
    for j, c in enumerate(choices):
        cwhere = _err(_l("%(where)s, choice %(n)d", where=where, n=j + 1))
        value = c.get("value") if isinstance(c, dict) else None
        if not isinstance(value, str) or not value:
            errors.append(_err(_l("%(where)s: the value must be a non-empty string", where=cwhere)))
            continue
        if value in seen:
            errors.append(_err(_l("%(where)s: duplicate value %(value)s", where=cwhere, value=value)))
        seen.add(value)
        errors += _missing_text(c.get("label"), cwhere)
    return errors


def _options(f):
    """Allowed answer values of a control or knowledge field."""
    if f.get("type") in CHOICE_TYPES:
        return [c.get("value") for c in f.get("choices") or [] if isinstance(c, dict)]
    if f.get("type") == "yes_no":
        return [True, False]
    if f.get("type") == "rating":
        lo = f.get("min", RATING_DEFAULT[0])
        hi = f.get("max", RATING_DEFAULT[1])
        return list(range(lo, hi + 1)) if isinstance(lo, int) and isinstance(hi, int) else []
    return []


def _check_correct(f, where):
    correct = f.get("correct")
    if correct is None:
        return []
    kind = f.get("type")
    if kind not in KNOWLEDGE_TYPES:
        return [_err(_l("%(where)s: a correct answer is only allowed for choice and yes/no fields",
                        where=where))]
    options = _options(f)
    if kind == "multi_choice":
        if not isinstance(correct, list) or not correct:
            return [_err(_l("%(where)s: the correct answer of a multiple choice is a non-empty list",
                            where=where))]
        wrong = [v for v in correct if v not in options]
    elif kind == "yes_no":
        return [] if isinstance(correct, bool) else [
            _err(_l("%(where)s: the correct answer must be true or false", where=where))]
    else:
        wrong = [] if correct in options else [correct]
    return [_err(_l("%(where)s: the correct answer %(value)s is not among the choices",
                    where=where, value=v)) for v in wrong]


def _check_bounds(f, where):
    kind, lo, hi = f.get("type"), f.get("min"), f.get("max")
    if kind not in ("number", "rating"):
        return [_err(_l("%(where)s: min and max are only allowed for number and rating fields",
                        where=where))] if lo is not None or hi is not None else []
    if any(v is not None and not _is_number(v) for v in (lo, hi)):
        return [_err(_l("%(where)s: min and max must be numbers", where=where))]
    errors = []
    if kind == "rating":
        lo = RATING_DEFAULT[0] if lo is None else lo
        hi = RATING_DEFAULT[1] if hi is None else hi
        if not (isinstance(lo, int) and isinstance(hi, int) and 0 <= lo < hi <= 10):
            errors.append(_err(_l("%(where)s: a rating needs whole-number bounds, "
                                  "0 <= min < max <= 10", where=where)))
    elif lo is not None and hi is not None and lo > hi:
        errors.append(_err(_l("%(where)s: min is greater than max", where=where)))
    decimals = f.get("decimals", 0)
    if kind == "number" and not (isinstance(decimals, int) and 0 <= decimals <= 6):
        errors.append(_err(_l("%(where)s: decimals must be a whole number from 0 to 6", where=where)))
    return errors


def _check_show_if(f, where, earlier):
    cond = f.get("show_if")
    if cond is None:
        return []
    if not isinstance(cond, dict) or set(cond) != {"field", "equals"}:
        return [_err(_l("%(where)s: show_if must have exactly \"field\" and \"equals\"", where=where))]
    target = earlier.get(cond["field"])
    if target is None:
        return [_err(_l("%(where)s: show_if refers to %(key)s, which is not an earlier field",
                        where=where, key=cond["field"]))]
    if target.get("type") not in CONTROL_TYPES:
        return [_err(_l("%(where)s: show_if can only depend on a choice, yes/no or rating field",
                        where=where))]
    if token(cond["equals"]) not in {token(v) for v in _options(target)}:
        return [_err(_l("%(where)s: show_if value %(value)s is not an answer of %(key)s",
                        where=where, value=cond["equals"], key=cond["field"]))]
    return []


def validate_schema(data):
    """Return a list of problems (empty when the schema can be published).

    Messages are for the form designer, so they are translated too.
    """
    if not isinstance(data, dict):
        return [_err(_l("The schema must be an object."))]
    errors = []
    if not isinstance(data.get("key"), str) or not _KEY_RE.match(data["key"]):
        errors.append(_err(_l("Form key: lower-case letters, digits and _, starting with a letter.")))
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        errors.append(_err(_l("Version: must be a whole number of at least 1.")))
    errors += _missing_text(data.get("title"), _err(_l("Title")))
    fields = data.get("fields")
    if not isinstance(fields, list) or not fields:
        return errors + [_err(_l("The form needs at least one field."))]
    earlier = {}
    for i, f in enumerate(fields):
        where = _err(_l("Field %(n)d", n=i + 1))
        if not isinstance(f, dict):
            errors.append(_err(_l("%(where)s: must be an object", where=where)))
            continue
        key = f.get("key")
        if not isinstance(key, str) or not _KEY_RE.match(key) or key in RESERVED_KEYS:
            errors.append(_err(_l("%(where)s: the key must be lower-case letters, digits and _, "
                                  "start with a letter and not be a reserved name", where=where)))
            continue
        where = _err(_l("Field %(key)s", key=key))
        if key in earlier:
            errors.append(_err(_l("%(where)s: duplicate key", where=where)))
        if f.get("type") not in FIELD_TYPES:
            errors.append(_err(_l("%(where)s: unknown type %(type)s", where=where, type=f.get("type"))))
        if not isinstance(f.get("required", False), bool):
            errors.append(_err(_l("%(where)s: required must be true or false", where=where)))
        errors += _missing_text(f.get("label"), _err(_l("%(where)s, label", where=where)))
        if f.get("help") is not None:
            errors += _missing_text(f["help"], _err(_l("%(where)s, help text", where=where)))
        errors += _check_choices(f, where)
        errors += _check_bounds(f, where)
        errors += _check_correct(f, where)
        errors += _check_show_if(f, where, earlier)
        earlier.setdefault(key, f)
    return errors
