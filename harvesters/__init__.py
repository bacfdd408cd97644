"""Source adapters for municipal open-data portals.

Nothing in this package imports CKAN: an adapter reads one kind of portal
over HTTP and yields normalised records, usable on its own
(``python -m harvesters ...``) or through the harvest plugins of
``ckanext.hokkaido``.
"""
from harvesters.errors import (
    BadResponse,
    BlockedAddress,
    ConfigError,
    FetchError,
    HarvestError,
    Timeout,
    TooLarge,
)
from harvesters.client import HttpClient
from harvesters.records import Problem, Record
from harvesters.base import SourceAdapter
from harvesters.catalog_csv import CatalogCsvAdapter
from harvesters.ckan import CkanAdapter
from harvesters.dcat import DcatAdapter
from harvesters.shirasagi import ShirasagiAdapter
from harvesters.webpage import WebpageAdapter

__all__ = [
    "ADAPTERS",
    "adapter_class",
    "BadResponse",
    "BlockedAddress",
    "CatalogCsvAdapter",
    "CkanAdapter",
    "ConfigError",
    "DcatAdapter",
    "FetchError",
    "HarvestError",
    "HttpClient",
    "Problem",
    "Record",
    "ShirasagiAdapter",
    "SourceAdapter",
    "Timeout",
    "TooLarge",
    "WebpageAdapter",
]

#: Adapter classes by kind.
ADAPTERS: dict[str, type[SourceAdapter]] = {
    adapter.kind: adapter
    for adapter in (CkanAdapter, ShirasagiAdapter, DcatAdapter, CatalogCsvAdapter, WebpageAdapter)
}


def adapter_class(kind: str) -> type[SourceAdapter]:
    """Return the adapter class registered for ``kind``.

    :raises KeyError: with the known kinds in the message.
    """
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise KeyError(f"unknown source kind {kind!r}; known kinds: {', '.join(sorted(ADAPTERS))}") from None
