"""The data version (数据版本): a number that grows with every committed change to the tables whose
rows list pages count, so a list can keep its count while nothing it counts has changed.

A banner's unit list counted its 20,000 rows on every page: ~0.8 ms at the PostgreSQL server, the
largest single cost of the page left beyond the floor every portal page stands on (docs/scaling.md,
twelfth round). The count of one list with one set of filters in one data scope changes only when
one of a few tables changes. Triggers (migration 0011) add 1 to ``data_version.version`` in every
transaction that inserts, updates, deletes or truncates a watched table — whoever writes it: the
portal, an import, another worker or host, psql. A list page reads the version in the same SELECT
as its rows (one snapshot) and counts only when the version differs from the one its kept count was
taken at (``counted``: a CASE whose other branch neither database evaluates).

On PostgreSQL the bump is a deferred constraint trigger: it runs at COMMIT, once per transaction, so
writers hold the one version row only while they commit. (An immediate bump would hold it from the
first write to the end of the transaction, and two writers could deadlock over it and their rows.)
A transaction's own uncommitted writes are not in the version yet: a list read after writing in the
same transaction counts, and keeps nothing (``portal.listplan``).

Row 2 of the same table is the auth version (migration 0012): it grows with every committed change to
users, roles, groups, their links, profiles and grids — what a request's user is loaded with — so the
user can be kept between requests while it stays (``portal.security.kept_users``).

A migration that rebuilds a watched table on SQLite (``batch_alter_table``) drops its triggers and
must create them again; ``tests/portal/test_list_count_cache.py`` and ``tests/portal/test_kept_users.py``
check every watched table has them.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.sql.util import find_tables

# Tables with the version triggers: the ones behind the lists that count thousands of rows at banner
# scale (units, grids, people), written at the pace of people at desks. Tables written by the public
# or in bulk all day (survey answers, patrol records) stay out: every write would make every kept
# count stale and queue its commit behind the others' on the one version row.
WATCHED_TABLES = ("grid", "person", "unit")

# Tables with the auth version's triggers (row 2): everything ``PortalSecurityManager.load_user`` reads.
AUTH_TABLES = ("ab_user", "ab_role", "ab_user_role", "ab_group", "ab_user_group", "ab_group_role",
               "user_profile", "grid")

DATA, AUTH = 1, 2  # the rows: list counts, users

data_version = sa.Table(
    "data_version",
    Model.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)

KNOWN = "anwang_known_version"  # the bound parameter: the version the kept count was taken at, or -1


def current():
    """The version as a scalar subquery, to be read in the same statement as what depends on it."""
    return sa.select(data_version.c.version).where(data_version.c.id == DATA).scalar_subquery()


# A statement object built once: SQLAlchemy keeps its cache key on it, and PostgreSQL keeps it prepared.
AUTH_VERSION = sa.select(data_version.c.version).where(data_version.c.id == AUTH)


def counted(count_select):
    """(version, count) columns: the count only when the version differs from ``:anwang_known_version``
    (NULL otherwise, the subquery not run)."""
    version = current()
    known = sa.bindparam(KNOWN, type_=sa.BigInteger)
    return (version.label("v"),
            sa.case((version == known, sa.null()), else_=count_select.scalar_subquery()).label("n"))


def watched_only(stmt, scope) -> bool:
    """Whether every table ``stmt`` reads, with the loader criteria ``scope`` adds to its scoped
    models (and to theirs in turn), is watched — so its result cannot change while the version stays."""
    from portal.security.scope import SCOPED_MODELS

    tables = _tables(stmt)
    seen: set[str] = set()
    while True:
        grown = set()
        for model in SCOPED_MODELS:
            name = model.__table__.name
            if name in tables and name not in seen:
                seen.add(name)
                criteria = scope.criteria_for(model)
                if criteria is not None:
                    grown |= _tables(criteria)
        if grown <= tables:
            break
        tables |= grown
    return tables <= set(WATCHED_TABLES)


def _tables(clause) -> set[str]:
    """Names of the tables ``clause`` reads, under aliases and in subqueries too."""
    return {t.name for t in find_tables(clause, check_columns=True) if isinstance(t, sa.Table)}


__all__ = ["AUTH", "AUTH_TABLES", "AUTH_VERSION", "DATA", "KNOWN", "WATCHED_TABLES", "counted", "current",
           "data_version", "watched_only"]
