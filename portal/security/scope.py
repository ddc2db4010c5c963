"""Data scope (数据范围): which part of the grid tree the current user may see and change.

Scope lives at the query layer, not in views: a ``do_orm_execute`` listener adds "inside the user's
subtree" to every ORM SELECT of a ``Scoped`` model — lists, detail pages, FAB actions (which skip
``base_filters``), exports, the REST API and related selects alike. A flush check refuses writes that
would put a row outside the writer's scope. System jobs use ``system_scope(reason)``, which is logged.
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from dataclasses import dataclass, field

from flask import has_request_context
from flask.globals import _cv_request
from sqlalchemy import event, false, true
from sqlalchemy.orm import Session, with_loader_criteria

log = logging.getLogger("portal.scope")

# (reason, request marker): a system scope holds only in the request (or non-request code) that
# entered it, so a scope opened by a test or a job never leaks into a request served meanwhile.
_system: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("system_scope", default=None)
_resolving: contextvars.ContextVar[bool] = contextvars.ContextVar("scope_resolving", default=False)

SCOPED_MODELS: list[type] = []


class Scoped:
    """Mixin for models whose rows belong to a place in the grid tree.

    Subclasses define ``subtree_clause(cls, pattern)`` — rows inside the subtree whose grid paths match
    ``pattern`` (``'/1/7/%'``), written with ``pattern`` only as a bound value, because the rule is
    rebuilt per entity and alias inside a criteria lambda — and may define
    ``sector_clause(cls, scope)`` (rows an industry department supervises) and ``public_clause``.
    """

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if not cls.__dict__.get("__abstract__", False) and cls not in SCOPED_MODELS:
            SCOPED_MODELS.append(cls)

    @classmethod
    def subtree_clause(cls, pattern):  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @classmethod
    def sector_clause(cls, scope: "Scope"):
        return false()

    @classmethod
    def public_clause(cls):
        """What an anonymous visitor may read: nothing, unless a model says otherwise."""
        return false()


@dataclass(frozen=True)
class Scope:
    """``kind``: all | subtree | sectors | public | none."""

    kind: str
    prefix: str = ""
    grid_id: int | None = None
    sectors: tuple[str, ...] = field(default_factory=tuple)
    read_only: bool = False

    @property
    def unrestricted(self) -> bool:
        return self.kind == "all"

    def criteria_for(self, model):
        if self.kind == "all":
            return None
        if self.kind == "subtree":
            return model.subtree_clause(self.prefix + "%")
        if self.kind == "sectors":
            return model.sector_clause(self)
        if self.kind == "public":
            return model.public_clause()
        return false()

    def contains_grid(self, grid) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "subtree":
            return grid is not None and (grid.path or "").startswith(self.prefix)
        return False


ALL = Scope("all")
NONE = Scope("none")
PUBLIC = Scope("public")


@contextlib.contextmanager
def system_scope(reason: str):
    """Run without data scope (setup, demo data, scheduled ticks). Logged, so its use is visible."""
    log.info("system scope entered: %s", reason)
    token = _system.set((reason, _request_marker()))
    try:
        yield
    finally:
        _system.reset(token)


def _request_marker():
    if not has_request_context():
        return None
    from flask.globals import request_ctx

    return id(request_ctx._get_current_object())


def in_system_scope() -> bool:
    state = _system.get()
    return state is not None and state[1] == _request_marker()


def request_cache() -> dict:
    """A dict that lives exactly as long as the current request (``g`` may outlive it in tests).

    Read through the request context variable, not the ``request`` proxy: it is asked hundreds of
    times on a list page."""
    ctx = _cv_request.get(None)
    if ctx is None:
        raise RuntimeError("request_cache() outside a request")
    return ctx.request.environ.setdefault("portal.cache", {})


def scope_for_user(user) -> Scope:
    """Compute the scope of a logged-in user from their roles and profile (one place, one rule)."""
    from portal.security import roles as R

    names = {r.name for r in getattr(user, "roles", [])}
    if names & R.UNRESTRICTED_ROLES:
        return ALL
    profile = getattr(user, "profile", None)
    for role in (R.STATION_STAFF, R.GRID_HEAD, R.GRID_WORKER):
        if role in names:
            grid = profile.grid if profile is not None else None
            if grid is None:
                return NONE
            return Scope("subtree", prefix=grid.path, grid_id=grid.id)
    if R.INDUSTRY_DEPT in names:
        sectors = tuple(profile.sector_list) if profile is not None else ()
        return Scope("sectors", sectors=sectors, read_only=True)
    return NONE


def current_scope() -> Scope:
    if in_system_scope():
        return ALL
    if not has_request_context():
        # Outside a request and outside system_scope: see nothing. Forgetting the escape hatch
        # must fail closed, not leak.
        return NONE
    cache = request_cache()
    cached = cache.get("scope")
    if cached is not None:
        return cached
    from flask_login import current_user

    token = _resolving.set(True)
    try:
        user = current_user._get_current_object() if current_user else None
        if user is None or not getattr(user, "is_authenticated", False):
            scope = PUBLIC
        else:
            scope = scope_for_user(user)
    finally:
        _resolving.reset(token)
    cache["scope"] = scope
    return scope


def reset_scope_cache() -> None:
    if has_request_context():
        request_cache().pop("scope", None)


def _add_scope_criteria(state) -> None:
    if (
        not state.is_select
        or state.is_column_load
        or state.is_relationship_load
        or _resolving.get()
        or state.execution_options.get("skip_scope", False)
    ):
        return
    scope = current_scope()
    if scope.unrestricted:
        return
    options = _scope_options(scope, len(SCOPED_MODELS))
    if options:
        state.statement = state.statement.options(*options)


@functools.lru_cache(maxsize=4096)
def _scope_options(scope: Scope, n_models: int) -> tuple:
    """The loader criteria of one scope, built once per process: they are immutable and depend on the
    scope alone (16 options per statement otherwise, rebuilt on every query of every request)."""
    options = []
    if scope.kind == "subtree":
        # Lambda form so the rule is rebuilt for aliases too (aliased(Grid) in a join). The only
        # closure variable is the plain string ``prefix``, which SQLAlchemy binds as a parameter.
        pattern = scope.prefix + "%"
        for model in SCOPED_MODELS:
            options.append(
                with_loader_criteria(model, lambda cls: cls.subtree_clause(pattern), include_aliases=True)
            )
    else:
        for model in SCOPED_MODELS:
            crit = scope.criteria_for(model)
            if crit is None:
                continue
            options.append(with_loader_criteria(model, crit, include_aliases=True))
    return tuple(options)


def _check_writes(session, flush_context, instances) -> None:
    """Refuse to write a scoped row outside the writer's scope (defence in depth behind the forms)."""
    check_writes(session, list(session.new) + list(session.dirty) + list(session.deleted))


