"""The builder's help text tells users to write yes/no in their own language: those words work."""
from __future__ import annotations

import pytest

from surveys.builder_form import schema_from_rows


def _yes_no_row(correct):
    return {"key": "knows_worker", "type": "yes_no", "label_zh": "知道吗", "label_mn": "ᠮᠡᠳᠡᠬᠦ ᠦᠦ",
            "required": True, "choices": "", "correct": correct, "show_if_field": "", "show_if_equals": ""}


@pytest.mark.parametrize("token, expected", [("yes", True), ("是", True), ("ᠲᠡᠢᠮᠦ", True),
                                             ("no", False), ("否", False), ("ᠦᠭᠡᠢ", False)])
def test_yes_no_correct_answer_in_each_language(app, token, expected):
    with app.test_request_context():
        schema, problems = schema_from_rows("k", {"zh": "t", "mn": "t"}, 1, [_yes_no_row(token)])
    assert problems == []
    assert schema["fields"][0]["correct"] is expected


def test_unknown_yes_no_token_is_refused(app):
    with app.test_request_context():
        schema, problems = schema_from_rows("k", {"zh": "t", "mn": "t"}, 1, [_yes_no_row("maybe")])
    assert len(problems) == 1 and "correct" not in schema["fields"][0]
