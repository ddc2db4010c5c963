"""Questionnaire versions: a published version is frozen; editing it starts the next version.

Old answers keep pointing at the version they answered, so statistics and exports of earlier rounds
read the questions as they were asked.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from forms import FormSchema, build_form_class, validate_schema
from portal.core.models import utcnow
from surveys.models import FormDefinition, FormVersion


class PublishError(ValueError):
    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


def get_or_create_definition(session, key: str, title_zh: str, title_mn: str | None = None) -> FormDefinition:
    d = session.execute(select(FormDefinition).where(FormDefinition.key == key)).scalar_one_or_none()
    if d is None:
        d = FormDefinition(key=key, title_zh=title_zh, title_mn=title_mn)
        session.add(d)
        session.flush()
    return d


def _fill(version: FormVersion, schema: dict) -> None:
    schema = dict(schema, version=version.number, key=version.definition.key)
    version.schema_json = json.dumps(schema, ensure_ascii=False, sort_keys=True)
    version.schema_hash = FormSchema.from_dict(schema).schema_hash()


def save_schema(session, definition: FormDefinition, schema: dict) -> FormVersion:
    """Store ``schema`` as the working draft: the latest version if unpublished, else a new one."""
    latest = session.execute(
        select(FormVersion).where(FormVersion.definition_id == definition.id).order_by(FormVersion.number.desc())
    ).scalars().first()
    if latest is not None and not latest.published:
        _fill(latest, schema)
        return latest
    version = FormVersion(definition=definition, number=(latest.number + 1) if latest else 1, published=False)
    _fill(version, schema)
    session.add(version)
    session.flush()
    return version


def publish(session, version: FormVersion) -> FormVersion:
    """Freeze a draft after validating it; raises PublishError with the designer's messages."""
    errors = validate_schema(version.schema_dict)
    if errors:
        raise PublishError(errors)
    if not version.published:
        version.published = True
        version.published_on = utcnow()
    return version


# Parsed schemas and built WTForms classes, per process. Keyed by (version id, schema hash): a published
# version never changes, and a draft's hash changes with its text (``_fill``), so a key can never name
# stale content; nothing has to be invalidated. Building the form class (labels, choices, validators, the
# schema hash) was ~1 ms of every public GET and POST. Bounded: cleared when it outgrows the versions
# a server realistically serves.
_CACHE_MAX = 256
_schemas: dict[tuple[int, str], FormSchema] = {}
_form_classes: dict[tuple, type] = {}


def _remember(cache: dict, key, value):
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


def cached_schema(version_id: int, schema_hash: str, schema_json: str) -> FormSchema:
    """The parsed schema of a version row (its id, stored hash and text), parsed once per process.
    Shared: callers read it and never change it."""
    key = (version_id, schema_hash)
    schema = _schemas.get(key)
    if schema is None:
        schema = _remember(_schemas, key, FormSchema.from_dict(json.loads(schema_json)))
    return schema


def schema_of(version: FormVersion) -> FormSchema:
    return cached_schema(version.id, version.schema_hash, version.schema_json)


def form_class_of(version_id: int, schema_hash: str, schema: FormSchema, locale: str, base):
    """The WTForms class of a version in one language (``forms.build_form_class``), built once per process.

    Safe to share between requests and threads: the class holds only unbound fields, validators and the
    schema; every request makes its own instance."""
    key = (version_id, schema_hash, locale, base)
    cls = _form_classes.get(key)
    if cls is None:
        cls = _remember(_form_classes, key, build_form_class(schema, locale, base=base))
    return cls
