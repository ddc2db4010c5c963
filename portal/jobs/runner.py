"""Running a job: one ``run_job(job_id)`` whether an RQ worker or this process's thread pool calls it.

The job runs as its OWNER: a request context is built with the stored filter/order arguments and the
owner logged in, so the ORM data scope (``portal.security.scope``) gives exactly the rows the owner's
own list shows — no second scope rule to keep in step. Job state is written with short Core
statements on their own connections: the export's read never holds a transaction that a progress
update would have to wait for, and the status page sees progress at once.
"""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import os
import secrets
import threading

from flask import current_app, g, has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from portal import xlsx
from portal.core.models import utcnow
from portal.extensions import db
from portal.jobs.models import DONE, EXPORT, FAILED, IMPORT, QUEUED, RUNNING, Job
from portal.security.scope import reset_scope_cache

log = logging.getLogger("portal.jobs")

PROGRESS_EVERY = 1000  # rows between progress updates (one short UPDATE each)
CHUNK = 1000  # SQLite reads in complete chunks: an open read would block the progress writes
DEFAULT_QUEUE = "anwang"

# Error messages are stored as msgids and translated for whoever reads the job page.
E_FAILED = _l("The job failed unexpectedly. Try again; if it fails again, tell the administrator.")
E_OWNER = _l("The account that started this job no longer exists or is disabled.")
E_VIEW = _l("The list this job was started from no longer exists.")
E_DENIED = _l("The account that started this job may no longer do this.")
E_WRITE = _l("The result file could not be written (disk full or not writable).")
E_UPLOAD_GONE = _l("The uploaded file is no longer available; upload it again.")
E_NOW_INVALID = _l("Some rows have errors now (the data changed since the check); nothing was imported. Run the check again.")
E_REFUSED = _l("Nothing was imported: the database refused the rows. Run the check again.")
E_STALE = _l("The job stopped: the process running it was restarted or ended. Start it again.")


class JobError(Exception):
    """A failure with a message for the user (a lazy msgid)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def msgid(message) -> str:
    args = getattr(message, "_args", None)
    return str(args[0] if args else message)


# -- where results live -------------------------------------------------------------------------------
def jobs_dir(app=None) -> str:
    app = app or current_app
    path = app.config.get("JOBS_DIR") or os.path.join(app.instance_path, "exports")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


# -- queueing -------------------------------------------------------------------------------------------
_pool: concurrent.futures.ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_pool_lock = threading.Lock()
_futures: set[concurrent.futures.Future] = set()
# Jobs this process has queued on its pool and not started yet: their heartbeat is kept fresh by the
# progress writes of the jobs running here, so a job waiting behind long ones is not taken for lost.
_waiting: set[int] = set()


def _local_pool() -> concurrent.futures.ThreadPoolExecutor:
    """Created lazily, once per process (a forked gunicorn worker builds its own)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="anwang-job")
            _pool_pid = os.getpid()
            _futures.clear()
            _waiting.clear()
        return _pool


def rq_queue(app=None):
    from redis import Redis
    from rq import Queue

    app = app or current_app
    conn = Redis.from_url(app.config["REDIS_URL"])
    return Queue(app.config.get("JOBS_QUEUE") or DEFAULT_QUEUE, connection=conn)


def submit(job_id: int) -> None:
    """Queue a job: on RQ when ``REDIS_URL`` is set, else on this process's small thread pool."""
    app = current_app._get_current_object()
    if app.config.get("REDIS_URL"):
        # A job may take long; the result is in the database and the file, not in Redis.
        rq_queue(app).enqueue(run_job, job_id, job_timeout=6 * 3600, result_ttl=0, failure_ttl=7 * 86400)
        return
    pool = _local_pool()
    _waiting.add(job_id)
    fut = pool.submit(_run_in_app, app, job_id)
    _futures.add(fut)
    fut.add_done_callback(_futures.discard)


def wait_local(timeout: float | None = None) -> None:
    """Wait for this process's queued jobs (tests, and a clean shutdown)."""
    concurrent.futures.wait(list(_futures), timeout=timeout)


def _run_in_app(app, job_id: int) -> None:
    with app.app_context():
        run_job(job_id)


_worker_app = None


def run_job(job_id: int) -> str | None:
    """Run one job to the end; returns its final status. Never raises: failures are recorded."""
    if has_app_context():
        return _run(current_app._get_current_object(), job_id)
    global _worker_app
    if _worker_app is None:  # a plain `rq worker` process: build the app once
        from portal import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        return _run(_worker_app, job_id)


# -- job state ----------------------------------------------------------------------------------------------
def _set(job_id: int, where_status: str | None = None, **values) -> bool:
    stmt = update(Job.__table__).where(Job.__table__.c.id == job_id).values(**values)
    if where_status is not None:
        stmt = stmt.where(Job.__table__.c.status == where_status)
    with db.engine.begin() as conn:
        return conn.execute(stmt).rowcount == 1


