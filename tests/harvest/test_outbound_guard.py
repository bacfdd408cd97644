"""No harvest path reaches an internal address (issue 13, must-have 1).

The "internal service" is a real HTTP server on 127.0.0.1 that records every
request. The portal runs with the production default, no private address
allowed (test.ini allows loopback for the other tests). Bad input tried: an
organization editor's sources of every type the portal offers, pointing at
the loopback listener by address and by name, with a query string that
would have been sent on; and a source of a foreign harvester type that
fetches with its own code (tests/harvest/unguarded.py).
"""
from __future__ import annotations

import configparser
import json
from pathlib import Path

import pytest

from ckan import model
from ckan.cli.cli import ckan
from ckan.plugins import toolkit
from ckan.tests import factories

from ckanext.harvest.model import HarvestJob

from tests.harvest.helpers import FAST_HARVEST, cli_runner
from tests.harvest.unguarded import TYPE as UNGUARDED

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "with_extended_cli", "clean_db", "clean_index"),
    *(pytest.mark.ckan_config(key, value) for key, value in FAST_HARVEST.items()),
    pytest.mark.ckan_config("ckanext.hokkaido.harvest.allow_private_addresses", ""),
]

SAPPORO = "011002"
INTERNAL_PATH = "/internal-admin?secret=1&x="


def nightly(cli, *args: str):
    result = cli_runner(cli.env).invoke(ckan, ["hokkaido", "harvest", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture
def editor():
    """An editor (not a sysadmin) of 札幌市's organization."""
    user = factories.User()
    factories.Organization(name=SAPPORO, title="札幌市",
                           users=[{"name": user["name"], "capacity": "editor"}])
    return user


def create_source(user, name: str, url: str, source_type: str):
    return toolkit.get_action("harvest_source_create")({"user": user["name"]}, {
        "name": name, "title": name, "url": url, "source_type": source_type,
        "frequency": "MANUAL", "owner_org": SAPPORO,
        "config": json.dumps({"municipality_code": SAPPORO})})


def last_job_messages(source) -> list[str]:
    model.Session.rollback()
    job = (model.Session.query(HarvestJob).filter(HarvestJob.source_id == source["id"])
           .order_by(HarvestJob.created.desc()).first())
    assert job is not None and job.status == "Finished", source["name"]
    return [e.message for e in job.gather_errors]


def test_the_stock_ckan_harvester_is_not_offered():
    offered = [h["name"] for h in toolkit.get_action("harvesters_info_show")({}, {})]
    assert offered and all(name.startswith("hokkaido_") for name in offered), offered
    assert "ckan_harvester" not in toolkit.config["ckan.plugins"]


def test_no_type_offered_reaches_a_loopback_listener(cli, editor, portals):
    listener = portals()
    types = [h["name"] for h in toolkit.get_action("harvesters_info_show")({}, {})]
    assert len(types) == 5, types
    sources = []
    for source_type in types:
        for host in ("127.0.0.1", "localhost"):
            url = f"http://{host}:{listener.port}/{source_type}{INTERNAL_PATH}"
            sources.append(create_source(editor, f"{source_type.replace('_', '-')}-{host.replace('.', '-')}",
                                         url, source_type))

    result = nightly(cli, "--all", "--force")

    assert result.exit_code == 1, result.stdout + result.stderr
    assert listener.requests == [], [(r.method, r.path) for r in listener.requests]
    for source in sources:
        messages = last_job_messages(source)
        assert any("許可されていません" in m for m in messages), (source["name"], messages)
        assert not any("internal-admin" in m or "secret" in m for m in messages), messages
    assert result.stdout.count("FAILED") >= len(sources)


def _portal_plugins() -> str:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(Path(__file__).parents[2] / "test.ini")
    return parser["app:main"]["ckan.plugins"]


WITH_UNGUARDED = f"{_portal_plugins()} hokkaido_test_unguarded_harvester"


@pytest.mark.ckan_config("ckan.plugins", WITH_UNGUARDED)
def test_a_foreign_type_is_skipped_unless_an_operator_names_it(cli, editor, portals, ckan_config,
                                                               monkeypatch):
    listener = portals()
    source = create_source(editor, "foreign", f"http://127.0.0.1:{listener.port}{INTERNAL_PATH}", UNGUARDED)

    refused = nightly(cli, "--source", "foreign")

    assert refused.exit_code == 1
    assert "FAILED" in refused.stdout and "unguarded_types" in refused.stdout, refused.stdout
    assert listener.requests == []
    (message,) = last_job_messages(source)
    assert "ckanext.hokkaido.harvest.unguarded_types" in message
    # ckanext-harvest's queue refuses it too
    with pytest.raises(toolkit.ValidationError, match="unguarded_types"):
        toolkit.get_action("harvest_job_create")({"user": editor["name"]},
                                                 {"source_id": source["id"], "run": True})

    # the same source runs once an operator names its type: the guard above is what stopped it
    monkeypatch.setitem(ckan_config, "ckanext.hokkaido.harvest.unguarded_types", UNGUARDED)
    allowed = nightly(cli, "--source", "foreign")
    assert allowed.exit_code == 0, allowed.stdout + allowed.stderr
    assert [r.path for r in listener.requests] == ["/internal-admin"]


def test_the_probe_command_reaches_no_loopback_listener(cli, editor, portals):
    # Bad input: a steward asks the portal to probe (and register) an internal address.
    listener = portals()
    result = cli.invoke(ckan, ["hokkaido", "probe", f"http://127.0.0.1:{listener.port}{INTERNAL_PATH}",
                               "--municipality", SAPPORO, "--register"])
    assert result.exit_code == 1, result.output
    assert "loopback" in result.output
    assert listener.requests == []
    assert toolkit.get_action("harvest_source_list")({"ignore_auth": True}, {}) == []
