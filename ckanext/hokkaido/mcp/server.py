"""The MCP server: tools, resources and prompts, described in Japanese
first and English, over the functions of :mod:`.tools`.

Every tool: who calls (:func:`caller_of`: the token's owner, or anonymous),
the rate limit, then the work inside the portal with that caller's rights
(:func:`.caller.run_as`). Read-only tools only, unless
``ckanext.hokkaido.mcp.write_tools`` is on; then ``create_data_request``
too, which CKAN lets only a logged-in user do.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from typing import Annotated, Any, Callable, Optional
from urllib.parse import urlsplit

from ckan.plugins import toolkit
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import ToolAnnotations
from pydantic import Field

from ckanext.hokkaido.mcp import tools
from ckanext.hokkaido.mcp.caller import Caller, ToolRefused, caller_for_token, check_rate, refuse, run_as

__all__ = ["build", "caller_of", "http_app", "asgi_app"]

log = logging.getLogger(__name__)

INSTRUCTIONS = """北海道オープンデータポータル（道と179市町村のデータ）のツールです。
日本語で検索でき（ひらがな・カタカナ・漢字）、表（DataStore）の中身を絞り込み・集計でき、
自治体標準オープンデータセットは道内全体で1つの表に統合されています。結果の link はポータルの該当ページです。回答には link を添えてください。
Tools of the Hokkaido open-data portal (the prefecture's and its 179 municipalities' data): Japanese search,
queries and aggregations inside tables, the standard datasets merged across Hokkaido. Every result carries
`link`, the portal page it came from: cite it."""

READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)

Municipality = Annotated[str, Field(description="市町村のコード（011002）または名前（札幌市）。空なら全体 / "
                                                "a municipality's code (011002) or name (札幌市); empty: all")]
Standard = Annotated[str, Field(description="標準データセットの番号か名前（08 / AED設置箇所一覧）/ "
                                            "a standard dataset's number or name (08, AED設置箇所一覧)")]
Limit = Annotated[int, Field(description="最大件数（上限あり）/ how many at most (capped)")]
Filters = Annotated[Optional[dict[str, Any]], Field(
    description="列名→値（値のリストも可）の完全一致 / column → value (or list of values), exact match")]
GroupBy = Annotated[Optional[list[str]], Field(description="集計のグループ列 / columns to group by")]
Aggregates = Annotated[Optional[list[dict[str, str]]], Field(
    description='集計: [{"op": "count|sum|mean|min|max", "column": "列名"}]（count は列なしで行数）/ '
                'aggregates: op and column; count without a column counts rows')]

_TOKENS: dict[str, tuple[Caller, float]] = {}
_TOKEN_SECONDS = 60


def caller_of(ctx: Optional[Context], stdio_token: Optional[str]) -> Caller:
    """The caller of this request: over HTTP the ``Authorization`` header's
    token, over stdio the configured one; remembered for a minute."""
    headers = ctx.headers if ctx is not None else None
    if headers is None:
        token, address = stdio_token, "stdio"
    else:
        token = headers.get("authorization") or ""
        request = ctx.request_context.request
        address = getattr(getattr(request, "client", None), "host", "") or ""
    if not token:
        return Caller("", f"address:{address}")
    key = hashlib.sha256(token.encode()).hexdigest()
    known = _TOKENS.get(key)
    if known and known[1] > time.monotonic():
        return known[0]
    caller = caller_for_token(token, address)
    _TOKENS[key] = (caller, time.monotonic() + _TOKEN_SECONDS)
    return caller


def build(stdio_token: Optional[str] = None) -> MCPServer:
    """The portal's MCP server (``stdio_token``: the stdio client's secret)."""
    server = MCPServer(
        name="hokkaido-open-data", title="北海道オープンデータ / Hokkaido open data",
        instructions=INSTRUCTIONS, website_url=toolkit.config.get("ckan.site_url"), version="1")

    def work(ctx: Optional[Context], name: str, fn: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        started = time.monotonic()
        caller = Caller("", "unknown")
        try:
            caller = caller_of(ctx, stdio_token)
            check_rate(caller)
            cached, key = _cached(caller, name, kwargs)
            if cached is not None:
                log.info("mcp %s by %s: cached", name, caller.client)
                return cached
            result = run_as(caller, lambda context: fn(context, **kwargs))
            _remember(key, result)
            log.info("mcp %s by %s: ok in %.0f ms", name, caller.client, (time.monotonic() - started) * 1000)
            return result
        except ToolRefused as refused:
            log.info("mcp %s by %s: refused (%s)", name, caller.client, refused.en)
            raise

    def tool(name: str, description: str, writes: bool = False) -> Callable:
        annotations = None if writes else READ_ONLY
        return server.tool(name=name, description=description, annotations=annotations, structured_output=False)

    @tool("search_datasets",
          "データセットを日本語で検索します（ひらがな・カタカナ・読みでも可）。市町村、分類、標準データセット、"
          "ファイル形式、更新日数で絞り込めます。結果と件数の内訳（ファセット）を返します。\n"
          "Search datasets in Japanese (hiragana, katakana and readings work), filtered by municipality, "
          "category (分類), standard dataset, file format and freshness; returns results and facet counts.")
    def search_datasets(ctx: Context,
                        query: Annotated[str, Field(description="検索語 / words to search")] = "",
                        municipality: Municipality = "",
                        category: Annotated[str, Field(description="分類（財政、環境…）/ category")] = "",
                        standard_dataset: Annotated[str, Field(description="標準データセット / standard dataset")] = "",
                        file_format: Annotated[str, Field(description="CSV, XLSX, PDF …")] = "",
                        updated_within_days: Annotated[int, Field(description="この日数以内に更新 / updated "
                                                                              "within this many days (0: any)")] = 0,
                        sort: Annotated[str, Field(description="'' (関連順 relevance), newest, title")] = "",
                        rows: Limit = 10, start: Annotated[int, Field(description="開始位置 / offset")] = 0) -> str:
        return _json(work(ctx, "search_datasets", tools.search_datasets, query_text=query,
                          municipality=municipality, category=category, standard_dataset=standard_dataset,
                          file_format=file_format, updated_within_days=updated_within_days, sort=sort,
                          rows=rows, start=start))

    @tool("get_dataset",
          "データセット1件の説明、項目（市町村、分類、更新頻度…）とリソースを返します。表として読み込み済みの"
          "リソースには行数と列があります。\nShow one dataset: its fields and resources, and for each resource "
          "whether its table is loaded (rows, columns).")
    def get_dataset(ctx: Context, dataset: Annotated[str, Field(description="データセットの name か id / "
                                                                            "the dataset's name or id")]) -> str:
        return _json(work(ctx, "get_dataset", tools.get_dataset, dataset=dataset))

    @tool("municipality_status",
          "市町村のオープンデータ公開状況。市町村を指定するとその状態、データセット数、標準データセットの有無"
          "（公開・統合済み）、取得元を、指定しないと道全体と振興局別の公開率、179市町村の一覧、過去の推移を返します。\n"
          "Publishing status: for one municipality its status, counts, standard-dataset coverage (published, "
          "merged) and sources; for none, the prefecture's and each subprefecture's rate, the 179 rows and the history.")
    def municipality_status(ctx: Context, municipality: Municipality = "",
                            subprefecture: Annotated[str, Field(description="振興局（石狩振興局…）/ subprefecture")] = ""
                            ) -> str:
        return _json(work(ctx, "municipality_status", tools.municipality_status, municipality=municipality,
                          subprefecture=subprefecture))

    @tool("describe_table",
          "表（DataStore に読み込まれたリソース）の列、型と概要（件数、欠損、最小・最大・平均、頻出値）を返します。\n"
          "Describe a table: columns, types and the profile (count, missing, min/max/mean, top values).")
    def describe_table(ctx: Context, resource_id: Annotated[str, Field(description="リソース id / resource id")]
                       ) -> str:
        return _json(work(ctx, "describe_table", tools.describe_table, resource_id=resource_id))

    @tool("query_table",
          "表の行を取り出すか集計します。filters（完全一致）、q（値の一部を含む）、fields、sort、limit で行を、"
          "group_by と aggregates（count, sum, mean, min, max）で集計を返します。行数とバイト数に上限があります。\n"
          "Rows of a table (filters, q: any part of a value, fields, sort, limit) or an aggregation "
          "(group_by with count/sum/mean/min/max); rows and bytes are capped.")
    def query_table(ctx: Context, resource_id: Annotated[str, Field(description="リソース id / resource id")],
                    filters: Filters = None,
                    q: Annotated[str, Field(description="値の一部で検索 / part of any value")] = "",
                    fields: Annotated[Optional[list[str]], Field(description="返す列 / columns to return")] = None,
                    sort: Annotated[str, Field(description='例 "人口 desc" / e.g. "population desc"')] = "",
                    limit: Limit = 20, offset: Annotated[int, Field(description="開始位置 / offset")] = 0,
                    group_by: GroupBy = None, aggregates: Aggregates = None) -> str:
        return _json(work(ctx, "query_table", tools.query_table, resource_id=resource_id, filters=filters, q=q,
                          fields=fields, sort=sort, limit=limit, offset=offset, group_by=group_by,
                          aggregates=aggregates))

    @tool("list_standard_datasets",
          "道内全体で統合した自治体標準オープンデータセット（AED、避難場所、公共施設…）の一覧: 参加市町村数、行数、列。\n"
          "The standard datasets merged across Hokkaido: municipalities contributing, rows, columns.")
    def list_standard_datasets(ctx: Context) -> str:
        return _json(work(ctx, "list_standard_datasets", tools.list_standard_datasets))

    @tool("query_standard_dataset",
          "統合した標準データセットの表を絞り込み・集計します（全国の列名、municipality_code、出典の列付き）。"
          "例: 子育て施設の数を市町村別に → group_by=[\"municipality_code\"]。\n"
          "Query or aggregate a merged standard dataset (national columns plus municipality_code and the "
          "source); e.g. childcare facilities per municipality: group_by=[\"municipality_code\"].")
    def query_standard_dataset(ctx: Context, standard_dataset: Standard, municipality: Municipality = "",
                               filters: Filters = None,
                               q: Annotated[str, Field(description="値の一部で検索 / part of any value")] = "",
                               fields: Annotated[Optional[list[str]], Field(description="返す列 / columns")] = None,
                               limit: Limit = 20, offset: Annotated[int, Field(description="開始位置 / offset")] = 0,
                               group_by: GroupBy = None, aggregates: Aggregates = None) -> str:
        return _json(work(ctx, "query_standard_dataset", tools.query_standard_dataset,
                          standard_dataset=standard_dataset, municipality=municipality, filters=filters, q=q,
                          fields=fields, limit=limit, offset=offset, group_by=group_by, aggregates=aggregates))

    @tool("nearest_standard_points",
          "ある地点から近い順に、統合した標準データセットの行を距離（m）付きで返します。例: 札幌市役所から5km以内のAED。\n"
          "The rows of a merged standard dataset nearest a point, with their distance in metres "
          "(e.g. AEDs within 5 km of Sapporo city hall).")
    def nearest_standard_points(ctx: Context, standard_dataset: Standard,
                                lat: Annotated[float, Field(description="緯度 / latitude (WGS84)")],
                                lng: Annotated[float, Field(description="経度 / longitude (WGS84)")],
                                radius_m: Annotated[int, Field(description="半径 m（最大50000）/ radius in metres")] = 2000,
                                limit: Limit = 20) -> str:
        return _json(work(ctx, "nearest_standard_points", tools.nearest_standard_points,
                          standard_dataset=standard_dataset, lat=lat, lng=lng, radius_m=radius_m, limit=limit))

    @tool("list_data_requests",
          "データ公開リクエスト（住民が市町村や道に求めたデータ）と回答の一覧。\n"
          "Data requests (data residents asked for) and their answers.")
    def list_data_requests(ctx: Context, query: Annotated[str, Field(description="検索語 / words")] = "",
                           status: Annotated[str, Field(description="received, considering, published, refused")] = "",
                           limit: Limit = 20) -> str:
        return _json(work(ctx, "list_data_requests", tools.list_data_requests, query_text=query, status=status,
                          limit=limit))

    @tool("list_use_cases",
          "活用事例（データを使ったアプリや分析）の一覧。データセットで絞り込めます。\n"
          "Use cases (apps and analyses built on the data), optionally for one dataset.")
    def list_use_cases(ctx: Context, query: Annotated[str, Field(description="検索語 / words")] = "",
                       dataset: Annotated[str, Field(description="データセットの name / a dataset's name")] = "",
                       limit: Limit = 20) -> str:
        return _json(work(ctx, "list_use_cases", tools.list_use_cases, query_text=query, dataset=dataset,
                          limit=limit))

    if toolkit.config.get("ckanext.hokkaido.mcp.write_tools"):
        @tool("create_data_request",
              "データ公開リクエストを作成します（ログインした利用者のトークンが必要）。\n"
              "Ask an organization to publish data (needs a logged-in user's token).", writes=True)
        def create_data_request(ctx: Context, title: Annotated[str, Field(description="欲しいデータ / the data wanted")],
                                description: Annotated[str, Field(description="内容 / what the data is")],
                                organization: Municipality = "",
                                reason: Annotated[str, Field(description="使い道 / what it is for")] = "") -> str:
            caller = caller_of(ctx, stdio_token)
            if not caller.user:
                raise refuse("書き込みにはログインした利用者の API トークンが必要です。",
                             "writing needs a logged-in user's API token.")
            return _json(work(ctx, "create_data_request", tools.create_data_request, title=title,
                              description=description, organization=organization, reason=reason))

    _resources(server, work)
    _prompts(server)
    return server


def _cached(caller: Caller, name: str, arguments: dict[str, Any]) -> tuple[Optional[dict[str, Any]], str]:
    """An anonymous caller's answer given in the last
    ``ckanext.hokkaido.mcp.cache_seconds`` to the same call (public data
    only: never for a token's user); and the key to remember a new one by."""
    seconds = toolkit.config.get("ckanext.hokkaido.mcp.cache_seconds")
    if caller.user or not seconds:
        return None, ""
    from ckan.lib.redis import connect_to_redis
    key = "hokkaido:mcp:answer:" + hashlib.sha256(
        json.dumps([name, arguments], sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    found = connect_to_redis().get(key)
    return (json.loads(found) if found else None), key


def _remember(key: str, result: dict[str, Any]) -> None:
    if key:
        from ckan.lib.redis import connect_to_redis
        connect_to_redis().setex(key, toolkit.config.get("ckanext.hokkaido.mcp.cache_seconds"),
                                 json.dumps(result, ensure_ascii=False, default=str))


def _json(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, default=str)


def _resources(server: MCPServer, work: Callable) -> None:
    @server.resource("hokkaido://dataset/{name}", name="dataset",
                     description="データセットのメタデータ（JSON）/ a dataset's metadata",
                     mime_type="application/json")
    def dataset(name: str, ctx: Context) -> str:
        return _json(work(ctx, "resource:dataset", tools.get_dataset, dataset=name))

    @server.resource("hokkaido://table/{resource_id}/schema", name="table-schema",
                     description="表の列・型・概要（JSON）/ a table's columns, types and profile",
                     mime_type="application/json")
    def table_schema(resource_id: str, ctx: Context) -> str:
        return _json(work(ctx, "resource:table", tools.describe_table, resource_id=resource_id))


def _prompts(server: MCPServer) -> None:
    @server.prompt(name="compare_publishing",
                   description="市町村・振興局のオープンデータ公開状況を比べる / compare municipalities' publishing")
    def compare_publishing(subprefecture: str = "") -> str:
        where = f"{subprefecture}の市町村" if subprefecture else "北海道の179市町村と14振興局"
        return (f"{where}のオープンデータ公開状況を比べてください。municipality_status で公開率と状態を取り、"
                "公開率の低い振興局、更新が止まっている市町村、標準データセットの揃い具合を表にまとめ、"
                "最後に改善の優先順位を3つ挙げてください。数字にはポータルの link を添えてください。")

    @server.prompt(name="analyse_standard_dataset",
                   description="統合した標準データセットを道内全体で分析する / analyse a standard dataset across Hokkaido")
    def analyse_standard_dataset(standard_dataset: str = "08") -> str:
        return (f"標準データセット「{standard_dataset}」を道内全体で分析してください。list_standard_datasets で"
                "統合表を確かめ、query_standard_dataset で市町村別の件数（group_by=[\"municipality_code\"]）を集計し、"
                "人口や面積に比べて少ない市町村、データのない市町村を挙げ、municipality_status で公開状況と"
                "照らし合わせてください。出典の link を添えてください。")

    @server.prompt(name="summarise_table",
                   description="表（DataStore）の中身を要約する / summarise a table")
    def summarise_table(resource_id: str) -> str:
        return (f"表 {resource_id} を要約してください。describe_table で列と概要を読み、query_table で"
                "代表的な行と主な列の集計（件数・合計・平均）を取り、何のデータで、どの範囲を、どの粒度で"
                "持っているか、欠損や気をつける点は何かを日本語で説明してください。link を添えてください。")


def http_app(server: MCPServer) -> Any:
    """The Streamable HTTP app: stateless JSON answers (any worker may take
    any request), the Host checked against the portal's own names."""
    site = urlsplit(toolkit.config.get("ckan.site_url"))
    hosts = ["127.0.0.1:*", "localhost:*", site.netloc] + toolkit.config.get("ckanext.hokkaido.mcp.allowed_hosts")
    origins = ["http://127.0.0.1:*", "http://localhost:*", f"{site.scheme}://{site.netloc}"]
    return server.streamable_http_app(
        streamable_http_path="/mcp", json_response=True, stateless_http=True,
        transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=True,
                                                     allowed_hosts=[h for h in hosts if h],
                                                     allowed_origins=origins))


def asgi_app() -> Any:
    """The HTTP app for one of several worker processes: each loads the
    portal from ``CKAN_INI`` (``ckan hokkaido mcp --http --workers N``)."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    from ckanext.hokkaido.mcp import caller
    portal = make_app(load_config(os.environ["CKAN_INI"]))
    caller.use_app(portal._wsgi_app)
    with portal._wsgi_app.app_context():
        return http_app(build())


def stdio_token_from_env() -> Optional[str]:
    return os.environ.get("CKAN_API_TOKEN") or None
