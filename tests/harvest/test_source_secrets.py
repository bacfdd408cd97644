"""A harvest source's API token (``api_key`` in its config) is used for the
harvest and shown nowhere: not in the API, pages, the edit form, the
search index, run reports, logs, the nightly summary and mail, or the
probe's output. The token is write-only, for sysadmins and the source's
editors too: they see ``********`` and keep the stored token by saving the
mask back.

Sources are a real second CKAN (tests/fakes/source_ckan.py) and fake
portals on 127.0.0.1 that only answer with the right token and echo a wrong
one back in their 403 answer, so a token that leaked into an error would
be caught. Each test says in a comment which attack it tries.
"""
from __future__ import annotations

import html
import json
import logging
import re

import pytest
import requests

from ckan import model
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.harvest.model import HarvestSource

from tests.harvest.helpers import FAST_HARVEST, SMTP_PORT, cli_runner, decoded, run as run_nightly
from tests.fakes.source_ckan import SourceCkan
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import PortalRequest, PortalServer, json_response, text_response

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    *(pytest.mark.ckan_config(key, value) for key, value in FAST_HARVEST.items()),
]

SAPPORO = "011002"
MASK = "********"
TOKEN = "hokkaido-secret-4b1d9e7a2c6f8305"
WRONG = "hokkaido-revoked-91c3e5a7b2d4f600"
ROLES = ["anonymous", "plain user", "other steward", "editor", "sysadmin"]


def authorization(request: PortalRequest) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == "authorization"), None)


def guarded(portal: PortalServer, token: str, datasets: int = 2) -> FakeCkan:
    """A fake CKAN that lists ``datasets`` datasets to ``token`` only, and
    answers any other Authorization with a 403 that quotes it."""
    fake = FakeCkan([make_dataset(i) for i in range(datasets)])
    fake.base_url = portal.url

    def search(request: PortalRequest):
        given = authorization(request)
        if given != token:
            return json_response({"success": False, "error": {
                "__type": "Authorization Error",
                "message": f"Access denied: API token {given!r} is not valid"}}, status=403)
        return fake.package_search(request)

    portal.route(fake.search_path, search)
    return fake


@pytest.fixture
def people(harvest):
    """Names and API tokens of a user of each kind; the editor edits the
    organization owning the sources (harvest.owner)."""
    other_org = factories.Organization()
    plain, other, editor = factories.User(), factories.User(), factories.User()
    site = call_action("get_site_user", {"ignore_auth": True})["name"]
    call_action("organization_member_create", context={"user": site}, id=harvest.owner["id"],
                username=editor["name"], role="editor")
    call_action("organization_member_create", context={"user": site}, id=other_org["id"],
                username=other["name"], role="admin")
    names = {"anonymous": "", "plain user": plain["name"], "other steward": other["name"],
             "editor": editor["name"], "sysadmin": harvest.user["name"]}
    tokens = {role: factories.APIToken(user=name)["token"] for role, name in names.items() if name}
    return {"names": names, "tokens": tokens}


def as_(user: str) -> dict:
    return {"user": user, "ignore_auth": False}


def stored_config(source_id: str) -> dict:
    model.Session.rollback()
    return json.loads(HarvestSource.get(source_id).config)


def shown_config(shown: dict) -> dict:
    return json.loads(shown["config"])


# -- the token is used ----------------------------------------------------------

def test_a_real_ckan_sees_the_token_used_and_private_datasets_stay_out(harvest, remote: SourceCkan):
    # Attack: none; the proof that the token is used at all (else every
    # "not shown" below would be trivially true). A token made for this
    # source has no last_access until the harvest uses it. The remote's
    # private dataset, visible to that token, is not harvested: the portal
    # publishes open data only, and include_private is never asked for.
    token = remote.action("api_token_create", user=SourceCkan.SYSADMIN, name="hokkaido-portal")["token"]
    last_access = lambda: next(t["last_access"] for t in remote.action("api_token_list", user_id=SourceCkan.SYSADMIN)
                               if t["name"] == "hokkaido-portal")
    assert last_access() is None
    org = remote.organization("sapporo-city", "札幌市")
    remote.dataset("open-data", org["id"])
    remote.dataset("closed-data", org["id"], private=True, title="非公開の秘密データ")
    source = harvest.source(remote.url, {"municipality_code": SAPPORO, "api_key": token})

    report = harvest.run(source)

    assert report["counters"]["created"] == 1, report
    assert last_access() is not None
    assert [d["title"] for d in harvest.datasets(source).values()] == ["open-data のデータ"]
    assert harvest.searchable(q="非公開の秘密データ") == []
    assert stored_config(source["id"])["api_key"] == token


