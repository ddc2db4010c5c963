"""The background job table (后台任务): one row per large export or import.

A job belongs to one user (``owner_id``); it is not a ``Scoped`` model because who may see it is
decided by ownership, not by the grid. What the job needs to rebuild its query — the list view's
class name and the request's filter/order arguments — is stored with it, so the same ``run_job``
works in this process or in an RQ worker on another machine.
"""
from __future__ import annotations

import json

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text

from portal.core.models import utcnow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
EXPORT, IMPORT = "export", "import"


class Job(Model):
    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_owner_created", "owner_id", "created_on"),
        Index("ix_job_status_heartbeat", "status", "heartbeat_on"),
    )

    id = Column(Integer, primary_key=True)
    kind = Column(String(10), nullable=False)  # export | import
    owner_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    endpoint = Column(String(100), nullable=False)  # the list (or import) view's class name
    args_json = Column(Text, nullable=False, default="[]")  # request args as [[key, value], ...]
    title = Column(String(200), nullable=False, default="")  # download file name / sheet name
    locale = Column(String(20), nullable=False, default="zh")  # headers and labels in the owner's language
    status = Column(String(10), nullable=False, default=QUEUED)
    done = Column(Integer, nullable=False, default=0)
    total = Column(Integer, nullable=False, default=0)
    created_on = Column(DateTime, nullable=False, default=utcnow)
    started_on = Column(DateTime)
    finished_on = Column(DateTime)
    # Written with every progress update by whichever process runs (or has queued) the job: a job
    # whose heartbeat is older than the setting ``job_stale_minutes`` lost its process (restart, OOM)
    # and is marked failed (``portal.jobs.runner.reap_stale``).
    heartbeat_on = Column(DateTime)
    # Under instance/exports/, never under static/: only the download view hands it out.
    result_path = Column(String(500))
    # An English msgid, translated when shown, so each viewer reads it in their language.
    error = Column(String(500))

    @property
    def args(self) -> list[tuple[str, str]]:
        return [tuple(p) for p in json.loads(self.args_json or "[]")]

    @args.setter
    def args(self, pairs) -> None:
        self.args_json = json.dumps([list(p) for p in pairs], ensure_ascii=False)

    @property
    def percent(self) -> int:
        if self.status == DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
