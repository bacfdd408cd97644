"""Index the datasets' ``source_url`` extras.

Every harvested record looks for another dataset with its source URL (the
duplicate check of harvest/base.py); without an index that is a scan of
every extra of every dataset, once per record. A hash index has no limit on
the length of the URL (a btree entry has one).

Only where extras have a table of their own (CKAN 2.11); on CKAN 2.12 they
are a column of the dataset, indexed by revision 0005_extras_in_columns.

Revision ID: 0002_source_url_index
Revises: 0001_status_snapshots
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_source_url_index"
down_revision = "0001_status_snapshots"
branch_labels = None
depends_on = None

INDEX = "idx_hokkaido_package_extra_source_url"


def upgrade():
    if not sa.inspect(op.get_bind()).has_table("package_extra"):
        return
    op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON package_extra USING hash (value) "
               "WHERE key = 'source_url'")


def downgrade():
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
