"""A resident's browser tab reduced to its socket: the chat WebSocket ``/ws/chat`` (README, Chat protocol)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from typing import Any

import aiohttp

Event = dict[str, Any]


class ChatClient:
    """One resident's chat over ``/ws/chat``; every event received is kept in :attr:`events`.

    ``settle``: after the assistant stops typing, how many quiet seconds end a turn.
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, settle: float = 1.0) -> None:
        self.ws = ws
        self.settle = settle
        self.events: list[Event] = []
        self.welcome: Event = {}

    async def receive(self, timeout: float | None = None) -> Event:
        """The next event (kept in :attr:`events`).

        The timeout is the whole wait: aiohttp's own ``receive_json(timeout=…)`` starts again after each ping,
        and the web app pings every 30 s, so a longer timeout never ran out (a silent turn hung the
        benchmark for good).

        Raises:
            asyncio.TimeoutError: none within ``timeout`` seconds.
        """
        event = await asyncio.wait_for(self.ws.receive_json(), timeout)
        self.events.append(event)
        return event

    async def next(self, predicate: Callable[[Event], bool], timeout: float = 30.0) -> Event:
        """The next event for which ``predicate`` is true (the ones before it are only kept).

        Raises:
            asyncio.TimeoutError: none within ``timeout`` seconds.
        """

        async def wait() -> Event:
            while not predicate(event := await self.receive()):
                pass
            return event

        return await asyncio.wait_for(wait(), timeout)

    async def hello(self, language: str | None = None, timeout: float = 60.0) -> Event:
        """Open the chat (in ``language``, else the page's default); the welcome.

        Raises:
            asyncio.TimeoutError: no welcome within ``timeout`` seconds.
        """
        await self.ws.send_json({"type": "hello", **({"language": language} if language else {})})
        self.welcome = await self.next(lambda e: e["type"] == "welcome", timeout)
        return self.welcome

    async def send(self, text: str) -> None:
        """Send ``text`` without waiting for anything."""
        await self.ws.send_json({"type": "message", "text": text})

    async def say(self, text: str, timeout: float = 30.0) -> list[Event]:
        """Send ``text``; the assistant's (and the system's) messages until it stops typing and all is quiet.

        A reply sent without typing (the interpreter offer, a language question: the gateway's own messages)
        ends the turn after ``timeout`` seconds of quiet.

        Raises:
            asyncio.TimeoutError: nothing from the assistant, and no end of typing, within ``timeout`` seconds.
        """
        await self.send(text)
        replies: list[Event] = []
        typing_done = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                wait = self.settle if typing_done else deadline - time.monotonic()
                event = await self.receive(max(0.0, wait))
            except asyncio.TimeoutError:
                if typing_done or replies:
                    break
                raise
            if event["type"] == "typing" and not event["on"]:
                typing_done = True
            elif event["type"] == "message" and event["sender"] in ("bot", "system"):
                replies.append(event)
        return replies


@asynccontextmanager
async def open_chat(
    url: str, language: str | None = None, http: aiohttp.ClientSession | None = None, settle: float = 1.0
) -> AsyncIterator[ChatClient]:
    """A resident's chat with the web app at ``url``, opened in ``language`` (its welcome in ``.welcome``).

    ``http``: the client session to connect through (default: one of its own, closed at the end).

    Raises:
        asyncio.TimeoutError: no welcome within a minute.
    """
    async with aiohttp.ClientSession() if http is None else nullcontext(http) as session:
        async with session.ws_connect(f"{url}/ws/chat") as ws:
            chat = ChatClient(ws, settle)
            await chat.hello(language)
            yield chat
