"""Who speaks for a municipality: one rule for the dataset schema, the
harvest and the tracker.

Only official organizations do: the prefecture's (``010006``), the 179
municipalities' (name = the 6-digit code), and sections of them (an
organization whose ``parent`` extra names one of those codes, such as the
prefecture's departments that the inventory import makes). Only a
sysadmin may create an organization named by a code or set or change a
``parent`` extra (:mod:`ckanext.hokkaido.logic.auth`), so a registered
user's own organization never becomes official by naming a parent.

* a dataset's 市町村 is its organization's code; a dataset of any other
  organization has none (:func:`organization_code`);
* a harvest source publishes for the municipality of its organization; a
  source of the prefecture (or of one of its sections) may publish for any
  municipality, as the shared portals do (:func:`may_publish_for`).
"""
from __future__ import annotations

from typing import Any, Optional

from ckanext.hokkaido import registry

__all__ = ["official_code", "organization_code", "may_publish_for", "is_reserved_name", "municipality_editor"]


def official_code(name: Optional[str], parent: Optional[str]) -> Optional[str]:
    """The code an organization named ``name`` with the ``parent`` extra
    speaks for, or ``None``. Pure."""
    if name and registry.name_of(name) is not None:
        return name
    if parent and registry.name_of(parent) is not None:
        return parent
    return None


def organization_code(group: Any) -> Optional[str]:
    """:func:`official_code` of a ``model.Group`` (``None`` for a group that
    is not an active organization)."""
    if group is None or not group.is_organization or group.state != "active":
        return None
    return official_code(group.name, (group.extras or {}).get("parent"))


def may_publish_for(owner_code: Optional[str], code: Optional[str]) -> bool:
    """Whether an organization whose official code is ``owner_code`` may
    publish datasets for municipality ``code``."""
    if not owner_code or not code:
        return False
    return owner_code == code or owner_code == registry.PREFECTURE_CODE


def is_reserved_name(name: Optional[str]) -> bool:
    """An organization name only a sysadmin may give: a code of the
    registry, or a code followed by ``-`` (a section)."""
    if not name:
        return False
    head = str(name).split("-", 1)[0]
    return registry.name_of(head) is not None


#: the name of the bind parameter :func:`speaks_for_sql` reads
CODES_PARAM = "official_codes"


def codes() -> list[str]:
    """The prefecture's and the 179 municipalities' codes (the value of the
    ``:official_codes`` parameter)."""
    return [registry.PREFECTURE_CODE] + [m.code for m in registry.municipalities()]


def speaks_for_sql(name: str, parent: str, code: str) -> str:
    """SQL of :func:`official_code` ``(name, parent) = code`` for column
    expressions; binds ``:official_codes`` (:func:`codes`)."""
    return (f"({code} = ANY(:{CODES_PARAM}) AND ({name} = {code} "
            f"OR (NOT {name} = ANY(:{CODES_PARAM}) AND {parent} = {code})))")


def municipality_editor(context: dict[str, Any], code: Optional[str], refusal: str) -> dict[str, Any]:
    """An auth function's answer: editors and admins of the municipality's
    organization pass (sysadmins pass every auth function without calling
    it); anyone else is refused with ``refusal``."""
    from ckan import authz

    user = context.get("user")
    if user and code and authz.users_role_for_group_or_org(code, user) in ("editor", "admin"):
        return {"success": True}
    return {"success": False, "msg": refusal}
