"""survey answer counts split into shards: concurrent answers to one grid no longer queue on one row

Revision ID: 0010_counter_shards
Revises: 0009_job_heartbeat
Create Date: 2026-11-29 22:30:00

Every answer sheet adds 1 to a dozen counter rows of its (campaign, version, grid). On PostgreSQL the
upsert locks those rows until the transaction commits, so answers from one village (a QR code poster,
a meeting where everyone scans it) waited for each other one commit at a time. Each counter is now
kept in several rows (``shard``, picked per answer); readers sum them. The existing rows become shard 0.
The primary key changes, so the table is rebuilt (the same on SQLite and PostgreSQL).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_counter_shards"
down_revision = "0009_job_heartbeat"
branch_labels = None
depends_on = None

COLUMNS = "campaign_id, form_version_id, grid_id, question, value"


def _table(name, sharded, key_name):
    columns = [
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("form_version_id", sa.Integer(), nullable=False),
        sa.Column("grid_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
    ]
    key = ["campaign_id", "form_version_id", "grid_id", "question", "value"]
    if sharded:
        columns.append(sa.Column("shard", sa.SmallInteger(), autoincrement=False, nullable=False,
                                 server_default="0"))
        key.append("shard")
    op.create_table(
        name, *columns,
        sa.Column("n", sa.Integer(), nullable=False),
        # named as PostgreSQL names them for the table's final name (FK names are per table)
        sa.ForeignKeyConstraint(["campaign_id"], ["survey_campaign.id"], ondelete="CASCADE",
                                name="survey_answer_count_campaign_id_fkey"),
        sa.ForeignKeyConstraint(["form_version_id"], ["survey_form_version.id"], ondelete="CASCADE",
                                name="survey_answer_count_form_version_id_fkey"),
        sa.PrimaryKeyConstraint(*key, name=key_name),
    )


def _rebuild(sharded, key_name, values, tail=""):
    """Build the table under a temporary name, fill it with ``SELECT {values} FROM`` the current one
    ``{tail}``, and put it in its place."""
    temporary = "survey_answer_count_rebuilt"
    _table(temporary, sharded=sharded, key_name=key_name)
    target = f"{COLUMNS}, shard, n" if sharded else f"{COLUMNS}, n"
    op.execute(f"INSERT INTO {temporary} ({target}) SELECT {values} FROM survey_answer_count {tail}")
    op.drop_table("survey_answer_count")
    op.rename_table(temporary, "survey_answer_count")


def upgrade():
    _rebuild(True, "pk_survey_answer_count", f"{COLUMNS}, 0, n")


def downgrade():
    _rebuild(False, "survey_answer_count_pkey", f"{COLUMNS}, SUM(n)", f"GROUP BY {COLUMNS}")
