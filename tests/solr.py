"""Which Solr core CKAN's search talks to, on either CKAN release.

CKAN 2.11 reads ``solr_url`` once, at start, into ``SolrSettings``; CKAN
2.12 reads the config at every connection."""
from __future__ import annotations

import contextlib
from typing import Iterator

from ckan.plugins import toolkit

try:  # CKAN 2.11
    from ckan.lib.search.common import SolrSettings
except ImportError:  # CKAN 2.12
    SolrSettings = None


def current_url() -> str:
    """The Solr core URL CKAN's search uses now."""
    return SolrSettings.get()[0] if SolrSettings else toolkit.config["solr_url"]


@contextlib.contextmanager
def pointed_at(url: str) -> Iterator[None]:
    """CKAN's search talks to the core at ``url`` for the block."""
    saved_url = toolkit.config["solr_url"]
    saved = SolrSettings.get() if SolrSettings else None
    toolkit.config["solr_url"] = url
    if SolrSettings:
        SolrSettings.init(url)
    try:
        yield
    finally:
        toolkit.config["solr_url"] = saved_url
        if SolrSettings:
            SolrSettings.init(*saved)
