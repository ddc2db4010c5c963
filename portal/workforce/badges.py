"""上岗证 (R9): a printable badge per grid worker, with a QR code of the grid's public notice page."""
from __future__ import annotations

import segno
from flask import abort, current_app, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from portal.extensions import db
from portal.grid.models import Grid, Person


def public_grid_url(grid) -> str:
    """Absolute URL of the grid's notice page; ``PUBLIC_BASE_URL`` wins behind a proxy."""
    path = url_for("workforce_public.grid_notice", code=grid.code)
    base = current_app.config.get("PUBLIC_BASE_URL")
    return (base.rstrip("/") + path) if base else request.host_url.rstrip("/") + path


def qr_svg(data: str) -> Markup:
    # Inline SVG made here (segno): no image service, no request leaves the portal.
    return Markup(segno.make(data, error="m").svg_inline(border=4, dark="#000", light="#fff", omitsize=True))


def badge_of(person):
    grid = person.grid
    url = public_grid_url(grid) if grid is not None and grid.code else None
    return {"person": person, "grid": grid, "url": url, "qr": qr_svg(url) if url else None}


class BadgeView(BaseView):
    route_base = "/workforce/badge"
    default_view = "many"

    @expose("/<int:pk>")
    @has_access
    @permission_name("show")
    def one(self, pk):
        person = db.session.get(Person, pk)  # scoped: another township's worker is a 404
        if person is None:
            abort(404)
        return self._render([badge_of(person)], _l("Badge"))

    @expose("/")
    @has_access
    @permission_name("list")
    def many(self):
        """All active grid workers in scope (under ``?grid=`` if given), one badge each, for printing."""
        stmt = select(Person).where(Person.role == "grid_worker", Person.status == "active")
        if request.args.get("grid"):
            node = db.session.get(Grid, request.args.get("grid", type=int) or 0)
            if node is None:
                abort(404)
            stmt = stmt.where(Person.grid_id.in_(select(Grid.id).where(Grid.path.like(node.path + "%"))))
        people = db.session.execute(stmt.order_by(Person.grid_id, Person.id).limit(500)).scalars().all()
        return self._render([badge_of(p) for p in people], _l("Badges"))

    def _render(self, badges, title):
        from portal.workforce.public import both_scripts

        # Printed matter carries both scripts, Mongolian first, whatever the interface language.
        return self.render_template(
            "workforce/badge.html", badges=badges, heading=both_scripts(_l("Grid worker badge")), title=title
        )
