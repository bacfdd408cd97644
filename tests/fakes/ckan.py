"""A fake CKAN action API (``package_search``) over in-memory datasets.

The datasets and answers have the shape CKAN 2.x gives them (``help``,
``success``, ``result`` with ``count``, ``results``, ``facets``,
``search_facets`` and ``sort``). The search implements what the adapter
uses: ``rows`` (default 10 and capped at ``rows_max`` like CKAN), ``start``,
``sort`` (``id asc`` / ``metadata_modified asc``), ``fl`` and an ``fq``
made of ``AND``-ed clauses on ``name`` (exact or ``prefix*``),
``organization`` and ``metadata_modified:[X TO *]``. Any other ``fq``
answers 409 "Search Query Error" as CKAN does, so a test notices a filter
it did not expect.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.fakes.portal_server import PortalRequest, PortalResponse, PortalServer, json_response

__all__ = ["FakeCkan", "make_dataset", "make_organization"]

_NAMESPACE = uuid.UUID("6f1c1d0e-5d2a-4c59-9a55-0c6e7c3c1a11")
_EPOCH = datetime(2024, 1, 1, 0, 0, 0)


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(map(str, parts))))


def make_organization(name: str, title: str) -> dict[str, Any]:
    """An organization dict as embedded in a CKAN 2.x dataset."""
    return {
        "id": _uuid("org", name),
        "name": name,
        "title": title,
        "type": "organization",
        "description": "",
        "image_url": "",
        "created": "2023-04-01T00:00:00.000000",
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def make_dataset(
    number: int,
    *,
    name: str | None = None,
    title: str | None = None,
    organization: dict[str, Any] | None = None,
    modified: datetime | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A realistic CKAN 2.x dataset dict; ``number`` makes it unique.

    ``metadata_modified`` defaults to one hour per ``number`` after
    2024-01-01 (naive UTC, microseconds, as CKAN writes it).
    """
    name = name or f"dataset-{number:04d}"
    identifier = _uuid("dataset", name)
    organization = organization or make_organization("sapporo-city", "札幌市")
    modified = modified or (_EPOCH + timedelta(hours=number))
    created = "2023-04-01T09:00:00.000000"
    resource_id = _uuid("resource", name)
    dataset = {
        "author": "札幌市 まちづくり政策局",
        "author_email": None,
        "creator_user_id": _uuid("user", "admin"),
        "id": identifier,
        "isopen": True,
        "license_id": "cc-by",
        "license_title": "クリエイティブ・コモンズ 表示",
        "license_url": "http://www.opendefinition.org/licenses/cc-by",
        "maintainer": "オープンデータ担当",
        "maintainer_email": None,
        "metadata_created": created,
        "metadata_modified": modified.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "name": name,
        "notes": f"データセット {number} の説明です。\r\n毎月更新します。",
        "num_resources": 1,
        "num_tags": 2,
        "organization": organization,
        "owner_org": organization["id"],
        "private": False,
        "state": "active",
        "title": title if title is not None else f"人口統計 {number}",
        "type": "dataset",
        "url": "",
        "version": "",
        "extras": [{"key": "update_frequency", "value": "毎月"}],
        "groups": [],
        "relationships_as_object": [],
        "relationships_as_subject": [],
        "resources": [
            {
                "cache_last_updated": None,
                "cache_url": None,
                "created": created,
                "datastore_active": False,
                "description": "町丁目別の人口",
                "format": "CSV",
                "hash": "",
                "id": resource_id,
                "last_modified": None,
                "metadata_modified": created,
                "mimetype": "text/csv",
                "mimetype_inner": None,
                "name": f"人口 {number}.csv",
                "package_id": identifier,
                "position": 0,
                "resource_type": None,
                "size": 2048,
                "state": "active",
                "url": f"https://example.org/files/{name}.csv",
                "url_type": "",
            }
        ],
        "tags": [
            {"display_name": "人口", "id": _uuid("tag", "人口"), "name": "人口", "state": "active",
             "vocabulary_id": None},
            {"display_name": "統計", "id": _uuid("tag", "統計"), "name": "統計", "state": "active",
             "vocabulary_id": None},
        ],
    }
    dataset.update(overrides)
    return dataset


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


