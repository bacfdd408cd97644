"""Adapter for the SHIRASAGI open-data API (HARP 北海道オープンデータポータル).

SHIRASAGI answers CKAN-like calls under ``/opendata/api/`` but is not CKAN:
``package_list`` (``limit``/``offset``) gives dataset ids, and each dataset
must be read with ``package_show?id=...``; ``package_search`` without ``q``
does not list everything, so it is never used.

HARP is shared by the prefecture and many municipalities: each dataset's
``areas[]`` names the municipality it belongs to, in Japanese. The names
are matched against the registry of the 179 municipalities
(:func:`harvesters.municipalities.match_area`); ``北海道`` means the
prefecture (010006). Unknown or ambiguous names and datasets without an
area are reported in :attr:`~harvesters.base.SourceAdapter.problems`.

The source URL may be the portal root (``https://www.harp.lg.jp``), the
open-data top (``.../opendata/``) or the API itself (``.../opendata/api/``).

Configuration keys (all optional):

``api_path``
    Path of the API below the portal root; default ``/opendata/api/``.
``limit``
    ``package_list`` page size, 1–1000; default 100.
``municipality_code``
    The code for datasets whose areas decide nothing (no area, only unknown
    or ambiguous names); default none, so such datasets carry no code.
``area_codes``
    ``{"area name": "code"}`` for names the registry does not know (a
    district, an old spelling), tried before the registry.
``areas``
    A list of codes: yield only datasets attributed to one of them (a source
    for one municipality on the shared portal). Identifiers listed for
    deletion detection are then those of the whole portal's listing, so a
    caller must only delete records it harvested from this source.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from harvesters.errors import BadResponse, ConfigError, HttpStatusError
from harvesters.client import HttpClient
from harvesters.records import Record
from harvesters.base import SourceAdapter
from harvesters.municipalities import PREFECTURE_CODE, match_area
from harvesters.util import format_from_text, format_from_url, modified_since

__all__ = ["ShirasagiAdapter", "api_url_for"]

log = logging.getLogger(__name__)

DEFAULT_API_PATH = "/opendata/api/"


def api_url_for(url: str, api_path: str | None = None) -> str:
    """The API base (ending in ``/``) for a portal URL given as the root,
    the ``/opendata/`` top or the API itself."""
    base = url.rstrip("/")
    if api_path:
        parts = urlsplit(base)
        return f"{parts.scheme}://{parts.netloc}/{api_path.strip('/')}/"
    path = urlsplit(base).path
    if path.endswith("/api"):
        return base + "/"
    if path.endswith("/opendata"):
        return base + "/api/"
    return base + DEFAULT_API_PATH


class ShirasagiAdapter(SourceAdapter):
    """Harvest a SHIRASAGI open-data portal (HARP) with package_list + package_show."""

    kind: ClassVar[str] = "shirasagi"
    config_keys: ClassVar[frozenset[str]] = SourceAdapter.config_keys | {"api_path", "limit", "area_codes", "areas"}

    DEFAULT_LIMIT: ClassVar[int] = 100
    MAX_LIMIT: ClassVar[int] = 1000

    def __init__(self, url: str, config: Mapping[str, Any] | None = None, client: HttpClient | None = None) -> None:
        super().__init__(url, config, client)
        api_path = self.config.get("api_path")
        if api_path is not None and not isinstance(api_path, str):
            raise ConfigError(self.url, f"api_path must be a string, not {api_path!r}")
        self.api_url = api_url_for(self.url, api_path)
        self.list_url = self.api_url + "package_list"
        self.show_url = self.api_url + "package_show"
        limit = self.config.get("limit", self.DEFAULT_LIMIT)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= self.MAX_LIMIT:
            raise ConfigError(self.url, f"limit must be an integer from 1 to {self.MAX_LIMIT}, not {limit!r}",
                              message_ja=f"limit は 1〜{self.MAX_LIMIT} の整数で指定してください")
        self.limit: int = limit
        area_codes = self.config.get("area_codes") or {}
        if not isinstance(area_codes, Mapping):
            raise ConfigError(self.url, "area_codes must map area names to municipality codes")
        self.area_codes = {str(name): self._valid_code(code, f"area_codes[{name!r}]")
                           for name, code in area_codes.items()}
        areas = self.config.get("areas")
        if areas is not None and (isinstance(areas, str) or not isinstance(areas, list)):
            raise ConfigError(self.url, f"areas must be a list of municipality codes, not {areas!r}")
        self.only_codes = ({self._valid_code(code, "areas") for code in areas} if areas is not None else None)

    # -- listing ------------------------------------------------------------

    @staticmethod
    def _result(payload: Any, url: str, what: str) -> Any:
        if not isinstance(payload, Mapping) or "success" not in payload:
            raise BadResponse(url, f"not a SHIRASAGI/CKAN-style API response (no 'success' key) for {what}",
                              message_ja="オープンデータAPIの応答ではありません")
        if payload["success"] is not True:
            error = payload.get("error")
            raise BadResponse(url, f"the API reported a failure for {what}: {str(error)[:200] or 'no details'}",
                              message_ja="オープンデータAPIがエラーを返しました")
        if "result" not in payload:
            raise BadResponse(url, f"the API response for {what} has no 'result'",
                              message_ja="オープンデータAPIの応答の形式が正しくありません")
        return payload["result"]

    def _list_page(self, offset: int) -> tuple[str, list[str]]:
        response = self.client.get(self.list_url, params={"limit": self.limit, "offset": offset})
        result = self._result(response.json(), response.url, "package_list")
        if not isinstance(result, list):
            raise BadResponse(response.url, "package_list's 'result' is not a list of dataset ids",
                              message_ja="package_list の応答の形式が正しくありません")
        ids = []
        for index, item in enumerate(result):
            if isinstance(item, (int, str)) and not isinstance(item, bool) and str(item).strip():
                ids.append(str(item).strip())
            else:
                raise BadResponse(response.url, f"package_list item {offset + index + 1} is not a dataset id "
                                                f"({item!r})",
                                  message_ja="package_list にIDではない項目があります")
        return response.url, ids

    def _walk_list(self) -> Iterator[str]:
        """Yield every id of ``package_list``, page by page, until an empty page.

        ``package_list`` reports no total, and a server may cap the page
        below the ``limit`` asked for, so only an empty page ends the walk.
        A first page longer than ``limit`` means the server ignores paging
        and sent everything; so does a repeated page after a short one. A
        full page repeated (the server ignores ``offset``) raises
        :class:`BadResponse` rather than loop or lose datasets.
        """
        seen: set[str] = set()
        offset = 0
        while True:
            url, ids = self._list_page(offset)
            if not ids:
                return
            new = [i for i in ids if i not in seen]
            if not new:
                if offset and offset < self.limit:  # a short first page was everything
                    return
                raise BadResponse(url, f"the page at offset {offset} repeats earlier ids; "
                                       "the server seems to ignore paging",
                                  message_ja="ページ送りが機能していません (同じ内容が繰り返し返されました)")
            for identifier in new:
                seen.add(identifier)
                yield identifier
            if offset == 0 and len(ids) > self.limit:  # limit ignored: all at once
                return
            offset += len(ids)

    def list_identifiers(self) -> list[str]:
        """The ids ``package_list`` gives (the whole portal, see ``areas``)."""
        return list(self._walk_list())

    def show(self, identifier: str) -> dict[str, Any]:
        """``package_show`` one dataset; raise a :class:`HarvestError` on failure."""
        response = self.client.get(self.show_url, params={"id": identifier})
        result = self._result(response.json(), response.url, f"package_show of {identifier!r}")
        if not isinstance(result, Mapping):
            raise BadResponse(response.url, "package_show's 'result' is not an object",
                              message_ja="package_show の応答の形式が正しくありません")
        return dict(result)

    def records(self, since: datetime | None = None) -> Iterator[Record]:
        """Yield each listed dataset (or those updated since ``since``).

        A dataset whose ``package_show`` fails with an HTTP 4xx or a
        malformed answer is reported as an ``error`` problem and skipped;
        the others are still read. Network failures and 5xx after retries
        stop the harvest.
        """
        self.problems.clear()
        for listed_id in self._walk_list():
            try:
                dataset = self.show(listed_id)
            except HttpStatusError as exc:
                if exc.status >= 500:
                    raise
                self.report(listed_id, f"package_show failed: {exc}", level="error", url=exc.url,
                            message_ja="データセットを取得できませんでした")
                continue
            except BadResponse as exc:
                self.report(listed_id, f"package_show failed: {exc}", level="error", url=exc.url,
                            message_ja="データセットの応答の形式が正しくありません")
                continue
            record = self.normalize(dataset, listed_id)
            if record is None:
                continue
            if self.only_codes is not None and record.municipality_code not in self.only_codes:
                continue
            if not modified_since(record.source_modified, since):
                continue
            yield record

    # -- attribution ----------------------------------------------------------

    @staticmethod
    def area_names(dataset: Mapping[str, Any]) -> list[str]:
        """The area names of a dataset (``areas`` items are names or objects with ``name``)."""
        names = []
        for area in dataset.get("areas") or []:
            name = area.get("name") if isinstance(area, Mapping) else area
            if isinstance(name, str) and name.strip():
                names.append(name.strip())
        return names

    def municipality_for(self, identifier: str, dataset: Mapping[str, Any]) -> str | None:
        """Attribute a dataset by its areas, reporting what cannot be decided.

        One municipality among the areas decides (``北海道`` next to it is
        ignored); ``北海道`` alone means the prefecture; several
        municipalities, or only unknown/ambiguous names, fall back to the
        configured ``municipality_code``.
        """
        names = self.area_names(dataset)
        url = str(dataset.get("url") or "") or None
        if not names:
            self.report(identifier, "dataset has no area (areas[] is empty); cannot attribute it to a municipality",
                        url=url, message_ja="地域が設定されていないため自治体を判定できません")
            return self.municipality_code
        codes: list[str] = []
        prefecture = False
        for name in names:
            match = match_area(name, self.area_codes)
            if match.status == "prefecture":
                prefecture = True
            elif match.code:
                if match.code not in codes:
                    codes.append(match.code)
            elif match.status == "ambiguous":
                self.report(identifier, f"area {name!r} is ambiguous: it fits {', '.join(match.candidates)}",
                            url=url, message_ja="地域に該当する自治体が複数あります")
            else:
                self.report(identifier, f"area {name!r} is not a Hokkaido municipality in the registry",
                            url=url, message_ja="地域が自治体一覧にありません")
        if len(codes) == 1:
            return codes[0]
        if len(codes) > 1:
            self.report(identifier, f"dataset names several municipalities ({', '.join(names)}); "
                                    "not attributed to one of them",
                        url=url, message_ja="複数の自治体が地域に設定されています")
            return self.municipality_code
        if prefecture:
            return PREFECTURE_CODE
        return self.municipality_code

    # -- normalisation --------------------------------------------------------

    def normalize(self, dataset: Mapping[str, Any], listed_id: str) -> Record | None:
        """Turn one ``package_show`` result into a :class:`Record` (``None``
        and an error problem if it has no usable identifier)."""
        identifier = str(dataset.get("uuid") or dataset.get("id") or listed_id or "").strip()
        if not identifier:
            self.report(listed_id or "(no id)", "package_show result has neither uuid nor id", level="error")
            return None
        title = str(dataset.get("name") or "").strip()
        if not title:
            title = str(dataset.get("filename") or identifier)
            self.report(identifier, "dataset has no name (title); using its file name or id",
                        message_ja="データセット名がありません")
        resources = []
        licenses: list[tuple[str | None, str | None]] = []
        for index, resource in enumerate(dataset.get("resources") or []):
            if not isinstance(resource, Mapping):
                continue
            url = str(resource.get("download_url") or resource.get("url") or "").strip()
            if not url:
                self.report(identifier, f"resource {index + 1} ({resource.get('name') or 'unnamed'}) has no "
                                        "download_url or url; skipped", level="error",
                            message_ja="URLのないリソースがあります")
                continue
            fmt = str(resource.get("format") or "").strip() or format_from_url(url) \
                or format_from_text(str(resource.get("filename") or "")) or ""
            resources.append({
                "url": url,
                "name": str(resource.get("name") or resource.get("filename") or "").strip(),
                "format": fmt,
                "description": str(resource.get("text") or ""),
            })
            license_ = resource.get("license")
            if isinstance(license_, Mapping):
                pair = (_str_or_none(license_.get("uid") or license_.get("id")), _str_or_none(license_.get("name")))
                if pair not in licenses and any(pair):
                    licenses.append(pair)
        license_id, license_title = licenses[0] if licenses else (None, None)
        if len(licenses) > 1:
            self.report(identifier, "resources have different licenses "
                                    f"({', '.join(name or str(uid) for uid, name in licenses)}); the first is used")
        tags = [t.get("name") if isinstance(t, Mapping) else t for t in dataset.get("tags") or []]
        extras = {
            "name": str(dataset.get("filename") or "") or None,
            "shirasagi_id": dataset.get("id"),
            "areas": self.area_names(dataset) or None,
            "categories": _names(dataset.get("categories")) or None,
            "estat_categories": _names(dataset.get("estat_categories")) or None,
            "groups": _names(dataset.get("groups")) or None,
            "author": _author(dataset.get("author")),
            "update_plan": dataset.get("update_plan") or None,
            "released": dataset.get("released") or None,
            "created": dataset.get("created") or None,
        }
        return Record(
            identifier=identifier,
            title=title,
            notes=str(dataset.get("text") or ""),
            tags=[t for t in tags if isinstance(t, str)],
            license_id=license_id,
            license_title=license_title,
            resources=resources,
            source_url=str(dataset.get("url") or "") or None,
            source_modified=str(dataset.get("updated") or dataset.get("released") or "") or None,
            municipality_code=self.municipality_for(identifier, dataset),
            extras={key: value for key, value in extras.items() if value is not None},
        )


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _names(items: Any) -> list[str]:
    names = []
    for item in items or []:
        name = item.get("name") if isinstance(item, Mapping) else item
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def _author(author: Any) -> str | None:
    if isinstance(author, Mapping):
        return _str_or_none(author.get("name"))
    return _str_or_none(author)

