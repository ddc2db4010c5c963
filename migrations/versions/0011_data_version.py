"""data version: a counter every committed change to grids, people or units adds 1 to (list counts kept)

Revision ID: 0011_data_version
Revises: 0010_counter_shards
Create Date: 2026-11-30 07:30:00

List pages keep their counts while the version stays (portal/core/data_version.py). PostgreSQL bumps
it in a deferred constraint trigger, once per transaction at COMMIT (the row is locked only while
the writer commits), and at TRUNCATE; SQLite, which has one writer at a time, in a trigger per row.
The tables are named here, not imported: a migration must not change when the code does.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011_data_version"
down_revision = "0010_counter_shards"
branch_labels = None
depends_on = None

TABLES = ("grid", "person", "unit")

PG_FUNCTION = """
CREATE FUNCTION anwang_data_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Once per transaction: the first of its deferred row events bumps, the others only look.
    IF coalesce(current_setting('anwang.data_version_bumped', true), '') <> txid_current()::text THEN
        PERFORM set_config('anwang.data_version_bumped', txid_current()::text, true);
        UPDATE data_version SET version = version + 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade():
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE PROCEDURE anwang_data_version_bump()"
            )
            op.execute(
                f"CREATE TRIGGER data_version_{table}_truncate AFTER TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE PROCEDURE anwang_data_version_bump()"
            )
    else:
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER data_version_{table}_{event.lower()} AFTER {event} ON {table} "
                    "BEGIN UPDATE data_version SET version = version + 1 WHERE id = 1; END"
                )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS anwang_data_version_bump()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event}")
    op.drop_table("data_version")
