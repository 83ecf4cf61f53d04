"""How a simulated resident reaches the bot: the stack's chat WebSocket, or bare Rasa's REST webhook.

A *turn* is one resident message, from sending it until the bot's reply to it is complete. On the
WebSocket the gateway sends ``typing`` off and then the stored replies back to back
(``Gateway._store_replies``), so a turn ends with the first bot message after ``typing`` off plus
every further message that follows within :data:`SETTLE_S` (its latency runs to the last of them);
on the REST webhook a turn is one POST until its JSON reply. In the closed loop (no ``--rate``) a
resident sends its next message as soon as a turn is complete — after the :data:`SETTLE_S` window,
which the bare residents wait too, so both sides are offered the same load.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp

from tools.bench.responses import ResponseMatcher
from tools.bench.stats import Ledger, RunStats

if TYPE_CHECKING:
    from tools.bench.scenario import ConversationPlan

SETTLE_S = 0.03
"""After the first bot message of a reply, a turn waits this long for more messages of the same reply."""
EMPTY_REPLY_S = 0.5
"""After ``typing`` off, a turn with no bot message at all is taken as complete (an empty reply) after this."""
UNAVAILABLE = frozenset({"system:assistant_unavailable", "system:assistant_starting"})


@dataclass
class Reply:
    """The bot's reply to one turn: its messages (``text``, ``buttons``, ``lang``) and their response names."""

    messages: list[dict[str, Any]]
    names: list[str]
    ended: float = 0.0
    latency_ms: float = 0.0

    def first(self, wanted: Iterable[str]) -> tuple[str, dict[str, Any]] | None:
        """The first message whose response is one of ``wanted``, with its name."""
        wanted = set(wanted)
        return next(((n, m) for n, m in zip(self.names, self.messages, strict=True) if n in wanted), None)

    def last(self, wanted: Iterable[str]) -> tuple[str, dict[str, Any]] | None:
        """The last message whose response is one of ``wanted``, with its name."""
        wanted = set(wanted)
        found = [(n, m) for n, m in zip(self.names, self.messages, strict=True) if n in wanted]
        return found[-1] if found else None

    def text(self) -> str:
        """All message texts joined by newlines."""
        return "\n".join(m.get("text") or "" for m in self.messages)


class Channel(Protocol):
    """How a simulated resident reaches the bot: the stack's WebSocket or bare Rasa's REST webhook."""

    bare: bool
    language: str

    async def open(self, plan: ConversationPlan) -> bool:
        """Start a new conversation; False when that failed (the error is counted)."""

    async def say(self, text: str, display: str | None = None) -> Reply | None:
        """One turn; ``None`` when it failed (error, timeout or lost; counted)."""

    async def close(self) -> None:
        """End the channel and settle its bookkeeping."""


CLOSED = "_closed"


class _ChannelBase:
    """What both channels hold: the HTTP session, the URL, the resident's name, the run's stats and matcher.

    ``turn_timeout`` is in seconds; each channel sets up its own state in ``_start``.
    """

    bare = False

    def __init__(
        self,
        http: aiohttp.ClientSession,
        url: str,
        name: str,
        stats: RunStats,
        matcher: ResponseMatcher,
        turn_timeout: float,
    ) -> None:
        self._http, self._url, self.name = http, url, name
        self._stats, self._matcher, self._timeout = stats, matcher, turn_timeout
        self.language = "sv"
        self._start()

    def _start(self) -> None:
        """Set up the channel's own state (called at the end of ``__init__``)."""


