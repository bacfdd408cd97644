"""The limits on hostile input, as this portal configures them.

One place reads ``ckanext.hokkaido.harvest.max_json_depth``,
``.max_json_values``, ``.max_unpacked_bytes``, ``.max_zip_ratio``,
``.max_zip_members``, ``.max_table_rows`` and ``.max_table_cells`` (one
setting per field of :class:`harvesters.client.Limits`; see
``harvest/config_declaration.yaml``) into the limits that the harvesters'
HTTP client and the inventory import apply.
"""
from __future__ import annotations

import dataclasses

from ckan.plugins import toolkit

from harvesters.client import Limits

__all__ = ["limits_from_config"]


def allowed_addresses() -> str:
    """``ckanext.hokkaido.harvest.allow_private_addresses`` as the HTTP
    client's ``allow`` (the non-public address classes it may reach)."""
    allow = toolkit.config.get("ckanext.hokkaido.harvest.allow_private_addresses") or ""
    return allow if isinstance(allow, str) else " ".join(allow)


def limits_from_config() -> Limits:
    """:class:`~harvesters.client.Limits` from the config (defaults where unset)."""
    config = toolkit.config
    return Limits(**{
        item.name: int(config.get(f"ckanext.hokkaido.harvest.{item.name}") or item.default)
        for item in dataclasses.fields(Limits)
    })
