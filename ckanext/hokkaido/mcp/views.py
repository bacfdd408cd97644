"""/ai: how to connect an AI assistant to the portal's MCP server, with the
tools as the server describes them (read from the server itself, so the
page cannot drift from it) and example questions with their tool calls."""
from __future__ import annotations

import json

from flask import Blueprint

from ckan.plugins import toolkit

from ckanext.hokkaido.settings import site_address

__all__ = ["ai"]

ai = Blueprint("hokkaido_ai", __name__)

#: the analyst's questions of the report, and the tool calls that answer them
#: (examples/mcp_analyst.py makes exactly these calls)
EXAMPLES = [
    {"ja": "道内で公開率が低い振興局は?", "en": "Which subprefectures publish least?",
     "tool": "municipality_status", "arguments": {}},
    {"ja": "札幌市役所から5km以内のAED", "en": "AEDs within 5 km of Sapporo city hall",
     "tool": "nearest_standard_points",
     "arguments": {"standard_dataset": "08", "lat": 43.0621, "lng": 141.3544, "radius_m": 5000}},
    {"ja": "子育て施設の数を市町村別に", "en": "Childcare facilities per municipality",
     "tool": "query_standard_dataset",
     "arguments": {"standard_dataset": "05", "group_by": ["municipality_code"]}},
]


def mcp_url() -> str:
    return toolkit.config.get("ckanext.hokkaido.mcp.url") or site_address("/mcp")


def _tools() -> list[dict[str, str]]:
    import anyio

    from ckanext.hokkaido.mcp import server
    listed = anyio.run(server.build().list_tools)
    tools = []
    for tool in listed:
        ja, _, en = (tool.description or "").partition("\n")
        tools.append({"name": tool.name, "ja": ja, "en": en})
    return tools


@ai.route("/ai")
def index() -> str:
    examples = [dict(e, call=json.dumps({"name": e["tool"], "arguments": e["arguments"]}, ensure_ascii=False))
                for e in EXAMPLES]
    config = toolkit.config
    return toolkit.render("hokkaido/ai.html", {
        "mcp_url": mcp_url(), "tools": _tools(), "examples": examples,
        "limits": {"rate": config.get("ckanext.hokkaido.mcp.rate_limit"),
                   "rows": config.get("ckanext.hokkaido.mcp.max_rows"),
                   "bytes": config.get("ckanext.hokkaido.mcp.max_bytes"),
                   "timeout": config.get("ckanext.hokkaido.mcp.statement_timeout"),
                   "writes": config.get("ckanext.hokkaido.mcp.write_tools")},
    })
