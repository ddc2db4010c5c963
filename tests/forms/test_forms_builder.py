"""schema -> form class -> submitted data -> answers, as a view would do it."""

import io

import pytest
from flask_wtf import FlaskForm
from wtforms import Form

from forms import FormSchema, answers_from_form, build_form_class, files_from_form, score


def test_valid_submission_gives_normalised_answers(submit_form, valid_answers_data):
    ok, form = submit_form(valid_answers_data)
    assert ok, form.errors
    assert answers_from_form(form, form.form_schema) == {
        "has_hazard": True,
        "hazard_kind": "other",
        "hazard_note": "楼道堆放杂物",
        "exits": ["a", "b"],          # schema order, whatever the submitted order
        "extinguisher": "green",
        "fire_drill": False,
        "staff_count": 12,
        "area": 35.5,
        "visit_date": "2024-05-06",
        "satisfaction": 4,
        "photo": None,
        "remark": None,
    }


def test_hidden_conditional_field_not_required_and_dropped(submit_form, valid_answers_data):
    data = dict(valid_answers_data, has_hazard="no")
    del data["hazard_note"]  # required, but hidden through the chain
    ok, form = submit_form(data)
    assert ok, form.errors
    answers = answers_from_form(form, form.form_schema)
    # hazard_kind was submitted ("other") but its question was hidden.
    assert "hazard_kind" not in answers and "hazard_note" not in answers
    assert form.hazard_kind.data is None


def test_visible_conditional_field_is_required(submit_form, valid_answers_data):
    data = dict(valid_answers_data, hazard_note="   ")
    ok, form = submit_form(data)
    assert not ok
    assert [str(e) for e in form.hazard_note.errors] == ["This field is required."]


def test_required_field_missing(submit_form, valid_answers_data):
    data = dict(valid_answers_data)
    del data["has_hazard"], data["visit_date"]
    ok, form = submit_form(data)
    assert not ok
    assert [str(e) for e in form.has_hazard.errors] == ["This field is required."]
    assert [str(e) for e in form.visit_date.errors] == ["This field is required."]
    # hazard_kind depends on the unanswered has_hazard: hidden, no error.
    assert form.hazard_kind.errors == []


@pytest.mark.parametrize("key,value", [
    ("hazard_kind", "gas"),
    ("exits", ["a", "x"]),
    ("satisfaction", "9"),
    ("has_hazard", "maybe"),
])
def test_invalid_choice_refused(submit_form, valid_answers_data, key, value):
    ok, form = submit_form(dict(valid_answers_data, **{key: value}))
    assert not ok
    bad = value[-1] if isinstance(value, list) else value
    assert str(form[key].errors[0]) == f"\u201c{bad}\u201d is not one of the offered choices."


@pytest.mark.parametrize("key,value,message", [
    ("staff_count", "501", "Enter a number from 0 to 500."),
    ("staff_count", "twelve", "Enter a whole number."),
    ("area", "-1", "Enter a number of at least 0."),
    ("area", "abc", "Enter a number."),
    ("visit_date", "06/05/2024", "Enter a date as YYYY-MM-DD."),
])
def test_number_and_date_messages(submit_form, valid_answers_data, key, value, message):
    ok, form = submit_form(dict(valid_answers_data, **{key: value}))
    assert not ok
    assert [str(e) for e in form[key].errors] == [message]


def test_menksoft_text_refused(submit_form, valid_answers_data):
    ok, form = submit_form(dict(valid_answers_data, remark="\ue300\ue301"))
    assert not ok
    assert "Menksoft" in str(form.remark.errors[0])


@pytest.mark.parametrize("change", [
    {"schema_hash": "0" * 64},
    {"schema_hash": None},           # field removed from the page
    {"schema_version": "2"},
])
def test_tampered_or_stale_schema_refused(submit_form, valid_answers_data, change):
    data = dict(valid_answers_data, **change)
    data = {k: v for k, v in data.items() if v is not None}
    ok, form = submit_form(data)
    assert not ok
    assert "This form has changed since the page was opened" in str(form.form_errors[0])
    assert all(not field.errors for field in form)  # a form-level error only


def test_submission_to_an_edited_schema_refused(submit_form, valid_answers_data, survey_dict):
    survey_dict["fields"][0]["label"]["zh"] = "是否存在隐患"
    ok, form = submit_form(valid_answers_data, schema=FormSchema.from_dict(survey_dict))
    assert not ok and form.form_errors


def test_photo_upload(submit_form, valid_answers_data):
    data = dict(valid_answers_data, photo=(io.BytesIO(b"\xff\xd8\xff"), "现场 1.JPG"))
    ok, form = submit_form(data)
    assert ok, form.errors
    assert answers_from_form(form, form.form_schema)["photo"] == "现场 1.JPG"
    assert files_from_form(form, form.form_schema)["photo"].read() == b"\xff\xd8\xff"


def test_photo_must_be_an_image(submit_form, valid_answers_data):
    data = dict(valid_answers_data, photo=(io.BytesIO(b"MZ"), "setup.exe"))
    ok, form = submit_form(data)
    assert not ok
    assert "Upload a photo" in str(form.photo.errors[0])


@pytest.mark.parametrize("locale,label,choice", [
    ("zh", "隐患类别", "消防"),
    ("zh_Hans_CN", "隐患类别", "消防"),
    ("mn_Mong_CN", "ᠠᠶᠤᠯ ᠤᠨ ᠳᠦᠷᠦᠯ", "ᠭᠠᠯ"),
    ("mn", "ᠠᠶᠤᠯ ᠤᠨ ᠳᠦᠷᠦᠯ", "ᠭᠠᠯ"),
])
def test_label_locale(forms_app, survey_schema, locale, label, choice):
    with forms_app.test_request_context():
        form = build_form_class(survey_schema, locale)()
        assert form.hazard_kind.label.text == label
        assert form.hazard_kind.choices[0] == ("fire", choice)


def test_missing_mongolian_falls_back_to_chinese(forms_app, survey_dict):
    field = survey_dict["fields"][3]
    field["label"]["mn"] = ""
    del field["help"]["mn"]
    with forms_app.test_request_context():
        form = build_form_class(FormSchema.from_dict(survey_dict), "mn_Mong_CN")()
        assert form.exits.label.text == "哪些属于安全出口要求"
        assert form.exits.description == "可多选"


def test_plain_wtforms_base(survey_schema):
    cls = build_form_class(survey_schema, "zh", base=Form)
    assert issubclass(cls, Form) and not issubclass(cls, FlaskForm)
    assert cls().schema_hash.data == survey_schema.schema_hash()


def test_score(survey_schema):
    # Knowledge questions: exits (multi), extinguisher (single), fire_drill (yes/no).
    assert score(survey_schema, {}) == (0, 3)
    assert score(survey_schema, {"exits": ["b", "a"], "extinguisher": "green",
                                 "fire_drill": True}) == (3, 3)
    assert score(survey_schema, {"exits": ["a"], "extinguisher": "green",
                                 "fire_drill": False}) == (1, 3)
    # A truthy non-boolean is not the answer "yes".
    assert score(survey_schema, {"fire_drill": 1}) == (0, 3)


def test_score_skips_hidden_questions(survey_dict):
    survey_dict["fields"][4]["show_if"] = {"field": "has_hazard", "equals": True}
    schema = FormSchema.from_dict(survey_dict)
    assert score(schema, {"has_hazard": False, "extinguisher": "green"}) == (0, 2)
    assert score(schema, {"has_hazard": True, "extinguisher": "green"}) == (1, 3)
