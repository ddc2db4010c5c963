"""The render macro, the show_if script and the blueprint."""

import re

from flask import render_template_string

from forms import FormSchema, build_form_class

TEMPLATE = """{% from "forms/render.html" import render_schema_form, show_if_script %}
{{ render_schema_form(form, schema, locale) }}{{ show_if_script() }}"""


def render(forms_app, schema, locale, data=None):
    method = "POST" if data else "GET"
    with forms_app.test_request_context("/", method=method, data=data):
        form = build_form_class(schema, locale)()
        if data:
            form.validate()
        return render_template_string(TEMPLATE, form=form, schema=schema, locale=locale)


def group_html(html, key):
    match = re.search(rf'<div class="form-group[^"]*" data-field="{key}".*?(?=<div class="form-group|\Z)',
                      html, re.S)
    assert match, key
    return match.group(0)


def test_fields_and_hidden_inputs(forms_app, survey_schema):
    html = render(forms_app, survey_schema, "zh")
    assert html.count('class="form-group') == len(survey_schema.fields)
    assert f'value="{survey_schema.schema_hash()}"' in html
    assert 'name="schema_version"' in html and 'type="hidden"' in html
    assert 'lang="zh-Hans-CN"' in html
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    assert '<script src="/forms-static/forms/show_if.js" defer>' in html


def test_show_if_attributes(forms_app, survey_schema):
    html = render(forms_app, survey_schema, "zh")
    kind = group_html(html, "hazard_kind")
    assert 'data-show-if-field="has_hazard" data-show-if-value="yes"' in kind
    note = group_html(html, "hazard_note")
    assert 'data-show-if-field="hazard_kind" data-show-if-value="other"' in note
    assert 'data-show-if-field' not in group_html(html, "has_hazard")


def test_browser_required_only_on_always_shown_fields(forms_app, survey_dict):
    survey_dict["fields"][3]["required"] = True  # exits: checkboxes
    html = render(forms_app, FormSchema.from_dict(survey_dict), "zh")
    assert "required" in group_html(html, "visit_date").split("</label>", 1)[1]
    # A hidden conditional input must not block the browser's submission.
    assert not re.search(r"<textarea[^>]*required", group_html(html, "hazard_note"))
    assert not re.search(r"<input[^>]*required", group_html(html, "exits"))
    assert re.search(r"<input[^>]*required", group_html(html, "has_hazard"))


def test_mongolian_labels(forms_app, survey_schema):
    html = render(forms_app, survey_schema, "mn_Mong_CN")
    assert 'lang="mn-Mong-CN"' in html and "schema-form-mn" in html
    assert "ᠠᠶᠤᠯ ᠤᠨ ᠳᠦᠷᠦᠯ" in group_html(html, "hazard_kind")


def test_errors_under_the_field(forms_app, survey_schema, valid_answers_data):
    data = dict(valid_answers_data, hazard_kind="gas", schema_hash="0" * 64)
    html = render(forms_app, survey_schema, "zh", data=data)
    group = group_html(html, "hazard_kind")
    assert 'class="form-group has-error"' in group
    assert "is not one of the offered choices" in group
    assert 'class="alert alert-danger"' in html


def test_static_script_served(forms_app):
    with forms_app.test_client() as http:
        response = http.get("/forms-static/forms/show_if.js")
        assert response.status_code == 200
        assert b"data-show-if-field" in response.data
        response.close()
