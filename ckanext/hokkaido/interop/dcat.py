"""The prefecture's fields in DCAT: the ``hokkaido_dcat`` profile of ckanext-dcat.

ckanext-dcat (``dcat`` plugin: ``/catalog.{ttl,rdf,jsonld,xml}``,
``/dataset/<name>.{ttl,…}`` and content negotiation; ``structured_data``:
schema.org JSON-LD on dataset pages) serialises each dataset with the
profiles of ``ckanext.dcat.rdf.profiles``: ``euro_dcat_ap_3`` (CKAN's core
fields as DCAT-AP 3), then this one, which adds what the prefecture's schema
holds and makes the result conform to the DCAT-AP 3 shapes
(``tests/interop/shacl``):

============================  ===============================================
the schema's field            in the graph
============================  ===============================================
title, notes                  ``dct:title``, ``dct:description`` in Japanese
                              (a dataset without notes is described by its
                              title and publisher: the description is required)
update_frequency (更新頻度)    ``dct:accrualPeriodicity``, an EU frequency
                              (毎年 ANNUAL … 随時/不定期 IRREG, 更新なし NEVER)
municipality_code (市町村)     ``dct:spatial``: the municipality's page here as
                              a ``dct:Location`` with its national code
                              (``dct:identifier``), name and centroid
standard_dataset (標準)        ``dct:conformsTo``: the standard dataset's page
                              here as a ``dct:Standard`` with its name
homepage_url                  ``dcat:landingPage``
source_url, source_identifier ``prov:wasDerivedFrom``, ``adms:identifier``
(a harvested dataset)
license_id                    ``dct:license``, the licence's URI
resource format               ``dct:format``: the EU file type (CSV, XLSX …)
============================  ===============================================

and every field of the schema that is not a CKAN core field, word for word,
under :data:`HKD` (``hkd:municipalityCode "011002"``, ``hkd:updateFrequency
"毎月"``, ``hkd:agencyCode`` …), so that a reader loses nothing (随時 and
不定期 are both IRREG in the EU vocabulary): our own ``hokkaido_dcat``
harvester (``harvesters.dcat``, which owns the vocabulary) or ckanext-dcat's
(:meth:`HokkaidoDCATProfile.parse_dataset`). A description made from the
title is marked ``hkd:descriptionFromTitle "true"``: the reader's notes stay
empty.
"""
from __future__ import annotations

from typing import Any

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import RDF, RDFS, SKOS

from ckan.lib.helpers import resource_formats
from ckan.plugins import toolkit
from ckanext.dcat.profiles import ADMS, DCAT, FOAF, GSP, SCHEMA, CleanedURIRef, RDFProfile

from ckanext.hokkaido import registry
from ckanext.hokkaido.settings import site_address
from harvesters.dcat import HOKKAIDO_NS, HOKKAIDO_PROPERTIES

__all__ = ["HKD", "FIELDS", "FREQUENCIES", "HokkaidoDCATProfile", "HokkaidoSchemaOrgProfile"]

PROV = Namespace("http://www.w3.org/ns/prov#")  # the one ckanext-dcat does not name
#: the prefecture's own properties (the schema's fields, word for word), as
#: our own DCAT harvester reads them (``harvesters.dcat``)
HKD = Namespace(HOKKAIDO_NS)

EU = "http://publications.europa.eu/resource/authority/"
JAPANESE = URIRef(EU + "language/JPN")
IANA = "https://www.iana.org/assignments/media-types/"
#: 更新頻度 → the EU frequency vocabulary
FREQUENCIES = {"毎年": "ANNUAL", "半年毎": "ANNUAL_2", "四半期毎": "QUARTERLY", "毎月": "MONTHLY",
               "毎週": "WEEKLY", "毎日": "DAILY", "随時": "IRREG", "不定期": "IRREG", "更新なし": "NEVER"}
