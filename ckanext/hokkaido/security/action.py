"""The chained ``dataset_purge``: a purged dataset's files, tables and
load records go with it (:mod:`.uploads`)."""
from __future__ import annotations

from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido.security import uploads

__all__ = ["dataset_purge"]


@toolkit.chained_action
def dataset_purge(next_action, context, data_dict):
    """CKAN's purge, then the dataset's resources forgotten (every
    resource it ever had: deleted ones keep their ids in the database)."""
    package = model.Package.get(str((data_dict or {}).get("id") or ""))
    resource_ids = [r.id for r in package.resources_all] if package is not None else []
    result = next_action(context, data_dict)
    uploads.forget(resource_ids)
    model.Session.commit()
    return result
