"""Users kept between requests while the auth version stays (登录用户缓存).

Every request loads its user with roles, groups (with their roles) and profile (with its grid): one
joined statement, but ~0.3 ms of the ORM building six kinds of object on SQLite — the largest part of
the floor under every portal page (docs/scaling.md, thirteenth round). Those rows change when an
administrator edits a user, a role, a group, a profile or the grid tree, or at a login, so the loaded
graph is kept per user id, tagged with the auth version (``data_version`` row 2, moved by the triggers
of migration 0012 in every committed transaction that writes one of ``AUTH_TABLES``, whoever writes:
this process, another worker or host, psql).

Each request reads the auth version first (one small SELECT; on PostgreSQL prepared) and, when the
kept graph was loaded at that version, merges it into the request's session without a query
(``Session.merge(load=False)``): each request gets objects of its own, persistent in its own session,
so nothing is shared between requests or threads and a request may change its user as before. The
kept graph is never attached to a session after it was loaded, so nothing a request does (a lazy load,
an edit) reaches it. A version read before the user is loaded can only tag the graph older than it is:
a write in between costs a reload, never a stale user.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from portal.core.data_version import AUTH_VERSION

LIMIT = 10_000  # users kept per process; more than any banner has, cleared wholesale when reached


class KeptUsers:
    """Per process: user id → (auth version, the detached graph loaded at it)."""

    def __init__(self, statement):
        self._statement = statement  # the joined load, bound by ``pk``
        self._kept: dict[int, tuple[int, object]] = {}

    def load(self, session, pk: int):
        """The user ``pk`` as a persistent object of ``session``, or None when there is none."""
        # On the connection, not through the session: the session's hooks would ask for the data scope,
        # which asks for the user being loaded.
        connection = session.connection()
        version = connection.execute(AUTH_VERSION).scalar()
        kept = self._kept.get(pk)
        if kept is None or version is None or kept[0] != version:
            graph = self._load_detached(connection, pk)
            if graph is None:
                self._kept.pop(pk, None)
                return None
            if version is not None:  # a database before migration 0012 has no auth version: keep nothing
                if len(self._kept) >= LIMIT:
                    self._kept.clear()
                self._kept[pk] = (version, graph)
        else:
            graph = kept[1]
        return session.merge(graph, load=False)

    def _load_detached(self, connection, pk: int):
        # A session of its own on the request's connection (same transaction, or the same autocommit
        # page): closing it detaches the graph with everything loaded and ends nothing of the request's.
        private = Session(bind=connection)
        try:
            return private.execute(self._statement, {"pk": pk}).unique().scalar_one_or_none()
        finally:
            private.close()


__all__ = ["KeptUsers", "LIMIT"]
