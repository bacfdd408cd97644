"""Index ``source_url`` where CKAN 2.12 keeps extras: a JSONB column of the dataset.

The duplicate check of the harvest looks up datasets by their source URL
once per record (revision 0002 indexed it in CKAN 2.11's ``package_extra``).
On CKAN 2.12 the same lookup reads ``package.extras ->> 'source_url'``; this
revision gives that expression a hash index. On CKAN 2.11 it does nothing.

A portal upgraded from 2.11 to 2.12 after this revision ran: once CKAN's
own ``ckan db upgrade`` has moved the extras into the column, run
``ckan db downgrade -p hokkaido -v 0004_standard_dataset_field`` and
``ckan db upgrade -p hokkaido`` (README, "CKAN versions").

Revision ID: 0005_extras_in_columns
Revises: 0004_standard_dataset_field
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_extras_in_columns"
down_revision = "0004_standard_dataset_field"
branch_labels = None
depends_on = None

INDEX = "idx_hokkaido_package_source_url"


def upgrade():
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("package")}
    if "extras" in columns:
        op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON package USING hash ((extras ->> 'source_url'))")


def downgrade():
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
