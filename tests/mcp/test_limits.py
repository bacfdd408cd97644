"""The MCP server's limits and its write switch, in-process through the
SDK's client (issue 31, 3): a client over its calls a minute is refused in
Japanese and English until the next minute; an answer over the byte cap
loses rows from its end and says so; write tools do not exist unless the
setting is on, and then only a logged-in user may write."""
from __future__ import annotations

import asyncio
import json

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from mcp import Client

from ckanext.hokkaido.mcp import caller, server, tools

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")]


@pytest.fixture
def in_portal(app):
    caller.use_app(app.flask_app)
    yield
    caller.use_app(None)
    server._TOKENS.clear()


def calls(mcp_server, *named):
    async def go():
        async with Client(mcp_server) as client:
            out = []
            for name, arguments in named:
                result = await client.call_tool(name, arguments)
                out.append(result.content[0].text if result.is_error else json.loads(result.content[0].text))
            return out
    return asyncio.run(go())


@pytest.mark.ckan_config("ckanext.hokkaido.mcp.rate_limit", 3)
def test_a_client_over_its_calls_a_minute_is_refused(in_portal):
    from ckan.lib.redis import connect_to_redis
    for key in connect_to_redis().scan_iter("hokkaido:mcp:rate:*"):
        connect_to_redis().delete(key)
    answers = calls(server.build(), *[("list_standard_datasets", {})] * 5)
    assert [isinstance(a, dict) for a in answers] == [True, True, True, False, False]
    assert "呼び出しが多すぎます" in answers[3] and "too many calls (at most 3 a minute)" in answers[3]


@pytest.mark.ckan_config("ckanext.hokkaido.mcp.max_bytes", 2000)
def test_an_answer_over_the_byte_cap_loses_rows_and_says_so(in_portal):
    rows = [[f"行{n}", "x" * 50] for n in range(100)]
    cut = tools.capped({"columns": ["a", "b"], "rows": rows})
    assert cut["truncated"] and 0 < len(cut["rows"]) < 100 and cut["rows"] == rows[:len(cut["rows"])]
    assert len(json.dumps(cut, ensure_ascii=False).encode()) <= 2000 + 200
    assert "切り詰めました" in cut["note"] and "cut to" in cut["note"]
    small = {"rows": rows[:2]}
    assert tools.capped(small) is small


def test_no_write_tool_unless_the_setting_is_on(in_portal):
    async def names():
        async with Client(server.build()) as client:
            return {t.name for t in (await client.list_tools()).tools}
    assert "create_data_request" not in asyncio.run(names())


@pytest.mark.ckan_config("ckanext.hokkaido.mcp.write_tools", True)
def test_with_the_setting_on_only_a_user_may_write(in_portal):
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    call_action("organization_create", context=site, name="011002", title="札幌市")
    user = factories.User(name="resident")
    token = call_action("api_token_create", context={"user": user["name"]}, user=user["name"], name="t")["token"]
    wanted = {"title": "除雪車の位置", "description": "除雪車のGPS位置を毎時", "organization": "札幌市"}
    anonymous = calls(server.build(), ("create_data_request", wanted))[0]
    assert "ログインした利用者" in anonymous and "logged-in user" in anonymous
    made = calls(server.build(stdio_token=token), ("create_data_request", wanted))[0]
    assert made["title"] == "除雪車の位置" and made["link"].endswith(f"/datarequests/{made['id']}")
    assert call_action("hokkaido_data_request_show", id=made["id"])["organization_name"] == "011002"


@pytest.mark.ckan_config("ckanext.hokkaido.mcp.cache_seconds", 60)
def test_anonymous_answers_are_reused_for_a_minute_and_never_a_users(in_portal):
    from ckan.lib.redis import connect_to_redis
    redis = connect_to_redis()
    for key in redis.scan_iter("hokkaido:mcp:answer:*"):
        redis.delete(key)
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    call_action("organization_create", context=dict(site), name="011002", title="札幌市")
    user = factories.User(name="analyst")
    token = call_action("api_token_create", context={"user": user["name"]}, user=user["name"], name="t")["token"]
    call_action("package_create", context=dict(site), name="first", title="避難所一覧", owner_org="011002")
    search = ("search_datasets", {"query": "避難所"})
    assert calls(server.build(), search)[0]["count"] == 1
    call_action("package_create", context=dict(site), name="second", title="避難所一覧 2", owner_org="011002")
    # the same anonymous call within the minute: the answer given before
    assert calls(server.build(), search)[0]["count"] == 1
    assert all(0 < redis.ttl(key) <= 60 for key in redis.scan_iter("hokkaido:mcp:answer:*"))
    # another call, or a token's user: answered afresh
    assert calls(server.build(), ("search_datasets", {"query": "避難所", "rows": 5}))[0]["count"] == 2
    assert calls(server.build(stdio_token=token), search)[0]["count"] == 2
    # a refusal is not remembered
    assert "見つからないか" in calls(server.build(), ("get_dataset", {"dataset": "third"}))[0]
    call_action("package_create", context=dict(site), name="third", title="三番目", owner_org="011002")
    assert calls(server.build(), ("get_dataset", {"dataset": "third"}))[0]["name"] == "third"
