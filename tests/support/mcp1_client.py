"""An MCP client on the 1.x SDK (run in its own virtualenv by tests/mcp).

Usage: python mcp1_client.py URL KEY CALLS_JSON
CALLS_JSON is a list of [tool, arguments]; prints one JSON document with the
negotiated protocol version, the tool names and each call's result.
"""

import asyncio
import json
import sys

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client


async def main(url: str, key: str, calls: list) -> dict:
    async with streamablehttp_client(url, headers={"Authorization": f"Bearer {key}"}) as (
            read, write, _session_id), ClientSession(read, write) as session:
        init = await session.initialize()
        tools = await session.list_tools()
        results = []
        for name, arguments in calls:
            result = await session.call_tool(name, arguments)
            results.append({"isError": result.isError,
                            "structuredContent": result.structuredContent,
                            "text": result.content[0].text if result.content else None})
        return {"protocolVersion": init.protocolVersion,
                "tools": sorted(tool.name for tool in tools.tools), "results": results}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3])))))
