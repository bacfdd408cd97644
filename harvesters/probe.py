"""Tell which kind of portal a URL is, for onboarding a municipality.

:func:`probe` fetches the URL, looks at what comes back and, for HTML pages,
asks the well-known API paths of the same site, in this order:

1. the answer itself: a CKAN action API answer, a SHIRASAGI ``package_list``,
   a DCAT-US feed or DCAT JSON-LD/Turtle/RDF, an オープンデータ一覧 CSV/XLSX;
2. CKAN's ``/api/3/action/`` and e-Gov's ``/data/api/action/`` below the
   URL (``package_search?rows=0``);
3. SHIRASAGI's ``/opendata/api/package_list``;
4. ArcGIS Hub's ``/api/feed/dcat-us/1.1.json``;
5. the page's own links to data files (``webpage``), first on the page and
   then, if it has none, one level down (``follow: 1``).

The result names the kind, the number of datasets seen and the source to
register: ``{"url": ..., "kind": ..., "config": {...}}``, which
``python -m harvesters fetch --kind KIND URL --config CONFIG`` reads as is.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harvesters.errors import BadResponse, HarvestError, HttpStatusError, LimitExceeded
from harvesters.client import HttpClient, HttpResponse
from harvesters.catalog_csv import NEW_TEMPLATE, CatalogCsvAdapter, read_catalog
from harvesters.ckan import CkanAdapter
from harvesters.dcat import HUB_FEED_PATH, DcatAdapter, is_dcat_us
from harvesters.shirasagi import ShirasagiAdapter
from harvesters.webpage import WebpageAdapter, extract_datasets

__all__ = ["KIND_LABELS", "ProbeResult", "probe"]

log = logging.getLogger(__name__)

KIND_LABELS = {
    "ckan": "CKAN action API",
    "shirasagi": "SHIRASAGI open-data API (HARP)",
    "dcat": "DCAT feed",
    "catalog_csv": "オープンデータ一覧 catalog file",
    "webpage": "web page of file links",
    "unknown": "unknown",
}

_CKAN_PATHS = ("/api/3/action/", "/data/api/action/")


@dataclasses.dataclass
class ProbeResult:
    """What :func:`probe` found.

    :ivar kind: an adapter kind, or ``"unknown"``.
    :ivar url: the source URL to register (may differ from the probed URL,
        e.g. the site root of a CKAN API URL, or the DCAT feed of a hub).
    :ivar config: the adapter configuration to register.
    :ivar datasets: how many datasets the source lists now (``None`` if unknown).
    :ivar detail: one line on how the kind was recognised or why not.
    :ivar data_links: for a ``webpage``, the data files it links to.
    """

    probed_url: str
    kind: str
    url: str | None = None
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    datasets: int | None = None
    detail: str = ""
    data_links: tuple[str, ...] = ()

    @property
    def recognized(self) -> bool:
        return self.kind != "unknown"

    def source(self) -> dict[str, Any]:
        """The harvest source to register."""
        return {"url": self.url, "kind": self.kind, "config": self.config}

    def to_dict(self) -> dict[str, Any]:
        return {"probed_url": self.probed_url, **self.source(), "datasets": self.datasets, "detail": self.detail,
                "label": KIND_LABELS[self.kind]}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _strip(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _json_or_none(response: HttpResponse) -> Any:
    """The response's JSON, or ``None`` when it is not JSON. A body past a
    limit (:class:`LimitExceeded`) is not a wrong guess: it is raised."""
    try:
        return response.json()
    except LimitExceeded:
        raise
    except BadResponse:
        return None


def _ckan_count(response: HttpResponse) -> int | None:
    payload = _json_or_none(response)
    if isinstance(payload, dict) and payload.get("success") is True and isinstance(payload.get("result"), dict):
        count = payload["result"].get("count")
        if isinstance(count, int) and not isinstance(count, bool):
            return count
    return None


class _Prober:
    def __init__(self, url: str, client: HttpClient, municipality_code: str | None) -> None:
        self.url = url.strip()
        self.client = client
        self.base_config = {"municipality_code": municipality_code} if municipality_code else {}

    def result(self, kind: str, url: str, config: dict[str, Any], count: int | None, detail: str) -> ProbeResult:
        return ProbeResult(self.url, kind, url, {**self.base_config, **config}, count, detail)

    def quietly(self, func: Callable[[], ProbeResult | None]) -> ProbeResult | None:
        """Run one candidate check; a failed request means "not this kind".

        A hostile answer (:class:`LimitExceeded`) is not a wrong guess: it
        ends the probe, which reports it.
        """
        try:
            return func()
        except LimitExceeded:
            raise
        except HarvestError as exc:
            log.debug("probe: %s", exc)
            return None

    # -- the answer itself ----------------------------------------------------

    def from_response(self, response: HttpResponse) -> ProbeResult | None:
        path = urlsplit(response.url).path
        for api_path in _CKAN_PATHS:
            marker = api_path.rstrip("/")
            if marker in path:
                base = _origin(response.url) + path.split(marker, 1)[0]
                return self.quietly(lambda: self.ckan(base.rstrip("/"), api_path))
        data = response.content.lstrip()
        if data[:1] in (b"{", b"["):
            return self.from_json(response)
        if response.content_type in ("text/turtle", "application/rdf+xml", "application/n-triples"):
            return self.quietly(lambda: self.dcat(response.url))
        if data[:4] == b"PK\x03\x04" or response.content_type in ("text/csv", "application/csv") \
                or path.lower().endswith((".csv", ".xlsx", ".tsv")):
            return self.quietly(lambda: self.catalog(response))
        return None

    def from_json(self, response: HttpResponse) -> ProbeResult | None:
        payload = _json_or_none(response)
        if isinstance(payload, dict) and "success" in payload and isinstance(payload.get("result"), list):
            if "/package_list" in response.url:
                return self.quietly(lambda: self.shirasagi(response.url.split("/package_list", 1)[0] + "/"))
        if is_dcat_us(payload) or (isinstance(payload, (dict, list)) and (
                isinstance(payload, list) or "@context" in payload or "@graph" in payload)):
            return self.quietly(lambda: self.dcat(response.url))
        return None

    # -- one check per kind -------------------------------------------------

    def ckan(self, base: str, api_path: str) -> ProbeResult | None:
        response = self.client.get(base + api_path + "package_search", params={"rows": 0})
        count = _ckan_count(response)
        if count is None:
            return None
        config = {} if api_path == CkanAdapter.DEFAULT_API_PATH else {"api_path": api_path}
        return self.result("ckan", base, config, count, f"package_search at {base}{api_path} answered")

    def shirasagi(self, url: str) -> ProbeResult | None:
        adapter = ShirasagiAdapter(url, {}, self.client)
        count = len(adapter.list_identifiers())
        source = adapter.api_url[: -len("api/")] if adapter.api_url.endswith("/opendata/api/") else url
        return self.result("shirasagi", source, {}, count, f"package_list at {adapter.list_url} answered")

    def dcat(self, url: str) -> ProbeResult | None:
        adapter = DcatAdapter(url, {}, self.client)
        datasets = adapter.fetch_datasets()
        return self.result("dcat", adapter.feed_url, {}, len(datasets), f"DCAT feed at {adapter.feed_url}")

    def catalog(self, response: HttpResponse) -> ProbeResult | None:
        rows, template, _ = read_catalog(response)
        adapter = CatalogCsvAdapter(response.url, self.base_config, self.client)
        build = adapter._new_template if template == NEW_TEMPLATE else adapter._old_template
        count = sum(1 for _ in build(rows))
        if adapter.problems:
            return self.result("catalog_csv", response.url, {}, count,
                               f"{template} template; {len(adapter.problems)} rows with problems")
        return self.result("catalog_csv", response.url, {}, count, f"{template} template")

    def webpage(self, response: HttpResponse) -> ProbeResult | None:
        datasets, _, _ = extract_datasets(response.text().text, response.url)
        config: dict[str, Any] = {}
        where = ""
        if not datasets:
            adapter = WebpageAdapter(response.url, {"follow": 1, "max_pages": 10}, self.client)
            datasets, config, where = adapter.page_datasets(), {"follow": 1}, " one level down"
        if not datasets:
            return None
        links = tuple(dict.fromkeys(r["url"] for d in datasets for r in d.resources))
        return dataclasses.replace(
            self.result("webpage", response.url, config, len(datasets), f"{len(links)} links to data files{where}"),
            data_links=links)

    # -- the whole probe ------------------------------------------------------

    def from_url(self) -> ProbeResult | None:
        """An API URL (whose directory may answer 404) is checked directly."""
        path = urlsplit(self.url).path
        for api_path in _CKAN_PATHS:
            marker = api_path.rstrip("/")
            if marker in path:
                base = _origin(self.url) + path.split(marker, 1)[0]
                return self.quietly(lambda: self.ckan(base.rstrip("/"), api_path))
        if "/opendata/api" in path:
            return self.quietly(lambda: self.shirasagi(_origin(self.url) + path.split("/opendata/api", 1)[0]))
        return None

    def run(self) -> ProbeResult:
        try:
            return self._run()
        except LimitExceeded as exc:
            return ProbeResult(self.url, "unknown", detail=f"refused: {exc}")

    def _run(self) -> ProbeResult:
        found = self.from_url()
        if found:
            return found
        try:
            response = self.client.get(self.url)
        except HarvestError as exc:
            return ProbeResult(self.url, "unknown", detail=f"unreachable: {exc}")
        found = self.from_response(response)
        if found:
            return found
        if not response.content_type.startswith(("text/html", "application/xhtml")) and \
                b"<html" not in response.content[:4096].lower():
            return ProbeResult(self.url, "unknown",
                               detail=f"{response.url}: not a portal API, feed, catalog or HTML page "
                                      f"(Content-Type {response.content_type or 'missing'})")
        page = _strip(response.url)
        candidates: list[Callable[[], ProbeResult | None]] = []
        for base in dict.fromkeys([page, _origin(response.url)]):
            for api_path in _CKAN_PATHS:
                candidates.append(lambda base=base, api_path=api_path: self.ckan(base, api_path))
        for base in dict.fromkeys([page, _origin(response.url)]):
            candidates.append(lambda base=base: self.shirasagi_if_listing(base))
        candidates.append(lambda: self.dcat_if_feed(_origin(response.url) + HUB_FEED_PATH))
        candidates.append(lambda: self.webpage(response))
        for candidate in candidates:
            found = self.quietly(candidate)
            if found:
                return found
        return ProbeResult(self.url, "unknown", detail=f"{response.url}: an HTML page with no known portal API "
                                                        "and no links to data files")

    def shirasagi_if_listing(self, base: str) -> ProbeResult | None:
        ShirasagiAdapter(base, {"limit": 1}, self.client)._list_page(0)  # raises if not a package_list
        return self.shirasagi(base)

    def dcat_if_feed(self, url: str) -> ProbeResult | None:
        try:
            return self.dcat(url)
        except HttpStatusError:
            return None


def probe(url: str, client: HttpClient, *, municipality_code: str | None = None) -> ProbeResult:
    """Probe ``url``; never raises for an unreachable or unknown URL (the
    result's kind is then ``"unknown"`` and ``detail`` says why, e.g.
    ``refused: ... JSON nested deeper than 100 levels`` for a hostile answer)."""
    return _Prober(url, client, municipality_code).run()
