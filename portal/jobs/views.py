"""My jobs (我的任务): the list, one job's page with its progress, a JSON status and the download.

Every route answers 404 for a job that is not the current user's (Admin excepted): ownership, not the
grid, decides who sees a job, and a job id reveals nothing to anyone else.
"""
from __future__ import annotations

import os

from flask import abort, jsonify, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import xlsx
from portal.extensions import db
from portal.jobs.models import DONE, EXPORT, FAILED, QUEUED, RUNNING, Job
from portal.jobs.runner import reap_stale
from portal.security.roles import ADMIN

STATUS_LABELS = {
    QUEUED: _l("Waiting"),
    RUNNING: _l("Running"),
    DONE: _l("Done"),
    FAILED: _l("Failed"),
}
KIND_LABELS = {EXPORT: _l("Export"), "import": _l("Import")}
LIST_SIZE = 50


def visible_job(pk: int) -> Job:
    job = db.session.get(Job, pk)
    if job is None:
        abort(404)
    if job.owner_id != current_user.id and ADMIN not in {r.name for r in current_user.roles}:
        abort(404)
    reap_stale([job])  # a job whose process died shows as failed, not "running" for ever
    return job


def job_status(job: Job) -> dict:
    return {
        "id": job.id,
        "status": job.status,
        "status_label": str(STATUS_LABELS.get(job.status, job.status)),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "error": _(job.error) if job.error else None,
        "download": url_for("JobView.download", pk=job.id) if job.status == DONE and job.result_path else None,
        "finished": job.status in (DONE, FAILED),
    }


class JobView(BaseView):
    route_base = "/jobs"
    default_view = "list"

    @expose("/")
    @has_access
    @permission_name("list")
    def list(self):
        jobs = (
            db.session.query(Job).filter(Job.owner_id == current_user.id)
            .order_by(Job.created_on.desc(), Job.id.desc()).limit(LIST_SIZE).all()
        )
        reap_stale(jobs)
        return self.render_template(
            "jobs/list.html", title=_("My jobs"), jobs=jobs, status_labels=STATUS_LABELS, kind_labels=KIND_LABELS
        )

    @expose("/<int:pk>")
    @has_access
    @permission_name("show")
    def show(self, pk):
        job = visible_job(pk)
        return self.render_template(
            "jobs/job.html", title=_("Background job"), job=job, status=job_status(job), kind_labels=KIND_LABELS
        )

    @expose("/<int:pk>/status")
    @has_access
    @permission_name("show")
    def status(self, pk):
        return jsonify(job_status(visible_job(pk)))

    @expose("/<int:pk>/download")
    @has_access
    @permission_name("download")
    def download(self, pk):
        job = visible_job(pk)
        if job.status != DONE or not job.result_path or not os.path.exists(job.result_path):
            abort(404)
        return xlsx.stream_file(job.result_path, f"{job.title}-{job.created_on:%Y%m%d}.xlsx", delete=False)
