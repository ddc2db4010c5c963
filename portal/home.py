"""The landing page: the user's place in the grid and what needs attention."""
from __future__ import annotations

from flask import g
from flask_appbuilder import IndexView, expose
from flask_login import current_user
from sqlalchemy import func, select

from portal.extensions import db


class HomeView(IndexView):
    index_template = "portal/index.html"

    @expose("/")
    def index(self):
        stats = None
        if current_user.is_authenticated:
            from portal.grid.models import Grid, Person
            from portal.ledger.models import Unit

            stats = {
                "grids": db.session.execute(select(func.count(Grid.id))).scalar(),
                "basic_grids": db.session.execute(select(func.count(Grid.id)).where(Grid.level == 4)).scalar(),
                "units": db.session.execute(select(func.count(Unit.id))).scalar(),
                "people": db.session.execute(select(func.count(Person.id))).scalar(),
            }
        return self.render_template(self.index_template, appbuilder=self.appbuilder, stats=stats)
