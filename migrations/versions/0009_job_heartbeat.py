"""job heartbeat: when a job's runner last showed it was alive (stale jobs are marked failed)

Revision ID: 0009_job_heartbeat
Revises: 0008_survey_counts
Create Date: 2026-11-29 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009_job_heartbeat"
down_revision = "0008_survey_counts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_on", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_job_status_heartbeat", ["status", "heartbeat_on"], unique=False)


def downgrade():
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index("ix_job_status_heartbeat")
        batch_op.drop_column("heartbeat_on")
