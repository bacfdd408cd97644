"""Adapter for portals that run CKAN (DATA-SMART CITY SAPPORO, BODIK, e-Gov).

It pages through the action API's ``package_search`` and turns each dataset
into a :class:`~harvesters.records.Record`::

    from harvesters.client import HttpClient
    from harvesters.ckan import CkanAdapter

    adapter = CkanAdapter(
        "https://data.bodik.jp",
        {"fq": "name:014257_*", "attribution": {"name_prefix": True}},
        HttpClient(portal_url="https://portal.example"),
    )
    for record in adapter.records(since=last_run):
        ...

Configuration keys (all optional):

``api_path``
    Path of the action API below the base URL; default ``/api/3/action/``
    (e-Gov uses ``/data/api/action/``).
``rows``
    Page size, 1–1000; default 100. Servers that return fewer rows than
    asked for are handled.
``sort``
    Solr sort; default ``id asc``. Ids never change, so a dataset edited
    during the harvest does not move between pages.
``fq``
    A Solr filter query restricting the listing, e.g. BODIK's
    ``name:014257_*``; combined with the incremental filter.
``municipality_code``
    The code every record is attributed to when no attribution rule
    decides.
``attribution``
    Rules that pick the municipality per dataset, tried in this order:
    ``{"organization": {"<org name or id>": "<code>"}}`` maps the remote
    organization; ``{"name_prefix": true}`` takes the code from dataset names
    like ``014257_xxx`` when its check digit is valid.
``dataset_url``
    Template of a dataset's page; default ``{base}/dataset/{name}``
    (placeholders: ``base``, ``name``, ``id``).
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar

from harvesters.errors import BadResponse, ConfigError, HttpStatusError, IncompleteListing, LimitExceeded
from harvesters.client import HttpClient, HttpResponse, load_json
from harvesters.records import Record
from harvesters.paging import OffsetPager, Page
from harvesters.base import SourceAdapter
from harvesters.municipalities import is_valid_municipality_code

__all__ = ["CkanAdapter", "solr_datetime"]

log = logging.getLogger(__name__)

_NAME_PREFIX = re.compile(r"^(\d{6})_")


def solr_datetime(moment: datetime) -> str:
    """Format ``moment`` for a Solr range query: UTC, whole seconds, ``Z``.

    Naive datetimes are taken as UTC. Fractions of a second are dropped, which
    can only widen an ``[x TO *]`` range.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ckan_error_detail(error: Any) -> str:
    """Summarise the ``error`` object of a failed CKAN action call."""
    if isinstance(error, Mapping):
        message = error.get("message")
        kind = error.get("__type")
        if message:
            return f"{kind}: {message}" if kind else str(message)
        rest = {k: v for k, v in error.items() if k != "__type"}
        text = json.dumps(rest, ensure_ascii=False)[:300]
        return f"{kind}: {text}" if kind else text
    return str(error)[:300] if error else "no error details"