#: file formats the EU file-type vocabulary names as they are written here
FILE_TYPES = {"CSV", "XLSX", "XLS", "PDF", "HTML", "JSON", "XML", "ZIP", "GEOJSON", "KML", "KMZ", "SHP",
              "TXT", "DOC", "DOCX", "ODS", "ODT", "PPTX", "JPEG", "PNG", "GIF", "TIFF", "RDF_XML", "TSV"}
FORMAT_ALIASES = {"JPG": "JPEG", "RDF": "RDF_XML", "EXCEL": "XLSX", "TEXT": "TXT"}

#: the schema's fields that are not CKAN's own: dataset field → hkd property
FIELDS = HOKKAIDO_PROPERTIES


def _site(path: str) -> URIRef:
    return URIRef(site_address(path))


def _description(dataset_dict: dict[str, Any]) -> str:
    """The notes, else 「title（publisher）」: DCAT-AP and search engines require a description."""
    title = dataset_dict.get("title") or dataset_dict.get("name")
    notes = (dataset_dict.get("notes") or "").strip()
    organization = (dataset_dict.get("organization") or {}).get("title") or ""
    return notes or (f"{title}（{organization}）" if organization else title)


def _place(code: str | None) -> Any:
    """The municipality (or the prefecture) of a code, if it is one."""
    if code == registry.PREFECTURE_CODE:
        return registry.prefecture()
    return registry.get(code) if code else None


def file_type(fmt: str) -> URIRef | None:
    """The EU file type of a format as CKAN writes it (``csv``, ``XLSX`` …), if it names one."""
    code = fmt.strip().upper().lstrip(".")
    code = FORMAT_ALIASES.get(code, code)
    return URIRef(EU + "file-type/" + code) if code in FILE_TYPES else None


