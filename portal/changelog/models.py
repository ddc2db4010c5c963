"""Change log (变更记录) and personal-data access log (个人信息查阅记录), R13."""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Index, Integer, String, Text

from portal.core.models import utcnow


class ChangeLog(Model):
    """One row per created, changed or deleted object; written in the same transaction as the change."""

    __tablename__ = "change_log"
    id = Column(Integer, primary_key=True)
    time = Column(DateTime, nullable=False, default=utcnow, index=True)
    user_id = Column(Integer, index=True)
    username = Column(String(100))
    action = Column(String(10), nullable=False)  # create | update | delete
    model = Column(String(50), nullable=False)
    object_id = Column(String(50), nullable=False)
    object_repr = Column(String(200))
    changes = Column(Text)  # JSON {field: [old, new]}

    __table_args__ = (Index("ix_change_log_object", "model", "object_id"),)


class AccessLog(Model):
    """Who looked at which confidential field of whom, and when."""

    __tablename__ = "access_log"
    id = Column(Integer, primary_key=True)
    time = Column(DateTime, nullable=False, default=utcnow, index=True)
    user_id = Column(Integer, index=True)
    username = Column(String(100))
    model = Column(String(50), nullable=False)
    object_id = Column(String(50), nullable=False)
    fields = Column(String(200), nullable=False)
    path = Column(String(300))
