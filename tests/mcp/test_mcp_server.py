"""The MCP server with the official SDK's own client, over Streamable HTTP
and stdio, against the running portal (issue 31, 1-4).

``ckan hokkaido mcp --http`` runs as its own process on the test database
(as in production behind nginx); the client lists the tools, calls each
one, reads the resources and the prompts. Rights: a private dataset of
011002 and its table are invisible without a token (a search does not list
them; asking for them gets the same answer as for one that does not
exist) and visible with its editor's token, over HTTP and stdio. Bad input
tried: an unknown column to group by, an unknown aggregate, a limit that is
not a number, a limit of 100,000 (capped at 500 rows), a token that is not
valid (refused, not treated as anonymous; the stdio server will not start
with it), a Host header of another site (DNS rebinding). 20 concurrent
sessions run without an error."""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time

import pytest
import requests
from ckan.tests import factories
from ckan.tests.helpers import call_action
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from ckanext.hokkaido.tables.load import load_resource
from tests.browser import ROOT, ckan_server  # noqa: F401
from tests.fakes.portal_server import PortalResponse, PortalServer
from tests.fakes.source_ckan import free_port

SAPPORO, HAKODATE = "011002", "012025"
CHILDCARE = ("名称,住所,緯度,経度,定員\n" + "".join(
    f"保育園{n},札幌市中央区{n}丁目,{43.05 + n / 10000:.4f},{141.35 + n / 10000:.4f},{30 + n % 50}\n"
    for n in range(700))).encode("utf-8")
AED = ("名称,住所,緯度,経度\n札幌市役所,札幌市中央区北1条西2丁目,43.0621,141.3544\n"
       "大通公園,札幌市中央区大通西7丁目,43.0594,141.3477\n"
       "手稲区役所,札幌市手稲区前田1条11丁目,43.1220,141.2440\n").encode("utf-8")
HAKODATE_AED = "名称,住所,緯度,経度\n函館市役所,函館市東雲町4-13,41.7687,140.7290\n".encode("utf-8")
SECRET = "名称,金額\n非公開の工事,123456789\n".encode("utf-8")


@pytest.fixture(scope="module")
def portal(ckan_server):
    with PortalServer() as files:
        site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
        editor = factories.User(name="mcp-editor", password="Hokkaido-editor-1")
        call_action("organization_create", context=dict(site), name=SAPPORO, title="札幌市",
                    users=[{"name": editor["name"], "capacity": "editor"}])
        call_action("organization_create", context=dict(site), name=HAKODATE, title="函館市")
        for path, body in (("/childcare.csv", CHILDCARE), ("/aed.csv", AED), ("/hakodate-aed.csv", HAKODATE_AED),
                           ("/secret.csv", SECRET)):
            files.respond(path, PortalResponse(200, body, {"Content-Type": "text/csv"}))
        made = {}
        for name, org, path, extra in (
                ("sapporo-childcare", SAPPORO, "/childcare.csv", {"standard_dataset": "05", "title": "保育施設一覧"}),
                ("sapporo-aed", SAPPORO, "/aed.csv", {"standard_dataset": "08", "title": "AED設置箇所一覧"}),
                ("hakodate-aed", HAKODATE, "/hakodate-aed.csv", {"standard_dataset": "08", "title": "AED設置箇所一覧"}),
                ("sapporo-secret", SAPPORO, "/secret.csv", {"private": True, "title": "非公開の工事一覧"})):
            dataset = call_action("package_create", context=dict(site), name=name, owner_org=org,
                                  resources=[{"url": files.url + path, "format": "CSV", "name": "一覧"}], **extra)
            made[name] = dataset["resources"][0]["id"]
            assert load_resource(made[name]) == "loaded", name
        call_action("hokkaido_data_request_create", context={"user": editor["name"]}, title="除雪車の位置",
                    description="除雪車のGPS位置", organization=SAPPORO)
        call_action("hokkaido_use_case_create", context={"user": editor["name"]}, name="hoiku-map",
                    title="保育園マップ", description="保育施設を地図に", url="https://example.jp/map",
                    datasets=["sapporo-childcare"])
        token = call_action("api_token_create", context={"user": editor["name"]}, user=editor["name"],
                            name="mcp")["token"]
        yield {"resources": made, "token": token}


