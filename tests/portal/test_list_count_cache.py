"""A list's count kept while the data version stays (portal/core/data_version.py, portal/listplan.py):
every committed change to a watched table moves the version, whoever makes it; the page then counts
again. On SQLite and PostgreSQL (TEST_DATABASE_URL)."""
from __future__ import annotations

import contextlib

import sqlalchemy as sa

from tests.portal.test_listplan import _record_count, _view

URL = "/unitview/list/?psize_UnitView=10&_flt_2_name=%E7%A4%BA%E4%BE%8B"  # name contains 示例


@contextlib.contextmanager
def other_worker(app):
    """A connection of its own, as another gunicorn worker, host or psql session has."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            yield conn
            conn.rollback()
    finally:
        engine.dispose()


def _version(conn) -> int:
    return conn.execute(sa.text("SELECT version FROM data_version WHERE id = 1")).scalar_one()


def _a_unit(conn) -> tuple[int, str]:
    return conn.execute(sa.text("SELECT id, name FROM unit WHERE name LIKE '示例%' ORDER BY id LIMIT 1")).one()


def test_every_watched_table_has_its_version_triggers(app):
    """Each watched table moves the version in a committed write and not in a rolled-back one — so a
    migration that rebuilt a table and lost its triggers fails here."""
    from portal.core.data_version import WATCHED_TABLES

    with other_worker(app) as conn:
        for table in WATCHED_TABLES:
            before = _version(conn)
            conn.execute(sa.text(f"UPDATE {table} SET id = id WHERE id = (SELECT min(id) FROM {table})"))
            conn.rollback()
            assert _version(conn) == before, table
            n = conn.execute(sa.text(f"UPDATE {table} SET id = id WHERE id IN (SELECT id FROM {table} "
                                     "ORDER BY id LIMIT 2)")).rowcount
            conn.commit()
            assert n == 2
            # PostgreSQL: once per transaction; SQLite: once per row
            assert _version(conn) == before + (1 if conn.dialect.name == "postgresql" else n), table
            conn.rollback()


def test_the_kept_count_is_shown_while_the_version_stays(app, login):
    """The page does not count again while the version is the one its count was taken at: a rename made
    with the version put back (nothing real does that) is not seen in the count until the version moves."""
    client = login("admin")
    before = _record_count(client.get(URL).get_data(as_text=True))
    with other_worker(app) as conn:
        unit_id, name = _a_unit(conn)
        version = _version(conn)
        conn.execute(sa.text("UPDATE unit SET name = 'moved away' WHERE id = :id"), {"id": unit_id})
        conn.commit()
        conn.execute(sa.text("UPDATE data_version SET version = :v WHERE id = 1"), {"v": version})
        conn.commit()
        try:
            assert _record_count(client.get(URL).get_data(as_text=True)) == before  # kept
            conn.execute(sa.text("UPDATE data_version SET version = version + 1 WHERE id = 1"))
            conn.commit()
            assert _record_count(client.get(URL).get_data(as_text=True)) == before - 1
        finally:
            conn.execute(sa.text("UPDATE unit SET name = :n WHERE id = :id"), {"n": name, "id": unit_id})
            conn.commit()
    assert _record_count(client.get(URL).get_data(as_text=True)) == before


def test_another_workers_write_is_counted_on_the_next_page(app, login):
    """A unit inside the township renamed out of the filter by another connection: the office's and the
    township's next pages both count one fewer, and one more once it is renamed back."""
    from tests.portal.test_list_render import station_units

    inside, _ = station_units(app)
    admin, station = login("admin"), login("station")
    counts = [_record_count(c.get(URL).get_data(as_text=True)) for c in (admin, station)]
    with other_worker(app) as conn:
        unit_id, name = conn.execute(sa.text(
            "SELECT id, name FROM unit WHERE name LIKE '示例%' AND id IN ({}) ORDER BY id LIMIT 1".format(
                ",".join(str(i) for i in sorted(inside)[:500])))).one()
        conn.execute(sa.text("UPDATE unit SET name = 'moved away' WHERE id = :id"), {"id": unit_id})
        conn.commit()
        try:
            after = [_record_count(c.get(URL).get_data(as_text=True)) for c in (admin, station)]
            assert after == [counts[0] - 1, counts[1] - 1]
        finally:
            conn.execute(sa.text("UPDATE unit SET name = :n WHERE id = :id"), {"n": name, "id": unit_id})
            conn.commit()
    assert [_record_count(c.get(URL).get_data(as_text=True)) for c in (admin, station)] == counts


def test_a_township_and_the_office_keep_their_own_counts(app, login):
    from tests.portal.test_list_render import station_units

    inside, total = station_units(app)
    admin, station = login("admin"), login("station")
    for _ in range(2):  # the second round is served from the kept counts
        assert _record_count(admin.get("/unitview/list/").get_data(as_text=True)) == total
        assert _record_count(station.get("/unitview/list/").get_data(as_text=True)) == len(inside)


def test_a_count_taken_after_writing_in_the_same_transaction_is_not_kept(app):
    """A transaction sees its own uncommitted rows, which are not in the version yet (PostgreSQL bumps it
    at COMMIT; SQLite's bump goes with a rollback): a count taken after writing must not be kept."""
    from flask_appbuilder.models.sqla.filters import FilterContains

    from portal.extensions import db
    from portal.security.scope import system_scope

    view = _view("UnitView")

    def count():
        filters = view.datamodel.get_filters(view.search_columns)
        filters.add_filter("name", FilterContains, "示例")
        return view._list_plan().page(filters.get_joined_filters(view._base_filters), "", "", 0, 10)[0]

    with app.test_request_context("/unitview/list/"), system_scope("test"):
        before = count()
        unit_id = db.session.execute(sa.text("SELECT min(id) FROM unit WHERE name LIKE '示例%'")).scalar_one()

        def write_and_roll_back():
            db.session.execute(sa.text("UPDATE unit SET name = 'moved away' WHERE id = :id"), {"id": unit_id})
            assert count() == before - 1  # its own write, seen
            db.session.rollback()

        # PostgreSQL: the version has not moved yet when the count is taken
        write_and_roll_back()
        assert count() == before
        # SQLite: the version moved inside the transaction and back with the rollback; a committed write
        # elsewhere (the count stays as it was) brings it to the number the count would be kept at
        write_and_roll_back()
        with other_worker(app) as conn:
            conn.execute(sa.text("UPDATE unit SET id = id WHERE id = :id"), {"id": unit_id})
            conn.commit()
        assert count() == before
        db.session.rollback()
        db.session.remove()


def test_a_list_that_counts_an_unwatched_table_counts_every_time(app):
    from portal.core.data_version import watched_only
    from portal.extensions import db
    from portal.security.scope import ALL, Scope

    with app.test_request_context():
        units = _view("UnitView")._list_plan().statements(
            _view("UnitView").datamodel.get_filters([]), "", "", 0, 10)
        assignments = _view("AssignmentView")._list_plan().statements(
            _view("AssignmentView").datamodel.get_filters([]), "", "", 0, 10)
        db.session.remove()
    township = Scope("subtree", prefix="/1/2/")
    assert watched_only(units.count_select, ALL) and watched_only(units.count_select, township)
    assert not watched_only(assignments.count_select, ALL)  # the assignment table has no triggers