class StackChannel(_ChannelBase):
    """A resident's browser tab: one WebSocket to ``/ws/chat`` (reconnected after a drop).

    Every message carries a unique ``client_id``; a reader task books acks and delivered message ids
    (:class:`Ledger`) and queues the events with their arrival time for :meth:`say`.
    """

    bare = False

    def _start(self) -> None:
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._events: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self._ledger = Ledger()
        self._seq = 0
        self.token: str | None = None
        """The session token of the conversation (from ``welcome``); the gateway keeps only its digest."""

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, queue: asyncio.Queue, ledger: Ledger) -> None:
        try:
            async for frame in ws:
                arrived = time.perf_counter()
                if frame.type != aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    event = json.loads(frame.data)
                except ValueError:
                    self._stats.error("bad frame", str(frame.data)[:100])
                    continue
                kind = event.get("type")
                if kind == "ack" and ledger.on_ack(event.get("client_id")):
                    self._stats.duplicated += 1
                    self._stats.error("duplicate ack", str(event.get("client_id")))
                elif kind == "message" and ledger.on_message(event.get("id")):
                    self._stats.duplicated += 1
                    self._stats.error("duplicate message", f"id {event.get('id')}")
                    event["_duplicate"] = True
                elif kind == "error":
                    self._stats.error("error event", f"{event.get('code')}: {event.get('message')}")
                queue.put_nowait((arrived, event))
        finally:
            queue.put_nowait((time.perf_counter(), {"type": CLOSED}))

    async def _settle_socket(self) -> None:
        """Close the current socket (if any) and add its lost messages to the run's count."""
        ws, reader, ledger = self._ws, self._reader, self._ledger
        self._ws, self._reader = None, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(aiohttp.ClientError, ConnectionError, RuntimeError, asyncio.TimeoutError):
                await asyncio.wait_for(ws.close(), 5)
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        self._stats.lost += ledger.lost()
        if ledger.unknown_acks:
            self._stats.error("ack for an unknown client id", str(ledger.unknown_acks))
        self._ledger = Ledger()

    def _drain(self) -> None:
        """Take events left over from an earlier turn (bot messages among them arrived late)."""
        while not self._events.empty():
            _, event = self._events.get_nowait()
            if event.get("type") == "message" and event.get("sender") == "bot" and not event.get("_duplicate"):
                self._stats.counts["late replies"] += 1
            elif event.get("type") == CLOSED:
                self._events.put_nowait((time.perf_counter(), event))
                return

    async def _next(self, deadline: float) -> tuple[float, dict[str, Any]] | None:
        try:
            return await asyncio.wait_for(self._events.get(), max(deadline - time.perf_counter(), 0.0))
        except asyncio.TimeoutError:
            return None

    async def open(self, plan: ConversationPlan) -> bool:
        """Send ``hello`` (without a token: a new conversation) and wait for ``welcome``."""
        if self._ws is None or self._ws.closed:
            await self._settle_socket()
            try:
                self._ws = await asyncio.wait_for(self._http.ws_connect(self._url), self._timeout)
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                self._stats.error("connect failed", repr(exc))
                await asyncio.sleep(1.0)
                return False
            self._events = asyncio.Queue()
            self._reader = asyncio.get_running_loop().create_task(self._read(self._ws, self._events, self._ledger))
        self._drain()
        hello: dict[str, Any] = {"type": "hello"}
        if plan.phrases.announce:
            hello["language"] = plan.phrases.language
        if not await self._send(hello, "hello"):
            return False
        deadline = time.perf_counter() + self._timeout
        while (item := await self._next(deadline)) is not None:
            event = item[1]
            if event.get("type") == "welcome":
                self.language = event.get("language") or self.language
                self.token = event.get("token")
                return True
            if event.get("type") == CLOSED:
                self._stats.error("socket closed", "before welcome")
                await self._settle_socket()
                return False
        self._stats.error("timeout", "no welcome")
        await self._settle_socket()
        return False

    async def _send(self, frame: dict[str, Any], what: str) -> bool:
        """Send one frame; False (the error counted, the socket settled) when the socket is closed."""
        assert self._ws is not None
        try:
            await self._ws.send_json(frame)
        except (ConnectionError, RuntimeError) as exc:
            self._stats.error("socket closed", f"{what}: {exc!r}")
            await self._settle_socket()
            return False
        return True

    async def say(self, text: str, display: str | None = None) -> Reply | None:
        """Send one message and wait until the reply is complete (see the module docstring)."""
        if self._ws is None:
            return None
        self._drain()
        self._seq += 1
        client_id = f"{self.name}-{self._seq}"
        frame: dict[str, Any] = {"type": "message", "text": text, "client_id": client_id}
        if display:
            frame["display"] = display
        started = time.perf_counter()
        if not await self._send(frame, "send"):
            return None
        self._ledger.on_send(client_id)
        deadline = started + self._timeout
        typing_off: float | None = None
        answered = told_unavailable = False
        replies: list[dict[str, Any]] = []
        last = started
        while True:
            now = time.perf_counter()
            if answered:
                wait_until = min(now + SETTLE_S, deadline)
            elif typing_off is not None and not told_unavailable:
                wait_until = min(typing_off + EMPTY_REPLY_S, deadline)
            else:
                wait_until = deadline
            item = await self._next(wait_until)
            if item is None:
                if answered:
                    break
                if typing_off is not None and not told_unavailable and time.perf_counter() < deadline:
                    self._stats.counts["empty replies"] += 1
                    last = typing_off
                    break
                self._stats.error("timeout", f"no reply within {self._timeout:.0f} s to {text[:40]!r}")
                return None
            arrived, event = item
            kind = event.get("type")
            if kind == CLOSED:
                self._stats.error("socket closed", f"waiting for the reply to {text[:40]!r}")
                await self._settle_socket()
                return None
            if kind == "error":
                return None
            if kind == "typing":
                typing_off = None if event.get("on") else arrived
            elif kind == "message" and event.get("sender") in ("bot", "system") and not event.get("_duplicate"):
                name = self._matcher.name(event.get("text") or "", event.get("lang"))
                if name in UNAVAILABLE:
                    told_unavailable = True
                    self._stats.error("assistant unavailable", event.get("text") or "")
                    continue
                replies.append(event)
                last = arrived
                if event.get("sender") == "bot" and typing_off is not None:
                    answered = True
        self._ledger.on_answer(client_id)
        self._stats.turn_done(last, (last - started) * 1000.0)
        names = [self._matcher.name(m.get("text") or "", m.get("lang")) for m in replies]
        return Reply(replies, names, last, (last - started) * 1000.0)

    async def close(self) -> None:
        """Close the socket and settle its bookkeeping."""
        await self._settle_socket()


