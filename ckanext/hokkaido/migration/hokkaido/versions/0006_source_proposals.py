"""Sources that ``ckan hokkaido discover`` proposes for a steward to accept
or reject, one row per municipality and URL.

Revision ID: 0006_source_proposals
Revises: 0005_extras_in_columns
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_source_proposals"
down_revision = "0005_extras_in_columns"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hokkaido_source_proposal",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("confidence", sa.String(10), nullable=False),
        sa.Column("datasets", sa.Integer, nullable=True),
        sa.Column("config", sa.Text, nullable=False, server_default="{}"),
        sa.Column("evidence", sa.Text, nullable=False, server_default="[]"),
        sa.Column("status", sa.String(10), nullable=False, server_default="proposed"),
        sa.Column("source_name", sa.Text, nullable=True),
        sa.Column("decided_by", sa.Text, nullable=True),
        sa.Column("decided_at", sa.DateTime, nullable=True),
        sa.Column("proposed_at", sa.DateTime, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("code", "url", name="uq_hokkaido_source_proposal_code_url"),
    )


def downgrade():
    op.drop_table("hokkaido_source_proposal")
