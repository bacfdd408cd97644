"""Auth functions of the ``hokkaido_harvest`` plugin."""
from __future__ import annotations

from typing import Any

from ckan import model
from ckan.plugins import toolkit
from ckan.types import Context, DataDict

from ckanext.harvest.model import HarvestObject

from ckanext.hokkaido.harvest import errors

__all__ = ["harvest_object_show"]


@toolkit.chained_auth_function
@toolkit.auth_allow_anonymous_access
def harvest_object_show(next_auth, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """ckanext-harvest lets everybody read any harvest object. An object is
    the harvest's own record of what a source sent, including what the
    portal refused to publish (a ``javascript:`` link, a record that
    failed), so here it is for sysadmins and members of the source's
    organization, or of the organization of the dataset it made; the public
    reads the dataset itself."""
    data_dict = data_dict or {}
    obj = HarvestObject.get(data_dict["id"]) if data_dict.get("id") else None
    if obj is not None:
        package = model.Package.get(obj.package_id) if obj.package_id else None
        source_id = obj.harvest_source_id
    else:
        package = model.Package.get(data_dict.get("dataset_id") or "")
        source_id = None
    if not (errors.may_read_detail(context, source_id or "")
            or (package is not None and errors.is_member(context, package.owner_org))):
        return {"success": False, "msg": toolkit._("Harvest records are for members of the source's organization")}
    return next_auth(context, data_dict)