def check_writes(session, objects) -> None:
    """The flush's write rule for ``objects`` (raises ScopeViolation). Every ORM flush runs it; code that
    inserts rows without the ORM (a hot path, ``surveys.submit``) calls it with the rows as unsaved
    instances, so the same rule holds."""
    if in_system_scope() or not has_request_context():
        return
    scope = current_scope()
    if scope.unrestricted:
        return
    changed = [o for o in objects if isinstance(o, Scoped)]
    if not changed:
        return
    if scope.read_only or scope.kind in ("none", "public", "sectors"):
        # Public submissions (surveys, tip-offs) write models that opt in with ``public_write``.
        if all(getattr(o, "__public_write__", False) for o in changed):
            return
        raise ScopeViolation("read-only scope")
    for obj in changed:
        grid = _grid_of(session, obj)
        if getattr(obj, "__public_write__", False) and scope.kind == "public":
            continue
        if grid is None or not scope.contains_grid(grid):
            raise ScopeViolation(f"{type(obj).__name__} outside scope")


def _grid_of(session, obj):
    from portal.grid.models import Grid

    if isinstance(obj, Grid):
        # A new node is checked through its parent: one may add children under one's own node.
        if obj.id is None or obj in session.new:
            parent = obj.parent or (session.get(Grid, obj.parent_id) if obj.parent_id else None)
            return parent
        return obj
    getter = getattr(obj, "scope_grid", None)
    if getter is not None:
        return getter(session)
    grid = getattr(obj, "grid", None)
    if grid is None and getattr(obj, "grid_id", None) is not None:
        grid = session.get(Grid, obj.grid_id)
    return grid


class ScopeViolation(Exception):
    """A write outside the current user's scope; views answer 404/403, never 500."""


def install(session_class=Session) -> None:
    if not event.contains(session_class, "do_orm_execute", _add_scope_criteria):
        event.listen(session_class, "do_orm_execute", _add_scope_criteria)
    if not event.contains(session_class, "before_flush", _check_writes):
        event.listen(session_class, "before_flush", _check_writes)


__all__ = ["Scoped", "Scope", "system_scope", "current_scope", "scope_for_user", "ScopeViolation", "install", "true",
           "check_writes"]
