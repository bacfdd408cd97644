"""The analyst's questions of /ai, asked of the portal's MCP server through
the official SDK's client: the exact tool calls an assistant makes, and
what they return, printed. No language model, no invented conversation.

    .venv/bin/python examples/mcp_analyst.py [URL] [--token TOKEN]

URL defaults to the demo's http://127.0.0.1:5001/mcp (``make demo``). Exit 1
when a call fails.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from mcp import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared._httpx_utils import create_mcp_http_client  # noqa: E402

# the same questions and calls as the /ai page (ckanext/hokkaido/mcp/views.py)
QUESTIONS = [
    ("道内で公開率が低い振興局は?", "municipality_status", {}),
    ("札幌市役所から5km以内のAED", "nearest_standard_points",
     {"standard_dataset": "08", "lat": 43.0621, "lng": 141.3544, "radius_m": 5000}),
    ("子育て施設の数を市町村別に", "query_standard_dataset",
     {"standard_dataset": "05", "group_by": ["municipality_code"]}),
]


def show(tool: str, result: dict) -> list[str]:
    """The lines an analyst reads first from each answer."""
    if tool == "municipality_status":
        by_rate = sorted(result["by_subprefecture"], key=lambda b: b["rate"])
        lines = [f"  {b['subprefecture']}: {b['publishing']}/{b['municipalities']} 公開 ({b['rate']:.0%})"
                 for b in by_rate[:5]]
        s = result["summary"]
        return [f"  道全体 / all: {s['publishing']}/{s['municipalities']} ({s['rate']:.0%})"] + lines
    if tool == "nearest_standard_points":
        return [f"  {r.get('名称')}: {r['distance_m']:.0f} m" for r in result["results"][:10]] or ["  (なし / none)"]
    names = result.get("municipality_names", {})
    return [f"  {names.get(row[0], row[0])}: {row[1]}" for row in result["rows"][:15]] or ["  (なし / none)"]


async def main(url: str, token: str) -> int:
    failed = 0
    headers = {"Authorization": token} if token else {}
    async with Client(streamable_http_client(url, http_client=create_mcp_http_client(headers=headers))) as client:
        for question, tool, arguments in QUESTIONS:
            print(f"\nQ: {question}")
            print(f"→ {tool} {json.dumps(arguments, ensure_ascii=False)}")
            answer = await client.call_tool(tool, arguments)
            text = answer.content[0].text
            if answer.is_error:
                failed += 1
                print(f"  error: {text}")
                continue
            result = json.loads(text)
            print("\n".join(show(tool, result)))
            print(f"  出典 / source: {result['link']}")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:5001/mcp")
    parser.add_argument("--token", default=os.environ.get("CKAN_API_TOKEN", ""))
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.url, args.token)))
