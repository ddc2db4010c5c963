"""auth version: data_version row 2, moved by every committed change to users, roles, groups, profiles or grids (users kept between requests)

Revision ID: 0012_auth_version
Revises: 0011_data_version
Create Date: 2026-11-30 09:30:00

Each request merges the user it loaded at the current auth version instead of loading it again
(portal/security/kept_users.py). As in 0011: on PostgreSQL a deferred constraint trigger, once per
transaction at COMMIT, and a TRUNCATE trigger; on SQLite a trigger per row. The function takes the
row to bump as its argument, so later counters need no function of their own. Tables are named here,
not imported: a migration must not change when the code does.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0012_auth_version"
down_revision = "0011_data_version"
branch_labels = None
depends_on = None

AUTH = 2
TABLES = ("ab_user", "ab_role", "ab_user_role", "ab_group", "ab_user_group", "ab_group_role",
          "user_profile", "grid")

PG_FUNCTION = """
CREATE FUNCTION anwang_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flag text := 'anwang.version_bumped_' || TG_ARGV[0];
BEGIN
    -- Once per transaction and row: the first of its deferred row events bumps, the others only look.
    IF coalesce(current_setting(flag, true), '') <> txid_current()::text THEN
        PERFORM set_config(flag, txid_current()::text, true);
        UPDATE data_version SET version = version + 1 WHERE id = TG_ARGV[0]::integer;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade():
    op.execute(f"INSERT INTO data_version (id, version) VALUES ({AUTH}, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER auth_version_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE PROCEDURE anwang_version_bump('{AUTH}')"
            )
            op.execute(
                f"CREATE TRIGGER auth_version_{table}_truncate AFTER TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE PROCEDURE anwang_version_bump('{AUTH}')"
            )
    else:
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER auth_version_{table}_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN UPDATE data_version SET version = version + 1 WHERE id = {AUTH}; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS auth_version_{table} ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS auth_version_{table}_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS anwang_version_bump()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS auth_version_{table}_{event}")
    op.execute(f"DELETE FROM data_version WHERE id = {AUTH}")
