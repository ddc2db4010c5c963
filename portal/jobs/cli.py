"""``flask --app portal worker``: an RQ worker for the portal's background jobs (needs REDIS_URL)."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit.")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run background jobs (large exports and imports) from the Redis queue."""
    from rq import Worker

    from portal.extensions import db
    from portal.jobs.runner import rq_queue

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without it jobs run inside the web process.")
    queue = rq_queue()
    # Each job runs in a forked child that inherits this app context; it must not reuse the
    # parent's pooled database connections.
    db.session.remove()
    db.engine.dispose(close=False)
    Worker([queue], connection=queue.connection).work(burst=burst)
