"""The portal's MCP server: an analyst's assistant (ChatGPT, Claude, an IDE
agent) finds, queries and analyses Hokkaido's open data through the Model
Context Protocol.

Built on the official ``mcp`` SDK (2.x, ``MCPServer``), served over
Streamable HTTP by ``ckan hokkaido mcp --http`` (behind nginx at ``/mcp``)
and over stdio by ``ckan hokkaido mcp`` for desktop clients. Every tool
calls CKAN's actions in-process with the caller's rights
(:mod:`.caller`); tables are queried through the DataStore, aggregations
through its read-only engine (:mod:`.query`); the tools, resources and
prompts are in :mod:`.tools` and :mod:`.server`.
"""