@pytest.fixture(scope="module")
def mcp_url(request, portal):
    port = free_port()
    log = open(os.path.join(ROOT, "var", "run", "test-mcp-server.log"), "w")
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    proc = subprocess.Popen([ckan, "-c", os.path.abspath(request.config.getoption("ckan_ini")), "hokkaido", "mcp",
                             "--http", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail(f"the MCP server did not start; see {log.name}")
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=20)
    log.close()


def http(url: str, token: str = "") -> Client:
    headers = {"Authorization": token} if token else {}
    return Client(streamable_http_client(url, http_client=create_mcp_http_client(headers=headers)))


async def call(client: Client, tool: str, **arguments) -> dict:
    result = await client.call_tool(tool, arguments)
    text = result.content[0].text
    if result.is_error:
        return {"error": text}
    return json.loads(text)


def run(coroutine):
    return asyncio.run(coroutine)


def test_tools_are_described_in_japanese_and_english_and_only_read(mcp_url):
    async def go():
        async with http(mcp_url) as client:
            return (await client.list_tools()).tools
    tools = run(go())
    names = {t.name for t in tools}
    assert names == {"search_datasets", "get_dataset", "municipality_status", "describe_table", "query_table",
                     "list_standard_datasets", "query_standard_dataset", "nearest_standard_points",
                     "list_data_requests", "list_use_cases"}
    for t in tools:
        first, second = t.description.split("\n", 1)
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in first), t.name
        assert second.isascii() or "(" in second, t.name
        assert t.annotations.read_only_hint is True, t.name
        for name, schema in t.input_schema["properties"].items():
            assert schema.get("description"), f"{t.name}.{name}"


def test_each_tool_answers_with_links_to_the_portal(mcp_url, portal):
    table = portal["resources"]["sapporo-childcare"]

    async def go():
        async with http(mcp_url) as client:
            return {
                "search": await call(client, "search_datasets", query="保育", municipality="札幌市"),
                "dataset": await call(client, "get_dataset", dataset="sapporo-childcare"),
                "one": await call(client, "municipality_status", municipality="札幌"),
                "all": await call(client, "municipality_status"),
                "describe": await call(client, "describe_table", resource_id=table),
                "rows": await call(client, "query_table", resource_id=table, q="保育園12", limit=5),
                "sum": await call(client, "query_table", resource_id=table,
                                  aggregates=[{"op": "count"}, {"op": "sum", "column": "定員"},
                                              {"op": "mean", "column": "定員"}]),
                "standard": await call(client, "list_standard_datasets"),
                "per_town": await call(client, "query_standard_dataset", standard_dataset="AED",
                                       group_by=["municipality_code"]),
                "near": await call(client, "nearest_standard_points", standard_dataset="08",
                                   lat=43.0621, lng=141.3544, radius_m=5000),
                "requests": await call(client, "list_data_requests"),
                "use_cases": await call(client, "list_use_cases"),
            }
    got = run(go())
    errors = {k: v["error"] for k, v in got.items() if "error" in v}
    assert errors == {}
    site = "http://"
    for key, value in got.items():
        assert value["link"].startswith(site), key
    assert [r["name"] for r in got["search"]["results"]] == ["sapporo-childcare"]
    assert got["dataset"]["resources"][0]["table"]["rows"] == 700
    assert got["one"]["code"] == SAPPORO and got["one"]["link"].endswith("/municipalities/011002")
    assert len(got["all"]["municipalities"]) == 179 and got["all"]["by_subprefecture"]
    assert {c["name"] for c in got["describe"]["columns"]} >= {"名称", "定員"}
    assert got["rows"]["total"] >= 1 and all("保育園12" in r[0] for r in got["rows"]["rows"])
    expected = sum(30 + n % 50 for n in range(700))
    assert got["sum"]["rows"] == [[700, expected, round(expected / 700, 6)]]
    aed = next(d for d in got["standard"]["standard_datasets"] if d["no"] == "08")
    assert aed["municipalities"] == 2 and aed["rows"] == 4
    assert got["per_town"]["rows"] == [[SAPPORO, 3], [HAKODATE, 1]]
    assert got["per_town"]["municipality_names"] == {SAPPORO: "札幌市", HAKODATE: "函館市"}
    assert got["requests"]["results"][0]["title"] == "除雪車の位置"
    assert got["use_cases"]["results"][0]["link"].endswith("/usecases/hoiku-map")
    near = [(r["名称"], round(r["distance_m"])) for r in got["near"]["results"]]
    assert near[0] == ("札幌市役所", 0) and len(near) == 2   # 手稲区役所 is ~10 km away


def test_private_data_needs_its_users_token(mcp_url, portal):
    secret = portal["resources"]["sapporo-secret"]

    async def go(token):
        async with http(mcp_url, token) as client:
            return (await call(client, "search_datasets", query="工事"),
                    await call(client, "get_dataset", dataset="sapporo-secret"),
                    await call(client, "get_dataset", dataset="no-such-dataset"),
                    await call(client, "query_table", resource_id=secret),
                    await call(client, "query_table", resource_id=secret, aggregates=[{"op": "sum", "column": "金額"}]))
    search, shown, missing, rows, total = run(go(""))
    assert search["count"] == 0
    assert shown["error"] == missing["error"] and "見つからないか" in shown["error"] and "not found" in shown["error"]
    assert "error" in rows and "error" in total and "123456789" not in json.dumps([rows, total])
    search, shown, _missing, rows, total = run(go(portal["token"]))
    assert [r["name"] for r in search["results"]] == ["sapporo-secret"] and search["results"][0]["private"]
    assert shown["title"] == "非公開の工事一覧" and rows["rows"] == [["非公開の工事", 123456789]]
    assert total["rows"] == [[123456789]]


