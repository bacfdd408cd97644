"""Adapter for DCAT feeds: ArcGIS Hub's DCAT-US 1.1 JSON and DCAT-AP RDF.

The source URL is the feed itself, or a hub site's root, to which the
ArcGIS Hub feed path ``/api/feed/dcat-us/1.1.json`` is added::

    DcatAdapter("https://muroran-city-data.hub.arcgis.com", {"municipality_code": "012050"})

Two formats are read:

* **DCAT-US 1.1** (Project Open Data) JSON, as ArcGIS Hub serves it:
  ``{"dataset": [{"identifier", "title", "description", "keyword": [...],
  "issued", "modified", "publisher": {"name"}, "distribution": [{"title",
  "format", "mediaType", "accessURL", "downloadURL"}], "license",
  "landingPage"}]}``;
* **DCAT-AP** (or any DCAT) as JSON-LD, Turtle or RDF/XML, parsed with
  rdflib. Remote JSON-LD ``@context`` documents are fetched through the
  harvester's own HTTP client (so the address guard and size cap apply),
  never by rdflib. RDF/XML that declares entities in a DOCTYPE is refused
  before parsing (:func:`harvesters.limits.check_xml_prolog`): no entity is
  expanded (billion laughs) and no local file read (XXE).

Each dataset's ``identifier`` (``dct:identifier``, else the dataset's IRI)
is the record identifier; distributions become resources (download URL,
else access URL). A dataset without an identifier, or a distribution
without a URL, is skipped and reported in ``problems``.

An RDF catalogue paged with Hydra (``hydra:next`` or ``hydra:nextPage`` of
a ``hydra:PagedCollection`` / ``PartialCollectionView``, as ckanext-dcat
writes it) is read page by page, at most :data:`MAX_PAGES`; a page seen
twice is an error, and a full listing whose distinct datasets fall short
of ``hydra:totalItems`` is :class:`IncompleteListing` (nothing is withdrawn).

**A Hokkaido portal's own DCAT** (ours, ``ckanext.hokkaido.interop.dcat``)
carries the prefecture's schema word for word as :data:`HOKKAIDO_NS`
properties (``hkd:agencyCode`` …, :data:`HOKKAIDO_PROPERTIES`): they are
read into the record's ``extras["fields"]`` under the schema's field names,
and the dataset's own page there (its IRI) is the record's source URL — its
``dcat:landingPage`` is the agency's page, a field of its own. A dataset
states its municipality by ``hkd:municipalityCode`` or by a ``dct:spatial``
place whose ``dct:identifier`` is a municipality code; a source configured
with ``municipality_code`` keeps its own.

Configuration keys (all optional):

``format``
    ``auto`` (default), ``dcat-us`` or ``rdf``.
``rdf_format``
    rdflib parser name for RDF bodies (``json-ld``, ``turtle``, ``xml``);
    default from the Content-Type, else JSON-LD for JSON bodies.
``municipality_code``
    The code every record is attributed to.
"""
from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from harvesters.errors import BadResponse, ConfigError, HarvestError, IncompleteListing
from harvesters.client import HttpClient, HttpResponse
from harvesters.records import Record
from harvesters.base import SourceAdapter
from harvesters.limits import check_xml_prolog
from harvesters.municipalities import is_valid_municipality_code
from harvesters.util import format_from_media_type, format_from_text, format_from_url, html_to_text, modified_since

__all__ = ["DcatAdapter", "HOKKAIDO_NS", "HOKKAIDO_PROPERTIES", "HUB_FEED_PATH", "MAX_PAGES", "feed_url_for"]

log = logging.getLogger(__name__)

HUB_FEED_PATH = "/api/feed/dcat-us/1.1.json"

_RDF_MEDIA_TYPES = {
    "application/ld+json": "json-ld",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}
_FORMATS = ("auto", "dcat-us", "rdf")
#: rdflib parsers that read XML (through expat).
_XML_FORMATS = frozenset({"xml", "application/rdf+xml", "trix", "application/trix"})
_MAX_CONTEXTS = 10
#: pages of a Hydra-paged catalogue read at most (ckanext-dcat: 100 datasets a page)
MAX_PAGES = 1000
_HYDRA = "http://www.w3.org/ns/hydra/core#"

