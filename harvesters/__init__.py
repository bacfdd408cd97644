"""Source adapters for municipal open-data portals.

Nothing in this package imports CKAN: an adapter reads one kind of portal
over HTTP and yields normalised records, usable on its own
(``python -m harvesters ...``) or through the harvest plugins of
``ckanext.hokkaido``.
"""
from harvesters.base import (
    BadResponse,
    BlockedAddress,
    ConfigError,
    FetchError,
    HarvestError,
    HttpClient,
    Record,
    SourceAdapter,
    Timeout,
    TooLarge,
)
from harvesters.ckan import CkanAdapter

__all__ = [
    "ADAPTERS",
    "adapter_class",
    "BadResponse",
    "BlockedAddress",
    "CkanAdapter",
    "ConfigError",
    "FetchError",
    "HarvestError",
    "HttpClient",
    "Record",
    "SourceAdapter",
    "Timeout",
    "TooLarge",
]

#: Adapter classes by kind. Add new kinds (shirasagi, dcat, csv, webpage) here.
ADAPTERS: dict[str, type[SourceAdapter]] = {
    CkanAdapter.kind: CkanAdapter,
}


def adapter_class(kind: str) -> type[SourceAdapter]:
    """Return the adapter class registered for ``kind``.

    :raises KeyError: with the known kinds in the message.
    """
    try:
        return ADAPTERS[kind]
    except KeyError:
        raise KeyError(f"unknown source kind {kind!r}; known kinds: {', '.join(sorted(ADAPTERS))}") from None
