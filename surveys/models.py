"""Awareness questionnaires (知晓率调查): form versions, campaigns, anonymous responses.

Privacy by construction: a response holds the answers, the grid it counts for and the time — never
an IP address or a device id. "One answer per device" is enforced by a separate table of keyed
hashes of device cookies, with no column that links a hash to a response.
"""
from __future__ import annotations

import json

from flask_appbuilder import Model
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import relationship

from portal.core.models import TimestampMixin, utcnow
from portal.grid.models import Grid
from portal.security.scope import Scoped

#: answers to this field key count as "knows their grid worker" (a yes/no question).
KNOWS_WORKER_KEY = "knows_worker"


class FormDefinition(TimestampMixin, Model):
    """A questionnaire as a named thing (问卷); its content lives in numbered versions."""

    __tablename__ = "survey_form"
    id = Column(Integer, primary_key=True)
    key = Column(String(40), unique=True, nullable=False)
    title_zh = Column(String(200), nullable=False)
    title_mn = Column(String(400))

    versions = relationship("FormVersion", back_populates="definition", order_by="FormVersion.number",
                            lazy="selectin")

    def __repr__(self) -> str:
        return f"{self.title_zh} ({self.key})"

    @property
    def latest(self):
        return self.versions[-1] if self.versions else None


class FormVersion(TimestampMixin, Model):
    """One frozen-once-published schema of a questionnaire. Responses point at the version answered."""

    __tablename__ = "survey_form_version"
    id = Column(Integer, primary_key=True)
    definition_id = Column(Integer, ForeignKey("survey_form.id", ondelete="CASCADE"), nullable=False)
    number = Column(Integer, nullable=False)
    schema_json = Column(Text, nullable=False)
    schema_hash = Column(String(64), nullable=False)
    published = Column(Boolean, nullable=False, default=False)
    published_on = Column(DateTime)

    definition = relationship("FormDefinition", back_populates="versions", lazy="joined")

    __table_args__ = (UniqueConstraint("definition_id", "number", name="uq_survey_form_version_number"),)

    def __repr__(self) -> str:
        return f"{self.definition.key if self.definition else '?'} v{self.number}"

    @property
    def schema_dict(self) -> dict:
        return json.loads(self.schema_json)


campaign_grid = Table(
    "survey_campaign_grid",
    Model.metadata,
    Column("campaign_id", Integer, ForeignKey("survey_campaign.id", ondelete="CASCADE"), primary_key=True),
    Column("grid_id", Integer, ForeignKey("grid.id", ondelete="CASCADE"), primary_key=True),
)


class Campaign(TimestampMixin, Model):
    """A survey round (调查活动): which questionnaire version, when, and in which grids."""

    __tablename__ = "survey_campaign"
    id = Column(Integer, primary_key=True)
    title_zh = Column(String(200), nullable=False)
    title_mn = Column(String(400))
    slug = Column(String(60), unique=True, nullable=False)
    form_version_id = Column(Integer, ForeignKey("survey_form_version.id", ondelete="RESTRICT"), nullable=False)
    start_date = Column(Date, nullable=False)
    end_date = Column(Date, nullable=False)
    active = Column(Boolean, nullable=False, default=True)

    form_version = relationship("FormVersion", lazy="joined")
    # Loaded only when read (the admin's show and edit pages): a banner-wide campaign targets hundreds of
    # villages, and every public questionnaire request loads its campaign (benchmarks/surveys.py).
    target_grids = relationship("Grid", secondary=campaign_grid, lazy="select")

    def __repr__(self) -> str:
        from portal.i18n import is_mongolian

        return (self.title_mn if is_mongolian() and self.title_mn else self.title_zh) or self.slug

    def is_open(self, today) -> bool:
        return bool(self.active) and self.start_date <= today <= self.end_date


class Response(Scoped, Model):
    """One anonymous answer sheet (答卷). Counted for ``grid`` (from the QR code's ?grid=)."""

    __tablename__ = "survey_response"
    __public_write__ = True  # anonymous residents submit answers
    id = Column(Integer, primary_key=True)
    campaign_id = Column(Integer, ForeignKey("survey_campaign.id", ondelete="CASCADE"), nullable=False)
    form_version_id = Column(Integer, ForeignKey("survey_form_version.id", ondelete="RESTRICT"), nullable=False)
    grid_id = Column(Integer, ForeignKey("grid.id", ondelete="SET NULL"), index=True)
    submitted_at = Column(DateTime, nullable=False, default=utcnow)
    answers_json = Column(JSON, nullable=False)
    correct_count = Column(Integer, nullable=False, default=0)
    knowledge_count = Column(Integer, nullable=False, default=0)
    knows_worker = Column(Boolean)
    idempotency_key = Column(String(64), nullable=False, unique=True)

    campaign = relationship("Campaign", lazy="joined")
    form_version = relationship("FormVersion", lazy="joined")
    grid = relationship("Grid", lazy="joined")

    __table_args__ = (
        Index("ix_survey_response_campaign_grid", "campaign_id", "grid_id"),
        Index("ix_survey_response_campaign_time", "campaign_id", "submitted_at"),
    )

    @classmethod
    def subtree_clause(cls, pattern):
        return cls.grid_id.in_(select(Grid.id).where(Grid.path.like(pattern)).scalar_subquery())


class DeviceToken(Model):
    """Keyed hashes of device cookies that already answered a campaign; no time, no link to answers."""

    __tablename__ = "survey_device"
    campaign_id = Column(Integer, ForeignKey("survey_campaign.id", ondelete="CASCADE"), primary_key=True)
    token_hash = Column(String(64), primary_key=True)


class AnswerCount(Scoped, Model):
    """Answers counted per (campaign, version, grid, question, answer), kept up to date at submission
    (surveys/counts.py) so the statistics page sums a few thousand counters instead of reading the JSON
    of every answer (docs/scaling.md). ``grid_id`` 0 = an answer tied to no grid (a key column cannot be
    NULL); no foreign key to ``grid``, so a deleted grid's counters stay, invisible to every subtree,
    exactly as its answers (their grid_id set to NULL) are. ``question`` "" / ``value`` "" counts answer
    sheets; ``value`` "" of a question counts sheets that answered it; otherwise ``value`` is the answer
    as JSON (``"weekly"``, ``true``, ``3``)."""

    __tablename__ = "survey_answer_count"
    campaign_id = Column(Integer, ForeignKey("survey_campaign.id", ondelete="CASCADE"), primary_key=True)
    form_version_id = Column(Integer, ForeignKey("survey_form_version.id", ondelete="CASCADE"), primary_key=True)
    grid_id = Column(Integer, primary_key=True, autoincrement=False)
    question = Column(Text, primary_key=True)
    value = Column(Text, primary_key=True)
    # One counter in several rows, summed by readers: answers from one grid add to different rows and
    # do not wait for each other's commit (surveys/counts.py, migration 0010).
    shard = Column(SmallInteger, primary_key=True, autoincrement=False, default=0, server_default="0")
    n = Column(Integer, nullable=False, default=0)

    @classmethod
    def subtree_clause(cls, pattern):
        return cls.grid_id.in_(select(Grid.id).where(Grid.path.like(pattern)).scalar_subquery())


from surveys import counts as _counts  # noqa: E402,F401  (registers the counters' after_insert listener)
