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
    """ckanext-harvest lets everybody read any harvest object; the object of
    a dataset that is private here is readable only by those who may read
    the dataset (its content is the dataset's title, description, links),
    and an object with no published dataset (a record that failed, one
    withdrawn) only by sysadmins and the source's organization."""
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
    elif obj is not None and (package is None or package.state != "active") \
            and not errors.may_read_detail(context, obj.harvest_source_id):
        # what a source sent that is not published here (a record that failed,
        # a withdrawn dataset) is for the source's organization only
        return {"success": False, "msg": "公開されていないデータの収集記録です / the harvest record of "
                                          "data that is not published"}
    return next_auth(context, data_dict)
