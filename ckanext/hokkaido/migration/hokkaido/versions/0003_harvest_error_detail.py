"""What we know of a harvest error besides its public message.

ckanext-harvest's error tables are read by its public pages and actions, so
they keep our own message only; what a remote server said (the detail) goes
here, for sysadmins and the source's organization, with whether the error
means the source could not be read at all (see harvest/errors.py).
Messages stored before this revision may quote a server: they move here
whole and the public column gets a neutral note.

Revision ID: 0003_harvest_error_detail
Revises: 0002_source_url_index
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_harvest_error_detail"
down_revision = "0002_source_url_index"
branch_labels = None
depends_on = None

EARLIER = ("以前の収集のエラーです。詳細は収集元の組織のメンバーに表示されます / an error of an "
           "earlier run; its detail is shown to members of the source's organization")


def upgrade():
    op.create_table(
        "hokkaido_harvest_error_detail",
        sa.Column("error_id", sa.UnicodeText, primary_key=True),
        sa.Column("detail", sa.UnicodeText),
        sa.Column("read_failure", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    inspector = sa.inspect(op.get_bind())
    for table in ("harvest_gather_error", "harvest_object_error"):
        if not inspector.has_table(table):
            continue  # ckanext-harvest's tables come later: nothing stored yet
        op.execute(f"INSERT INTO hokkaido_harvest_error_detail (error_id, detail) "
                   f"SELECT id, message FROM {table} WHERE coalesce(message, '') <> ''")
        op.execute(sa.text(f"UPDATE {table} SET message = :note WHERE coalesce(message, '') <> ''")
                   .bindparams(note=EARLIER))


def downgrade():
    op.drop_table("hokkaido_harvest_error_detail")
