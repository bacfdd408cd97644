"""The five harvesters, one per kind of municipal portal: CKAN (札幌市's own,
BODIK ODCS, e-Gov), SHIRASAGI (HARP), DCAT feeds (ArcGIS Hub, a Hokkaido
portal's catalogue), catalog CSV files and web pages of data files.

Each reuses :class:`~ckanext.hokkaido.harvest.base.HokkaidoHarvesterBase`
(identity, content hash, withdrawals, local edits, one report per run) and
names the adapter of :mod:`harvesters` it wraps; source config keys are the
adapter's (see README, "Harvest source kinds and the probe"), besides the
keys of the base (``force``, ``not_overwrite_fields``, ``min_listing_ratio``,
``full_listing_every``, ``api_key``: a write-only API token, see
:mod:`ckanext.hokkaido.harvest.tokens`). A CKAN source names its
municipality or an attribution rule (``{"organization": {name: code}}`` or
``{"name_prefix": true}``).
"""
from __future__ import annotations

from typing import Any, ClassVar

from ckan.plugins import toolkit

from ckanext.hokkaido import registry
from ckanext.hokkaido.harvest.base import HokkaidoHarvesterBase
from ckanext.hokkaido.harvest.source_config import SourceConfigError

__all__ = ["harvester_title", "HokkaidoCkanHarvester", "HokkaidoShirasagiHarvester", "HokkaidoDcatHarvester",
           "HokkaidoCatalogCsvHarvester", "HokkaidoWebpageHarvester"]


def harvester_title(source_type: str) -> str:
    """A harvest source type by its harvester's title (``hokkaido_ckan`` →
    the CKAN harvester's title); the type itself if no harvester has it."""
    try:
        infos = toolkit.get_action("harvesters_info_show")({}, {})
    except KeyError:  # ckanext-harvest not loaded
        return source_type
    return next((i["title"] for i in infos if i["name"] == source_type), source_type)


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


class _SharedSource(HokkaidoHarvesterBase):
    """A source that attributes each record itself (by area name or by
    全国地方公共団体コード); ``municipality_code`` is only a fallback."""

    def check_adapter_config(self, config: dict[str, Any]) -> None:
        code = config.get("municipality_code")
        if code is not None and not isinstance(code, str):
            raise SourceConfigError(
                "municipality_code は文字列で指定してください "
                "(municipality_code must be a string such as \"013951\")")


class HokkaidoShirasagiHarvester(_SharedSource):
    """HARP 北海道オープンデータポータル and other SHIRASAGI sites: each
    dataset is attributed by its ``areas[]``; unknown or ambiguous areas are
    reported in the run's report."""

    kind: ClassVar[str] = "shirasagi"
    title: ClassVar[str] = "SHIRASAGI（HARP 北海道オープンデータポータル）"
    config_example: ClassVar[str] = '{}（地域名で自動的に振り分け / attributed by area）'
    description: ClassVar[str] = (
        "SHIRASAGI のオープンデータAPI（package_list → package_show）から収集し、"
        "areas の市町村名で振り分けます。Harvests a SHIRASAGI open-data site "
        "such as HARP, attributing datasets by their areas.")


class HokkaidoDcatHarvester(_SharedSource):
    """ArcGIS Hub (DCAT-US 1.1 JSON) and DCAT-AP feeds: a municipality's,
    named by ``municipality_code``, or a Hokkaido portal's catalogue (ours,
    paged), whose datasets state their municipality and the prefecture's
    fields (``harvesters.dcat``)."""

    kind: ClassVar[str] = "dcat"
    title: ClassVar[str] = "DCAT フィード（ArcGIS Hub、北海道のポータルなど）"
    config_example: ClassVar[str] = '{"municipality_code": "012050"} / 北海道のポータル: {}'
    description: ClassVar[str] = (
        "ArcGIS Hub の DCAT-US JSON や DCAT-AP のフィードから収集します。"
        "設定例: {\"municipality_code\": \"012050\"}。北海道のポータルのカタログ（/catalog.ttl）は {} で、"
        "各データセットの市町村と道の項目をそのまま読みます。Harvests a DCAT feed; a Hokkaido portal's "
        "catalogue states each dataset's municipality itself.")


class HokkaidoCatalogCsvHarvester(_SharedSource):
    """An オープンデータ一覧 catalog file (CSV or XLSX, either template);
    rows are attributed by their 全国地方公共団体コード."""

    kind: ClassVar[str] = "catalog_csv"
    title: ClassVar[str] = "オープンデータ一覧（カタログCSV/XLSX）"
    config_example: ClassVar[str] = '{}（全国地方公共団体コードで振り分け / by the code column）'
    description: ClassVar[str] = (
        "自治体標準・推奨データセットのオープンデータ一覧（CSV/XLSX）から収集します。"
        "Harvests a municipal open-data catalog file.")


class HokkaidoWebpageHarvester(HokkaidoHarvesterBase):
    """A plain web page of links to data files, grouped by headings."""

    kind: ClassVar[str] = "webpage"
    title: ClassVar[str] = "ウェブページのファイル一覧"
    config_example: ClassVar[str] = '{"municipality_code": "012025", "follow": 1}'
    description: ClassVar[str] = (
        "ページ内のデータファイル（CSV・XLSX・PDF など）へのリンクを見出しごとに"
        "データセットとして収集します。設定例: {\"municipality_code\": \"012025\", "
        "\"follow\": 1}. Harvests the data-file links of a web page.")
