"""Command line: ``flask --app portal setup`` and ``flask --app portal demo``."""
from __future__ import annotations

import secrets

import click
from flask import current_app
from flask.cli import with_appcontext


def register_cli(app) -> None:
    app.cli.add_command(setup_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(__import__("portal.jobs.cli", fromlist=["worker_command"]).worker_command)


def run_setup(admin_password: str | None = None, migrate: bool = True) -> dict:
    """Migrate, roles, settings, divisions, admin. Idempotent: safe to run twice."""
    import os

    from flask_migrate import upgrade

    from portal.core.settings import seed_settings
    from portal.extensions import appbuilder, db
    from portal.security import roles as R
    from portal.security.scope import system_scope
    from portal.seed.divisions import load_divisions

    if migrate:
        upgrade()
    sm = appbuilder.sm
    out = {}
    with system_scope("setup"):
        for name in R.PORTAL_ROLES + [R.PUBLIC]:
            if sm.find_role(name) is None:
                sm.add_role(name)
        appbuilder.add_permissions(update_perms=True)
        out["settings_added"] = seed_settings(db.session)
        added, existing = load_divisions(db.session)
        out["divisions_added"], out["divisions_existing"] = added, existing
        __import__("surveys.seed").seed.load_standard_questionnaire(db.session)
        db.session.commit()
        admin = sm.find_user(username="admin")
        if admin is None:
            password = admin_password or os.environ.get("PORTAL_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            sm.add_user("admin", "系统", "管理员", "admin@example.invalid", sm.find_role(R.ADMIN), password=password)
            out["admin_password"] = password
        else:
            out["admin_password"] = None
    return out


@click.command("setup")
@with_appcontext
def setup_command():
    """Create or upgrade the database, roles, settings, divisions and the admin user."""
    out = run_setup()
    click.echo(f"divisions: {out['divisions_added']} added, {out['divisions_existing']} already present")
    if out["admin_password"]:
        click.echo("=" * 60)
        click.echo("  admin login:  admin")
        click.echo(f"  password:     {out['admin_password']}")
        click.echo("=" * 60)
    else:
        click.echo("admin user exists (password unchanged)")


DEMO_USERS = [
    # username, role, how to find the node
    ("office", "CommitteeOffice", None),
    ("station", "StationStaff", 2),
    ("head", "GridHead", 3),
    ("worker", "GridWorker", 4),
    ("dept", "IndustryDept", None),
]


def create_demo_users(password: str) -> list[str]:
    from sqlalchemy import select

    from portal.extensions import appbuilder, db
    from portal.grid.models import Grid
    from portal.security.models import UserProfile
    from portal.security.scope import system_scope

    sm = appbuilder.sm
    made = []
    with system_scope("demo users"):
        town = db.session.execute(select(Grid).where(Grid.level == 2).order_by(Grid.code)).scalars().first()
        village = db.session.execute(
            select(Grid).where(Grid.level == 3, Grid.path.like(town.path + "%")).order_by(Grid.path)
        ).scalars().first() if town else None
        basic = db.session.execute(
            select(Grid).where(Grid.level == 4, Grid.path.like(village.path + "%")).order_by(Grid.path)
        ).scalars().first() if village else None
        nodes = {2: town, 3: village, 4: basic}
        for username, role, level in DEMO_USERS:
            if sm.find_user(username=username) is not None:
                continue
            user = sm.add_user(username, username, "demo", f"{username}@example.invalid", sm.find_role(role), password=password)
            profile = UserProfile(user_id=user.id, grid_id=nodes[level].id if level and nodes.get(level) else None)
            if role == "IndustryDept":
                profile.sectors = ",mining,hazardous_chemicals,"
                profile.department = "应急管理局（示例）"
            db.session.add(profile)
            made.append(username)
        db.session.commit()
    return made


@click.command("demo")
@click.option("--units", default=500, show_default=True, help="number of demo units")
@click.option("--grids", default=None, type=int, help="number of basic grids (default: units/60)")
@click.option("--password", default=None, help="password of the demo users (default: generated)")
@with_appcontext
def demo_command(units, grids, password):
    """Load deterministic, clearly fictional demo data (示例村 ...) and demo users."""
    from portal.extensions import db
    from portal.security.scope import system_scope
    from portal.seed.demo import load_demo

    with system_scope("demo data"):
        out = load_demo(db.session, units=units, grids=grids)
        __import__("surveys.seed").seed.load_demo_campaign(db.session)
        db.session.commit()
    if out.get("skipped"):
        click.echo("demo data already present: skipped")
    else:
        click.echo(f"demo: {out['grids']} basic grids, {out['people']} grid workers, {out['units']} units")
    pw = password or current_app.config.get("DEMO_PASSWORD") or secrets.token_urlsafe(9)
    made = create_demo_users(pw)
    if made:
        click.echo(f"demo users {', '.join(made)} — password: {pw}")
