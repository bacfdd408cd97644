"""The header's line of each loaded table (a title and a date may be above
it), and what each table contributes to the merged standard datasets: the version
merged (the file's sha256 and the matching rules' version), the rows taken
and rejected, the report (columns matched, unmatched, missing; rejected
rows and why), and a steward's exclusion with its reason.

Revision ID: 0009_standard_sources
Revises: 0008_table_loads
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_standard_sources"
down_revision = "0008_table_loads"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("hokkaido_table_load", sa.Column("header_line", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "hokkaido_standard_source",
        sa.Column("resource_id", sa.Text, primary_key=True),
        sa.Column("standard_no", sa.String(2), nullable=False, index=True),
        sa.Column("package_id", sa.Text, nullable=False),
        sa.Column("municipality_code", sa.String(6), nullable=False),
        sa.Column("version", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("report", sa.Text, nullable=False, server_default="{}"),
        sa.Column("excluded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("excluded_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("merged_at", sa.DateTime, nullable=True),
    )


def downgrade():
    op.drop_column("hokkaido_table_load", "header_line")
    op.drop_table("hokkaido_standard_source")
