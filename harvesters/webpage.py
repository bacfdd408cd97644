"""Adapter for a plain web page that lists data files (函館市-style pages).

Every link to a data file on the page becomes a resource: a link counts when
its URL ends in a data extension (CSV, XLSX, XLS, JSON, GeoJSON, ZIP, PDF,
KML, SHP, TXT, …; see :data:`harvesters.util.DATA_FORMATS`) or its text
names a format (``人口（CSV：5KB）``, ``エクセル``). Links are grouped into
datasets by the nearest preceding heading (``h1``–``h4``); a link with no
heading before it is grouped by its table's ``caption`` or the preceding
``dt``, else by the page title.

* resource: ``url`` = the absolute file URL (its identity), ``name`` = the
  link text without the trailing "(CSV：5KB)" note, ``format`` from the
  extension or the text;
* dataset: ``identifier`` = ``<page URL>#<heading text>`` (stable while the
  heading keeps its wording), ``title`` = the heading, ``source_url`` = the
  page (with the heading's anchor when it has an ``id``), ``source_modified``
  = the newest date written beside its links (``人口.csv（令和6年4月1日更新）``),
  else the page's own 最終更新日 / 更新日 / 掲載日, else the newest
  ``Last-Modified`` of its files on the page's own site (HEAD requests, at
  most ``file_dates`` per source), else none (the portal then counts from the day it first saw the
  dataset).

A file linked twice keeps its first place. Pages in Shift_JIS, EUC-JP or
UTF-8 are decoded by the shared base (charset header, ``<meta>``, detection).

Configuration keys (all optional):

``follow``
    ``1`` to also read the HTML pages the page links to, one level down,
    on the same host (and under ``follow_prefix``); default ``0``.
``follow_prefix``
    Only follow links whose path starts with this (default: any path on the
    same host).
``max_pages``
    The most linked pages read with ``follow`` (default 30).
``file_dates``
    The most HEAD requests made for the ``Last-Modified`` of the files of
    datasets the pages give no date (default 20; 0: none).
``municipality_code``
    The code every record is attributed to.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urldefrag, urljoin, urlsplit

from harvesters.errors import BadResponse, ConfigError, HarvestError
from harvesters.client import HttpClient, HttpResponse
from harvesters.records import Record
from harvesters.base import SourceAdapter
from harvesters.util import DATA_FORMATS, format_from_text, format_from_url, is_http_url, parse_date

__all__ = ["WebpageAdapter", "PageDataset", "extract_datasets", "page_date"]

log = logging.getLogger(__name__)

_HEADINGS = ("h1", "h2", "h3", "h4")
_SPACES = re.compile(r"[\s\u3000]+")
# "(CSV：5KB)", "[PDFファイル/120KB]", "（エクセル 15キロバイト）" at the end of a link text.
_NOTE = re.compile(r"\s*[\(\[（［【〔<＜]\s*[^()\[\]（）［］【】]*?(?:"
                   r"KB|MB|GB|バイト|ファイル|形式|CSV|XLSX?|PDF|ZIP|JSON|GEOJSON|KML|SHP|TXT|エクセル|Excel)"
                   r"[^()\[\]（）［］【】]*?[\)\]）］】〕>＞]\s*$", re.I)
# a date as Japanese pages write it (after NFKC: full-width digits are ASCII)
_DATE = (r"(?:\d{4}年\s*\d{1,2}月\s*\d{1,2}日|(?:令和|平成)\s*(?:\d{1,2}|元)年\s*\d{1,2}月\s*\d{1,2}日"
         r"|\d{4}[/.-]\d{1,2}[/.-]\d{1,2})")
_ANY_DATE = re.compile(_DATE)
# the page's own date: 最終更新日：2024年4月1日, 更新日 2024/4/1, 掲載日: 令和6年4月1日
_PAGE_DATE = re.compile(r"(?:最終更新日|更新日|掲載日|公開日|最終更新)\s*[:：]?\s*(" + _DATE + ")")
_NOT_PAGES = tuple(f".{ext}" for ext in DATA_FORMATS) + (
    ".jpg", ".jpeg", ".png", ".gif", ".svg", ".webp", ".mp4", ".mp3", ".css", ".js", ".ico", ".exe", ".dmg")


def _clean(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


_STOP_TAGS = frozenset({"a", "ul", "ol", "li", "p", "div", "table", "dl", "dd", "dt", "section", "form",
                        "h1", "h2", "h3", "h4", "h5", "h6"})


def _heading_text(heading: Any) -> str:
    """The text of a heading up to its first link or block element: an
    unclosed ``<h2>`` in broken markup swallows what follows it."""
    from bs4 import Comment, NavigableString, Tag

    parts = []
    for node in heading.descendants:
        if isinstance(node, Tag) and node.name in _STOP_TAGS:
            break
        if isinstance(node, NavigableString) and not isinstance(node, Comment):
            parts.append(str(node))
    return _clean(" ".join(parts))


def _strip_note(text: str) -> str:
    stripped = _NOTE.sub("", text).strip()
    return stripped or text


@dataclass
class PageDataset:
    """The links found under one heading of one page."""

    page_url: str
    heading: str
    anchor: str | None = None
    resources: list[dict[str, str]] = field(default_factory=list)
    modified: str | None = None  #: the newest date written beside its links (ISO)

    @property
    def identifier(self) -> str:
        return f"{self.page_url}#{self.heading}"


def _heading_for(link: Any, page_title: str) -> tuple[str, str | None]:
    """The grouping heading of a link and the heading's ``id`` (if any)."""
    heading = link.find_previous(_HEADINGS)
    if heading is not None:
        text = _heading_text(heading)
        if text:
            return text, heading.get("id") or None
    table = link.find_parent("table")
    caption = table.find("caption") if table is not None else None
    if caption is not None and _clean(caption.get_text(" ")):
        return _clean(caption.get_text(" ")), table.get("id") or None
    dl = link.find_parent("dl")
    dt = link.find_previous("dt") if dl is not None else None
    if dt is not None and _clean(dt.get_text(" ")):
        return _clean(dt.get_text(" ")), dt.get("id") or None
    return page_title, None


