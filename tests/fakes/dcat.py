"""An ArcGIS Hub site's DCAT-US feed (室蘭市's is the model) and a DCAT-AP
JSON-LD catalogue, as the portals serve them."""
from __future__ import annotations

import json

from harvesters.dcat import HUB_FEED_PATH
from tests.fakes.portal_server import PortalResponse

HUB = "https://muroran-city-data-muroran.hub.arcgis.com"


def hub_dataset(item: str, title: str, modified: str, **overrides) -> dict:
    """One dataset as ArcGIS Hub's /api/feed/dcat-us/1.1.json writes it."""
    dataset = {
        "@type": "dcat:Dataset",
        "identifier": f"{HUB}/datasets/{item}",
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "landingPage": f"{HUB}/datasets/{item}",
        "title": title,
        "description": f"<div style='font-family:&quot;Avenir Next&quot;'><p>{title}の位置情報です。</p>"
                       "<p>更新&amp;追加は随時。</p></div>",
        "keyword": ["室蘭市", "オープンデータ", title],
        "issued": "2022-06-01T02:13:08.000Z",
        "modified": modified,
        "publisher": {"name": "室蘭市"},
        "contactPoint": {"@type": "vcard:Contact", "fn": "室蘭市 ICT推進課", "hasEmail": "mailto:ict@city.muroran.lg.jp"},
        "accessLevel": "public",
        "spatial": "140.9395,42.2921,141.0675,42.4124",
        "theme": ["geospatial"],
        "distribution": [
            {"@type": "dcat:Distribution", "title": "ArcGIS Hub Dataset", "format": "Web page",
             "mediaType": "text/html", "accessURL": f"{HUB}/datasets/{item}"},
            {"@type": "dcat:Distribution", "title": "ArcGIS GeoService", "format": "ArcGIS GeoServices REST API",
             "accessURL": f"https://services.arcgis.com/abc/arcgis/rest/services/{item}/FeatureServer/0"},
            {"@type": "dcat:Distribution", "title": "CSV", "format": "CSV", "mediaType": "text/csv",
             "accessURL": f"{HUB}/api/download/v1/items/{item}/csv?layers=0"},
            {"@type": "dcat:Distribution", "title": "GeoJSON", "format": "GeoJSON", "mediaType": "application/geo+json",
             "accessURL": f"{HUB}/api/download/v1/items/{item}/geojson?layers=0"},
        ],
    }
    dataset.update(overrides)
    return dataset


def hub_feed(datasets: list[dict]) -> dict:
    return {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": datasets,
    }


DATASETS = [
    hub_dataset("a1b2c3d4e5f6_0", "AED設置場所", "2024-03-01T00:00:00.000Z"),
    hub_dataset("b2c3d4e5f6a1_0", "指定緊急避難場所", "2024-05-10T06:30:00.000Z"),
    hub_dataset("c3d4e5f6a1b2_0", "公衆トイレ", "2023-11-20T01:00:00.000Z"),
]

DCAT_AP = {
    "@context": {
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
    },
    "@graph": [
        {
            "@id": "https://data.example.jp/catalog",
            "@type": "dcat:Catalog",
            "dct:title": {"@value": "室蘭市オープンデータ", "@language": "ja"},
            "dcat:dataset": [{"@id": "https://data.example.jp/dataset/population"},
                             {"@id": "https://data.example.jp/dataset/shelters"}],
        },
        {
            "@id": "https://data.example.jp/dataset/population",
            "@type": "dcat:Dataset",
            "dct:identifier": "012050-population",
            "dct:title": [{"@value": "Population", "@language": "en"}, {"@value": "人口統計", "@language": "ja"}],
            "dct:description": {"@value": "町丁別の人口と世帯数", "@language": "ja"},
            "dcat:keyword": [{"@value": "人口", "@language": "ja"}, {"@value": "統計", "@language": "ja"}],
            "dct:issued": {"@value": "2020-04-01", "@type": "xsd:date"},
            "dct:modified": {"@value": "2024-04-01T09:00:00+09:00", "@type": "xsd:dateTime"},
            "dct:publisher": {"@id": "https://data.example.jp/org/muroran"},
            "dct:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
            "dcat:landingPage": {"@id": "https://www.city.muroran.lg.jp/population.html"},
            "dcat:distribution": [
                {"@id": "https://data.example.jp/dist/population-csv"},
                {"@id": "https://data.example.jp/dist/population-xlsx"},
            ],
        },
        {"@id": "https://data.example.jp/org/muroran", "@type": "foaf:Agent", "foaf:name": "室蘭市"},
        {
            "@id": "https://data.example.jp/dist/population-csv",
            "@type": "dcat:Distribution",
            "dct:title": "人口（CSV）",
            "dct:format": {"@id": "http://publications.europa.eu/resource/authority/file-type/CSV"},
            "dcat:mediaType": {"@id": "https://www.iana.org/assignments/media-types/text/csv"},
            "dcat:downloadURL": {"@id": "https://www.city.muroran.lg.jp/files/population.csv"},
            "dcat:accessURL": {"@id": "https://www.city.muroran.lg.jp/population.html"},
        },
        {
            "@id": "https://data.example.jp/dist/population-xlsx",
            "@type": "dcat:Distribution",
            "dct:title": "人口（Excel）",
            "dct:format": "XLSX",
            "dcat:accessURL": {"@id": "https://www.city.muroran.lg.jp/files/population.xlsx"},
        },
        {
            "@id": "https://data.example.jp/dataset/shelters",
            "@type": "dcat:Dataset",
            "dct:title": {"@value": "避難所一覧", "@language": "ja"},
            "dcat:distribution": {"@id": "https://data.example.jp/dist/shelters"},
        },
        {
            "@id": "https://data.example.jp/dist/shelters",
            "@type": "dcat:Distribution",
            "dct:title": "避難所",
        },
    ],
}


def serve_feed(portal, payload, path=HUB_FEED_PATH, content_type="application/json; charset=utf-8"):
    portal.respond(path, PortalResponse(200, json.dumps(payload, ensure_ascii=False).encode(),
                                        {"Content-Type": content_type}))


# -- DCAT-US (ArcGIS Hub) ---------------------------------------------------------
