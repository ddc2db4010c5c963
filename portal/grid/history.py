"""Assignment history kept by itself: when a person's grid changes, the open assignment is closed and
a new one opened (任职记录), so "who served this grid, from when to when" never depends on someone
remembering to fill in a second form."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from portal.grid.models import Assignment, Person


def _before_flush(session, flush_context, instances):
    today = dt.date.today()
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, Person):
            continue
        state = inspect(obj)
        if obj in session.new:
            changed, old = obj.grid_id is not None or obj.grid is not None, None
        else:
            hist = state.attrs.grid_id.history
            rel = state.attrs.grid.history
            changed = hist.has_changes() or rel.has_changes()
            old = hist.deleted[0] if hist.deleted else None
        if not changed:
            continue
        if obj.id is not None:
            session.execute(
                update(Assignment)
                .where(Assignment.person_id == obj.id, Assignment.end_date.is_(None))
                .values(end_date=today)
                .execution_options(synchronize_session=False)
            )
        new_grid = obj.grid if obj.grid is not None else None
        if new_grid is None and obj.grid_id is not None:
            from portal.grid.models import Grid

            new_grid = session.get(Grid, obj.grid_id)
        if new_grid is not None:
            session.add(Assignment(person=obj, grid=new_grid, role=obj.role, start_date=today))


def install(session_class=Session) -> None:
    if not event.contains(session_class, "before_flush", _before_flush):
        event.listen(session_class, "before_flush", _before_flush)
