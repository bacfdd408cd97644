"""Fixtures for the harvest plugin tests.

``source_ckan`` is a real second CKAN (``ckan run`` on a free port, its own
database ``ckan_source_test``, Solr core ``ckan_source_test`` and Redis db 3,
see ``source-ckan.ini``) started once per session; ``remote`` empties it
before each test. ``portals`` starts fake CKAN portals on loopback and
``inbox`` (tests/conftest.py) is a real SMTP server. ``harvest`` creates harvest sources in the CKAN under test
through ckanext-harvest's actions and runs jobs in-process, gather → fetch →
import, exactly as the queue consumers would.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ckan import model
from ckan.plugins import toolkit
from ckan.tests import factories

from ckanext.harvest.model import HarvestObject

from tests.harvest.jobs import run_job
from tests.fakes.source_ckan import SourceCkan
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import PortalServer

@pytest.fixture(scope="session")
def source_ckan() -> Iterator[SourceCkan]:
    """The second CKAN instance, for the whole session."""
    with SourceCkan() as ckan:
        yield ckan


@pytest.fixture
def remote(source_ckan: SourceCkan) -> SourceCkan:
    """The second CKAN, emptied of datasets and organizations."""
    source_ckan.empty()
    return source_ckan


@pytest.fixture
def portals():
    """Fake portals on loopback, started on demand and stopped after the test."""
    started: list[PortalServer] = []

    def start(datasets: int | None = None, **fake) -> PortalServer:
        server = PortalServer().start()
        started.append(server)
        if datasets is not None:
            FakeCkan([make_dataset(i) for i in range(datasets)], **fake).install(server)
        return server

    yield start
    for server in started:
        server.stop()


class Harvest:
    """Create harvest sources and run their jobs, as a sysadmin."""

    def __init__(self) -> None:
        self.user = factories.Sysadmin()
        # the prefecture's: its sources may publish for any municipality (authority.py)
        self.owner = factories.Organization(name="010006", title="北海道")
        self._count = 0

    def context(self) -> dict[str, Any]:
        return {"user": self.user["name"]}

    def source(self, url: str, config: dict[str, Any] | str, *, title: str | None = None) -> dict[str, Any]:
        self._count += 1
        return toolkit.get_action("harvest_source_create")(self.context(), {
            "name": f"source-{self._count}",
            "title": title or f"収集元 {self._count}",
            "url": url,
            "source_type": "hokkaido_ckan",
            "config": config if isinstance(config, str) else json.dumps(config, ensure_ascii=False),
            "frequency": "MANUAL",
            "owner_org": self.owner["id"],
        })

    def run(self, source: dict[str, Any]) -> dict[str, Any]:
        """Run one job of ``source``; return its hokkaido_harvest_report."""
        report = run_job(source, self.context())
        assert report["status"] == "Finished", report
        return report

    def dataset(self, name: str) -> dict[str, Any]:
        return toolkit.get_action("package_show")(self.context(), {"id": name})

    def datasets(self, source: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The active datasets whose current harvest object is from ``source``,
        by source identifier (read with package_show)."""
        rows = (model.Session.query(HarvestObject.package_id)
                .join(model.Package, model.Package.id == HarvestObject.package_id)
                .filter(HarvestObject.harvest_source_id == source["id"])
                .filter(HarvestObject.current == True)  # noqa: E712
                .filter(model.Package.state == "active"))
        shown = [self.dataset(package_id) for (package_id,) in rows]
        return {d["source_identifier"]: d for d in shown}

    def searchable(self, **params: Any) -> list[str]:
        """Names of the datasets package_search finds (anonymous view)."""
        found = toolkit.get_action("package_search")({"ignore_auth": True}, {"rows": 1000, **params})
        return sorted(d["name"] for d in found["results"])


@pytest.fixture
def harvest(clean_db, clean_index) -> Harvest:
    return Harvest()
