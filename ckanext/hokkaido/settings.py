"""The portal's settings: what each of our options is, who declares it,
and its effective value (:func:`effective`, printed by ``ckan hokkaido
settings``); and the limits on hostile input, as this portal configures
them.

Each option is declared by the plugin whose code reads it: the
``hokkaido`` plugin (``config_declaration.yaml``: the outbound HTTP client
of :mod:`ckanext.hokkaido.outbound` and its limits, the tables, the MCP
server, the public face …) or ``hokkaido_harvest``
(``harvest/config_declaration.yaml``: the nightly run, the guard on source
types). Code reads an option with ``toolkit.config.get(key)`` and the
declared default, never a fallback of its own.

One place reads ``ckanext.hokkaido.harvest.max_json_depth``,
``.max_json_values``, ``.max_unpacked_bytes``, ``.max_zip_ratio``,
``.max_zip_members``, ``.max_table_rows`` and ``.max_table_cells`` (one
setting per field of :class:`harvesters.client.Limits`, declared with the
same defaults in ``config_declaration.yaml``) into the limits that the harvesters'
HTTP client and the inventory import apply.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any

import yaml

from ckan.plugins import toolkit

from harvesters.client import Limits

__all__ = ["DECLARATIONS", "Setting", "allowed_addresses", "effective", "limits_from_config"]

_HERE = os.path.dirname(__file__)
#: the plugin → the file of the options it declares (and reads)
DECLARATIONS = {"hokkaido": os.path.join(_HERE, "config_declaration.yaml"),
                "hokkaido_harvest": os.path.join(_HERE, "harvest", "config_declaration.yaml")}


@dataclasses.dataclass(frozen=True)
class Setting:
    """One option: its effective value, its declared default, whether the
    configuration file sets it, and the plugin that declares it."""

    plugin: str
    key: str
    value: Any
    default: Any
    explicit: bool


def declared() -> list[tuple[str, dict[str, Any]]]:
    """(plugin, declaration) of every option we declare, in file order."""
    found = []
    for plugin, path in DECLARATIONS.items():
        with open(path, encoding="utf-8") as f:
            for group in yaml.safe_load(f)["groups"]:
                found += [(plugin, option) for option in group["options"]]
    return found


def effective() -> list[Setting]:
    """Every option we declare with the value the portal runs with, and
    whether its configuration file (with the files it ``use``\ s) sets it;
    CKAN's own loader reads the file (``ckan.cli.CKANConfigLoader``)."""
    from ckan.cli import CKANConfigLoader

    config = toolkit.config
    path = config.get("__file__")
    written = CKANConfigLoader(path).get_config() if path and os.path.exists(path) else {}
    return [Setting(plugin, option["key"], config.get(option["key"]), option.get("default"), option["key"] in written)
            for plugin, option in declared()]


def site_address(path: str) -> str:
    """The portal's own address of ``path`` (``/dataset/x``): ``ckan.site_url`` and the path."""
    return toolkit.config.get("ckan.site_url").rstrip("/") + path


def allowed_addresses() -> str:
    """``ckanext.hokkaido.harvest.allow_private_addresses`` as the HTTP
    client's ``allow`` (the non-public address classes it may reach)."""
    allow = toolkit.config.get("ckanext.hokkaido.harvest.allow_private_addresses") or ""
    return allow if isinstance(allow, str) else " ".join(allow)


def limits_from_config() -> Limits:
    """:class:`~harvesters.client.Limits` from the config (defaults where unset)."""
    config = toolkit.config
    return Limits(**{
        item.name: int(config.get(f"ckanext.hokkaido.harvest.{item.name}"))
        for item in dataclasses.fields(Limits)
    })
