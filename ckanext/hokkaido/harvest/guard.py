"""Which harvest source types may run: the one rule.

Every request of our harvesters goes through :class:`harvesters.client.HttpClient`,
whose address guard refuses loopback, private, link-local and other
non-public addresses (unless ``ckanext.hokkaido.harvest.allow_private_addresses``
lets some through), checks each redirect and the connected socket, and caps
time and size. A harvester of another extension (ckanext-harvest's own
``ckan_harvester``, ckanext-dcat's, …) fetches with its own code: any
organization editor could point it at the portal's internal network. So a
source runs only when its type is one of ours, or is named in
``ckanext.hokkaido.harvest.unguarded_types`` by an operator who accepts that.

Used by ``ckan hokkaido harvest`` (the source is skipped and fails) and by
ckanext-harvest's queue actions (``harvest_job_create``,
``harvest_send_job_to_gather_queue``: refused).
"""
from __future__ import annotations

from typing import Optional

from ckan.plugins import PluginImplementations, toolkit
from ckanext.harvest.interfaces import IHarvester

from ckanext.hokkaido.harvest.base import HokkaidoHarvesterBase

__all__ = ["guarded_types", "refusal"]


def guarded_types() -> set[str]:
    """The source types of the loaded harvesters built on our guarded client."""
    return {plugin.info()["name"] for plugin in PluginImplementations(IHarvester)
            if isinstance(plugin, HokkaidoHarvesterBase)}


def _unguarded_allowed() -> set[str]:
    value = toolkit.config.get("ckanext.hokkaido.harvest.unguarded_types") or []
    return set(value.split() if isinstance(value, str) else value)


def refusal(source_type: Optional[str]) -> Optional[str]:
    """Why a source of ``source_type`` may not run (bilingual), or ``None``."""
    if source_type in guarded_types() or source_type in _unguarded_allowed():
        return None
    return (f"収集元の種類 {source_type} は接続先の安全確認を行わないため実行しません。"
            f"実行するには ckanext.hokkaido.harvest.unguarded_types に指定してください "
            f"(source type {source_type} does not fetch through the portal's guarded client, "
            f"so it is not run; name it in ckanext.hokkaido.harvest.unguarded_types to allow it)")