_CLAUSE = re.compile(r"^(name|organization|metadata_modified):(.+)$")
_RANGE = re.compile(r"^\[(\S+) TO \*\]$")


class FakeCkan:
    """``package_search`` over ``datasets``, mounted on a :class:`PortalServer`.

    :param rows_max: the largest page the server returns (CKAN's
        ``ckan.search.rows_max``).
    :param ignore_start: behave like a broken portal that always returns the
        first page.
    :param before_search: called with each request before answering (tests
        use it to change the datasets mid-listing).
    """

    def __init__(
        self,
        datasets: list[dict[str, Any]],
        *,
        api_path: str = "/api/3/action/",
        rows_max: int = 1000,
        ignore_start: bool = False,
        before_search: Callable[[PortalRequest], None] | None = None,
    ) -> None:
        self.datasets = datasets
        self.api_path = api_path
        self.rows_max = rows_max
        self.ignore_start = ignore_start
        self.before_search = before_search
        self.base_url = ""

    @property
    def search_path(self) -> str:
        return self.api_path + "package_search"

    def install(self, portal: PortalServer) -> FakeCkan:
        self.base_url = portal.url
        portal.route(self.search_path, self.package_search)
        return self

    @staticmethod
    def _error(message: str) -> PortalResponse:
        return json_response(
            {
                "help": "",
                "success": False,
                "error": {"__type": "Search Query Error", "message": f"Search Query is invalid: {message}"},
            },
            status=409,
        )

    def _matcher(self, fq: str) -> Callable[[dict[str, Any]], bool] | str:
        """A predicate for ``fq``, or an error message."""
        tests: list[Callable[[dict[str, Any]], bool]] = []
        for raw in re.split(r"\s+AND\s+", fq.strip()):
            clause = raw.strip().lstrip("+").strip()
            if clause.startswith("(") and clause.endswith(")"):
                clause = clause[1:-1].strip()
            match = _CLAUSE.match(clause)
            if not match:
                return f"unsupported clause {raw!r}"
            field, value = match.groups()
            if field == "metadata_modified":
                bound = _RANGE.match(value)
                if not bound:
                    return f"unsupported range {value!r}"
                since = _parse_time(bound.group(1))
                tests.append(lambda d, since=since: _parse_time(d["metadata_modified"]) >= since)
            elif field == "organization":
                tests.append(lambda d, value=value: (d.get("organization") or {}).get("name") == value)
            elif value.endswith("*"):
                tests.append(lambda d, prefix=value[:-1]: d["name"].startswith(prefix))
            else:
                tests.append(lambda d, value=value: d["name"] == value)
        return lambda dataset: all(test(dataset) for test in tests)

    def package_search(self, request: PortalRequest) -> PortalResponse:
        if self.before_search:
            self.before_search(request)
        try:
            rows = min(int(request.arg("rows", "10")), self.rows_max)
            start = 0 if self.ignore_start else int(request.arg("start", "0"))
        except ValueError as exc:
            return json_response({"success": False, "error": {"__type": "Validation Error", "rows": [str(exc)]}},
                                 status=409)
        selected = list(self.datasets)
        fq = request.arg("fq")
        if fq:
            matcher = self._matcher(fq)
            if isinstance(matcher, str):
                return self._error(matcher)
            selected = [d for d in selected if matcher(d)]
        sort = request.arg("sort", "score desc, metadata_modified desc")
        if sort == "id asc":
            selected.sort(key=lambda d: d["id"])
        elif sort == "metadata_modified asc":
            selected.sort(key=lambda d: d["metadata_modified"])
        else:
            selected.sort(key=lambda d: d["metadata_modified"], reverse=True)
        page = selected[start:start + rows]
        fl = request.arg("fl")
        if fl:
            fields = [f for f in re.split(r"[,\s]+", fl) if f]
            page = [{f: d.get(f) for f in fields} for d in page]
        return json_response(
            {
                "help": f"{self.base_url}{self.api_path}help_show?name=package_search",
                "success": True,
                "result": {
                    "count": len(selected),
                    "facets": {},
                    "results": page,
                    "sort": sort,
                    "search_facets": {},
                },
            }
        )