def test_a_source_needing_a_token_is_harvested_with_it(harvest, portal):
    # Attack: none; a portal that refuses requests without the token.
    guarded(portal, TOKEN)
    source = harvest.source(portal.url, {"municipality_code": SAPPORO, "api_key": TOKEN})
    assert harvest.run(source)["counters"]["created"] == 2
    assert {authorization(r) for r in portal.requests} == {TOKEN}


# -- API output -----------------------------------------------------------------

@pytest.mark.parametrize("private", [False, True], ids=["public source", "private source"])
@pytest.mark.parametrize("role", ROLES)
def test_no_api_output_shows_the_token(harvest, people, role, private):
    # Attack: read the token back through every action that returns a
    # source: harvest_source_show, package_show, package_search (harvest
    # datasets asked for explicitly), harvest_source_list (which in
    # ckanext-harvest lists every source with its raw config to anonymous
    # users) and the source's activity stream.
    source = harvest.source("http://127.0.0.1:9/portal", {"municipality_code": SAPPORO, "api_key": TOKEN})
    if private:
        call_action("package_patch", context={"user": harvest.user["name"]}, id=source["id"], private=True)
    user = people["names"][role]
    may_read = not private or role in ("editor", "sysadmin")
    outputs = []
    for action, data in (("harvest_source_show", {"id": source["id"]}), ("package_show", {"id": source["id"]}),
                         ("package_activity_list", {"id": source["id"]}),
                         ("package_show", {"id": source["id"], "use_default_schema": True})):
        if may_read:
            outputs.append(call_action(action, context=as_(user), **data))
        else:
            with pytest.raises(toolkit.NotAuthorized):
                call_action(action, context=as_(user), **data)
    found = call_action("package_search", context=as_(user), fq="+dataset_type:harvest", include_private=True)
    listed = call_action("harvest_source_list", context=as_(user))
    outputs += [found, listed]
    text = json.dumps(outputs, ensure_ascii=False)
    assert TOKEN not in text
    # what may be read is there, with the token masked, not dropped
    if may_read:
        assert shown_config(outputs[0]) == {"municipality_code": SAPPORO, "api_key": MASK}
        assert [shown_config(d) for d in found["results"]] == [{"municipality_code": SAPPORO, "api_key": MASK}]
        assert '\\"api_key\\": \\"********\\"' in json.dumps(outputs[2], ensure_ascii=False)  # activity data
        extras = {e["key"]: e["value"] for e in outputs[3]["extras"]}  # the config as a plain extra
        assert json.loads(extras["config"]) == {"municipality_code": SAPPORO, "api_key": MASK}
    else:
        assert found["results"] == [] and source["id"] not in text
    # ckanext-harvest lists sources by publisher: for anyone but a sysadmin or
    # an anonymous caller its list is empty, private or not
    if role in ("anonymous", "sysadmin") and may_read:
        assert [shown_config(s) for s in listed] == [{"municipality_code": SAPPORO, "api_key": MASK}]
    else:
        assert listed == []
    assert stored_config(source["id"])["api_key"] == TOKEN


def test_the_search_index_holds_no_token(harvest):
    # Attack: search for the token, and read Solr's stored documents (the
    # indexed data_dict, validated_data_dict and extras) directly.
    source = harvest.source("http://127.0.0.1:9/portal", {"municipality_code": SAPPORO, "api_key": TOKEN})
    call_action("harvest_source_reindex", context={"user": harvest.user["name"]}, id=source["id"])
    sysadmin = {"user": harvest.user["name"]}
    for q in (TOKEN, f'"{TOKEN}"', "hokkaido-secret"):
        found = call_action("package_search", context=sysadmin, q=q, fq="+dataset_type:harvest",
                            include_private=True)
        assert found["count"] == 0, q
    # the same search finds the source by a word of its config that is no secret
    assert call_action("package_search", context=sysadmin, q=source["name"], fq="+dataset_type:harvest")["count"] == 1
    raw = requests.get(toolkit.config["solr_url"].rstrip("/") + "/select",
                       params={"q": f'name:"{source["name"]}"', "fl": "*", "wt": "json"}, timeout=30).text
    assert source["id"] in raw and "api_key" in raw
    assert TOKEN not in raw


# -- pages and the edit form ----------------------------------------------------------

