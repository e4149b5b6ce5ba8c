"""ASGI lifespan for the realtime process. Django ignores lifespan; apps that
need a long-lived task (the MCP session manager) register an async context
manager factory in `hooks`, entered at start-up and left at shutdown."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

hooks: list[Callable[[], AbstractAsyncContextManager]] = []


async def lifespan_app(scope, receive, send):
    async with contextlib.AsyncExitStack() as stack:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    for hook in hooks:
                        await stack.enter_async_context(hook())
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await stack.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
