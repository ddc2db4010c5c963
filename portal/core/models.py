"""Shared model pieces: timestamps and the settings table (设置).

Settings are data so another banner can run the same portal with its own rules; each has a default
that fits Aohan, seeded by ``flask --app portal setup``.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Integer, String, Text, func


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class TimestampMixin:
    created_on = Column(DateTime, default=utcnow, server_default=func.now(), nullable=False)
    changed_on = Column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)


class Setting(Model):
    """A named rule or figure (规则参数), e.g. ``absence_report_days`` = 7."""

    __tablename__ = "setting"
    id = Column(Integer, primary_key=True)
    key = Column(String(80), unique=True, nullable=False)
    value_json = Column(Text, nullable=False)
    description = Column(String(300))

    @property
    def value(self) -> Any:
        return json.loads(self.value_json)

    @value.setter
    def value(self, v: Any) -> None:
        self.value_json = json.dumps(v, ensure_ascii=False)

    def __repr__(self) -> str:
        return self.key
