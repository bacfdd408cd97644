"""The harvester for CKAN portals: 札幌市's own, BODIK ODCS, e-Gov.

Source config (JSON), besides the keys of :mod:`ckanext.hokkaido.harvest.base`
(``force``, ``not_overwrite_fields``, ``min_listing_ratio``,
``full_listing_every``, ``api_key``: a write-only API token, see
:mod:`ckanext.hokkaido.harvest.secrets`), takes the keys of :class:`harvesters.ckan.CkanAdapter`:
``municipality_code``, ``attribution`` (``{"organization": {name: code}}`` or
``{"name_prefix": true}``), ``fq``, ``api_path``, ``rows``, ``sort`` and
``dataset_url``. A source names its municipality or an attribution rule.
"""
from __future__ import annotations

from typing import Any, ClassVar

from ckanext.hokkaido import registry
from ckanext.hokkaido.harvest.base import HokkaidoHarvesterBase, SourceConfigError

__all__ = ["HokkaidoCkanHarvester"]


class HokkaidoCkanHarvester(HokkaidoHarvesterBase):
    """Harvest a CKAN portal through its action API (``package_search``)."""

    kind: ClassVar[str] = "ckan"
    title: ClassVar[str] = "CKAN（北海道ポータル用 / CKAN portal, Hokkaido)"
    config_example: ClassVar[str] = ('{"municipality_code": "011002"} / BODIK: '
                                     '{"fq": "name:014257_*", "attribution": {"name_prefix": true}}')
    description: ClassVar[str] = (
        "CKAN のポータル（札幌市、BODIK、e-Gov など）から市町村のデータセットを収集します。"
        "設定例: {\"municipality_code\": \"011002\"} または "
        "{\"fq\": \"name:014257_*\", \"attribution\": {\"name_prefix\": true}}. "
        "Harvests a CKAN portal through its action API.")

    def check_adapter_config(self, config: dict[str, Any]) -> None:
        """A CKAN source names its municipality or an attribution rule."""
        attribution = config.get("attribution")
        if not config.get("municipality_code") and not attribution:
            raise SourceConfigError(
                "municipality_code（市町村コード）か attribution（共有ポータルでの市町村の割り当て規則）を"
                "指定してください (name the municipality with municipality_code, or give an attribution rule "
                "for a shared portal: {\"organization\": {\"<org name>\": \"<code>\"}} or {\"name_prefix\": true})")
        if isinstance(attribution, dict):
            for organization, code in (attribution.get("organization") or {}).items():
                if isinstance(code, str) and registry.is_valid_code(code) and registry.name_of(code) is None:
                    raise SourceConfigError(
                        f"attribution.organization[{organization!r}]: {code} は北海道の市町村ではありません "
                        f"({code} is not one of Hokkaido's municipalities)")
        for key in ("fq", "api_path"):
            if key in config and not isinstance(config[key], str):
                raise SourceConfigError(f"{key} は文字列で指定してください ({key} must be a string)")
