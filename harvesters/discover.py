"""Find a municipality's open data from its official homepage.

:func:`discover` starts at the homepage and follows, within the site (the
same scheme, host and port), the links that lead to open data: link text,
image ``alt`` text or URL naming オープンデータ, opendata, データカタログ,
統計データ, 自治体標準オープンデータセット …, first; menu links that usually
lead there (市政情報, 行政情報, 統計 …) next, to a bounded depth and page
count. It respects ``robots.txt`` and the HTTP client's per-host politeness,
reads Shift_JIS and EUC-JP pages, and reports a page that is all JavaScript
as unreadable rather than guessing.

Then it probes what it found (:func:`harvesters.probe.probe`): portals of
every kind we harvest, catalog files, pages of data files, on the site or on
another host the site links to. A link to a shared portal (HARP, BODIK, the
national catalogue) is mapped to that shared source, never probed as a new
one: a link whose text or address names open data, or any link to such a
host on a page reached through an open-data link (「BODIK ODCS」 on the
open-data page). A page whose only data links lead to a source found
already (the open-data page linking to the catalog file) is that source's
page, not a source of its own: it is not proposed.

Each source found carries its kind, the evidence (the chain of pages and
link texts that led there), the datasets seen and a confidence: ``high``
for an API or catalog that lists datasets, ``medium`` for a page of data
files, ``low`` otherwise. A municipality where nothing was found lists the
pages tried.
"""
from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from harvesters.client import HttpClient
from harvesters.errors import HarvestError, HttpStatusError
from harvesters.probe import ProbeResult, probe

__all__ = ["Discovery", "Found", "Step", "SHARED_PORTALS", "discover"]

#: words in a link (text, image alt, URL) that lead to open data
OPEN_DATA_WORDS = ("オープンデータ", "opendata", "open data", "open_data", "open-data", "データカタログ",
                   "datacatalog", "data catalog", "統計データ", "自治体標準オープンデータセット",
                   "オープン・データ", "データセット")
#: words of the menus that usually lead there, two levels down
MENU_WORDS = ("市政", "町政", "村政", "行政", "統計", "情報公開", "まちの紹介", "市の紹介", "町の紹介",
              "村の紹介", "サイトマップ", "sitemap", "ＩＣＴ", "ict", "デジタル", "情報化")
#: shared portals: host → (the shared source's name, what it is)
SHARED_PORTALS = {
    "www.harp.lg.jp": ("harp", "HARP 北海道オープンデータポータル"),
    "data.bodik.jp": ("bodik", "BODIK ODCS"),
    "www.bodik.jp": ("bodik", "BODIK ODCS"),
    "www.data.go.jp": ("data.go.jp", "データカタログサイト (data.go.jp)"),
    "data.e-gov.go.jp": ("data.go.jp", "e-Govデータポータル"),
}
#: kinds that list datasets through an API or a catalog file
LISTING_KINDS = ("ckan", "shirasagi", "dcat", "catalog_csv")
_FILE_SUFFIXES = (".csv", ".xlsx", ".xls", ".zip", ".pdf", ".json", ".geojson", ".xml", ".txt", ".tsv",
                  ".doc", ".docx", ".jpg", ".png")


@dataclasses.dataclass(frozen=True)
class Step:
    """One link followed: the page it was on and its text."""

    page: str
    text: str
    url: str


@dataclasses.dataclass
class Found:
    """A source found for the municipality.

    :ivar kind: an adapter kind, or ``"shared"`` for a shared portal.
    :ivar shared: the shared portal's key in :data:`SHARED_PORTALS`, if shared.
    :ivar evidence: the links followed from the homepage to it.
    """

    kind: str
    url: str
    confidence: str
    evidence: list[Step]
    datasets: int | None = None
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    shared: str | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url, "confidence": self.confidence, "datasets": self.datasets,
                "shared": self.shared, "config": self.config, "detail": self.detail,
                "evidence": [dataclasses.asdict(step) for step in self.evidence]}


@dataclasses.dataclass
class Discovery:
    """What :func:`discover` found for one municipality.

    :ivar tried: the pages fetched, in order.
    :ivar problems: what stopped the search or part of it (bilingual lines).
    """

    code: str
    homepage: str
    found: list[Found] = dataclasses.field(default_factory=list)
    tried: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "homepage": self.homepage, "found": [f.to_dict() for f in self.found],
                "tried": self.tried, "problems": self.problems}


@dataclasses.dataclass(frozen=True)
class _Link:
    url: str
    text: str


