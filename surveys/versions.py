"""Questionnaire versions: a published version is frozen; editing it starts the next version.

Old answers keep pointing at the version they answered, so statistics and exports of earlier rounds
read the questions as they were asked.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from forms import FormSchema, validate_schema
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


def schema_of(version: FormVersion) -> FormSchema:
    return FormSchema.from_dict(version.schema_dict)