class HokkaidoDCATProfile(RDFProfile):
    """The prefecture's schema in DCAT-AP 3 (see the module docs); runs after
    ``euro_dcat_ap_3``."""

    # -- writing ----------------------------------------------------------

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        g = self.g
        g.bind("hkd", HKD)
        self._replace(dataset_ref, DCT.title, Literal(dataset_dict.get("title") or dataset_dict["name"], lang="ja"))
        self._replace(dataset_ref, DCT.description, Literal(_description(dataset_dict), lang="ja"))
        if not (dataset_dict.get("notes") or "").strip():  # so that a reader keeps the notes empty
            g.add((dataset_ref, HKD.descriptionFromTitle, Literal("true")))
        g.add((dataset_ref, DCT.language, JAPANESE))
        g.add((JAPANESE, RDF.type, DCT.LinguisticSystem))

        for field, name in FIELDS.items():
            value = dataset_dict.get(field)
            if value not in (None, ""):
                g.add((dataset_ref, HKD[name], Literal(str(value))))

        frequency = FREQUENCIES.get(dataset_dict.get("update_frequency") or "")
        if frequency:
            ref = URIRef(EU + "frequency/" + frequency)
            self._replace(dataset_ref, DCT.accrualPeriodicity, ref)
            g.add((ref, RDF.type, DCT.Frequency))
        self._spatial_municipality(dataset_ref, dataset_dict.get("municipality_code"))
        self._standard(dataset_ref, dataset_dict.get("standard_dataset"))
        if dataset_dict.get("homepage_url"):
            page = CleanedURIRef(dataset_dict["homepage_url"])  # a space or a quote in an address
            g.add((dataset_ref, DCAT.landingPage, page))
            g.add((page, RDF.type, FOAF.Document))
        if dataset_dict.get("source_url"):
            g.add((dataset_ref, PROV.wasDerivedFrom, CleanedURIRef(dataset_dict["source_url"])))
        if dataset_dict.get("source_identifier"):
            # an IRI of its own, not a blank node: a reader (ckanext-dcat's
            # parser) takes the node itself as the identifier, and a blank
            # node's label is new in every serialisation (a change each run)
            identifier = URIRef(f"{dataset_ref}#source-identifier")
            g.add((dataset_ref, ADMS.identifier, identifier))
            g.add((identifier, RDF.type, ADMS.Identifier))
            g.add((identifier, SKOS.notation, Literal(dataset_dict["source_identifier"])))
        licence = dataset_dict.get("license_url")
        if licence:
            ref = CleanedURIRef(licence)
            g.add((dataset_ref, DCT.license, ref))
            g.add((ref, RDF.type, DCT.LicenseDocument))
            if dataset_dict.get("license_title"):
                g.add((ref, RDFS.label, Literal(dataset_dict["license_title"])))
        for distribution in list(g.objects(dataset_ref, DCAT.distribution)):
            self._distribution(distribution, licence)

    def graph_from_catalog(self, catalog_dict: dict[str, Any], catalog_ref: URIRef) -> None:
        g = self.g
        g.bind("hkd", HKD)
        description = toolkit.config.get("ckan.site_description") or (
            "北海道と道内179市町村のオープンデータ / open data of Hokkaido and its 179 municipalities")
        self._replace(catalog_ref, DCT.description, Literal(description, lang="ja"))
        title = toolkit.config.get("ckan.site_title") or "北海道オープンデータポータル"
        self._replace(catalog_ref, DCT.title, Literal(title, lang="ja"))
        publisher = _site("/organization/" + registry.PREFECTURE_CODE)
        self._replace(catalog_ref, DCT.publisher, publisher)
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, FOAF.name, Literal(registry.PREFECTURE_NAME, lang="ja")))
        self._replace(catalog_ref, DCT.language, JAPANESE)  # not the locale's code as a literal
        g.add((JAPANESE, RDF.type, DCT.LinguisticSystem))
        for page in g.objects(catalog_ref, FOAF.homepage):
            g.add((page, RDF.type, FOAF.Document))

    def _replace(self, subject: Any, predicate: URIRef, value: Any) -> None:
        self.g.remove((subject, predicate, None))
        self.g.add((subject, predicate, value))

    def _spatial_municipality(self, dataset_ref: URIRef, code: str | None) -> None:
        place = _place(code)
        if place is None:
            return
        g = self.g
        ref = _site(f"/municipalities/{code}")
        g.add((dataset_ref, DCT.spatial, ref))
        g.add((ref, RDF.type, DCT.Location))
        g.add((ref, DCT.identifier, Literal(code)))
        g.add((ref, SKOS.prefLabel, Literal(place.name, lang="ja")))
        if place.lat is not None and place.lng is not None:
            g.add((ref, DCAT.centroid, Literal(f"POINT ({place.lng} {place.lat})", datatype=GSP.wktLiteral)))

    def _standard(self, dataset_ref: URIRef, number: str | None) -> None:
        if not number:
            return
        names = {s.no: s.name for s in registry.standard_datasets()}
        ref = _site(f"/standard/{number}")
        self.g.add((dataset_ref, DCT.conformsTo, ref))
        self.g.add((ref, RDF.type, DCT.Standard))
        if number in names:
            self.g.add((ref, DCT.title, Literal(f"自治体標準オープンデータセット {number} {names[number]}", lang="ja")))

    def _distribution(self, distribution: URIRef, licence: str | None) -> None:
        g = self.g
        for predicate in (DCAT.accessURL, DCAT.downloadURL):
            for url in g.objects(distribution, predicate):
                g.add((url, RDF.type, RDFS.Resource))
        for fmt in list(g.objects(distribution, DCT["format"])):
            if isinstance(fmt, Literal):
                if (distribution, DCAT.mediaType, None) not in g:
                    # the media type the format implies (CSV: text/csv), as CKAN's list of formats
                    # gives it: a reader that stores it at once has nothing to guess on its next run
                    known = resource_formats().get(str(fmt).strip().lower())
                    if known and "/" in (known[0] or ""):
                        g.add((distribution, DCAT.mediaType, Literal(known[0])))
                g.remove((distribution, DCT["format"], fmt))
                ref = file_type(str(fmt))
                if ref is None:  # a format the vocabulary does not name: described, not lost
                    ref = URIRef(f"{distribution}#format")
                    g.add((ref, RDFS.label, Literal(str(fmt))))
                g.add((distribution, DCT["format"], ref))
                g.add((ref, RDF.type, DCT.MediaTypeOrExtent))
        for media in list(g.objects(distribution, DCAT.mediaType)):
            if isinstance(media, Literal):  # "text/csv" as CKAN guessed it: the IANA media type's IRI
                g.remove((distribution, DCAT.mediaType, media))
                if "/" in str(media) and " " not in str(media).strip():
                    ref = URIRef(IANA + str(media).strip().lower())
                    g.add((distribution, DCAT.mediaType, ref))
                    g.add((ref, RDF.type, DCT.MediaType))
        for title in list(g.objects(distribution, DCT.title)):
            if isinstance(title, Literal) and title.language is None:
                self._replace(distribution, DCT.title, Literal(str(title), lang="ja"))
        for description in list(g.objects(distribution, DCT.description)):
            if isinstance(description, Literal) and description.language is None:
                self._replace(distribution, DCT.description, Literal(str(description), lang="ja"))
        if licence and (distribution, DCT.license, None) not in g:
            g.add((distribution, DCT.license, CleanedURIRef(licence)))

    # -- reading (our own hokkaido_dcat harvester, another portal) ---------

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> dict[str, Any]:
        """The schema's fields back from their ``hkd`` properties: top-level
        fields where the reading portal's schema has them (ours), extras of
        the same names where it has not (a stock CKAN)."""
        found = {field: str(value) for field, name in FIELDS.items()
                 if (value := self.g.value(dataset_ref, HKD[name])) is not None}
        dataset_dict["extras"] = [e for e in dataset_dict.get("extras") or [] if e.get("key") not in found]
        for field, value in found.items():
            self._set_dataset_value(dataset_dict, field, value)
        if str(self.g.value(dataset_ref, HKD.descriptionFromTitle)) == "true":
            dataset_dict["notes"] = ""  # the description was made from the title: the dataset has none
        return dataset_dict



