"""What the resident's and the staff's WebSockets share: reading JSON events, pushing events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSMsgType, web

from bot.chat.hub import Push


async def json_events(ws: web.WebSocketResponse) -> AsyncIterator[dict[str, Any] | None]:
    """The socket's events until it closes: each text frame's JSON object with a string ``type``.

    ``None`` stands for a frame that is no such event (binary, not JSON, not an object, no type), so
    the caller can answer it; an error frame ends the iteration.
    """
    async for frame in ws:
        if frame.type == WSMsgType.ERROR:
            return
        event: Any = None
        if frame.type == WSMsgType.TEXT:
            try:
                event = json.loads(frame.data)
            except ValueError:
                event = None
        yield event if isinstance(event, dict) and isinstance(event.get("type"), str) else None


def pusher(ws: web.WebSocketResponse) -> Push:
    """A :data:`~bot.chat.hub.Push` that sends events to ``ws`` while it is open."""

    async def push(event: dict[str, Any]) -> None:
        if not ws.closed:
            await ws.send_json(event)

    return push
