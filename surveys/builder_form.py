"""The questionnaire builder's plain HTML form <-> a form schema dict.

One block of inputs per question (``q-<i>-...``); choices are one per line as ``value|中文|ᠮᠣᠩᠭᠣᠯ``.
Parsing never raises: what cannot be read is reported, and ``forms.schema.validate_schema`` then
checks the result the same way as any schema.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from forms.schema import FIELD_TYPES

TYPE_LABELS = {
    "single_choice": _l("Single choice"),
    "multi_choice": _l("Multiple choice"),
    "yes_no": _l("Yes / no"),
    "rating": _l("Rating"),
    "text": _l("Short text"),
    "textarea": _l("Long text"),
    "number": _l("Number"),
    "date": _l("Date"),
    "photo": _l("Photo"),
}


def _bool_token(text):
    t = (text or "").strip().lower()
    # The builder's help text tells each language's users to type yes/no in their own words.
    if t in ("yes", "true", "1", "是", "ᠲᠡᠢᠮᠦ"):
        return True
    if t in ("no", "false", "0", "否", "ᠦᠭᠡᠢ"):
        return False
    return None


def rows_from_schema(schema: dict) -> list[dict]:
    """Builder rows (all strings) for the template."""
    rows = []
    for f in schema.get("fields") or []:
        correct = f.get("correct")
        if isinstance(correct, bool):
            correct = "yes" if correct else "no"
        elif isinstance(correct, list):
            correct = ",".join(correct)
        cond = f.get("show_if") or {}
        equals = cond.get("equals")
        if isinstance(equals, bool):
            equals = "yes" if equals else "no"
        rows.append({
            "key": f.get("key", ""), "type": f.get("type", "single_choice"),
            "label_zh": (f.get("label") or {}).get("zh", ""), "label_mn": (f.get("label") or {}).get("mn", ""),
            "required": bool(f.get("required")),
            "choices": "\n".join(f"{c.get('value', '')}|{(c.get('label') or {}).get('zh', '')}|"
                                 f"{(c.get('label') or {}).get('mn', '')}" for c in f.get("choices") or []),
            "correct": "" if correct is None else str(correct),
            "show_if_field": cond.get("field", ""), "show_if_equals": "" if equals is None else str(equals),
        })
    return rows


def blank_row() -> dict:
    return {"key": "", "type": "single_choice", "label_zh": "", "label_mn": "", "required": False,
            "choices": "", "correct": "", "show_if_field": "", "show_if_equals": ""}


def rows_from_post(form) -> list[dict]:
    count = min(int(form.get("count", "0") or 0) if str(form.get("count", "0")).isdigit() else 0, 200)
    rows = []
    for i in range(count):
        p = f"q-{i}-"
        if form.get(p + "delete"):
            continue
        row = {k: (form.get(p + k) or "").strip() for k in
               ("key", "type", "label_zh", "label_mn", "choices", "correct", "show_if_field", "show_if_equals")}
        row["choices"] = (form.get(p + "choices") or "").strip()
        row["required"] = bool(form.get(p + "required"))
        if not any(row[k] for k in ("key", "label_zh", "label_mn", "choices")):
            continue  # an untouched blank row
        rows.append(row)
    return rows


def schema_from_rows(key: str, title: dict, version: int, rows: list[dict]) -> tuple[dict, list[str]]:
    problems, fields, types = [], [], {}
    for n, row in enumerate(rows, start=1):
        kind = row["type"] if row["type"] in FIELD_TYPES else row["type"]
        f = {"key": row["key"], "type": kind, "required": row["required"],
             "label": {"zh": row["label_zh"], "mn": row["label_mn"]}}
        if kind in ("single_choice", "multi_choice"):
            choices = []
            for line in row["choices"].splitlines():
                if not line.strip():
                    continue
                parts = [p.strip() for p in line.split("|")]
                if len(parts) != 3:
                    problems.append(str(_l("Question %(n)d: write each choice as value|中文|ᠮᠣᠩᠭᠣᠯ", n=n)))
                    continue
                choices.append({"value": parts[0], "label": {"zh": parts[1], "mn": parts[2]}})
            f["choices"] = choices
        if row["correct"]:
            if kind == "yes_no":
                f["correct"] = _bool_token(row["correct"])
                if f["correct"] is None:
                    problems.append(str(_l("Question %(n)d: the correct answer of a yes/no question is yes or no", n=n)))
                    del f["correct"]
            elif kind == "multi_choice":
                f["correct"] = [v.strip() for v in row["correct"].split(",") if v.strip()]
            else:
                f["correct"] = row["correct"]
        if row["show_if_field"]:
            equals = row["show_if_equals"]
            target = types.get(row["show_if_field"])
            if target == "yes_no":
                equals = _bool_token(equals)
            elif target == "rating" and equals.isdigit():
                equals = int(equals)
            f["show_if"] = {"field": row["show_if_field"], "equals": equals}
        types[row["key"]] = kind
        fields.append(f)
    return {"key": key, "title": dict(title), "version": version, "fields": fields}, problems