def _site(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _links(html: str, base: str) -> tuple[list[_Link], bool]:
    """The page's links (absolute, without fragment) with their text or
    image alt text, and whether the page is readable without JavaScript."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    base_tag = soup.find("base", href=True)
    if base_tag is not None:
        base = urljoin(base, base_tag["href"])
    links = []
    for a in soup.find_all("a", href=True):
        href = a["href"].strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        text = " ".join(a.get_text(" ").split())
        alts = " ".join(img.get("alt", "") for img in a.find_all("img"))
        title = a.get("title", "")
        links.append(_Link(urldefrag(urljoin(base, href))[0], " ".join(p for p in (text, alts, title) if p)))
    for tag in soup(["script", "style", "noscript"]):
        tag.decompose()
    readable = bool(links) or len(soup.get_text(" ", strip=True)) >= 40
    return links, readable


def _score(link: _Link) -> int:
    """2: leads to open data; 1: a menu that may; 0: neither."""
    haystack = f"{link.text} {link.url}".lower()
    if any(word in haystack for word in OPEN_DATA_WORDS):
        return 2
    if any(word in link.text.lower() for word in MENU_WORDS):
        return 1
    return 0


def _robots(client: HttpClient, homepage: str) -> tuple[RobotFileParser | None, str | None]:
    """The site's robots.txt (``None`` when it has none); a problem line
    when it could not be read (then the site is not crawled)."""
    url = _site(homepage) + "/robots.txt"
    try:
        response = client.get(url)
    except HttpStatusError as exc:
        if 400 <= exc.status < 500:
            return None, None  # no robots.txt: everything allowed
        return None, f"robots.txt を読めません / cannot read robots.txt: {exc}"
    except HarvestError as exc:
        return None, f"robots.txt を読めません / cannot read robots.txt: {exc}"
    parser = RobotFileParser(url)
    parser.parse(response.text().text.splitlines())
    return parser, None


def discover(homepage: str, client: HttpClient, *, code: str = "", max_depth: int = 3, max_pages: int = 20,
             max_probes: int = 6, prober: Callable[..., ProbeResult] = probe) -> Discovery:
    """Search the site of ``homepage`` for open data and probe what leads there.

    :param max_depth: links followed from the homepage, at most.
    :param max_pages: pages of the site fetched, at most (robots.txt aside).
    :param max_probes: candidates probed, at most (best first).
    """
    result = Discovery(code=code, homepage=homepage)
    robots, problem = _robots(client, homepage)
    if problem:
        result.problems.append(problem)
        return result
    agent = client.user_agent
    if robots is not None and not robots.can_fetch(agent, homepage):
        result.problems.append("robots.txt がこのサイトの巡回を禁じています / robots.txt disallows crawling the site")
        return result
    site = _site(homepage)
    queue: list[tuple[int, int, int, str, tuple[Step, ...]]] = [(0, 0, 0, homepage, ())]
    seen = {homepage}
    candidates: dict[str, tuple[int, tuple[Step, ...]]] = {}
    shared: dict[str, Found] = {}
    order = 0
    while queue and len(result.tried) < max_pages:
        _priority, depth, _order, url, chain = heapq.heappop(queue)
        if robots is not None and not robots.can_fetch(agent, url):
            result.problems.append(f"{url}: robots.txt が禁じています / disallowed by robots.txt")
            continue
        try:
            response = client.get(url)
        except HarvestError as exc:
            result.problems.append(f"{url}: {exc}")
            continue
        result.tried.append(response.url)
        if response.content_type not in ("text/html", "application/xhtml+xml", ""):
            continue
        links, readable = _links(response.text().text, response.url)
        if not readable:
            result.problems.append(
                f"{response.url}: JavaScriptで描かれるページで、リンクを読めません / "
                "the page is drawn by JavaScript: no links to read")
            continue
        # this page was reached through a link that names open data
        open_data_page = any(_score(_Link(s.url, s.text)) == 2 for s in chain)
        for link in links:
            score = _score(link)
            step = Step(page=response.url, text=link.text[:120], url=link.url)
            host = urlsplit(link.url).hostname or ""
            if host in SHARED_PORTALS:
                if score or "opendata" in link.url.lower() or open_data_page:
                    key, label = SHARED_PORTALS[host]
                    shared.setdefault(key, Found(kind="shared", url=link.url, confidence="high",
                                                 evidence=[*chain, step], shared=key, detail=label))
                continue
            if score == 2 and link.url not in candidates:
                candidates[link.url] = (len(candidates), (*chain, step))
            if (_site(link.url) == site and score and depth < max_depth and link.url not in seen
                    and not urlsplit(link.url).path.lower().endswith(_FILE_SUFFIXES)):
                seen.add(link.url)
                order += 1
                heapq.heappush(queue, (-score, depth + 1, order, link.url, (*chain, step)))
    result.found.extend(shared.values())
    probed: set[str] = set()
    pages: list[tuple[Found, tuple[str, ...]]] = []
    for url, (_n, chain) in sorted(candidates.items(), key=lambda item: (len(item[1][1]), item[1][0]))[:max_probes]:
        try:
            found = prober(url, client, municipality_code=code or None)
        except HarvestError as exc:
            result.problems.append(f"{url}: {exc}")
            continue
        if not found.recognized or not found.url or found.url in probed:
            continue
        probed.add(found.url)
        if found.kind in LISTING_KINDS and found.datasets:
            confidence = "high"
        elif found.kind == "webpage" and (found.datasets or 0) >= 3:
            confidence = "medium"
        else:
            confidence = "low"
        source = Found(kind=found.kind, url=found.url, confidence=confidence, evidence=list(chain),
                       datasets=found.datasets, config=found.config, detail=found.detail)
        result.found.append(source)
        if found.kind == "webpage":
            pages.append((source, found.data_links))
    _drop_pages_of_found_sources(result, pages)
    _prefer_listings(result)
    return result


def _drop_pages_of_found_sources(result: Discovery, pages: list[tuple[Found, tuple[str, ...]]]) -> None:
    """A page of file links whose every data link is a source found too
    (the catalog file it links to) is that source's page: not proposed."""
    for page, links in pages:
        others = {f.url for f in result.found if f is not page}
        if links and set(links) <= others:
            result.found.remove(page)


def _prefer_listings(result: Discovery) -> None:
    """A page of file links on the same site as a portal API found too is
    the portal's own page: it is kept, at low confidence."""
    listing_sites = {_site(f.url) for f in result.found if f.kind in LISTING_KINDS}
    for found in result.found:
        if found.kind == "webpage" and _site(found.url) in listing_sites:
            found.confidence = "low"


def sort_key(found: Found) -> tuple[int, str]:
    return ({"high": 0, "medium": 1, "low": 2}[found.confidence], found.url)


