"""The standard-dataset field decides, for the search facet and the tracker.

Until this revision the tracker also counted a dataset as a standard dataset
when its title (or, with a standard tag, its description) named one, while
the search facet read only the field, so the two disagreed. Now the schema
fills the field by that rule when a dataset is written (the
``hokkaido_standard_dataset`` validator, ``registry.standard_dataset_of``)
and both read the field. This revision fills it, by the same rule, for the
datasets written before. The search index learns the new values at the next
``ckan search-index rebuild`` (README: upgrading).

Revision ID: 0004_standard_dataset_field
Revises: 0003_harvest_error_detail
Create Date: 2026-11-29
"""
import uuid

import sqlalchemy as sa
from alembic import op

from ckanext.hokkaido import registry

revision = "0004_standard_dataset_field"
down_revision = "0003_harvest_error_detail"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    in_table = sa.inspect(bind).has_table("package_extra")  # CKAN 2.11; 2.12 has a JSONB column
    missing = ("""NOT EXISTS (
               SELECT 1 FROM package_extra e WHERE e.package_id = p.id
                  AND e.key = 'standard_dataset' AND e.state = 'active' AND e.value <> '')"""
               if in_table else "coalesce(p.extras ->> 'standard_dataset', '') = ''")
    rows = bind.execute(sa.text(f"""
        SELECT p.id, coalesce(p.title, '') AS title, coalesce(p.notes, '') AS notes,
               coalesce(array_agg(t.name) FILTER (WHERE t.name IS NOT NULL), '{{}}') AS tags
          FROM package p
          LEFT JOIN package_tag pt ON pt.package_id = p.id AND pt.state = 'active'
          LEFT JOIN tag t ON t.id = pt.tag_id
         WHERE p.state <> 'deleted' AND {missing}
         GROUP BY p.id""")).fetchall()
    for row in rows:
        found = registry.standard_dataset_of(row.title, row.notes, list(row.tags))
        if not found:
            continue
        if not in_table:
            bind.execute(sa.text(
                "UPDATE package SET extras = coalesce(extras, '{}'::jsonb) || jsonb_build_object('standard_dataset', "
                "CAST(:no AS text)) WHERE id = :id"), {"no": found, "id": row.id})
            continue
        updated = bind.execute(sa.text(
            "UPDATE package_extra SET value = :no, state = 'active' "
            "WHERE package_id = :id AND key = 'standard_dataset'"),
            {"no": found, "id": row.id}).rowcount
        if not updated:
            bind.execute(sa.text(
                "INSERT INTO package_extra (id, package_id, key, value, state) "
                "VALUES (:eid, :id, 'standard_dataset', :no, 'active')"),
                {"eid": str(uuid.uuid4()), "id": row.id, "no": found})


def downgrade():
    pass  # the values stay: they are what the old rule counted as well
