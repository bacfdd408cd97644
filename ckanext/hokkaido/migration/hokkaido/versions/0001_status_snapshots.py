"""Daily publishing-status snapshots, one row per municipality and day.

Revision ID: 0001_status_snapshots
Revises:
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa

revision = "0001_status_snapshots"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hokkaido_status_snapshot",
        sa.Column("snapshot_date", sa.Date, primary_key=True),
        sa.Column("code", sa.String(6), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("dataset_count", sa.Integer, nullable=False, default=0),
        sa.Column("resource_count", sa.Integer, nullable=False, default=0),
        sa.Column("standard_count", sa.Integer, nullable=False, default=0),
        sa.Column("newest_modified", sa.DateTime, nullable=True),
        sa.Column("taken_at", sa.DateTime, nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("idx_hokkaido_status_snapshot_code",
                    "hokkaido_status_snapshot", ["code", "snapshot_date"])


def downgrade():
    op.drop_table("hokkaido_status_snapshot")
