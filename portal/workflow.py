"""Explicit state machines for workflows (intake, hazard, leave, tip-off, claim), in one place.

A view never sets a state field: it calls ``machine.transition(obj, action, user, note)``, which checks
the role, the scope (the object was loaded through the scoped session), and the current state, then
writes the new state with a compare-and-set UPDATE (two approvers at once → exactly one wins) and a
timeline row, in one transaction.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from flask_appbuilder import Model
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, DateTime, Index, Integer, String, Text, insert, update

from portal.core.models import utcnow


class WorkflowEvent(Model):
    """Timeline row (流转记录): who moved which object from which state to which, when, why."""

    __tablename__ = "workflow_event"
    id = Column(Integer, primary_key=True)
    model = Column(String(50), nullable=False)
    object_id = Column(Integer, nullable=False)
    action = Column(String(30), nullable=False)
    from_state = Column(String(30), nullable=False)
    to_state = Column(String(30), nullable=False)
    user_id = Column(Integer)
    username = Column(String(100))
    time = Column(DateTime, nullable=False, default=utcnow)
    note = Column(Text)

    __table_args__ = (Index("ix_workflow_event_object", "model", "object_id"),)


class TransitionError(Exception):
    """A refused transition; ``str(e)`` is a translated message for the user."""


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    roles: frozenset  # role names allowed to take this step
    label: object = None
    note_required: bool = False


@dataclass
class StateMachine:
    model: type
    state_attr: str
    transitions: list[Transition] = field(default_factory=list)

    def get(self, action: str) -> Transition:
        for t in self.transitions:
            if t.action == action:
                return t
        raise TransitionError(str(_l("Unknown action")))

    def available(self, obj, role_names: set[str]) -> list[Transition]:
        state = getattr(obj, self.state_attr)
        return [t for t in self.transitions if state in t.sources and (t.roles & role_names)]

    def transition(self, session, obj, action: str, user, note: str | None = None, role_names=None) -> str:
        t = self.get(action)
        roles = role_names if role_names is not None else {r.name for r in getattr(user, "roles", [])}
        if not (t.roles & roles) and "Admin" not in roles:
            raise TransitionError(str(_l("Your role may not take this step")))
        current = getattr(obj, self.state_attr)
        if current not in t.sources:
            raise TransitionError(str(_l("This step is not possible in the current state")))
        if t.note_required and not (note or "").strip():
            raise TransitionError(str(_l("Give a reason for this step")))
        col = getattr(self.model, self.state_attr)
        # Compare-and-set: only one of two concurrent transitions from the same state succeeds.
        res = session.execute(
            update(self.model)
            .where(self.model.id == obj.id, col == current)
            .values({self.state_attr: t.target})
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:
            session.rollback()
            raise TransitionError(str(_l("Someone else changed this record first; reload and try again")))
        session.execute(
            insert(WorkflowEvent),
            [{
                "model": self.model.__name__,
                "object_id": obj.id,
                "action": action,
                "from_state": current,
                "to_state": t.target,
                "user_id": getattr(user, "id", None),
                "username": getattr(user, "username", "system"),
                "time": utcnow(),
                "note": note,
            }],
        )
        session.expire(obj, [self.state_attr])
        return t.target


@contextlib.contextmanager
def flashed_step(session, success_message, refused=(TransitionError,), on_refused=None):
    """Run a view's workflow step: commit and flash success, or roll back and flash the translated
    reason the step was refused (then ``on_refused()`` undoes anything outside the database)."""
    from flask import flash

    try:
        yield
        session.commit()
        flash(str(success_message), "success")
    except refused as e:
        session.rollback()
        if on_refused is not None:
            on_refused()
        flash(str(e), "danger")