def test_bad_calls_get_clear_errors_and_limits_hold(mcp_url, portal):
    table = portal["resources"]["sapporo-childcare"]

    async def go():
        async with http(mcp_url) as client:
            return (await call(client, "query_table", resource_id=table, group_by=["人口"]),
                    await call(client, "query_table", resource_id=table, aggregates=[{"op": "median", "column": "定員"}]),
                    await client.call_tool("query_table", {"resource_id": table, "limit": "many"}),
                    await call(client, "query_table", resource_id=table, limit=100000),
                    await call(client, "query_standard_dataset", standard_dataset="ゴミ"),
                    await call(client, "search_datasets", municipality="東京都"))
    column, op, malformed, huge, standard, town = run(go())
    assert "列がこの表にありません: 人口" in column["error"] and "no such column" in column["error"]
    assert "集計の種類" in op["error"] and "unknown aggregate" in op["error"]
    assert malformed.is_error
    assert len(huge["rows"]) == 500 and huge["truncated"] and huge["total"] == 700
    assert "標準データセットではありません" in standard["error"]
    assert "北海道の市町村ではありません" in town["error"] and "not a municipality" in town["error"]

    async def bad_token():
        async with http(mcp_url, "not-a-token") as client:
            return await call(client, "search_datasets")
    assert "API トークンが無効です" in run(bad_token())["error"]
    # another site's Host header (DNS rebinding) is refused before any tool runs
    answer = requests.post(mcp_url, headers={"Host": "evil.example", "Content-Type": "application/json",
                                             "Accept": "application/json, text/event-stream"},
                           data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}), timeout=10)
    assert answer.status_code in (400, 421)


def test_resources_and_prompts(mcp_url, portal):
    async def go():
        async with http(mcp_url) as client:
            templates = (await client.list_resource_templates()).resource_templates
            dataset = await client.read_resource("hokkaido://dataset/sapporo-childcare")
            schema = await client.read_resource(
                f"hokkaido://table/{portal['resources']['sapporo-childcare']}/schema")
            prompts = (await client.list_prompts()).prompts
            text = await client.get_prompt("analyse_standard_dataset", {"standard_dataset": "05"})
            return templates, dataset, schema, prompts, text
    templates, dataset, schema, prompts, text = run(go())
    assert {t.uri_template for t in templates} == {"hokkaido://dataset/{name}",
                                                   "hokkaido://table/{resource_id}/schema"}
    assert json.loads(dataset.contents[0].text)["name"] == "sapporo-childcare"
    assert json.loads(schema.contents[0].text)["rows"] == 700
    assert {p.name for p in prompts} >= {"compare_publishing", "analyse_standard_dataset", "summarise_table"}
    assert "標準データセット「05」" in text.messages[0].content.text


def test_twenty_concurrent_sessions(mcp_url, portal):
    table = portal["resources"]["sapporo-childcare"]

    async def one(n):
        async with http(mcp_url) as client:
            found = await call(client, "search_datasets", query="保育")
            rows = await call(client, "query_table", resource_id=table, filters={"名称": f"保育園{n}"})
            return found, rows

    async def go():
        return await asyncio.gather(*(one(n) for n in range(20)))
    answers = run(go())
    assert [e for pair in answers for e in pair if "error" in e] == []
    assert [b["rows"][0][0] for _a, b in answers] == [f"保育園{n}" for n in range(20)]


def test_stdio_acts_as_the_configured_token_user(request, portal):
    ini = os.path.abspath(request.config.getoption("ckan_ini"))
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")

    async def go(env):
        params = StdioServerParameters(command=ckan, args=["-c", ini, "hokkaido", "mcp"], cwd=ROOT, env=env)
        async with Client(params) as client:
            return await call(client, "search_datasets", query="工事")
    assert run(go({}))["count"] == 0
    assert [r["name"] for r in run(go({"CKAN_API_TOKEN": portal["token"]}))["results"]] == ["sapporo-secret"]
    refused = subprocess.run([ckan, "-c", ini, "hokkaido", "mcp"], env={**os.environ, "CKAN_API_TOKEN": "nope"},
                             capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, cwd=ROOT)
    assert refused.returncode == 2 and "API トークンが無効です" in refused.stderr


def test_the_example_script_makes_the_ai_pages_calls(mcp_url, portal):
    from ckanext.hokkaido.mcp.views import EXAMPLES
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import mcp_analyst
    finally:
        sys.path.pop(0)
    assert [(q, tool, args) for q, tool, args in mcp_analyst.QUESTIONS] == \
        [(e["ja"], e["tool"], e["arguments"]) for e in EXAMPLES]
    done = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "mcp_analyst.py"), mcp_url],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "札幌市役所: 0 m" in done.stdout and "大通公園: 622 m" in done.stdout
    assert "札幌市: 700" in done.stdout   # the childcare table merged into 05, counted per municipality
    assert "道全体 / all:" in done.stdout and "出典 / source: http" in done.stdout
