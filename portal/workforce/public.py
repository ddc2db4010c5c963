"""The public notice page of a grid (网格监管信息公示牌), reached from the badge's QR code. No login."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db

bp = Blueprint("workforce_public", __name__, url_prefix="/public")


def both_scripts(message) -> dict:
    """A heading (a lazy string) in both scripts, Mongolian first, whatever the visitor's language
    (regional rule for public signs and printed matter)."""
    out = {}
    for loc in ("mn_Mong_CN", "zh"):
        with force_locale(loc):
            out[loc] = str(message)
    return out


@bp.get("/grid/<code>")
def grid_notice(code):
    from portal.grid.models import Grid, Person
    from portal.grid.views import mask_mobile
    from portal.security.scope import system_scope

    # Anonymous scope: Grid.public_clause shows active grids only.
    grid = db.session.execute(
        select(Grid).where(Grid.code == code).order_by(Grid.level.desc()).limit(1)
    ).scalars().first()
    if grid is None:
        abort(404)
    # People are never public; the notice board names the worker with a masked phone, by rule (R7).
    with system_scope("public notice board: grid worker name and masked phone"):
        workers = db.session.execute(
            select(Person.name_zh, Person.name_mn, Person.mobile)
            .where(Person.grid_id == grid.id, Person.role == "grid_worker", Person.status == "active")
            .order_by(Person.id)
        ).all()
    workers = [{"name_zh": w.name_zh, "name_mn": w.name_mn, "mobile": mask_mobile(w.mobile)} for w in workers]
    return render_template(
        "workforce/public_grid.html", grid=grid, workers=workers, heading=both_scripts(_l("Grid supervision notice board"))
    )
