"""A fake SHIRASAGI open-data API (HARP) over in-memory packages.

Answers ``/opendata/api/package_list`` (``limit``/``offset``; the ids of
public datasets, newest first, without a total) and
``/opendata/api/package_show?id=<uuid>`` with ``{help, success, result}``
in the shape SHIRASAGI documents in its own test fixtures: ``id`` (number),
``uuid``, ``name`` (the Japanese title), ``filename``, ``url``, ``text``,
``update_plan``, ``state``, ``released``, ``created``, ``updated``,
``categories[]``, ``estat_categories[]``, ``areas[]``, ``tags[]``,
``groups[]``, ``resources[]`` (``id``, ``uuid``, ``name``, ``filename``,
``text``, ``license{id,name,uid}``, ``download_url``, ``url``, ``format``),
``num_resources`` and ``author``. ``package_search`` answers a deliberately
incomplete list, so a test notices an adapter that relies on it.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.fakes.portal_server import PortalRequest, PortalResponse, PortalServer, json_response

__all__ = ["FakeShirasagi", "make_package"]

_NAMESPACE = uuid.UUID("0d6f4a0e-31c2-4bb6-8f62-3f2b8e8b2a10")
JST = timezone(timedelta(hours=9))
_EPOCH = datetime(2024, 4, 1, 9, 0, 0, tzinfo=JST)

CC_BY = {"id": 1, "name": "表示（CC BY 4.0）", "uid": "cc-by-4.0"}
ODL = {"id": 3, "name": "公共データ利用規約（第1.0版）", "uid": "pdl-1.0"}


def make_package(
    number: int,
    area_names: list[str] | None = None,
    *,
    name: str | None = None,
    modified: datetime | None = None,
    base: str = "https://www.harp.lg.jp",
    **overrides: Any,
) -> dict[str, Any]:
    """A SHIRASAGI ``package_show`` result; ``area_names`` become area
    objects (pass ``areas=`` to set the raw list instead)."""
    identifier = str(uuid.uuid5(_NAMESPACE, f"dataset/{number}"))
    modified = modified or (_EPOCH + timedelta(days=number))
    area_items = [
        {"id": 100 + index, "name": area, "filename": f"opendata/area/{index}"}
        for index, area in enumerate(area_names if area_names is not None else ["ニセコ町"])
    ]
    title = name if name is not None else f"指定避難所一覧 {number}"
    package = {
        "id": 1000 + number,
        "uuid": identifier,
        "name": title,
        "filename": f"dataset/{1000 + number}.html",
        "url": f"{base}/opendata/dataset/{1000 + number}.html",
        "text": f"{title}のデータです。\r\n災害時の避難所の名称、所在地、収容人数を掲載しています。",
        "update_plan": "随時",
        "state": "public",
        "released": "2023-04-01T09:00:00+09:00",
        "created": "2023-03-20T15:12:05+09:00",
        "updated": modified.isoformat(),
        "categories": [{"id": 31, "name": "防災・安全", "filename": "opendata/category/bosai"}],
        "estat_categories": [{"id": 71, "name": "司法・安全・環境", "filename": "opendata/estat/anzen"}],
        "areas": area_items,
        "tags": ["避難所", "防災"],
        "groups": [],
        "author": {"name": "ニセコ町 総務課"},
        "resources": [
            {
                "id": 5000 + number,
                "uuid": str(uuid.uuid5(_NAMESPACE, f"resource/{number}/csv")),
                "name": f"避難所一覧 {number}",
                "filename": f"hinanjo_{number}.csv",
                "text": "文字コード：UTF-8",
                "license": CC_BY,
                "download_url": f"{base}/fs/1/2/3/_/hinanjo_{number}.csv",
                "url": f"{base}/opendata/dataset/{1000 + number}/resource/{5000 + number}.html",
                "format": "CSV",
            },
            {
                "id": 6000 + number,
                "uuid": str(uuid.uuid5(_NAMESPACE, f"resource/{number}/pdf")),
                "name": f"避難所マップ {number}",
                "filename": f"hinanjo_map_{number}.pdf",
                "text": "",
                "license": CC_BY,
                "download_url": f"{base}/fs/4/5/6/_/hinanjo_map_{number}.pdf",
                "url": f"{base}/opendata/dataset/{1000 + number}/resource/{6000 + number}.html",
                "format": "PDF",
            },
        ],
    }
    package["num_resources"] = len(package["resources"])
    package.update(overrides)
    return package


class FakeShirasagi:
    """``package_list`` / ``package_show`` under ``prefix`` (default ``/opendata/api/``).

    :param max_limit: the largest page the server returns.
    :param ignore_limit: answer every package_list call with all ids.
    :param ignore_offset: answer every package_list call with the first page.
    :ivar shows: overrides per id: a :class:`PortalResponse` to answer instead.
    """

    def __init__(self, packages: list[dict[str, Any]], *, prefix: str = "/opendata/api/", max_limit: int = 50,
                 ignore_limit: bool = False, ignore_offset: bool = False) -> None:
        self.packages = packages
        self.prefix = prefix
        self.max_limit = max_limit
        self.ignore_limit = ignore_limit
        self.ignore_offset = ignore_offset
        self.shows: dict[str, PortalResponse] = {}

    @property
    def list_path(self) -> str:
        return self.prefix + "package_list"

    @property
    def show_path(self) -> str:
        return self.prefix + "package_show"

    @property
    def search_path(self) -> str:
        return self.prefix + "package_search"

    def install(self, portal: PortalServer) -> FakeShirasagi:
        portal.route(self.list_path, self.package_list)
        portal.route(self.show_path, self.package_show)
        portal.route(self.search_path, self.package_search)
        return self

    def _help(self, action: str) -> str:
        return f"{self.prefix}1/help?name={action}"

    def _ordered(self) -> list[dict[str, Any]]:
        return sorted(self.packages, key=lambda p: p["updated"], reverse=True)

    def package_list(self, request: PortalRequest) -> PortalResponse:
        ids = [p["uuid"] for p in self._ordered()]
        if not self.ignore_limit:
            limit = min(int(request.arg("limit", str(self.max_limit))), self.max_limit)
            offset = 0 if self.ignore_offset else int(request.arg("offset", "0"))
            ids = ids[offset:offset + limit]
        return json_response({"help": self._help("package_list"), "success": True, "result": ids})

    def package_show(self, request: PortalRequest) -> PortalResponse:
        wanted = request.arg("id")
        if wanted in self.shows:
            return self.shows[wanted]
        for package in self.packages:
            if wanted in (package["uuid"], str(package["id"])):
                return json_response({"help": self._help("package_show"), "success": True, "result": package})
        return json_response({"help": self._help("package_show"), "success": False,
                              "error": {"message": "Not found", "__type": "Not Found Error"}}, status=404)

    def package_search(self, request: PortalRequest) -> PortalResponse:
        # Like SHIRASAGI without q: only some datasets.
        first = self._ordered()[:1]
        return json_response({"help": self._help("package_search"), "success": True,
                              "result": {"count": len(first), "results": first}})