#: the prefecture's own DCAT properties: the schema's fields word for word
HOKKAIDO_NS = "https://github.com/hokkaido-opendata/ckanext-hokkaido/ns#"
#: the schema's field → its property under :data:`HOKKAIDO_NS`
HOKKAIDO_PROPERTIES = {
    "agency_code": "agencyCode", "serial_no": "serialNumber", "department": "department",
    "section": "section", "category": "category", "record_count": "recordCount",
    "update_frequency": "updateFrequency", "file_format": "fileFormat", "file_format_2": "fileFormat2",
    "fee": "fee", "publishable": "publishable", "homepage_url": "homepageURL",
    "municipality_code": "municipalityCode", "standard_dataset": "standardDataset",
    "source_url": "sourceURL", "source_identifier": "sourceIdentifier", "source_modified": "sourceModified",
}


def feed_url_for(url: str) -> str:
    """The feed URL: ``url`` itself, or the Hub feed path added to a bare site root."""
    parts = urlsplit(url)
    if parts.path in ("", "/") and not parts.query:
        return url.rstrip("/") + HUB_FEED_PATH
    return url


def is_dcat_us(payload: Any) -> bool:
    if not isinstance(payload, Mapping) or not isinstance(payload.get("dataset"), list):
        return False
    context = payload.get("@context")
    graph_like = "@graph" in payload or (isinstance(context, (Mapping, list)) and "conformsTo" not in payload)
    return not graph_like


