"""Schema data: round trip, hash, and the errors validate_schema reports."""

import json

import pytest

from forms.schema import FormSchema, SchemaError, text_for, validate_schema, visible_keys


def field_of(data, key):
    return next(f for f in data["fields"] if f["key"] == key)


def test_sample_is_valid(survey_dict):
    assert validate_schema(survey_dict) == []


def test_round_trip_and_json(survey_dict, survey_schema):
    data = survey_schema.to_dict()
    json.dumps(data)  # JSON-serialisable
    assert FormSchema.from_dict(data) == survey_schema
    assert FormSchema.from_dict(json.loads(json.dumps(data))).schema_hash() == \
        survey_schema.schema_hash()


def test_hash_is_stable_and_sensitive(survey_dict, survey_schema):
    digest = survey_schema.schema_hash()
    assert len(digest) == 64
    # Key order and explicit nulls do not matter ...
    reordered = dict(reversed(list(survey_dict.items())))
    reordered["fields"][0]["help"] = None
    assert FormSchema.from_dict(reordered).schema_hash() == digest
    # ... but any content change does.
    field_of(survey_dict, "has_hazard")["label"]["zh"] = "是否存在隐患"
    assert FormSchema.from_dict(survey_dict).schema_hash() != digest


def test_from_dict_refuses_non_schema():
    with pytest.raises(SchemaError):
        FormSchema.from_dict({"title": {}})


def expect_error(data, *fragments):
    errors = validate_schema(data)
    assert any(all(f in e for f in fragments) for e in errors), errors


def test_unknown_type(survey_dict):
    field_of(survey_dict, "remark")["type"] = "signature"
    expect_error(survey_dict, "remark", "unknown type signature")


def test_duplicate_key(survey_dict):
    field_of(survey_dict, "remark")["key"] = "area"
    expect_error(survey_dict, "area", "duplicate key")


@pytest.mark.parametrize("key", ["Bad-Key", "1st", "schema_hash", "validate", "data"])
def test_bad_or_reserved_key(survey_dict, key):
    field_of(survey_dict, "remark")["key"] = key
    expect_error(survey_dict, "reserved name")


def test_choices_missing(survey_dict):
    del field_of(survey_dict, "hazard_kind")["choices"]
    expect_error(survey_dict, "hazard_kind", "at least two choices")


def test_choices_on_a_text_field(survey_dict):
    field_of(survey_dict, "remark")["choices"] = field_of(survey_dict, "extinguisher")["choices"]
    expect_error(survey_dict, "remark", "only allowed for choice fields")


def test_correct_not_among_choices(survey_dict):
    field_of(survey_dict, "extinguisher")["correct"] = "blue"
    expect_error(survey_dict, "extinguisher", "blue", "not among the choices")
    field_of(survey_dict, "exits")["correct"] = ["a", "z"]
    expect_error(survey_dict, "exits", "z", "not among the choices")


def test_correct_on_wrong_type(survey_dict):
    field_of(survey_dict, "remark")["correct"] = "x"
    expect_error(survey_dict, "remark", "only allowed for choice and yes/no")
    field_of(survey_dict, "fire_drill")["correct"] = "yes"
    expect_error(survey_dict, "fire_drill", "true or false")


def test_show_if_unknown_field(survey_dict):
    field_of(survey_dict, "hazard_note")["show_if"] = {"field": "nope", "equals": "x"}
    expect_error(survey_dict, "hazard_note", "nope", "not an earlier field")


def test_show_if_later_field(survey_dict):
    field_of(survey_dict, "hazard_kind")["show_if"] = {"field": "extinguisher", "equals": "red"}
    expect_error(survey_dict, "hazard_kind", "extinguisher", "not an earlier field")


def test_show_if_value_not_an_answer(survey_dict):
    field_of(survey_dict, "hazard_note")["show_if"]["equals"] = "gas"
    expect_error(survey_dict, "hazard_note", "gas", "not an answer")


def test_show_if_on_free_text(survey_dict):
    field_of(survey_dict, "visit_date")["show_if"] = {"field": "staff_count", "equals": 3}
    expect_error(survey_dict, "visit_date", "choice, yes/no or rating")


def test_missing_translations(survey_dict):
    del survey_dict["title"]["mn"]
    field_of(survey_dict, "area")["label"]["zh"] = "  "
    field_of(survey_dict, "extinguisher")["choices"][1]["label"] = {"zh": "绿区"}
    field_of(survey_dict, "exits")["help"] = {"mn": "ᠣᠯᠠᠨ"}
    errors = validate_schema(survey_dict)
    assert "Title: missing mn text" in errors
    assert "Field area, label: missing zh text" in errors
    assert "Field extinguisher, choice 2: missing mn text" in errors
    assert "Field exits, help text: missing zh text" in errors


def test_bounds(survey_dict):
    field_of(survey_dict, "staff_count").update(min=10, max=1)
    expect_error(survey_dict, "staff_count", "min is greater than max")
    field_of(survey_dict, "satisfaction").update(max=20)
    expect_error(survey_dict, "satisfaction", "0 <= min < max <= 10")
    field_of(survey_dict, "remark")["max"] = 3
    expect_error(survey_dict, "remark", "only allowed for number and rating")


def test_not_a_schema():
    assert validate_schema([]) == ["The schema must be an object."]
    assert "The form needs at least one field." in validate_schema(
        {"key": "x", "version": 1, "title": {"zh": "a", "mn": "b"}, "fields": []})


def test_text_for_fallback():
    assert text_for({"zh": "中", "mn": "ᠮ"}, "mn_Mong_CN") == "ᠮ"
    assert text_for({"zh": "中", "mn": ""}, "mn_Mong_CN") == "中"
    assert text_for({"zh": "中", "mn": "ᠮ"}, "zh_Hans_CN") == "中"
    assert text_for(None, "zh") == ""


def test_visibility_chain(survey_schema):
    shown = visible_keys(survey_schema, {"has_hazard": False, "hazard_kind": "other"})
    assert "hazard_kind" not in shown and "hazard_note" not in shown
    shown = visible_keys(survey_schema, {"has_hazard": ["yes"], "hazard_kind": ["other"]})
    assert {"hazard_kind", "hazard_note"} <= shown