def _link_text(link: Any) -> str:
    text = _clean(link.get_text(" "))
    if not text:
        image = link.find("img")
        text = _clean((image.get("alt") if image is not None else "") or link.get("title") or "")
    return text


def _dates_in(text: str, pattern: re.Pattern = _ANY_DATE) -> list[str]:
    found = []
    for match in pattern.finditer(unicodedata.normalize("NFKC", text)):
        parsed = parse_date(re.sub(r"\s+", "", match.group(1) if match.groups() else match.group(0)))
        if parsed:
            found.append(parsed[:10])
    return found


def page_date(html_text: str) -> str | None:
    """The page's own last-updated date (the newest 最終更新日 / 更新日 /
    掲載日 / 公開日 it states), ISO, or ``None``."""
    from bs4 import BeautifulSoup

    dates = _dates_in(BeautifulSoup(html_text, "html.parser").get_text(" "), _PAGE_DATE)
    return max(dates) if dates else None


def _link_date(link: Any) -> str | None:
    """A date written beside a link, in its list item, cell or paragraph."""
    holder = link.find_parent(("li", "td", "p", "dd"))
    dates = _dates_in(holder.get_text(" ")) if holder is not None else []
    return max(dates) if dates else None


def extract_datasets(html: str, page_url: str) -> tuple[list[PageDataset], list[str], str]:
    """Find the data-file links of an HTML page.

    :returns: ``(datasets, page links, page title)``: the datasets in page
        order (each with the newest date written beside its links), the
        absolute URLs of the other links (candidate pages for ``follow``),
        and the page's title.
    """
    from bs4 import BeautifulSoup  # html.parser copes with broken markup and needs no C library

    soup = BeautifulSoup(html, "html.parser")
    base = soup.find("base", href=True)
    base_url = urljoin(page_url, base["href"]) if base is not None else page_url
    title_tag = soup.find("title")
    page_title = _clean(title_tag.get_text(" ")) if title_tag is not None else ""
    if not page_title:
        first = soup.find(_HEADINGS)
        page_title = _heading_text(first) if first is not None else ""
    page_title = page_title or page_url
    datasets: dict[str, PageDataset] = {}
    seen_files: set[str] = set()
    pages: list[str] = []
    for link in soup.find_all("a", href=True):
        href = str(link["href"]).strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            continue
        url, _ = urldefrag(urljoin(base_url, href))
        if not is_http_url(url):
            continue
        text = _link_text(link)
        fmt = format_from_url(url)
        if fmt is None and not url.lower().split("?", 1)[0].endswith((".html", ".htm", "/")):
            fmt = format_from_text(text)
        if fmt is None:
            pages.append(url)
            continue
        if url in seen_files:
            continue
        seen_files.add(url)
        heading, anchor = _heading_for(link, page_title)
        dataset = datasets.get(heading)
        if dataset is None:
            dataset = datasets[heading] = PageDataset(page_url, heading, anchor)
        name = _strip_note(text) or url.rsplit("/", 1)[-1]
        dataset.resources.append({"url": url, "name": name, "format": fmt, "description": ""})
        written = _link_date(link)
        if written and (dataset.modified is None or written > dataset.modified):
            dataset.modified = written
    return list(datasets.values()), list(dict.fromkeys(pages)), page_title