class DcatAdapter(SourceAdapter):
    """Harvest a DCAT feed: ArcGIS Hub DCAT-US 1.1 JSON or DCAT-AP (JSON-LD, Turtle, RDF/XML)."""

    kind: ClassVar[str] = "dcat"
    config_keys: ClassVar[frozenset[str]] = SourceAdapter.config_keys | {"format", "rdf_format"}

    def __init__(self, url: str, config: Mapping[str, Any] | None = None, client: HttpClient | None = None) -> None:
        super().__init__(url, config, client)
        self.feed_url = feed_url_for(url.strip())
        self.format = str(self.config.get("format") or "auto")
        if self.format not in _FORMATS:
            raise ConfigError(self.url, f"format must be one of {', '.join(_FORMATS)}, not {self.format!r}")
        self.rdf_format = self.config.get("rdf_format") or None
        self._contexts: dict[str, Any] = {}
        self._listed: list[dict[str, Any]] | None = None
        self._complete = True

    # -- reading --------------------------------------------------------------

    def fetch_datasets(self) -> list[dict[str, Any]]:
        """Fetch the feed (every page of it) and return its datasets as plain
        dicts in the DCAT-US shape (RDF feeds are converted), in feed order.
        What :meth:`list_identifiers` read serves the next :meth:`records`
        (a full run reads the feed once)."""
        datasets, self._listed = self._listed, None
        return datasets if datasets is not None else self._fetch_all()

    def _fetch_all(self) -> list[dict[str, Any]]:
        url: str | None = self.feed_url
        pages: list[str] = []
        datasets: list[dict[str, Any]] = []
        earlier: set[str] = set()  # identifiers of the pages read before this one
        totals: set[int] = set()
        self._complete = True
        while url is not None:
            if url in pages:
                raise BadResponse(url, f"the catalogue's page {len(pages) + 1} sends back to a page already read",
                                  message_ja="カタログのページ送りが循環しています")
            if len(pages) >= MAX_PAGES:
                raise BadResponse(self.feed_url, f"the catalogue has more than {MAX_PAGES} pages",
                                  message_ja="カタログのページが多すぎます")
            pages.append(url)
            page = self._fetch_page(url)
            if page.dcat_us is not None:
                return page.dcat_us  # DCAT-US (ArcGIS Hub) is one document
            # a dataset on an earlier page too moved while the catalogue was read: taken once
            # (one repeated within a page is the feed's own error, reported by records())
            datasets += [d for d in page.datasets if not d.get("identifier") or d["identifier"] not in earlier]
            earlier |= {d["identifier"] for d in page.datasets if d.get("identifier")}
            if page.total is not None:
                totals.add(page.total)
            url = page.next_url
        self._complete = len(totals) <= 1 and (not totals or len(earlier) >= min(totals))
        if not self._complete:
            log.warning("%s: the catalogue changed while it was read (%d datasets, total %s)",
                        self.feed_url, len(earlier), sorted(totals))
        return datasets

    def _fetch_page(self, url: str) -> _Page:
        response = self.client.get(url, headers={
            "Accept": "application/json, application/ld+json;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.7"})
        rdf_format = self.rdf_format or _RDF_MEDIA_TYPES.get(response.content_type)
        if self.format == "rdf" or (self.format == "auto" and rdf_format and rdf_format != "json-ld"):
            if rdf_format is None or rdf_format == "json-ld":
                return self._from_jsonld(response, response.json())
            return self._from_rdf(response, response.text().text, rdf_format)
        payload = response.json()
        if self.format == "dcat-us" or (self.format == "auto" and is_dcat_us(payload)):
            return _Page(dcat_us=self._from_dcat_us(response, payload))
        if isinstance(payload, (Mapping, list)) and (
            isinstance(payload, list) or "@context" in payload or "@graph" in payload
        ):
            return self._from_jsonld(response, payload)
        raise BadResponse(response.url, "JSON is neither a DCAT-US feed (no 'dataset' list) nor JSON-LD "
                                        "(no '@context' or '@graph')",
                          message_ja="DCATフィードの形式ではありません")

    @staticmethod
    def _from_dcat_us(response: HttpResponse, payload: Any) -> list[dict[str, Any]]:
        datasets = payload.get("dataset") if isinstance(payload, Mapping) else None
        if not isinstance(datasets, list):
            raise BadResponse(response.url, "DCAT-US feed has no 'dataset' list",
                              message_ja="DCAT-US フィードに dataset の一覧がありません")
        return [d if isinstance(d, Mapping) else {"_not_an_object": d} for d in datasets]

    # -- RDF --------------------------------------------------------------

    def _inline_contexts(self, node: Any, url: str, depth: int = 0) -> Any:
        """Replace remote ``@context`` references with the fetched contexts."""
        if isinstance(node, list):
            return [self._inline_contexts(item, url, depth) for item in node]
        if not isinstance(node, Mapping):
            return node
        result = {}
        for key, value in node.items():
            if key == "@context":
                value = self._resolve_context(value, url, depth)
            elif isinstance(value, (Mapping, list)):
                value = self._inline_contexts(value, url, depth)
            result[key] = value
        return result

    def _resolve_context(self, context: Any, url: str, depth: int) -> Any:
        if isinstance(context, list):
            return [self._resolve_context(item, url, depth) for item in context]
        if isinstance(context, Mapping):
            context = self._inline_contexts(context, url, depth)
            if "@import" not in context:
                return context
            # JSON-LD 1.1: the imported context, overridden by this one. Fetched
            # here, through our client: rdflib would fetch it itself, unguarded.
            imported = context["@import"]
            base = self._resolve_context(imported, url, depth) if isinstance(imported, str) else None
            if not isinstance(base, Mapping):
                raise BadResponse(url, "@import does not name a JSON-LD context object",
                                  message_ja="JSON-LD のコンテキストが読めません")
            return {**base, **{key: value for key, value in context.items() if key != "@import"}}
        if not isinstance(context, str):
            return context
        remote = urljoin(url, context)
        if depth >= 2 or (remote not in self._contexts and len(self._contexts) >= _MAX_CONTEXTS):
            raise BadResponse(url, f"too many or too deeply nested remote JSON-LD contexts (at {remote})",
                              message_ja="JSON-LD のコンテキストが多すぎます")
        if remote not in self._contexts:
            document = self.client.get(remote, headers={"Accept": "application/ld+json, application/json"}).json()
            if not isinstance(document, Mapping) or "@context" not in document:
                raise BadResponse(remote, "remote JSON-LD context document has no '@context'",
                                  message_ja="JSON-LD のコンテキストが読めません")
            self._contexts[remote] = self._resolve_context(document["@context"], remote, depth + 1)
        return self._contexts[remote]

    def _from_jsonld(self, response: HttpResponse, payload: Any) -> _Page:
        document = self._inline_contexts(payload, response.url)
        return self._from_rdf(response, json.dumps(document, ensure_ascii=False), "json-ld")

    def _from_rdf(self, response: HttpResponse, text: str, rdf_format: str) -> _Page:
        import rdflib  # imported here: only RDF feeds need it

        if rdf_format in _XML_FORMATS:
            check_xml_prolog(text, where=response.url)  # no entity declarations: nothing to expand or fetch
        graph = rdflib.Graph()
        try:
            graph.parse(data=text, format=rdf_format, publicID=response.url)
        except HarvestError:
            raise
        except Exception as exc:  # rdflib raises many kinds (SyntaxError, BadSyntax, ValueError, ...)
            raise BadResponse(response.url, f"not valid RDF ({rdf_format}): {type(exc).__name__}: "
                                            f"{str(exc)[:200]}",
                              message_ja="RDFとして読めません") from exc
        return _Page(datasets=_datasets_from_graph(graph, response.url), next_url=_next_page(graph, response.url),
                     total=_total_items(graph))

    # -- records ------------------------------------------------------------

    def records(self, since: datetime | None = None) -> Iterator[Record]:
        """Yield the feed's datasets (or those modified since ``since``)."""
        for record in self._records(self.fetch_datasets()):
            if modified_since(record.source_modified, since):
                yield record

    def _records(self, datasets: list[dict[str, Any]]) -> Iterator[Record]:
        self.problems.clear()
        seen: set[str] = set()
        for number, dataset in enumerate(datasets, start=1):
            record = self.normalize(dataset, number)
            if record is None:
                continue
            if record.identifier in seen:
                self.report(record.identifier, f"dataset {number} repeats an identifier already in the feed; "
                                               "skipped", level="error", url=self.feed_url)
                continue
            seen.add(record.identifier)
            yield record

    def list_identifiers(self) -> list[str]:
        """Identifiers of the whole feed.

        :raises IncompleteListing: when a paged catalogue changed while it
            was read (fewer datasets than its ``hydra:totalItems``, or a
            total that moved): a dataset missed would look withdrawn.
        """
        datasets = self._fetch_all()
        self._listed = datasets
        identifiers = [record.identifier for record in self._records(datasets)]
        if not self._complete:
            raise IncompleteListing(self.feed_url, f"the catalogue changed while it was read ({len(identifiers)} "
                                                   "datasets read); not safe for deletion detection")
        return identifiers

    def normalize(self, dataset: Mapping[str, Any], number: int) -> Record | None:
        """One DCAT-US shaped dataset dict to a :class:`Record` (``None`` if it has no identifier)."""
        if "_not_an_object" in dataset:
            self.report(f"dataset {number}", "feed entry is not an object; skipped", level="error",
                        url=self.feed_url)
            return None
        identifier = str(dataset.get("identifier") or "").strip()
        title = str(dataset.get("title") or "").strip()
        if not identifier:
            label = f"dataset {number}" + (f" ({title})" if title else "")
            self.report(label, "has no identifier; skipped", level="error", url=self.feed_url,
                        message_ja="識別子のないデータセットがあります")
            return None
        fields = dataset.get("hokkaido") if isinstance(dataset.get("hokkaido"), Mapping) else {}
        # a Hokkaido portal's dataset: its landing page is the agency's (a field), its IRI the page read
        landing = str((dataset.get("page") if fields else None) or dataset.get("landingPage") or "").strip() or None
        if not title:
            title = identifier
            self.report(identifier, "has no title; the identifier is used as title", url=self.feed_url,
                        message_ja="タイトルのないデータセットがあります")
        resources = []
        for index, distribution in enumerate(dataset.get("distribution") or [], start=1):
            if not isinstance(distribution, Mapping):
                continue
            url = str(distribution.get("downloadURL") or distribution.get("accessURL") or "").strip()
            if not url:
                self.report(identifier, f"distribution {index} ({distribution.get('title') or 'untitled'}) "
                                        "has neither downloadURL nor accessURL; skipped",
                            level="error", url=self.feed_url, message_ja="URLのない配布があります")
                continue
            media_type = str(distribution.get("mediaType") or "")
            fmt = (str(distribution.get("format") or "").strip() or format_from_media_type(media_type)
                   or format_from_url(url) or format_from_text(str(distribution.get("title") or "")) or "")
            resources.append({
                "url": url,
                "name": str(distribution.get("title") or "").strip() or fmt or url,
                "format": fmt,
                "description": html_to_text(distribution.get("description")),
            })
        license_ = dataset.get("license")
        license_text = str(license_ or "").strip()
        if isinstance(license_, Mapping):
            license_text = str(license_.get("@id") or license_.get("url") or license_.get("name") or "")
        license_id = license_text if license_text.startswith(("http://", "https://")) else None
        license_title = None if license_id else (license_text or None)
        publisher = dataset.get("publisher")
        publisher_name = publisher.get("name") if isinstance(publisher, Mapping) else publisher
        keywords = dataset.get("keyword") or []
        if isinstance(keywords, str):
            keywords = [k for k in keywords.replace("、", ",").split(",")]
        extras = {
            "fields": dict(fields) or None,
            "publisher": publisher_name if isinstance(publisher_name, str) and publisher_name else None,
            "issued": dataset.get("issued") or None,
            "spatial": dataset.get("spatial") if isinstance(dataset.get("spatial"), str) else None,
            "theme": [t for t in dataset.get("theme") or [] if isinstance(t, str)] or None,
        }
        modified = dataset.get("modified")
        return Record(
            identifier=identifier,
            title=title,
            notes=html_to_text(dataset.get("description")),
            tags=[k for k in keywords if isinstance(k, str)],
            license_id=license_id,
            license_title=license_title,
            resources=resources,
            source_url=landing,
            source_modified=str(modified) if modified else None,
            municipality_code=self.municipality_code or self._stated_municipality(identifier, dataset),
            extras={key: value for key, value in extras.items() if value is not None},
        )


    def _stated_municipality(self, identifier: str, dataset: Mapping[str, Any]) -> str | None:
        """The municipality a dataset states (``hkd:municipalityCode``, else
        a ``dct:spatial`` place's code), if it is a valid code."""
        for code in dataset.get("municipality_codes") or []:
            if is_valid_municipality_code(code):
                return code
            self.report(identifier, f"states municipality code {code[:20]!r}, which is not one; not used",
                        url=self.feed_url, message_ja="市町村コードが正しくありません")
        return None