class RestChannel(_ChannelBase):
    """A resident talking to bare Rasa's REST webhook: one POST per turn, a new ``sender`` per conversation."""

    bare = True

    def _start(self) -> None:
        self._conversations = 0
        self.sender = ""

    async def open(self, plan: ConversationPlan) -> bool:
        """A new conversation: a new sender id (the language goes along as ``metadata.language``)."""
        self._conversations += 1
        self.sender = f"{self.name}-c{self._conversations}-{uuid.uuid4().hex[:6]}"
        self.language = plan.phrases.language
        return True

    async def say(self, text: str, display: str | None = None) -> Reply | None:
        """POST one message and wait for its JSON reply."""
        body = {"sender": self.sender, "message": text, "metadata": {"language": self.language}}
        started = time.perf_counter()
        try:
            async with self._http.post(
                self._url, json=body, timeout=aiohttp.ClientTimeout(total=self._timeout)
            ) as response:
                if response.status != 200:
                    self._stats.error(f"HTTP {response.status}", (await response.text())[:200])
                    self._stats.lost += 1
                    return None
                data = await response.json(content_type=None)
        except asyncio.TimeoutError:
            self._stats.error("timeout", f"no reply within {self._timeout:.0f} s to {text[:40]!r}")
            self._stats.lost += 1
            return None
        except (aiohttp.ClientError, ValueError) as exc:
            self._stats.error("HTTP failed", repr(exc))
            self._stats.lost += 1
            return None
        ended = time.perf_counter()
        self._stats.turn_done(ended, (ended - started) * 1000.0)
        messages = [
            {"text": m.get("text") or "", "buttons": m.get("buttons") or [], "lang": self.language}
            for m in data or []
            if isinstance(m, dict) and (m.get("text") or m.get("buttons"))
        ]
        if not messages:
            self._stats.counts["empty replies"] += 1
        await asyncio.sleep(SETTLE_S)  # the same pause as the stack's settle window
        names = [self._matcher.name(m["text"], self.language) for m in messages]
        return Reply(messages, names, ended, (ended - started) * 1000.0)

    async def close(self) -> None:
        """Nothing to close (the HTTP session is shared)."""
