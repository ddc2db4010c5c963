"""Gunicorn settings for the portal (see docs/scaling.md).

`make run` and production both run `flask --app portal setup` BEFORE gunicorn starts, so workers never
create tables or permissions and cannot race on a fresh database (fab-notes). ``preload_app`` builds
the app once in the master; each worker then opens its own database connections.
"""
import multiprocessing
import os

workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))  # exports of large ledgers stream for a while
graceful_timeout = 30
keepalive = 5
preload_app = True
accesslog = "-"
max_requests = 2000
max_requests_jitter = 200


def post_fork(server, worker):
    # Connections opened in the master (during preload) must not be shared with workers.
    from portal.extensions import db

    try:
        with worker.app.wsgi().app_context():
            db.engine.dispose()
    except Exception:
        pass