@dataclasses.dataclass
class _Page:
    """One document of a feed: DCAT-US's whole list, or one page of an RDF
    catalogue with its next page and ``hydra:totalItems``."""

    datasets: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    next_url: str | None = None
    total: int | None = None
    dcat_us: list[dict[str, Any]] | None = None


def _next_page(graph: Any, url: str) -> str | None:
    """The next page of a Hydra-paged catalogue (``hydra:next``, else the
    older ``hydra:nextPage``), absolute."""
    from rdflib import Namespace

    hydra = Namespace(_HYDRA)
    for predicate in (hydra.next, hydra.nextPage):
        for value in graph.objects(None, predicate):
            text = str(value).strip()
            if text:
                return urljoin(url, text)
    return None


def _total_items(graph: Any) -> int | None:
    from rdflib import Namespace

    for value in graph.objects(None, Namespace(_HYDRA).totalItems):
        try:
            return int(str(value))
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------------------
# RDF graph -> DCAT-US shaped dicts
# ---------------------------------------------------------------------------

def _datasets_from_graph(graph: Any, url: str) -> list[dict[str, Any]]:
    from rdflib import RDF, BNode, Literal, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDFS, SKOS, Namespace

    VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
    HKD = Namespace(HOKKAIDO_NS)

    dcat = DCAT
    dct = DCTERMS

    def literal(subject: Any, predicate: Any) -> str | None:
        """The best literal: Japanese, then no language, then English, then any."""
        values = [o for o in graph.objects(subject, predicate) if isinstance(o, Literal)]
        if not values:
            return None
        for wanted in ("ja", None, "en"):
            for value in values:
                if (value.language or None) == wanted or (wanted and (value.language or "").startswith(wanted)):
                    return str(value)
        return str(values[0])

    def iri(subject: Any, predicate: Any) -> str | None:
        for value in graph.objects(subject, predicate):
            if isinstance(value, URIRef):
                return str(value)
            if isinstance(value, Literal) and str(value).strip():
                return str(value)
        return None

    def label(node: Any) -> str | None:
        if isinstance(node, Literal):
            return str(node)
        for predicate in (RDFS.label, SKOS.prefLabel, dct.title, FOAF.name, VCARD.fn):
            text = literal(node, predicate)
            if text:
                return text
        if isinstance(node, URIRef):
            return str(node)
        return None

    def format_of(node: Any) -> str | None:
        for value in graph.objects(node, dct["format"]):
            if isinstance(value, Literal):
                return str(value)
            text = label(value)
            if text and not isinstance(value, BNode):
                # EU file-type IRIs end in the format: .../file-type/CSV
                return text.rstrip("/").rsplit("/", 1)[-1] if text.startswith("http") else text
            if text:
                return text
        return None

    subjects = list(dict.fromkeys(graph.subjects(RDF.type, dcat.Dataset)))
    if not subjects and not any(graph.subjects(RDF.type, dcat.Catalog)):
        raise BadResponse(url, "RDF has no dcat:Dataset and no dcat:Catalog; is this a DCAT feed?",
                          message_ja="DCATのデータセットが見つかりません")
    datasets = []
    for subject in subjects:
        identifier = literal(subject, dct.identifier) or (str(subject) if isinstance(subject, URIRef) else None)
        distributions = []
        for node in graph.objects(subject, dcat.distribution):
            media = iri(node, dcat.mediaType)
            distributions.append({
                "title": literal(node, dct.title),
                "description": literal(node, dct.description),
                "format": format_of(node),
                "mediaType": media.rsplit("/media-types/", 1)[-1] if media else None,
                "accessURL": iri(node, dcat.accessURL),
                "downloadURL": iri(node, dcat.downloadURL),
                "license": iri(node, dct.license),
            })
        distributions.sort(key=lambda d: (d["title"] or "", d["downloadURL"] or d["accessURL"] or ""))
        license_ = iri(subject, dct.license) or next((d["license"] for d in distributions if d["license"]), None)
        publisher = next(iter(graph.objects(subject, dct.publisher)), None)
        keywords = sorted({str(k) for k in graph.objects(subject, dcat.keyword) if isinstance(k, Literal)})
        fields = {field: literal(subject, HKD[name]) for field, name in HOKKAIDO_PROPERTIES.items()}
        fields = {field: value for field, value in fields.items() if value is not None}
        codes = [fields["municipality_code"]] if "municipality_code" in fields else []
        codes += [code for place in graph.objects(subject, dct.spatial)
                  if (code := literal(place, dct.identifier)) and code.isdigit() and len(code) == 6]
        description = literal(subject, dct.description)
        if literal(subject, HKD.descriptionFromTitle) == "true":
            description = ""  # made up by the portal (DCAT-AP requires one): the dataset has none
        datasets.append({
            "identifier": identifier,
            "title": literal(subject, dct.title),
            "description": description,
            "keyword": keywords,
            "issued": literal(subject, dct.issued),
            "modified": literal(subject, dct.modified),
            "publisher": {"name": label(publisher)} if publisher is not None else None,
            "distribution": distributions,
            "license": license_,
            "landingPage": iri(subject, dcat.landingPage),
            "theme": sorted(str(t) for t in graph.objects(subject, dcat.theme)),
            "page": str(subject) if isinstance(subject, URIRef) and str(subject).startswith("http") else None,
            "hokkaido": fields,
            "municipality_codes": codes,
        })
    datasets.sort(key=lambda d: d["identifier"] or "")
    return datasets
