"""What the resident's and the staff's WebSockets share: reading JSON events, pushing events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.chat.hub import Push

OVERSIZE: dict[str, Any] = {"type": ""}
"""What :func:`json_events` yields for a text frame longer than its ``max_chars`` (compare with ``is``)."""


def well_formed_text(value: Any) -> bool:
    """True when every string in ``value`` (nested lists and objects too) is valid Unicode text.

    JSON may carry lone surrogates (an escaped U+D800 alone), which no database or UTF-8 encoder accepts.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(well_formed_text(k) and well_formed_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(well_formed_text(item) for item in value)
    return True


async def json_events(ws: web.WebSocketResponse, max_chars: int | None = None) -> AsyncIterator[dict[str, Any] | None]:
    """The socket's events until it closes: each text frame's JSON object with a string ``type``.

    ``None`` stands for a frame that is no such event (binary, not JSON, not an object, no type, a
    string that is not valid Unicode), so the caller can answer it; :data:`OVERSIZE` for a text frame
    longer than ``max_chars``; an error frame ends the iteration.
    """
    async for frame in ws:
        if frame.type == WSMsgType.ERROR:
            return
        event: Any = None
        if frame.type == WSMsgType.TEXT:
            if max_chars is not None and len(frame.data) > max_chars:
                yield OVERSIZE
                continue
            try:
                event = json.loads(frame.data)
            except ValueError:
                event = None
        valid = isinstance(event, dict) and isinstance(event.get("type"), str) and well_formed_text(event)
        yield event if valid else None


def pusher(ws: web.WebSocketResponse) -> Push:
    """A :data:`~bot.chat.hub.Push` that sends events to ``ws`` while it is open."""

    async def push(event: dict[str, Any]) -> None:
        if not ws.closed:
            await ws.send_json(event)

    return push


class StaffSockets:
    """Open staff sockets by staff session, so the sockets of a session that ends are closed at once.

    Logout (and the accounts page) close them here right away; a session ended from another process
    (``python -m bot staff disable``) is noticed by the socket itself before its next event
    (:mod:`bot.web.staff.socket`).
    """

    def __init__(self) -> None:
        self._open: dict[str, tuple[int, set[web.WebSocketResponse]]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def add(self, sid: str, staff_id: int, ws: web.WebSocketResponse) -> None:
        """Register ``ws`` as a socket of session ``sid`` of staff member ``staff_id``."""
        self._open.setdefault(sid, (staff_id, set()))[1].add(ws)

    def discard(self, sid: str, ws: web.WebSocketResponse) -> None:
        """Forget a closed socket."""
        entry = self._open.get(sid)
        if entry is not None:
            entry[1].discard(ws)
            if not entry[1]:
                del self._open[sid]

    def close(self, sid: str | None = None, staff_id: int | None = None) -> int:
        """Close the sockets of session ``sid``, or of every session of ``staff_id``; returns how many.

        The close frame goes out at once; waiting for the browser's answer happens in the background,
        so the caller (a logout, a resident's message being delivered) never waits for a slow browser.
        """
        targets = [
            ws
            for key, (owner, sockets) in list(self._open.items())
            if key == sid or (staff_id is not None and owner == staff_id)
            for ws in list(sockets)
        ]
        loop = asyncio.get_running_loop()
        for ws in targets:
            task = loop.create_task(ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"session ended"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return len(targets)
