"""What the harvest plugin tests share: the settings that keep a harvest
fast, the marks of a nightly-run test, and helpers that make sources, run
``ckan hokkaido harvest`` and read what it wrote. Not a test module: tests
import from here, never from each other."""
from __future__ import annotations

import json
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from ckan import model
from ckan.cli.cli import ckan
from ckan.plugins import toolkit
from ckan.tests.helpers import CKANCliRunner

from ckanext.harvest.model import HarvestJob

from tests.mail import SMTP_PORT  # noqa: F401 - the inbox fixture's port, for smtp.server

#: settings that keep the tests fast; individual tests override them
FAST_HARVEST = {
    "ckanext.hokkaido.harvest.min_delay": 0,
    "ckanext.hokkaido.harvest.retries": 0,
    "ckanext.hokkaido.harvest.timeout": 10,
}

#: the marks of a test of the nightly run: fast harvest settings, two workers
NIGHTLY_MARKS = [
    pytest.mark.usefixtures("with_plugins", "with_extended_cli"),
    *(pytest.mark.ckan_config(key, value) for key, value in FAST_HARVEST.items()),
    pytest.mark.ckan_config("ckanext.hokkaido.harvest.workers", 2),
]

SEARCH = "/api/3/action/package_search"
SAPPORO, HAKODATE, OTARU = "011002", "012025", "012033"


def make_source(harvest, url: str, code: str, *, frequency: str = "MANUAL", name: str | None = None):
    harvest._count += 1
    return toolkit.get_action("harvest_source_create")(harvest.context(), {
        "name": name or f"nightly-{harvest._count}", "title": f"収集元 {code}",
        "url": url, "source_type": "hokkaido_ckan", "frequency": frequency,
        "config": json.dumps({"municipality_code": code}), "owner_org": harvest.owner["id"]})


def jobs_of(source) -> list[HarvestJob]:
    model.Session.rollback()  # see what the command's own sessions committed
    return model.Session.query(HarvestJob).filter(HarvestJob.source_id == source["id"]) \
        .order_by(HarvestJob.created).all()


def cli_runner(env) -> CKANCliRunner:
    """CKAN's CLI runner with stdout and stderr kept apart: ``mix_stderr=False``
    before click 8.2 (CKAN 2.11), always so since (CKAN 2.12)."""
    try:
        return CKANCliRunner(env=env, mix_stderr=False)
    except TypeError:
        return CKANCliRunner(env=env)


def run(cli, *args: str):
    """``ckan hokkaido harvest ARGS`` through CKAN's CLI runner (stdout and
    stderr kept apart; ``output`` is both)."""
    runner = cli_runner(cli.env)
    result = runner.invoke(ckan, ["hokkaido", "harvest", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    result.all_output = result.stdout + result.stderr
    return result


def decoded(raw: bytes):
    message = message_from_bytes(raw)
    subject = str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    return message, subject, body


def indexed(**params) -> dict[str, dict]:
    """Datasets Solr returns (as package_search builds them), by name."""
    found = toolkit.get_action("package_search")({"ignore_auth": True},
                                                 {"rows": 1000, "include_private": True, **params})
    return {d["name"]: d for d in found["results"]}