def form_config(page: str) -> str:
    match = re.search(r'<textarea[^>]*id="field-config"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert match, "no config field on the page"
    return html.unescape(match.group(1))


def form_fields(source: dict, config: str, **changes) -> dict:
    return {"url": source["url"], "title": source["title"], "name": source["name"], "notes": "",
            "source_type": source["source_type"], "frequency": "MANUAL", "config": config,
            "owner_org": source["owner_org"], "save": "", **changes}


def test_pages_and_the_edit_form_never_show_the_token(app, harvest, people):
    # Attack: open the source's page and its edit form as each kind of user;
    # save the form with the masked token (must keep the token, not store
    # the mask); save it with an error (the form comes back: must not hold
    # the stored token); move the URL to another host keeping the mask (an
    # editor must not be able to send a token they cannot read elsewhere).
    source = harvest.source("http://127.0.0.1:9/portal", {"municipality_code": SAPPORO, "api_key": TOKEN})
    for role in ROLES:
        headers = {"Authorization": people["tokens"][role]} if role != "anonymous" else {}
        page = app.get(f"/harvest/{source['name']}", headers=headers)
        assert page.status_code == 200 and source["title"] in page.body
        assert TOKEN not in page.body, role
    editor = {"Authorization": people["tokens"]["editor"]}
    for who in (editor, {"Authorization": people["tokens"]["sysadmin"]}):
        form = app.get(f"/harvest/edit/{source['name']}", headers=who)
        assert form.status_code == 200 and TOKEN not in form.body
        assert json.loads(form_config(form.body)) == {"municipality_code": SAPPORO, "api_key": MASK}
    masked = form_config(form.body)

    saved = app.post(f"/harvest/edit/{source['name']}", headers=editor,
                     data=form_fields(source, masked, title="札幌市 CKAN（更新）"))
    assert saved.status_code == 200 and TOKEN not in saved.body
    model.Session.rollback()
    assert HarvestSource.get(source["id"]).title == "札幌市 CKAN（更新）"
    assert stored_config(source["id"]) == {"municipality_code": SAPPORO, "api_key": TOKEN}

    bad = json.dumps({"municipality_code": "999999", "api_key": MASK})
    refused = app.post(f"/harvest/edit/{source['name']}", headers=editor, data=form_fields(source, bad))
    assert "999999 は検査数字付き6桁の自治体コードではありません" in html.unescape(refused.body).replace("'", "")
    assert json.loads(form_config(refused.body)) == {"municipality_code": "999999", "api_key": MASK}
    assert TOKEN not in refused.body

    moved = app.post(f"/harvest/edit/{source['name']}", headers=editor,
                     data=form_fields(source, masked, url="http://collector.example.org/api"))
    assert "トークンをもう一度入力してください" in html.unescape(moved.body)
    assert TOKEN not in moved.body
    model.Session.rollback()
    assert HarvestSource.get(source["id"]).url == source["url"]
    assert stored_config(source["id"])["api_key"] == TOKEN


def test_api_edits_keep_replace_or_remove_the_token(harvest):
    # Attack: patch other settings through the API (package_patch reads the
    # masked config and writes it back); move the URL with the mask; store
    # the mask itself as a new source's token.
    context = lambda: {"user": harvest.user["name"]}
    source = harvest.source("http://127.0.0.1:9/portal", {"municipality_code": SAPPORO, "api_key": TOKEN})
    call_action("harvest_source_patch", context=context(), id=source["id"], title="改名")
    call_action("package_patch", context=context(), id=source["id"], notes="説明")
    assert stored_config(source["id"])["api_key"] == TOKEN

    with pytest.raises(toolkit.ValidationError) as moved:
        call_action("harvest_source_patch", context=context(), id=source["id"],
                    url="http://collector.example.org/api")
    assert "enter the token again" in str(moved.value.error_dict) and TOKEN not in str(moved.value.error_dict)
    assert HarvestSource.get(source["id"]).url == source["url"]

    # a new host with a token entered for it
    call_action("harvest_source_patch", context=context(), id=source["id"], url="http://127.0.0.2:9/portal",
                config=json.dumps({"municipality_code": SAPPORO, "api_key": WRONG}))
    assert stored_config(source["id"])["api_key"] == WRONG
    # removing the key removes the token
    call_action("harvest_source_patch", context=context(), id=source["id"],
                config=json.dumps({"municipality_code": SAPPORO}))
    assert "api_key" not in stored_config(source["id"])

    with pytest.raises(toolkit.ValidationError) as masked:
        harvest.source("http://127.0.0.1:9/other", {"municipality_code": SAPPORO, "api_key": MASK})
    assert "enter the token itself" in str(masked.value.error_dict)
    with pytest.raises(toolkit.ValidationError):
        harvest.source("http://127.0.0.1:9/short", {"municipality_code": SAPPORO, "api_key": "abc"})


# -- reports, logs, summaries ----------------------------------------------------

def test_a_rejected_token_is_in_no_report_log_or_page(harvest, portal, people, app, caplog, monkeypatch):
    # Attack: the source refuses the token with a 403 whose message quotes
    # it back; the error must reach the reports (HTTP 403) without it, and
    # nothing logged at DEBUG while the source is created and run holds it.
    guarded(portal, TOKEN)
    # the test database's migrations ran logging.fileConfig, which disables
    # the loggers that existed then; a real process logs through all of them
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and logger.disabled:
            monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.DEBUG)
    source = harvest.source(portal.url, {"municipality_code": SAPPORO, "api_key": WRONG})
    report = harvest.run(source)

    assert {authorization(r) for r in portal.requests} == {WRONG}
    (error,) = report["errors"]
    assert "HTTP 403" in error["message"] and "Access denied: API token" in error["detail"]
    sysadmin = {"user": harvest.user["name"]}
    outputs = [
        report,
        call_action("harvest_job_report", context=sysadmin, id=report["job_id"]),
        call_action("harvest_source_show_status", context=as_(""), id=source["id"]),
        call_action("hokkaido_municipality_show", context=as_(""), id=SAPPORO),
    ]
    text = json.dumps(outputs, ensure_ascii=False)
    assert "HTTP 403" in text and WRONG not in text
    assert outputs[3]["sources"][0]["last_run"]["errors"]
    for url, headers in ((f"/municipalities/{SAPPORO}", {"Authorization": people["tokens"]["sysadmin"]}),
                         (f"/harvest/{source['name']}/job/{report['job_id']}",
                          {"Authorization": people["tokens"]["sysadmin"]})):
        page = app.get(url, headers=headers)
        assert page.status_code == 200 and "HTTP 403" in page.body, url
        assert WRONG not in page.body, url
    # a resident reads the failure in plain words (issue 29), the token never
    resident = app.get(f"/municipalities/{SAPPORO}").body
    assert "前回" in resident and "HTTP 403" not in resident and WRONG not in resident
    logged = caplog.text
    # ckanext-harvest logs the whole data dict of a new source: masked
    assert "Creating harvest source" in logged and '"api_key": "********"' in logged
    assert "403" in logged
    assert WRONG not in logged