class HokkaidoSchemaOrgProfile(RDFProfile):
    """The prefecture's schema in schema.org (the JSON-LD of every dataset
    page, ckanext-dcat's ``structured_data``), after its ``schemaorg``
    profile: the description (required by search engines, made as for
    DCAT when empty), Japanese, the municipality as the spatial coverage
    (a ``schema:Place`` with its national code and coordinates), the
    standard dataset it conforms to and the page it was harvested from."""

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        g = self.g
        g.remove((dataset_ref, SCHEMA.description, None))
        g.add((dataset_ref, SCHEMA.description, Literal(_description(dataset_dict))))
        g.add((dataset_ref, SCHEMA.inLanguage, Literal("ja")))
        code = dataset_dict.get("municipality_code")
        place = _place(code)
        if place is not None:
            ref = _site(f"/municipalities/{code}")
            g.add((dataset_ref, SCHEMA.spatialCoverage, ref))
            g.add((ref, RDF.type, SCHEMA.Place))
            g.add((ref, SCHEMA.name, Literal(place.name)))
            g.add((ref, SCHEMA.identifier, Literal(code)))
            if place.lat is not None and place.lng is not None:
                geo = BNode()
                g.add((ref, SCHEMA.geo, geo))
                g.add((geo, RDF.type, SCHEMA.GeoCoordinates))
                g.add((geo, SCHEMA.latitude, Literal(place.lat)))
                g.add((geo, SCHEMA.longitude, Literal(place.lng)))
        if dataset_dict.get("standard_dataset"):
            g.add((dataset_ref, SCHEMA.conformsTo, _site(f"/standard/{dataset_dict['standard_dataset']}")))
        if dataset_dict.get("source_url"):
            g.add((dataset_ref, SCHEMA.isBasedOn, CleanedURIRef(dataset_dict["source_url"])))
