"""Who publishes a harvested record: a source speaks only for the
municipality its organization speaks for, or for every one when it is the
prefecture's (:func:`ckanext.hokkaido.authority.may_publish_for`), and a
record goes into its municipality's organization — or, a dataset of the
prefecture's that names its 執行機関, into that agency's, where the
inventory's import puts it. ``facts`` is what a harvest job looked up
once (its source's owner, the organizations it met).
"""
from __future__ import annotations

from typing import Any

from ckan import model
from ckan.plugins import toolkit

from ckanext.harvest.model import HarvestObject

from ckanext.hokkaido import authority, registry
from ckanext.hokkaido.harvest.errors import RecordError
from ckanext.hokkaido.inventory import file as inventory

__all__ = ["check_publishes_for", "organization"]


def check_publishes_for(facts: dict[str, Any], harvest_object: HarvestObject, code: str) -> None:
    """A source publishes only for the municipality its organization
    speaks for, or for any when it is the prefecture's (the shared
    portals): :func:`ckanext.hokkaido.authority.may_publish_for`."""
    if "owner" not in facts:
        package = model.Package.get(harvest_object.harvest_source_id)
        owner = model.Group.get(package.owner_org) if package is not None and package.owner_org else None
        facts["owner"] = (authority.organization_code(owner), owner.name if owner is not None else None)
    owner_code, owner_name = facts["owner"]
    if not authority.may_publish_for(owner_code, code):
        raise RecordError(
            f"この収集元の組織は{registry.name_of(code)}のデータを公開できません"
            "（市町村の組織か北海道の組織の収集元だけが公開できます）",
            "this source's organization does not speak for the record's municipality: only a source of the "
            "municipality's organization or of the prefecture's may publish for it",
            f"municipality_code {code}, organization {owner_name}")

def organization(facts: dict[str, Any], context: dict[str, Any], code: str, fields: dict[str, Any]) -> str:
    """Id of the dataset's organization, created if missing (looked up
    once a job): the municipality's (name = code) or, for a dataset of
    the prefecture's that names its 執行機関 (a Hokkaido portal's DCAT),
    that agency's, as the inventory's import places it
    (:func:`ckanext.hokkaido.inventory.file.agency_org_name`)."""
    agency = fields.get("agency_code") if code == registry.PREFECTURE_CODE else None
    name = inventory.agency_org_name(agency) if agency else code
    known = facts.setdefault("organizations", {})
    if name not in known:
        if agency:
            title = "北海道 " + (" ".join(v for v in (fields.get("department"), fields.get("section")) if v)
                                 or agency)
            org_extras = {"parent": registry.PREFECTURE_CODE, "agency_code": agency}
        else:
            title, org_extras = registry.name_of(code) or code, {}
        known[name] = _organization_now(context, name, title, org_extras)
    return known[name]

def _organization_now(context: dict[str, Any], name: str, title: str, org_extras: dict[str, str]) -> str:
    group = model.Group.by_name(name)  # a code is never a group id: one query, not Group.get's two
    if group is not None:
        if not group.is_organization:
            raise RecordError(f"{name} はグループ名として使われていて組織を作成できません",
                              f"{name} is the name of a group, not an organization")
        if group.state != "active":
            toolkit.get_action("organization_patch")(dict(context), {"id": group.id, "state": "active"})
        return group.id
    organization = toolkit.get_action("organization_create")(dict(context), {
        "name": name, "title": title, "extras": [{"key": k, "value": v} for k, v in org_extras.items()]})
    return organization["id"]
