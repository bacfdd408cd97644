"""Harvesters for the municipal portals that are not CKAN.

Each reuses :class:`~ckanext.hokkaido.harvest.base.HokkaidoHarvesterBase`
(identity, content hash, withdrawals, local edits, one report per run) and
names the adapter of :mod:`harvesters` it wraps; source config keys are the
adapter's (see README, "Harvest source kinds and the probe").
"""
from __future__ import annotations

from typing import Any, ClassVar

from ckanext.hokkaido.harvest.base import HokkaidoHarvesterBase, SourceConfigError

__all__ = ["HokkaidoShirasagiHarvester", "HokkaidoDcatHarvester",
           "HokkaidoCatalogCsvHarvester", "HokkaidoWebpageHarvester"]


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


class HokkaidoDcatHarvester(HokkaidoHarvesterBase):
    """ArcGIS Hub (DCAT-US 1.1 JSON) and DCAT-AP feeds of one municipality."""

    kind: ClassVar[str] = "dcat"
    title: ClassVar[str] = "DCAT フィード（ArcGIS Hub など）"
    config_example: ClassVar[str] = '{"municipality_code": "012050"}'
    description: ClassVar[str] = (
        "ArcGIS Hub の DCAT-US JSON や DCAT-AP のフィードから収集します。"
        "設定例: {\"municipality_code\": \"012050\"}. Harvests a DCAT feed.")


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