def heartbeat(job_id: int, **values) -> None:
    """A progress write that also says "alive" for this job and for the jobs waiting in this process."""
    now = utcnow()
    _set(job_id, heartbeat_on=now, **values)
    waiting = list(_waiting)
    if waiting:
        t = Job.__table__
        with db.engine.begin() as conn:
            conn.execute(update(t).where(t.c.id.in_(waiting), t.c.status == QUEUED).values(heartbeat_on=now))


def _run(app, job_id: int) -> str | None:
    _waiting.discard(job_id)
    # Claim: only a queued job starts, so a job enqueued twice runs once.
    now = utcnow()
    if not _set(job_id, where_status=QUEUED, status=RUNNING, started_on=now, heartbeat_on=now):
        return None
    job = db.session.get(Job, job_id)
    spec = dict(kind=job.kind, owner_id=job.owner_id, endpoint=job.endpoint, args=job.args,
                title=job.title, locale=job.locale)
    db.session.remove()
    try:
        if spec["kind"] == EXPORT:
            path, n = _export(app, job_id, spec)
        elif spec["kind"] == IMPORT:
            path, n = _import(app, job_id, spec)
        else:
            raise JobError(E_FAILED)
    except JobError as e:
        _set(job_id, status=FAILED, error=msgid(e.message), finished_on=utcnow())
        return FAILED
    except Exception:
        log.exception("job %s failed", job_id)
        _set(job_id, status=FAILED, error=msgid(E_FAILED), finished_on=utcnow())
        return FAILED
    finally:
        db.session.remove()
    _set(job_id, status=DONE, done=n, result_path=path, finished_on=utcnow())
    return DONE


class _AsOwner:
    """A request context with the owner logged in: scope, permissions and labels are the owner's."""

    def __init__(self, app, spec, path="/"):
        self.app, self.spec, self.path = app, spec, path

    def __enter__(self):
        from flask_login import login_user

        self._ctx = self.app.test_request_context(self.path, query_string=MultiDict(self.spec["args"]))
        self._ctx.push()
        self._loc = force_locale(self.spec["locale"] or self.app.config.get("BABEL_DEFAULT_LOCALE", "zh"))
        self._loc.__enter__()
        sm = self.app.appbuilder.sm
        user = db.session.get(sm.user_model, self.spec["owner_id"])
        if user is None or not user.is_active:
            self.__exit__(None, None, None)
            raise JobError(E_OWNER)
        login_user(user)
        g.user = user
        reset_scope_cache()
        return user

    def __exit__(self, *exc):
        self._loc.__exit__(*exc)
        db.session.remove()
        self._ctx.pop()
        return False


def find_view(app, endpoint: str):
    for view in app.appbuilder.baseviews:
        if type(view).__name__ == endpoint:
            return view
    return None


# -- export ---------------------------------------------------------------------------------------------------
def _export(app, job_id: int, spec: dict) -> tuple[str, int]:
    with _AsOwner(app, spec):
        view = find_view(app, spec["endpoint"])
        if view is None or not hasattr(view, "export_plan"):
            raise JobError(E_VIEW)
        if not app.appbuilder.sm.has_access("can_export", view.class_permission_name):
            raise JobError(E_DENIED)
        total = view.filtered_query(eager=False).order_by(None).count()
        plan = view.export_plan()
        heartbeat(job_id, done=0, total=total)
        path = os.path.join(jobs_dir(app), f"job-{job_id}-{secrets.token_hex(8)}.xlsx")
        part = path + ".part"
        try:
            rows = _with_progress(job_id, total, _rows(plan))
            n = xlsx.write_workbook(part, spec["title"], plan.headers, rows, plan.converters)
            os.replace(part, path)
        except OSError as e:
            _unlink(part)
            log.warning("job %s: cannot write %s: %s", job_id, part, e)
            raise JobError(E_WRITE)
        except BaseException:
            _unlink(part)
            raise
        return path, n


def _rows(plan):
    """The same rows and converters as the synchronous export (``PortalModelView.export_plan``).

    PostgreSQL: one server-side cursor (MVCC: progress writes never wait for it). SQLite: a pending
    read holds a shared lock that would block every progress update until the end, so complete chunks
    are read instead, ordered by primary key after the list's own order.
    """
    return plan.rows(batch=CHUNK, chunked=db.engine.dialect.name == "sqlite")


def _with_progress(job_id: int, total: int, rows):
    n = 0
    for n, row in enumerate(rows, start=1):
        yield row
        if n % PROGRESS_EVERY == 0:
            heartbeat(job_id, done=n, total=max(total, n))
    heartbeat(job_id, done=n)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# -- import ---------------------------------------------------------------------------------------------------
