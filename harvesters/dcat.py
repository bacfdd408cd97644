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

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from harvesters.errors import BadResponse, ConfigError, HarvestError
from harvesters.client import HttpClient, HttpResponse
from harvesters.records import Record
from harvesters.base import SourceAdapter
from harvesters.limits import check_xml_prolog
from harvesters.util import format_from_media_type, format_from_text, format_from_url, html_to_text, modified_since

__all__ = ["DcatAdapter", "HUB_FEED_PATH", "feed_url_for"]

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


def feed_url_for(url: str) -> str:
    """The feed URL: ``url`` itself, or the Hub feed path added to a bare site root."""
    parts = urlsplit(url)
    if parts.path in ("", "/") and not parts.query:
        return url.rstrip("/") + HUB_FEED_PATH
    return url


def _is_dcat_us(payload: Any) -> bool:
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

    # -- reading --------------------------------------------------------------

    def fetch_datasets(self) -> list[dict[str, Any]]:
        """Fetch the feed and return its datasets as plain dicts in the
        DCAT-US shape (RDF feeds are converted), in feed order."""
        response = self.client.get(self.feed_url, headers={
            "Accept": "application/json, application/ld+json;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.7"})
        rdf_format = self.rdf_format or _RDF_MEDIA_TYPES.get(response.content_type)
        if self.format == "rdf" or (self.format == "auto" and rdf_format and rdf_format != "json-ld"):
            if rdf_format is None or rdf_format == "json-ld":
                return self._from_jsonld(response, response.json())
            return self._from_rdf(response, response.text().text, rdf_format)
        payload = response.json()
        if self.format == "dcat-us" or (self.format == "auto" and _is_dcat_us(payload)):
            return self._from_dcat_us(response, payload)
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

    def _from_jsonld(self, response: HttpResponse, payload: Any) -> list[dict[str, Any]]:
        document = self._inline_contexts(payload, response.url)
        return self._from_rdf(response, json.dumps(document, ensure_ascii=False), "json-ld")

    def _from_rdf(self, response: HttpResponse, text: str, rdf_format: str) -> list[dict[str, Any]]:
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
        return _datasets_from_graph(graph, response.url)

    # -- records ------------------------------------------------------------

    def records(self, since: datetime | None = None) -> Iterator[Record]:
        """Yield the feed's datasets (or those modified since ``since``)."""
        self.problems.clear()
        seen: set[str] = set()
        for number, dataset in enumerate(self.fetch_datasets(), start=1):
            record = self.normalize(dataset, number)
            if record is None:
                continue
            if record.identifier in seen:
                self.report(record.identifier, f"dataset {number} repeats an identifier already in the feed; "
                                               "skipped", level="error", url=self.feed_url)
                continue
            seen.add(record.identifier)
            if modified_since(record.source_modified, since):
                yield record

    def list_identifiers(self) -> list[str]:
        """Identifiers of the whole feed (one request; the feed is not paged)."""
        return [record.identifier for record in self.records()]

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
        landing = str(dataset.get("landingPage") or "").strip() or None
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
            municipality_code=self.municipality_code,
            extras={key: value for key, value in extras.items() if value is not None},
        )


# ---------------------------------------------------------------------------
# RDF graph -> DCAT-US shaped dicts
# ---------------------------------------------------------------------------

def _datasets_from_graph(graph: Any, url: str) -> list[dict[str, Any]]:
    from rdflib import RDF, BNode, Literal, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDFS, SKOS, Namespace

    VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

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
        datasets.append({
            "identifier": identifier,
            "title": literal(subject, dct.title),
            "description": literal(subject, dct.description),
            "keyword": keywords,
            "issued": literal(subject, dct.issued),
            "modified": literal(subject, dct.modified),
            "publisher": {"name": label(publisher)} if publisher is not None else None,
            "distribution": distributions,
            "license": license_,
            "landingPage": iri(subject, dcat.landingPage),
            "theme": sorted(str(t) for t in graph.objects(subject, dcat.theme)),
        })
    datasets.sort(key=lambda d: d["identifier"] or "")
    return datasets
