"""Fixtures for the form engine; self-contained (no project-wide conftest).

Names are prefixed (forms_app, ...) so they cannot clash with the portal's
fixtures in tests/conftest.py.
"""

import copy
import sys
from pathlib import Path

import pytest

# Make the repository importable however pytest is started (plain `pytest`
# does not put the working directory on sys.path).
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_babel import Babel  # noqa: E402

import forms  # noqa: E402
from forms.schema import FormSchema  # noqa: E402


def _text(zh, mn):
    return {"zh": zh, "mn": mn}


def _choice(value, zh, mn):
    return {"value": value, "label": _text(zh, mn)}


# A hazard-inspection questionnaire touching every field type. The Mongolian
# strings are only test data, not reviewed translations.
SURVEY = {
    "key": "hazard_check",
    "version": 3,
    "title": _text("隐患排查问卷", "ᠠᠰᠠᠭᠤᠯᠲᠠ"),
    "fields": [
        {"key": "has_hazard", "type": "yes_no", "required": True,
         "label": _text("是否发现隐患", "ᠠᠶᠤᠯ ᠪᠠᠢᠨ᠎ᠠ ᠤᠤ")},
        {"key": "hazard_kind", "type": "single_choice", "required": True,
         "label": _text("隐患类别", "ᠠᠶᠤᠯ ᠤᠨ ᠳᠦᠷᠦᠯ"),
         "show_if": {"field": "has_hazard", "equals": True},
         "choices": [_choice("fire", "消防", "ᠭᠠᠯ"), _choice("electric", "用电", "ᠴᠠᠬᠢᠯᠭᠠᠨ"),
                     _choice("other", "其他", "ᠪᠤᠰᠤᠳ")]},
        {"key": "hazard_note", "type": "textarea", "required": True,
         "label": _text("其他隐患说明", "ᠲᠠᠢᠯᠪᠤᠷᠢ"),
         "show_if": {"field": "hazard_kind", "equals": "other"}},
        {"key": "exits", "type": "multi_choice",
         "label": _text("哪些属于安全出口要求", "ᠭᠠᠷᠴᠠ"),
         "help": _text("可多选", "ᠣᠯᠠᠨ ᠢ ᠰᠣᠩᠭᠣᠵᠤ ᠪᠣᠯᠣᠨ᠎ᠠ"),
         "choices": [_choice("a", "保持畅通", "ᠨᠡᠭᠡᠭᠡᠯᠲᠡ"), _choice("b", "有疏散标志", "ᠲᠡᠮᠳᠡᠭ"),
                     _choice("c", "上锁", "ᠣᠨᠢᠰᠤ")],
         "correct": ["a", "b"]},
        {"key": "extinguisher", "type": "single_choice",
         "label": _text("灭火器压力指针应在", "ᠬᠡᠮᠵᠢᠭᠦᠷ"),
         "choices": [_choice("red", "红区", "ᠤᠯᠠᠭᠠᠨ"), _choice("green", "绿区", "ᠨᠣᠭᠣᠭᠠᠨ")],
         "correct": "green"},
        {"key": "fire_drill", "type": "yes_no", "label": _text("每年至少演练一次", "ᠳᠠᠳᠬᠠᠯ"),
         "correct": True},
        {"key": "staff_count", "type": "number", "min": 0, "max": 500,
         "label": _text("从业人数", "ᠠᠵᠢᠯᠴᠢᠨ ᠤ ᠲᠣᠭ᠎ᠠ")},
        {"key": "area", "type": "number", "decimals": 1, "min": 0,
         "label": _text("面积（平方米）", "ᠲᠠᠯᠠᠪᠠᠢ")},
        {"key": "visit_date", "type": "date", "required": True,
         "label": _text("检查日期", "ᠡᠳᠦᠷ")},
        {"key": "satisfaction", "type": "rating", "label": _text("满意度", "ᠰᠡᠳᠬᠢᠯ")},
        {"key": "photo", "type": "photo", "label": _text("现场照片", "ᠵᠢᠷᠤᠭ")},
        {"key": "remark", "type": "text", "label": _text("备注", "ᠲᠠᠢᠯᠪᠤᠷᠢ")},
    ],
}


@pytest.fixture
def survey_dict():
    return copy.deepcopy(SURVEY)


@pytest.fixture
def survey_schema(survey_dict):
    return FormSchema.from_dict(survey_dict)


@pytest.fixture
def forms_app():
    flask_app = Flask(__name__)
    flask_app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False, TESTING=True)
    Babel(flask_app)
    forms.init_app(flask_app)
    return flask_app


@pytest.fixture
def valid_answers_data(survey_schema):
    """Form data of a complete, valid submission."""
    return {
        "schema_version": str(survey_schema.version),
        "schema_hash": survey_schema.schema_hash(),
        "has_hazard": "yes",
        "hazard_kind": "other",
        "hazard_note": "  楼道堆放杂物  ",
        "exits": ["b", "a"],
        "extinguisher": "green",
        "fire_drill": "no",
        "staff_count": "12",
        "area": "35.5",
        "visit_date": "2024-05-06",
        "satisfaction": "4",
        "remark": "",
    }


@pytest.fixture
def submit_form(forms_app, survey_schema):
    """submit_form(data, locale="zh", schema=None) -> (validated?, form).

    Runs inside a POST test request context, as a view would.
    """
    contexts = []

    def submit(data, locale="zh", schema=None):
        schema = schema or survey_schema
        ctx = forms_app.test_request_context("/", method="POST", data=data)
        ctx.push()
        contexts.append(ctx)
        form = forms.build_form_class(schema, locale)()
        return form.validate(), form

    yield submit
    for ctx in reversed(contexts):
        ctx.pop()