class CkanAdapter(SourceAdapter):
    """Harvest a CKAN portal through its action API (see the module docs)."""

    kind: ClassVar[str] = "ckan"
    config_keys: ClassVar[frozenset[str]] = SourceAdapter.config_keys | {
        "api_path",
        "rows",
        "sort",
        "fq",
        "attribution",
        "dataset_url",
    }

    DEFAULT_API_PATH: ClassVar[str] = "/api/3/action/"
    DEFAULT_ROWS: ClassVar[int] = 100
    MAX_ROWS: ClassVar[int] = 1000
    DEFAULT_SORT: ClassVar[str] = "id asc"
    DEFAULT_DATASET_URL: ClassVar[str] = "{base}/dataset/{name}"

    def __init__(self, url: str, config: Mapping[str, Any] | None = None, client: HttpClient | None = None) -> None:
        super().__init__(url, config, client)
        api_path = str(self.config.get("api_path") or self.DEFAULT_API_PATH).strip("/")
        self.api_url = f"{self.url}/{api_path}/" if api_path else f"{self.url}/"
        self.search_url = self.api_url + "package_search"

        rows = self.config.get("rows", self.DEFAULT_ROWS)
        if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= self.MAX_ROWS:
            raise ConfigError(self.url, f"rows must be an integer from 1 to {self.MAX_ROWS}, not {rows!r}",
                              message_ja=f"rows は 1〜{self.MAX_ROWS} の整数で指定してください")
        self.rows: int = rows
        self.sort: str = str(self.config.get("sort") or self.DEFAULT_SORT).strip()
        self.fq: str | None = str(self.config.get("fq") or "").strip() or None

        self.dataset_url: str = str(self.config.get("dataset_url") or self.DEFAULT_DATASET_URL)
        try:
            self.dataset_url.format(base="", name="", id="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(self.url, f"dataset_url {self.dataset_url!r} is not a valid template; "
                                        "use the placeholders {base}, {name} and {id}") from exc

        self.organization_codes, self.name_prefix = self._parse_attribution(self.config.get("attribution"))

    def _parse_attribution(self, rules: Any) -> tuple[dict[str, str], bool]:
        if rules is None:
            return {}, False
        if not isinstance(rules, Mapping):
            raise ConfigError(self.url, f"attribution must be an object, not {rules!r}")
        unknown = set(rules) - {"organization", "name_prefix"}
        if unknown:
            raise ConfigError(self.url, f"unknown attribution rules: {', '.join(sorted(map(str, unknown)))} "
                                        "(accepted: organization, name_prefix)")
        organizations = rules.get("organization") or {}
        if not isinstance(organizations, Mapping):
            raise ConfigError(self.url, "attribution.organization must map organization names to codes")
        codes = {str(org): self._valid_code(code, f"attribution.organization[{org!r}]")
                 for org, code in organizations.items()}
        name_prefix = rules.get("name_prefix", False)
        if not isinstance(name_prefix, bool):
            raise ConfigError(self.url, f"attribution.name_prefix must be true or false, not {name_prefix!r}")
        return codes, name_prefix

    # -- listing ------------------------------------------------------------

    def filter_query(self, since: datetime | None = None) -> str | None:
        """The ``fq`` sent to ``package_search`` for a harvest since ``since``."""
        incremental = f"metadata_modified:[{solr_datetime(since)} TO *]" if since is not None else None
        if self.fq and incremental:
            return f"({self.fq}) AND {incremental}"
        return self.fq or incremental

    def _fetch_page(self, offset: int, *, fq: str | None, fl: str | None = None) -> Page:
        params: dict[str, Any] = {"rows": self.rows, "start": offset, "sort": self.sort}
        if fq:
            params["fq"] = fq
        if fl:
            params["fl"] = fl
        try:
            response = self.client.get(self.search_url, params=params)
        except HttpStatusError as exc:
            # CKAN explains rejected queries (HTTP 400/409) in a JSON body.
            try:
                payload = load_json(exc.body_excerpt, url=exc.url, limits=self.client.limits)
            except (ValueError, LimitExceeded):
                raise exc from None  # the excerpt only explains the HTTP error; without it the error stands
            if isinstance(payload, Mapping) and payload.get("success") is False:
                detail = _ckan_error_detail(payload.get("error"))
                raise HttpStatusError(exc.url, f"{exc.reason}; CKAN says: {detail}", status=exc.status,
                                      body_excerpt=exc.body_excerpt) from exc
            raise
        results, count = self._search_result(response, offset)
        return Page(results, count)

    @staticmethod
    def _search_result(response: HttpResponse, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Check the shape of a ``package_search`` answer; return (results, count)."""
        url = response.url
        payload = response.json()
        if not isinstance(payload, Mapping) or "success" not in payload:
            raise BadResponse(url, "not a CKAN action API response (no 'success' key); is this a CKAN site "
                                   "and the API path right?",
                              message_ja="CKAN API の応答ではありません")
        if payload["success"] is not True:
            raise BadResponse(url, f"CKAN reported a failure: {_ckan_error_detail(payload.get('error'))}",
                              message_ja="CKAN API がエラーを返しました")
        result = payload.get("result")
        if not isinstance(result, Mapping):
            raise BadResponse(url, "CKAN response has no 'result' object",
                              message_ja="CKAN API の応答の形式が正しくありません")
        count = result.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise BadResponse(url, f"CKAN response's 'result.count' is missing or not a count ({count!r})",
                              message_ja="CKAN API の応答の形式が正しくありません")
        results = result.get("results")
        if not isinstance(results, list):
            raise BadResponse(url, "CKAN response's 'result.results' is missing or not a list",
                              message_ja="CKAN API の応答の形式が正しくありません")
        for index, item in enumerate(results):
            if not isinstance(item, Mapping) or not isinstance(item.get("id"), str) or not item["id"].strip():
                raise BadResponse(url, f"dataset number {offset + index + 1} in the listing has no 'id'",
                                  message_ja="CKAN API の応答にIDのないデータセットがあります")
        return results, count

    def _pager(self, fq: str | None, fl: str | None = None) -> OffsetPager:
        return OffsetPager(
            lambda offset: self._fetch_page(offset, fq=fq, fl=fl),
            url=self.search_url,
            key=lambda dataset: dataset["id"],
        )

    def records(self, since: datetime | None = None) -> Iterator[Record]:
        """Yield every dataset (or those modified since ``since``) as a record."""
        pager = self._pager(self.filter_query(since))
        for dataset in pager:
            yield self.normalize(dataset)
        if not pager.complete:
            log.warning("%s: listing changed during the harvest; %d of %s datasets read; "
                        "the next run will pick up the rest", self.search_url, len(pager.seen), pager.total)

    def list_identifiers(self) -> list[str]:
        """Ids of all datasets matching the configured ``fq`` (only ``id`` and
        ``name`` are requested).

        :raises IncompleteListing: if the listing changed while paging, since
            a missing id would wrongly look like a deleted dataset.
        """
        pager = self._pager(self.fq, fl="id,name")
        identifiers = [dataset["id"] for dataset in pager]
        if not pager.complete:
            raise IncompleteListing(
                self.search_url,
                f"the listing changed while it was read ({len(identifiers)} ids read, the server now reports "
                f"{pager.total}); not safe for deletion detection, try again later",
            )
        return identifiers

    # -- normalisation --------------------------------------------------------

    def municipality_for(self, dataset: Mapping[str, Any]) -> str | None:
        """Attribute ``dataset`` to a municipality code (see ``attribution``)."""
        organization = dataset.get("organization")
        if self.organization_codes and isinstance(organization, Mapping):
            for key in (organization.get("name"), organization.get("id")):
                if key in self.organization_codes:
                    return self.organization_codes[key]
        if self.name_prefix:
            match = _NAME_PREFIX.match(str(dataset.get("name") or ""))
            if match and is_valid_municipality_code(match.group(1)):
                return match.group(1)
        return self.municipality_code

    def normalize(self, dataset: Mapping[str, Any]) -> Record:
        """Turn one ``package_search`` result into a :class:`Record`.

        Extras carry the remote ``name``, ``organization`` (name),
        ``organization_title``, ``author``, ``maintainer``,
        ``metadata_created`` and the dataset's own key/value ``extras``
        (as ``source_extras``), when present.
        """
        identifier = dataset["id"]
        name = str(dataset.get("name") or identifier)
        tags = []
        for tag in dataset.get("tags") or []:
            tag_name = tag.get("name") if isinstance(tag, Mapping) else tag
            if isinstance(tag_name, str):
                tags.append(tag_name)
        resources = [
            {key: str(resource.get(key) or "") for key in ("url", "name", "format", "description")}
            for resource in dataset.get("resources") or []
            if isinstance(resource, Mapping)
        ]
        organization = dataset.get("organization")
        organization = organization if isinstance(organization, Mapping) else {}
        extras: dict[str, Any] = {
            "name": name,
            "organization": organization.get("name"),
            "organization_title": organization.get("title"),
            "author": dataset.get("author"),
            "maintainer": dataset.get("maintainer"),
            "metadata_created": dataset.get("metadata_created"),
        }
        source_extras = {
            str(extra["key"]): extra.get("value")
            for extra in dataset.get("extras") or []
            if isinstance(extra, Mapping) and "key" in extra
        }
        if source_extras:
            extras["source_extras"] = source_extras
        return Record(
            identifier=identifier,
            title=str(dataset.get("title") or "").strip() or name,
            notes=dataset.get("notes") or "",
            tags=tags,
            license_id=dataset.get("license_id"),
            license_title=dataset.get("license_title"),
            resources=resources,
            source_url=self.dataset_url.format(base=self.url, name=name, id=identifier),
            source_modified=dataset.get("metadata_modified"),
            municipality_code=self.municipality_for(dataset),
            extras={key: value for key, value in extras.items() if value not in (None, "")},
        )
