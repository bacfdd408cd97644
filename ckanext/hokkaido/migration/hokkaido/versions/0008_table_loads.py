"""What the portal knows of each resource it loads into the DataStore: the
file as last fetched (URL, ETag, Last-Modified, sha256), the outcome, the
columns, and the table's profile for that version.

Revision ID: 0008_table_loads
Revises: 0007_use_cases_and_requests
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0008_table_loads"
down_revision = "0007_use_cases_and_requests"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hokkaido_table_load",
        sa.Column("resource_id", sa.Text, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("source_last_modified", sa.Text, nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("etag", sa.Text, nullable=True),
        sa.Column("last_modified", sa.Text, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("rows", sa.Integer, nullable=True),
        sa.Column("fields", sa.Text, nullable=False, server_default="[]"),
        sa.Column("renamed", sa.Text, nullable=False, server_default="[]"),
        sa.Column("encoding", sa.String(20), nullable=True),
        sa.Column("error_ja", sa.Text, nullable=True),
        sa.Column("error_en", sa.Text, nullable=True),
        sa.Column("queued_at", sa.DateTime, nullable=True),
        sa.Column("checked_at", sa.DateTime, nullable=True),
        sa.Column("loaded_at", sa.DateTime, nullable=True),
        sa.Column("profile", sa.Text, nullable=True),
        sa.Column("profile_version", sa.String(80), nullable=True),
    )


def downgrade():
    op.drop_table("hokkaido_table_load")
