"""Anwang low-code form engine: schema -> WTForms form -> answers.

Depends only on flask, wtforms, flask_wtf, flask_babel and stdnum, so the
portal and the survey module can both use it without import cycles.
"""

from flask import Blueprint

from .builder import answers_from_form, build_form_class, files_from_form, score
from .schema import Choice, FieldSpec, FormSchema, SchemaError, validate_schema

__all__ = [
    "Choice", "FieldSpec", "FormSchema", "SchemaError", "answers_from_form",
    "build_form_class", "files_from_form", "init_app", "score", "validate_schema",
]


def init_app(app):
    """Serve the render macro and show_if.js from this package (never a CDN)."""
    if "forms" in app.blueprints:
        return
    blueprint = Blueprint(
        "forms", __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/forms-static",
    )
    app.register_blueprint(blueprint)