def _with_page_date(datasets: list[PageDataset], html_text: str) -> None:
    """Datasets with no date of their own take the page's."""
    if any(d.modified is None for d in datasets):
        stated = page_date(html_text)
        for dataset in datasets:
            dataset.modified = dataset.modified or stated


class WebpageAdapter(SourceAdapter):
    """Harvest a web page of file links (and, with follow, the pages it links to)."""

    kind: ClassVar[str] = "webpage"
    config_keys: ClassVar[frozenset[str]] = SourceAdapter.config_keys | {"follow", "follow_prefix", "max_pages",
                                                                         "file_dates"}

    DEFAULT_MAX_PAGES: ClassVar[int] = 30
    DEFAULT_FILE_DATES: ClassVar[int] = 20

    def __init__(self, url: str, config: Mapping[str, Any] | None = None, client: HttpClient | None = None) -> None:
        super().__init__(url, config, client)
        self.page_url = url.strip()
        follow = self.config.get("follow", 0)
        if follow not in (0, 1, True, False, "0", "1"):
            raise ConfigError(self.url, f"follow must be 0 or 1, not {follow!r}")
        self.follow = str(int(follow) if not isinstance(follow, str) else follow) == "1"
        self.follow_prefix = str(self.config.get("follow_prefix") or "")
        max_pages = self.config.get("max_pages", self.DEFAULT_MAX_PAGES)
        if isinstance(max_pages, bool) or not isinstance(max_pages, int) or not 1 <= max_pages <= 500:
            raise ConfigError(self.url, f"max_pages must be an integer from 1 to 500, not {max_pages!r}")
        self.max_pages = max_pages
        file_dates = self.config.get("file_dates", self.DEFAULT_FILE_DATES)
        if isinstance(file_dates, bool) or not isinstance(file_dates, int) or not 0 <= file_dates <= 1000:
            raise ConfigError(self.url, f"file_dates must be an integer from 0 to 1000, not {file_dates!r}")
        self.file_dates = file_dates

    def _fetch_page(self, url: str) -> tuple[HttpResponse, str]:
        response = self.client.get(url, headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"})
        text = response.text().text
        looks_html = "<" in text[:2048] and re.search(r"<(html|body|a|h\d|div|p|table|ul)\b", text[:65536], re.I)
        if response.content_type not in ("text/html", "application/xhtml+xml", "") or not looks_html:
            raise BadResponse(response.url, f"expected an HTML page, got {response.content_type or 'no Content-Type'}",
                              message_ja="HTMLページではありません")
        return response, text

    def _follow_candidates(self, start: str, links: list[str]) -> list[str]:
        origin = urlsplit(start)
        chosen = []
        for link in links:
            parts = urlsplit(link)
            if parts.netloc.lower() != origin.netloc.lower() or link == start:
                continue
            if not parts.path.startswith(self.follow_prefix):
                continue
            if parts.path.lower().endswith(_NOT_PAGES):
                continue
            chosen.append(link)
        return chosen[: self.max_pages]

    def page_datasets(self) -> list[PageDataset]:
        """Datasets of the page, then of the linked pages (with ``follow``), in order.

        A linked page that cannot be read is reported (warning) and skipped;
        the start page must be readable.
        """
        response, text = self._fetch_page(self.page_url)
        start = response.url
        datasets, links, _ = extract_datasets(text, start)
        _with_page_date(datasets, text)
        if self.follow:
            seen_files = {r["url"] for d in datasets for r in d.resources}
            for link in self._follow_candidates(start, links):
                try:
                    sub_response, sub_text = self._fetch_page(link)
                except HarvestError as exc:
                    self.report(link, f"linked page skipped: {exc.reason}", url=exc.url)
                    continue
                sub_datasets, _, _ = extract_datasets(sub_text, sub_response.url)
                _with_page_date(sub_datasets, sub_text)
                for dataset in sub_datasets:
                    dataset.resources = [r for r in dataset.resources if r["url"] not in seen_files]
                    seen_files.update(r["url"] for r in dataset.resources)
                    if dataset.resources:
                        datasets.append(dataset)
        if not datasets:
            self.report(start, "no links to data files found on the page", url=start,
                        message_ja="データファイルへのリンクが見つかりません")
        self._with_file_dates(datasets)
        return datasets

    def _with_file_dates(self, datasets: list[PageDataset]) -> None:
        """Datasets still undated take the newest ``Last-Modified`` of their
        files, asked with at most :attr:`file_dates` HEAD requests."""
        budget = self.file_dates
        for dataset in datasets:
            if dataset.modified is not None:
                continue
            stated = []
            host = urlsplit(dataset.page_url).netloc.lower()
            for resource in dataset.resources:
                if urlsplit(resource["url"]).netloc.lower() != host:
                    continue  # only the page's own site's files: another host's date says nothing of it
                if budget <= 0:
                    return
                budget -= 1
                try:
                    response = self.client.head(resource["url"])
                except HarvestError as exc:  # a file we cannot ask about only has no date
                    log.info("no Last-Modified for %s: %s", resource["url"], exc)
                    continue
                parsed = parse_date(response.headers.get("Last-Modified"))
                if parsed:
                    stated.append(parsed)
            dataset.modified = max(stated) if stated else None

    def records(self, since: datetime | None = None) -> Iterator[Record]:
        """Yield one record per heading with data-file links. ``since`` is
        ignored (the whole page is read anyway); unchanged records keep
        their content hash."""
        self.problems.clear()
        merged: dict[str, PageDataset] = {}
        for dataset in self.page_datasets():
            if dataset.identifier in merged:  # the same heading twice on one page
                first = merged[dataset.identifier]
                first.resources.extend(dataset.resources)
                first.modified = max(filter(None, (first.modified, dataset.modified)), default=None)
            else:
                merged[dataset.identifier] = dataset
        for dataset in merged.values():
            yield Record(
                identifier=dataset.identifier,
                title=dataset.heading,
                resources=dataset.resources,
                source_url=f"{dataset.page_url}#{dataset.anchor}" if dataset.anchor else dataset.page_url,
                source_modified=dataset.modified,
                municipality_code=self.municipality_code,
                extras={"page_url": dataset.page_url, "heading": dataset.heading},
            )

    def list_identifiers(self) -> list[str]:
        return [record.identifier for record in self.records()]
