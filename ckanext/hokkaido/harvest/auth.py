"""Auth functions of the ``hokkaido_harvest`` plugin."""
from __future__ import annotations

from typing import Any

from ckan import model
from ckan.plugins import toolkit
from ckan.types import Context, DataDict

from ckanext.harvest.model import HarvestObject

__all__ = ["harvest_object_show"]


@toolkit.chained_auth_function
@toolkit.auth_allow_anonymous_access
def harvest_object_show(next_auth, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """ckanext-harvest lets everybody read any harvest object; the object of
    a dataset that is private here is readable only by those who may read
    the dataset (its content is the dataset's title, description, links)."""
    data_dict = data_dict or {}
    obj = HarvestObject.get(data_dict["id"]) if data_dict.get("id") else None
    if obj is not None:
        package = model.Package.get(obj.package_id) if obj.package_id else None
    else:
        package = model.Package.get(data_dict.get("dataset_id") or "")
    if package is not None and package.private:
        try:
            toolkit.check_access("package_show", {"user": context.get("user"), "model": model,
                                                  "session": model.Session}, {"id": package.id})
        except toolkit.NotAuthorized:
            return {"success": False, "msg": "非公開のデータセットの収集記録です / the harvest record of a "
                                              "private dataset"}
    return next_auth(context, data_dict)