def _import(app, job_id: int, spec: dict) -> tuple[str | None, int]:
    """Confirm step of ``portal.importer.ImportView`` for a kept upload: re-validate, write in one go."""
    from sqlalchemy.exc import SQLAlchemyError

    from portal import importer as imp
    from portal.security.scope import ScopeViolation

    args = dict(spec["args"])
    with _AsOwner(app, spec):
        view = find_view(app, spec["endpoint"])
        if view is None or not isinstance(view, imp.ImportView):
            raise JobError(E_VIEW)
        if not app.appbuilder.sm.has_access("can_import", view.class_permission_name):
            raise JobError(E_DENIED)
        path = imp.kept_file(args.get("token"))
        if path is None:
            raise JobError(E_UPLOAD_GONE)
        importer = view.importer()
        try:
            report = importer.validate(path, args.get("filename", ""))
        except imp.ImportFileError:
            raise JobError(E_UPLOAD_GONE)
        if report.problems and args.get("mode") != "good":
            raise JobError(E_NOW_INVALID)
        heartbeat(job_id, done=0, total=len(report.good))
        try:
            written = importer.write(report)
            db.session.commit()
        except (SQLAlchemyError, ScopeViolation):
            db.session.rollback()
            log.warning("import job %s refused by the database", job_id, exc_info=True)
            raise JobError(E_REFUSED)
        imp.drop_upload(args.get("token"))
        return None, written


# -- housekeeping ---------------------------------------------------------------------------------------------
def sweep(keep_days: int) -> int:
    """Delete result files of jobs finished more than ``keep_days`` ago (their rows stay, unlinked)."""
    cutoff = utcnow() - dt.timedelta(days=keep_days)
    old = db.session.query(Job.id, Job.result_path).filter(Job.finished_on < cutoff, Job.result_path.isnot(None)).all()
    for job_id, path in old:
        _unlink(path)
        _set(job_id, result_path=None)
    return len(old)


def stale_cutoff() -> dt.datetime:
    from portal.core.settings import get_setting

    return utcnow() - dt.timedelta(minutes=int(get_setting("job_stale_minutes")))


def _lost_statuses(app=None) -> tuple[str, ...]:
    # On RQ a waiting job sits in Redis and runs when a worker comes back: only running ones are lost.
    # In-process, a waiting job lives in the pool of one process and dies with it.
    app = app or current_app
    return (RUNNING,) if app.config.get("REDIS_URL") else (RUNNING, QUEUED)


def is_stale(job: Job, cutoff: dt.datetime | None = None) -> bool:
    if job.status not in _lost_statuses():
        return False
    last = job.heartbeat_on or job.started_on or job.created_on
    return last is not None and last < (cutoff or stale_cutoff())


def reap_stale(jobs=None) -> list[int]:
    """Mark failed the waiting/running jobs whose heartbeat is older than ``job_stale_minutes``.

    Safe with many web processes and workers: a live runner refreshes its job's heartbeat with every
    progress write (and those of the jobs waiting behind it), so only a job whose process is gone
    gets old enough. ``jobs``: only these (the ones a page is about to show); default every job. The
    UPDATE repeats the age test, so a heartbeat written meanwhile wins.
    """
    cutoff = stale_cutoff()
    statuses = _lost_statuses()
    if jobs is None:
        t = Job.__table__
        last = func.coalesce(t.c.heartbeat_on, t.c.started_on, t.c.created_on)
        with db.engine.connect() as conn:
            ids = list(conn.execute(select(t.c.id).where(t.c.status.in_(statuses), last < cutoff)).scalars())
    else:
        ids = [j.id for j in jobs if is_stale(j, cutoff)]
    reaped = []
    for job_id in ids:
        t = Job.__table__
        last = func.coalesce(t.c.heartbeat_on, t.c.started_on, t.c.created_on)
        stmt = (
            update(t).where(t.c.id == job_id, t.c.status.in_(statuses), last < cutoff)
            .values(status=FAILED, error=msgid(E_STALE), finished_on=utcnow())
        )
        with db.engine.begin() as conn:
            if conn.execute(stmt).rowcount == 1:
                reaped.append(job_id)
    if reaped:
        log.warning("jobs %s had no heartbeat since %s: marked failed", reaped, cutoff)
        for job in jobs or ():
            if job.id in reaped:
                db.session.refresh(job)
    return reaped


# -- starting a job (from a request) ----------------------------------------------------------------------
def start(kind: str, endpoint: str, title: str, args, total: int = 0) -> Job:
    """Record a job for the current user and queue it; the caller redirects to its page."""
    from flask_login import current_user

    from portal.core.settings import get_setting
    from portal.i18n import current_locale

    try:
        sweep(int(get_setting("job_keep_days")))
        reap_stale()
    except Exception:  # housekeeping never stops a new job
        log.warning("job housekeeping failed", exc_info=True)
        db.session.rollback()
    job = Job(kind=kind, owner_id=current_user.id, endpoint=endpoint, title=str(title)[:200],
              locale=current_locale(), total=total, status=QUEUED, heartbeat_on=utcnow())
    job.args = args
    db.session.add(job)
    db.session.commit()
    submit(job.id)
    return job