@pytest.mark.usefixtures("with_extended_cli")
@pytest.mark.ckan_config("smtp.server", f"127.0.0.1:{SMTP_PORT}")
@pytest.mark.ckan_config("smtp.mail_from", "harvest@portal.example")
@pytest.mark.ckan_config("ckanext.hokkaido.harvest.mail_to", "ops@example.org")
def test_the_nightly_summary_and_mail_do_not_show_the_token(cli, harvest, portal, inbox, tmp_path):
    # Attack: the same echoing 403 in the nightly run, whose summary goes to
    # stdout, a file and a mail.
    guarded(portal, TOKEN)
    harvest.source(portal.url, {"municipality_code": SAPPORO, "api_key": WRONG}, title="札幌市 CKAN")
    summary = tmp_path / "summary.txt"

    result = run_nightly(cli, "--all", "--force", "--mail", "--summary-file", str(summary))

    assert result.exit_code == 1, result.all_output
    (_, raw), = inbox.messages
    _, _, body = decoded(raw)
    for text in (result.all_output, summary.read_text(encoding="utf-8"), body):
        assert "FAILED" in text and "HTTP 403" in text
        assert WRONG not in text


# -- the probe ----------------------------------------------------------------------

def probe(cli, *args, env=None):
    from ckan.cli.cli import ckan
    
    runner = cli_runner({**cli.env, **(env or {})})
    result = runner.invoke(ckan, ["hokkaido", "probe", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result, result.stdout + result.stderr


@pytest.mark.usefixtures("with_extended_cli", "clean_db", "clean_index")
def test_the_probe_uses_the_token_and_never_prints_it(cli, portal):
    # Attack: probe and register a portal that needs a token, given in an
    # environment variable; then a wrong token, quoted back in the 403.
    guarded(portal, TOKEN)
    portal.respond("/", text_response("<html><body><h1>オープンデータ</h1></body></html>",
                                      content_type="text/html; charset=utf-8"))
    factories.Organization(name=SAPPORO, title="札幌市")

    result, output = probe(cli, portal.url, "--municipality", SAPPORO, "--register",
                           "--api-key-env", "PORTAL_TOKEN", env={"PORTAL_TOKEN": TOKEN})
    assert result.exit_code == 0, output
    assert "ckan" in output and "registered harvest source 011002-ckan" in output
    assert '"api_key": "********"' in output
    assert TOKEN not in output
    assert TOKEN in {authorization(r) for r in portal.requests}
    model.Session.rollback()
    source = HarvestSource.get(model.Package.get("011002-ckan").id)
    assert json.loads(source.config)["api_key"] == TOKEN

    result, output = probe(cli, portal.url, "--api-key-env", "PORTAL_TOKEN", env={"PORTAL_TOKEN": WRONG})
    assert result.exit_code == 1, output
    assert WRONG not in output

    result, output = probe(cli, portal.url, "--api-key-env", "UNSET_TOKEN_VARIABLE")
    assert result.exit_code == 2 and "UNSET_TOKEN_VARIABLE" in output
