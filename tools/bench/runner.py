"""Load benchmark: ``python -m bot bench`` (``make bench``).

Simulated residents hold scripted conversations with the real stack — ``python -m bot run`` in a
subprocess with its own data directory and free ports, exactly as ``make run`` starts it — over the
WebSocket ``/ws/chat``, while the RSS and CPU time of every process of the stack are sampled. In the
same run the same cached model runs behind one bare ``rasa run`` (REST webhook, in-memory tracker
store, ``domain.yml``'s own response texts, no NLG endpoint) with the action server it needs, and the
same kind of residents talk to it over HTTP, so that the stack's throughput is measured side by side
with one bare Rasa process.

Units: times are seconds unless a name ends in ``_ms`` (milliseconds); memory is bytes in the JSON
figures and MB (10^6 bytes) in the tables; throughput is turns per second.

A *turn* is one resident message, from sending it until the bot's reply to it is complete. On the
WebSocket the gateway sends ``typing`` off and then the stored replies back to back
(``Gateway._store_replies``), so a turn ends with the first bot message after ``typing`` off plus
every further message that follows within :data:`SETTLE_S` (its latency runs to the last of them);
on the REST webhook a turn is one POST until its JSON reply. In the closed loop (no ``--rate``) a
resident sends its next message as soon as a turn is complete — after the :data:`SETTLE_S` window,
which the bare residents wait too, so both sides are offered the same load.

The conversation mix (:func:`plan_conversation`): Swedish, English and Arabic residents (the Arabic
ones are detected from their first message, as on a Swedish page); a greeting, 1–3 FAQ questions,
then either a request for a person (a handoff: the chat goes to staff, so the resident starts a new
conversation) or the complaint form to the end, following the buttons the bot sends, and a status
lookup with the reference and check code from the filing. The texts are made up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

import aiohttp

from bot.catalog import Catalogs, render_text
from bot.profile import Profile
from bot.settings import Settings

SETTLE_S = 0.03
"""After the first bot message of a reply, a turn waits this long for more messages of the same reply."""
EMPTY_REPLY_S = 0.5
"""After ``typing`` off, a turn with no bot message at all is taken as complete (an empty reply) after this."""
SAMPLE_INTERVAL_S = 0.5
"""How often the RSS of every process is sampled."""
READY_TIMEOUT_S = 300.0
"""How long a stack (or bare Rasa) may take to answer its health check before the benchmark gives up."""
STOP_TIMEOUT_S = 60.0
"""How long the supervisor gets to stop its children after SIGINT before everything left is killed."""
MAX_FORM_TURNS = 20

TARGET_RATIO = 2.0
"""Stack turns/s ÷ bare Rasa turns/s, at least."""
TARGET_P95_MS = 500.0
TARGET_READY_S = 30.0
TARGET_EMBEDDED_MEMORY_BYTES = 1_500_000_000
"""1.5 GB (10^9 bytes) for every process of the embedded stack together (peak of the sampled sum)."""
TARGET_MEMORY_GROWTH = 0.05
"""Soak: "memory flat" means the total RSS grew by at most 5 % from the start of the window to its end."""
TARGET_USERS = 20
TARGET_CPUS = 2

DEFAULT_PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_DB = 11
REDIS_KEY_PATTERN = "kommun*"
"""Keys of the production profile in Redis (Rasa's lock store uses the prefix ``kommun``)."""

REFERENCE_RE = re.compile(r"SYN-\d{4}-\d{5}")
CODE_RE = re.compile(r"(?<![A-Za-z0-9])[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{4}-[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{4}(?![A-Za-z0-9])")
BARE_REFERENCE = "SYN-2026-00001"
BARE_CHECK_CODE = "ABCD-EFGH"
"""Bare Rasa answers with response names, so the filed reference and code are not visible: the lookup uses these."""

FORM_QUESTIONS = frozenset(
    f"utter_ask_complaint_{slot}"
    for slot in (
        "kind",
        "area",
        "description",
        "place",
        "date",
        "anonymous",
        "name",
        "contact",
        "reply_channel",
        "consent",
        "confirm",
    )
)
CASE_CREATED = frozenset({"utter_case_created", "utter_case_created_anonymous"})
HANDOFF_DONE = frozenset({"utter_handoff", "utter_handoff_closed"})
LOOKUP_FOUND = frozenset({"utter_case_status_found"})
LOOKUP_ANSWERED = frozenset({"utter_case_status_found", "utter_case_status_not_found"})
UNAVAILABLE = frozenset({"system:assistant_unavailable", "system:assistant_starting"})


# -- the conversation mix ------------------------------------------------------------------------


@dataclass(frozen=True)
class Phrases:
    """What a resident writing one language types at each step of the mix (made-up texts).

    ``announce``: the resident picked the language in the widget (``hello`` carries it); otherwise the
    page's default language is used and the gateway detects the language from the first message.
    ``faqs`` are ``(text, expected response name)``; ``date`` is typed text or a button payload.
    """

    language: str
    announce: bool
    greeting: str
    greeting_expect: str
    faqs: tuple[tuple[str, str], ...]
    complaint: str
    descriptions: tuple[str, ...]
    place: str
    date: str
    name: str
    email: str
    phone: str
    lookup: str
    handoff: str


PHRASES: dict[str, Phrases] = {
    "sv": Phrases(
        language="sv",
        announce=True,
        greeting="hej",
        greeting_expect="utter_greet",
        faqs=(
            ("när har ni öppet?", "utter_faq_opening_hours"),
            ("hur kontaktar jag kommunen", "utter_faq_contact"),
            ("när får jag svar", "utter_faq_response_time"),
            ("kan jag vara anonym", "utter_faq_anonymous_complaint"),
            ("när hämtas soporna", "utter_faq_waste_collection"),
        ),
        complaint="jag vill lämna ett klagomål",
        descriptions=(
            "Gatlampan utanför Storgatan 5 har varit trasig i två veckor.",
            "Det ligger mycket skräp vid lekplatsen i parken sedan i helgen.",
            "Bussen till skolan har varit sen varje morgon den här veckan.",
        ),
        place="Storgatan 5",
        date="igår",
        name="Anna Berg",
        email="anna.berg@example.se",
        phone="070-123 45 67",
        lookup="hur går det med mitt ärende?",
        handoff="jag vill prata med en person",
    ),
    "en": Phrases(
        language="en",
        announce=True,
        greeting="hello",
        greeting_expect="utter_greet",
        faqs=(
            ("when are you open", "utter_faq_opening_hours"),
            ("how can I contact you?", "utter_faq_contact"),
            ("when will you reply", "utter_faq_response_time"),
            ("can i be anonymous", "utter_faq_anonymous_complaint"),
            ("when is the garbage collected", "utter_faq_waste_collection"),
        ),
        complaint="i'd like to make a complaint",
        descriptions=(
            "The street lamp outside Main Street 5 has been broken for two weeks.",
            "There is a lot of litter at the playground in the park since the weekend.",
        ),
        place="Main Street 5",
        date="yesterday",
        name="Sam Taylor",
        email="sam.taylor@example.com",
        phone="070-765 43 21",
        lookup="what is the status of my case",
        handoff="I want to talk to a person",
    ),
    "ar": Phrases(
        language="ar",
        announce=False,
        greeting="مرحبا، متى تفتح البلدية أبوابها؟",
        greeting_expect="utter_faq_opening_hours",
        faqs=(
            ("كيف اتواصل معكم", "utter_faq_contact"),
            ("متى تردون", "utter_faq_response_time"),
            ("متى يجمعون الزبالة", "utter_faq_waste_collection"),
        ),
        complaint="أريد تقديم شكوى",
        descriptions=("مصباح الشارع أمام البيت رقم 5 معطل منذ أسبوعين.",),
        place="Storgatan 5",
        date='/inform{"choice":"today"}',
        name="Omar Haddad",
        email="omar.haddad@example.com",
        phone="070-111 22 33",
        lookup="حالة القضية",
        handoff="أريد التحدث مع موظف",
    ),
}

LANGUAGE_MIX: tuple[tuple[str, float], ...] = (("sv", 0.7), ("en", 0.2), ("ar", 0.1))
HANDOFF_SHARE = 0.2
"""Share of conversations that ask for a person after the FAQ questions (and so end there)."""
ANONYMOUS_SHARE = 0.2
BOTH_CONTACTS_SHARE = 0.3
"""Share of named complaints that give e-mail and phone (the form then asks for the reply channel)."""


@dataclass(frozen=True)
class ConversationPlan:
    """One resident's conversation: language, FAQ questions, handoff or not, and the form's answers.

    ``kind_index`` picks the kind button (0–3); ``area_pick`` in [0, 1) picks an area button.
    """

    phrases: Phrases
    faqs: tuple[tuple[str, str], ...]
    handoff: bool
    kind_index: int
    area_pick: float
    description: str
    anonymous: bool
    contact: str


def plan_conversation(rng: random.Random) -> ConversationPlan:
    """Draw one conversation of the mix (see the module docstring) from ``rng``."""
    languages, weights = zip(*LANGUAGE_MIX, strict=True)
    phrases = PHRASES[rng.choices(languages, weights)[0]]
    faqs = tuple(rng.sample(phrases.faqs, rng.randint(1, min(3, len(phrases.faqs)))))
    both = rng.random() < BOTH_CONTACTS_SHARE
    return ConversationPlan(
        phrases=phrases,
        faqs=faqs,
        handoff=rng.random() < HANDOFF_SHARE,
        kind_index=rng.randrange(4),
        area_pick=rng.random(),
        description=rng.choice(phrases.descriptions),
        anonymous=rng.random() < ANONYMOUS_SHARE,
        contact=f"{phrases.email} {phrases.phone}" if both else phrases.email,
    )


def _button(buttons: Sequence[dict[str, Any]], payload: str) -> tuple[str, str | None]:
    """``(payload, title)`` of the button with this payload (the title is what the resident saw)."""
    for button in buttons:
        if button.get("payload") == payload:
            return payload, button.get("title")
    return payload, None


def form_answer(name: str, plan: ConversationPlan, buttons: Sequence[dict[str, Any]]) -> tuple[str, str | None] | None:
    """The resident's answer to the form question ``name``: ``(text, display)``, or ``None`` when stuck.

    ``text`` is what is sent (a button's payload, or typed text); ``display`` the button's title.
    ``buttons`` are those of the question (from the bot's message, or the catalog for bare Rasa).
    """
    p = plan.phrases
    if name in ("utter_ask_complaint_kind", "utter_ask_complaint_area"):
        if not buttons:
            return None
        index = plan.kind_index if name.endswith("kind") else int(plan.area_pick * len(buttons))
        chosen = buttons[index % len(buttons)]
        return chosen["payload"], chosen.get("title")
    if name == "utter_ask_complaint_reply_channel":
        chosen_channel = next((b for b in buttons if '"email"' in b.get("payload", "")), None)
        if chosen_channel is None:
            return None
        return chosen_channel["payload"], chosen_channel.get("title")
    typed = {
        "utter_ask_complaint_description": plan.description,
        "utter_ask_complaint_place": p.place,
        "utter_ask_complaint_name": p.name,
        "utter_ask_complaint_contact": plan.contact,
    }
    if name in typed:
        return typed[name], None
    payloads = {
        "utter_ask_complaint_date": p.date,
        "utter_ask_complaint_anonymous": "/affirm" if plan.anonymous else "/deny",
        "utter_ask_complaint_consent": "/affirm",
        "utter_ask_complaint_confirm": "/affirm",
    }
    if name in payloads:
        text = payloads[name]
        return _button(buttons, text) if text.startswith("/") else (text, None)
    return None


# -- telling which response a bot message is ------------------------------------------------------


def _template_pattern(template: str) -> tuple[int, re.Pattern[str]]:
    """A catalog text as a regular expression (placeholders match anything) and its count of literal characters."""
    parts, literal = [], 0
    for text, field_name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(text))
        literal += len(text.strip())
        if field_name is not None:
            parts.append("(.*?)")
    return literal, re.compile("".join(parts), re.DOTALL)


class ResponseMatcher:
    """Tells which catalog response (or gateway system message, ``system:<key>``) a bot message is.

    The stack's messages are rendered catalog texts; bare Rasa answers with the response's name
    itself (``domain.yml`` holds only names), which is returned as it is.
    """

    def __init__(self, catalogs: Catalogs) -> None:
        self._names: set[str] = set()
        self._patterns: dict[str, list[tuple[int, re.Pattern[str], str]]] = {}
        for code in catalogs.languages:
            cat = catalogs.get(code)
            entries = [(name, str(entry.get("text") or "")) for name, entry in cat.responses.items()]
            entries += [(f"system:{key}", str(text)) for key, text in cat.system.items()]
            patterns = []
            for name, text in entries:
                self._names.add(name)
                literal, pattern = _template_pattern(text)
                if literal >= 3:
                    patterns.append((literal, pattern, name))
            patterns.sort(key=lambda item: -item[0])
            self._patterns[code] = patterns

    def name(self, text: str, language: str | None = None) -> str:
        """The response name of a message text (its own language first), or ``""`` when none fits."""
        text = text or ""
        if text in self._names:
            return text
        order = [language] if language in self._patterns else []
        order += [code for code in self._patterns if code != language]
        for code in order:
            for _, pattern, name in self._patterns[code]:
                if pattern.fullmatch(text):
                    return name
        return ""


def catalog_buttons(catalogs: Catalogs, profile: Profile, name: str, language: str) -> list[dict[str, str]]:
    """The buttons the catalog gives response ``name`` in ``language`` (bare Rasa sends none itself)."""
    try:
        entry = catalogs.get(language).responses.get(name) or {}
    except KeyError:
        return []
    buttons = entry.get("buttons")
    if buttons == "areas":
        return catalogs.area_buttons(profile, language)
    if buttons == "languages":
        return catalogs.language_buttons()
    return [{"title": render_text(b["title"], {}), "payload": b["payload"]} for b in buttons or []]


# -- bookkeeping -------------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0–100) of ``values`` with linear interpolation; ``nan`` when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Ledger:
    """The bookkeeping of one resident socket: client ids sent, acked and answered; message ids delivered."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.acks: Counter[str] = Counter()
        self.answered: set[str] = set()
        self.delivered: set[Any] = set()
        self.unknown_acks = 0

    def on_send(self, client_id: str) -> None:
        """A resident message with this ``client_id`` was sent."""
        self.sent.append(client_id)

    def on_ack(self, client_id: str | None) -> bool:
        """An ``ack`` arrived; True when it is a duplicate (a second ack for the same client id)."""
        if client_id not in self.sent:
            self.unknown_acks += 1
            return False
        self.acks[client_id] += 1
        return self.acks[client_id] > 1

    def on_message(self, message_id: Any) -> bool:
        """A ``message`` event arrived; True when its ``id`` was delivered on this socket before."""
        if message_id is None:
            return False
        if message_id in self.delivered:
            return True
        self.delivered.add(message_id)
        return False

    def on_answer(self, client_id: str) -> None:
        """The reply to this resident message was complete within the turn timeout."""
        self.answered.add(client_id)

    def lost(self) -> int:
        """Messages sent but never answered in time, or answered but never acknowledged."""
        return sum(1 for cid in self.sent if cid not in self.answered or self.acks[cid] == 0)


@dataclass
class RunStats:
    """Counts of one run.

    Turns completed inside ``[window_start, window_end]`` (``perf_counter`` seconds) give the
    throughput and latencies; errors, lost and duplicated messages count over the whole run (warm-up
    and the last turns after the window included).

    ``counts`` holds the conversation tallies (``conversations``, ``cases``, ``lookups``, ``handoffs``,
    ``empty replies``, ``late replies``, ``turns outside window``).
    """

    window_start: float = 0.0
    window_end: float = math.inf
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    off_script: Counter[str] = field(default_factory=Counter)
    off_script_samples: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    client_cpu_s: float = math.nan
    """CPU seconds the benchmark itself (the simulated residents) used in the window."""
    by_step: dict[str, list[float]] = field(default_factory=dict)
    """Latencies (ms) in the window per step of the script ("greeting", "form confirm", "lookup code", …)."""

    def step_done(self, step: str, ended: float, latency_ms: float) -> None:
        """File a turn's latency under its script step (only turns inside the window)."""
        if self.window_start <= ended <= self.window_end:
            self.by_step.setdefault(step, []).append(latency_ms)

    def turn_done(self, ended: float, latency_ms: float) -> None:
        """A turn completed at ``ended`` (perf_counter seconds) after ``latency_ms``."""
        if self.window_start <= ended <= self.window_end:
            self.latencies_ms.append(latency_ms)
        else:
            self.counts["turns outside window"] += 1

    def error(self, kind: str, detail: str = "") -> None:
        """Count an error of ``kind`` (keeps the first few details as samples)."""
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {detail}"[:300])

    def stray(self, step: str, names: Sequence[str], texts: Sequence[str]) -> None:
        """The bot answered a scripted step with something else than the script expects."""
        self.off_script[step] += 1
        if len(self.off_script_samples) < 12:
            got = " | ".join(f"{n or '?'}: {t[:90]!r}" for n, t in zip(names, texts, strict=False)) or "(nothing)"
            self.off_script_samples.append(f"{step} -> {got}")

    def summary(self, window_s: float) -> dict[str, Any]:
        """The figures of the run: turns/s over ``window_s`` seconds, latency percentiles (ms), counts."""
        lat = self.latencies_ms
        return {
            "turns": len(lat),
            "turns_per_s": len(lat) / window_s if window_s > 0 else math.nan,
            "client_cpu_pct": 100.0 * self.client_cpu_s / window_s if window_s > 0 else math.nan,
            "p50_ms": percentile(lat, 50),
            "p95_ms": percentile(lat, 95),
            "p99_ms": percentile(lat, 99),
            "max_ms": max(lat) if lat else math.nan,
            "mean_ms": sum(lat) / len(lat) if lat else math.nan,
            "errors": sum(self.errors.values()),
            "errors_by_kind": dict(self.errors),
            "error_samples": list(self.error_samples),
            "lost": self.lost,
            "duplicated": self.duplicated,
            "off_script": sum(self.off_script.values()),
            "off_script_by_step": dict(self.off_script),
            "off_script_samples": list(self.off_script_samples),
            "steps": {
                step: {"turns": len(v), "p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95), "max_ms": max(v)}
                for step, v in sorted(self.by_step.items())
            },
            **{key.replace(" ", "_"): value for key, value in sorted(self.counts.items())},
        }


# -- residents -----------------------------------------------------------------------------------------


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


class Pacer:
    """When a resident may send its next message.

    Closed loop (``rate_per_user`` None): at once. Otherwise Poisson arrivals at ``rate_per_user``
    turns/s on a running schedule (a resident that fell more than 5 intervals behind starts over
    from now). No turn starts at or after ``stop_at`` (perf_counter seconds).
    """

    def __init__(self, stop_at: float, rate_per_user: float | None, rng: random.Random) -> None:
        self.stop_at = stop_at
        self.rate = rate_per_user
        self.rng = rng
        self.next_at = time.perf_counter() + (rng.uniform(0, 1 / rate_per_user) if rate_per_user else 0.0)

    async def before_turn(self) -> bool:
        """Wait until the next turn may start; False when the run is over."""
        now = time.perf_counter()
        if self.rate:
            if now - self.next_at > 5 / self.rate:
                self.next_at = now
            if self.next_at > now:
                await asyncio.sleep(min(self.next_at, self.stop_at) - now)
            self.next_at += self.rng.expovariate(self.rate)
        return time.perf_counter() < self.stop_at


CLOSED = "_closed"


class StackChannel:
    """A resident's browser tab: one WebSocket to ``/ws/chat`` (reconnected after a drop).

    Every message carries a unique ``client_id``; a reader task books acks and delivered message ids
    (:class:`Ledger`) and queues the events with their arrival time for :meth:`say`.
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
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._events: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        self._ledger = Ledger()
        self._seq = 0
        self.language = "sv"

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
        try:
            await self._ws.send_json(hello)
        except (ConnectionError, RuntimeError) as exc:
            self._stats.error("socket closed", f"hello: {exc!r}")
            await self._settle_socket()
            return False
        deadline = time.perf_counter() + self._timeout
        while (item := await self._next(deadline)) is not None:
            event = item[1]
            if event.get("type") == "welcome":
                self.language = event.get("language") or self.language
                return True
            if event.get("type") == CLOSED:
                self._stats.error("socket closed", "before welcome")
                await self._settle_socket()
                return False
        self._stats.error("timeout", "no welcome")
        await self._settle_socket()
        return False

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
        try:
            await self._ws.send_json(frame)
        except (ConnectionError, RuntimeError) as exc:
            self._stats.error("socket closed", f"send: {exc!r}")
            await self._settle_socket()
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


class RestChannel:
    """A resident talking to bare Rasa's REST webhook: one POST per turn, a new ``sender`` per conversation."""

    bare = True

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
        self._conversations = 0
        self.sender = ""
        self.language = "sv"

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


@dataclass
class Script:
    """What the residents share: the run's statistics, the response matcher, catalogs and profile."""

    stats: RunStats
    matcher: ResponseMatcher
    catalogs: Catalogs
    profile: Profile


async def converse(channel: Channel, plan: ConversationPlan, pacer: Pacer, script: Script) -> None:
    """Hold one conversation of the mix; it ends early when the run ends or the bot goes off script."""
    stats = script.stats
    if not await channel.open(plan):
        return
    stats.counts["conversations"] += 1
    p = plan.phrases

    async def step(
        label: str, text: str, expect: Iterable[str] | None, display: str | None = None, fatal: bool = True
    ) -> Reply | None:
        if not await pacer.before_turn():
            return None
        reply = await channel.say(text, display)
        if reply is None:
            return None
        stats.step_done(label, reply.ended, reply.latency_ms)
        if expect is not None and reply.first(expect) is None:
            stats.stray(label, reply.names, [m.get("text") or "" for m in reply.messages])
            if fatal:
                return None
        return reply

    if await step("greeting", p.greeting, {p.greeting_expect}, fatal=False) is None:
        return
    for text, expected in plan.faqs:
        if await step(f"faq {expected.removeprefix('utter_faq_')}", text, {expected}, fatal=False) is None:
            return
    if plan.handoff:
        if await step("handoff", p.handoff, HANDOFF_DONE) is not None:
            stats.counts["handoffs"] += 1
        return  # the chat is with staff now: the resident's next conversation is a new one
    reply = await step("complaint", p.complaint, {"utter_ask_complaint_kind"})
    previous = "complaint"
    filed: tuple[str | None, str | None] | None = None
    for _ in range(MAX_FORM_TURNS):
        if reply is None:
            return
        if reply.first(CASE_CREATED) is not None:
            stats.counts["cases"] += 1
            text = reply.text()
            reference = REFERENCE_RE.search(text)
            code = CODE_RE.search(text.replace(reference.group(0), " ") if reference else text)
            filed = (reference.group(0) if reference else None, code.group(0) if code else None)
            break
        question = reply.last(FORM_QUESTIONS)
        if question is None or question[0] == previous:
            stats.stray(f"after {previous}", reply.names, [m.get("text") or "" for m in reply.messages])
            return
        name, message = question
        buttons = message.get("buttons") or catalog_buttons(script.catalogs, script.profile, name, channel.language)
        answer = form_answer(name, plan, buttons)
        if answer is None:
            stats.stray(name, [name], [message.get("text") or ""])
            return
        previous = name
        reply = await step(f"form {name.removeprefix('utter_ask_complaint_')}", answer[0], None, display=answer[1])
    else:
        stats.stray("form (too many turns)", reply.names if reply else [], [reply.text()] if reply else [])
        return
    if filed is None:
        return
    reference, code = filed
    if not channel.bare and (reference is None or code is None):
        stats.stray("case created (no reference or code)", reply.names, [reply.text()])
        return
    if await step("lookup", p.lookup, {"utter_ask_status_reference"}) is None:
        return
    if await step("lookup reference", reference or BARE_REFERENCE, {"utter_ask_status_check_code"}) is None:
        return
    done = await step("lookup code", code or BARE_CHECK_CODE, LOOKUP_ANSWERED if channel.bare else LOOKUP_FOUND)
    if done is not None:
        stats.counts["lookups"] += 1


async def resident(channel: Channel, pacer: Pacer, rng: random.Random, script: Script) -> None:
    """One simulated resident: conversation after conversation until the run is over."""
    try:
        while time.perf_counter() < pacer.stop_at:
            await converse(channel, plan_conversation(rng), pacer, script)
    finally:
        await channel.close()


# -- processes and memory ----------------------------------------------------------------------------


def free_port(consecutive: int = 1) -> int:
    """A free TCP port ``p`` on loopback such that ``p … p + consecutive - 1`` are all free."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + consecutive > 65535:
            continue
        ok = True
        for other in range(port + 1, port + consecutive):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", other)) == 0:
                    ok = False
                    break
        if ok:
            return port
    raise RuntimeError(f"no {consecutive} consecutive free ports")


def process_label(cmdline: Sequence[str], rasa_ports: dict[int, str]) -> str:
    """A readable name of one of the stack's processes from its command line.

    ``rasa_ports`` maps a Rasa server's port to its name ("Rasa server 1", …).
    """
    args = list(cmdline)
    joined = " ".join(args)
    if "multiprocessing" in joined:
        return "worker" if "spawn_main" in joined else "helper"
    if "rasa_sdk" in args:
        return "action server"
    if "rasa" in args and "run" in args:
        if "--port" in args and args.index("--port") + 1 < len(args):
            with contextlib.suppress(ValueError):
                return rasa_ports.get(int(args[args.index("--port") + 1]), "Rasa server")
        return "Rasa server"
    if "bot" in args and "serve" in args:
        return "web app"
    if "bot" in args and "run" in args:
        return "supervisor"
    return Path(args[0]).name if args else "?"


class MemorySampler:
    """Samples the RSS (and CPU time) of process trees every :data:`SAMPLE_INTERVAL_S` seconds.

    ``roots`` are the top processes (the supervisor, or bare Rasa and its action server); their
    children and children's children are found anew at every sample. Per process (name and pid): the
    peak, the first sample, the first sample of the measured window, the last sample, and the CPU
    seconds used in the window; for all of them together the peak of the sampled sum.
    """

    def __init__(self, roots: Sequence[int], rasa_ports: dict[int, str] | None = None) -> None:
        import psutil

        self._psutil = psutil
        self._roots = list(roots)
        self._rasa_ports = rasa_ports or {}
        self.processes: dict[tuple[int, float], dict[str, Any]] = {}
        self.totals: list[tuple[float, int]] = []
        self.window_index: int | None = None
        self.window_end_index: int | None = None
        self._handles: dict[tuple[int, float], Any] = {}

    def tree(self) -> list[Any]:
        """The live processes of every root's tree (``psutil.Process`` objects)."""
        procs = []
        for pid in self._roots:
            try:
                root = self._psutil.Process(pid)
                procs.append(root)
                procs.extend(root.children(recursive=True))
            except self._psutil.Error:
                continue
        return procs

    def sample(self, window: str = "") -> None:
        """Take one sample; ``window`` "start"/"end" also marks the measured window's first/last sample."""
        now = time.perf_counter()
        if window == "start":
            self.window_index = len(self.totals)
        if window == "end":
            self.window_end_index = len(self.totals)
        total = 0
        for proc in self.tree():
            try:
                with proc.oneshot():
                    key = (proc.pid, proc.create_time())
                    rss = proc.memory_info().rss
                    cpu = sum(proc.cpu_times()[:2])
                    entry = self.processes.get(key)
                    if entry is None:
                        label = process_label(proc.cmdline(), self._rasa_ports)
                        parent = next((e for e in self.processes.values() if e["pid"] == proc.ppid()), None)
                        if parent is not None and label.startswith(("worker", "helper")):
                            label = f"{parent['name']} {label}"
                        elif parent is not None and parent["name"] == label:  # a forked worker (Sanic)
                            label = f"{label} worker"
                        entry = {
                            "name": label,
                            "pid": proc.pid,
                            "peak": rss,
                            "first": rss,
                            "window_first": None,
                            "last": rss,
                            "cpu_window_start": None,
                            "cpu_window_end": None,
                            "cpu_last": cpu,
                        }
                        self.processes[key] = entry
                        self._handles[key] = proc
            except self._psutil.Error:
                continue
            entry["peak"] = max(entry["peak"], rss)
            entry["last"] = rss
            entry["cpu_last"] = cpu
            if entry["window_first"] is None and self.window_index is not None:
                entry["window_first"] = rss
                entry["cpu_window_start"] = cpu
            if window == "end":
                entry["cpu_window_end"] = cpu
            total += rss
        self.totals.append((now, total))

    async def run(self, stop: asyncio.Event) -> None:
        """Sample until ``stop`` is set."""
        while not stop.is_set():
            self.sample()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_INTERVAL_S)

    def known(self) -> list[Any]:
        """Every process ever sampled (``psutil.Process``; the pid reuse-safe handles)."""
        return list(self._handles.values())

    def report(self, window_s: float) -> dict[str, Any]:
        """Per process and in total: bytes (peak, first, window_first, last), CPU seconds in the window."""
        rows = []
        for entry in sorted(self.processes.values(), key=lambda e: (e["name"], e["pid"])):
            start, end = entry["cpu_window_start"], entry["cpu_window_end"]
            if start is not None and end is None:
                end = entry["cpu_last"]
            cpu = (end - start) if start is not None and end is not None else None
            rows.append(
                {
                    "name": entry["name"],
                    "pid": entry["pid"],
                    "peak": entry["peak"],
                    "first": entry["first"],
                    "window_first": entry["window_first"],
                    "last": entry["last"],
                    "cpu_s": cpu,
                    "cpu_pct": 100.0 * cpu / window_s if cpu is not None and window_s > 0 else None,
                }
            )
        totals = [t for _, t in self.totals]
        window_first = self.totals[self.window_index][1] if self.window_index is not None else None
        window_last = self.totals[self.window_end_index][1] if self.window_end_index is not None else None
        return {
            "processes": rows,
            "total_peak": max(totals) if totals else 0,
            "total_first": totals[0] if totals else 0,
            "total_window_first": window_first,
            "total_window_last": window_last,
            "total_last": totals[-1] if totals else 0,
            "samples": len(totals),
        }


def _kill_tree(procs: Iterable[Any]) -> int:
    """SIGKILL every process still alive (pid-reuse safe); returns how many were killed."""
    import psutil

    killed = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                proc.kill()
                killed += 1
    return killed


def _popen(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start a process in its own session (the terminal's Ctrl-C reaches only the benchmark)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


async def _stop_process(process: subprocess.Popen[bytes], sig: int, timeout: float) -> None:
    """Send ``sig`` to the process and wait for it (at most ``timeout`` s), then SIGKILL its group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


def _log_problems(logs: Path) -> dict[str, dict[str, Any]]:
    """Per log file: how many lines say ERROR or Traceback, and the first few of them."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(logs.glob("*.log")) if logs.is_dir() else []:
        lines = [
            line.strip()
            for line in path.read_text(errors="replace").splitlines()
            if " ERROR " in line or "Traceback" in line or line.startswith("!!")
        ]
        if lines:
            found[path.name] = {"count": len(lines), "first": [line[:240] for line in lines[:5]]}
    return found


async def _metrics(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """The web app's turn counters from ``/metrics`` (Rasa time per turn, Rasa errors); ``{}`` on failure."""
    try:
        async with http.get(f"{url}/metrics", timeout=aiohttp.ClientTimeout(total=5)) as response:
            if response.status != 200:
                return {}
            body = await response.text()
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return {}
    wanted = ("kommun_turn_seconds_sum", "kommun_turn_seconds_count", "kommun_rasa_errors_total", "kommun_turns_total")
    values = {}
    for line in body.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in wanted:
            with contextlib.suppress(ValueError):
                values[parts[0]] = float(parts[1])
    return values


# -- one run ------------------------------------------------------------------------------------------


@dataclass
class BenchOptions:
    """Options of ``python -m bot bench`` (see ``--help``); times in seconds, ``rate`` in turns/s."""

    profile: str = "embedded"
    users: int = 20
    duration: float = 60.0
    warmup: float = 10.0
    rate: float | None = None
    turn_timeout: float = 30.0
    baseline: bool = True
    rasa_processes: int | None = None
    pg_admin_dsn: str = DEFAULT_PG_ADMIN_DSN
    redis_url: str = "redis://127.0.0.1:6379"
    redis_db: int = DEFAULT_REDIS_DB
    seed: int = 1
    markdown: Path | None = None
    json_path: Path | None = None
    keep: bool = False
    command: str = ""


@dataclass
class RunResult:
    """The figures of one run: a stack profile ("embedded", "production") or "bare rasa".

    ``ready_s``: start → ready (seconds); ``summary``: :meth:`RunStats.summary`; ``memory``:
    :meth:`MemorySampler.report`; ``rasa``: mean seconds per turn inside Rasa (the gateway's
    metrics) over the window; ``problems``: error lines of the logs; ``notes``: anything unusual.
    """

    label: str
    users: int
    duration_s: float
    rate: float | None
    ready_s: float | None
    processes: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    rasa: dict[str, float] = field(default_factory=dict)
    problems: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


async def _load(
    options: BenchOptions,
    make_channel: Callable[[aiohttp.ClientSession, str, RunStats], Channel],
    script: Script,
    sampler: MemorySampler,
    on_window: Callable[[str], Any] | None = None,
) -> float:
    """Run ``options.users`` residents for warm-up + duration; returns the measured window in seconds."""
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    stats = script.stats
    stats.window_start = start + options.warmup
    stats.window_end = stats.window_start + options.duration
    per_user = options.rate / options.users if options.rate else None
    stop = asyncio.Event()
    sampling = loop.create_task(sampler.run(stop))
    timeout = aiohttp.ClientTimeout(total=None)
    connector = aiohttp.TCPConnector(limit=0)
    tasks: list[asyncio.Task[None]] = []
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            for index in range(options.users):
                rng = random.Random(options.seed * 1000 + index)  # noqa: S311 - a reproducible mix, not security
                channel = make_channel(http, f"r{index + 1}", stats)
                pacer = Pacer(stats.window_end, per_user, rng)
                tasks.append(loop.create_task(resident(channel, pacer, rng, script)))
                await asyncio.sleep(min(0.05, options.warmup / max(options.users, 1)))  # spread the first hellos
            await asyncio.sleep(max(stats.window_start - time.perf_counter(), 0))
            sampler.sample("start")
            client_cpu = time.process_time()
            if on_window:
                await on_window("start")
            await asyncio.sleep(max(stats.window_end - time.perf_counter(), 0))
            sampler.sample("end")
            stats.client_cpu_s = time.process_time() - client_cpu
            if on_window:
                await on_window("end")
            # Residents start no new turn now; the turns under way finish (or time out) before the count.
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    stats.error("resident crashed", repr(outcome))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stop.set()
        await sampling
    return options.duration


def _script(settings: Settings, stats: RunStats) -> Script:
    from bot.catalog import default_catalogs
    from bot.profile import load_profile

    catalogs = default_catalogs()
    return Script(stats, ResponseMatcher(catalogs), catalogs, load_profile(settings.profile_path))


async def _admin_sql(dsn: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _redis_keys(url: str, delete: bool) -> int:
    """How many ``kommun*`` keys the Redis db holds (deleted first with ``delete``)."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=REDIS_KEY_PATTERN, count=500)]
        if delete and keys:
            await client.delete(*keys)
        return len(keys)
    finally:
        await client.close()


async def _prepare_production_data(options: BenchOptions, database: str, redis_url: str, result: RunResult) -> None:
    """Create the fresh PostgreSQL database; check that the Redis db holds no ``kommun*`` keys yet.

    Raises:
        RuntimeError: PostgreSQL or Redis cannot be reached, or the Redis db is in use.
    """
    import asyncpg
    from redis.exceptions import RedisError

    try:
        await _admin_sql(options.pg_admin_dsn, f'CREATE DATABASE "{database}"')
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(f"cannot create a PostgreSQL database through {options.pg_admin_dsn}: {exc!r}") from exc
    try:
        leftover = await _redis_keys(redis_url, delete=False)
    except (OSError, RedisError) as exc:
        raise RuntimeError(f"cannot reach Redis at {redis_url}: {exc!r}") from exc
    if leftover:
        raise RuntimeError(
            f"Redis db {options.redis_db} already holds {leftover} {REDIS_KEY_PATTERN} keys (another stack?): "
            "choose another with --redis-db"
        )


async def run_stack(options: BenchOptions, settings: Settings, profile: str, workdir: Path) -> RunResult:
    """Start ``python -m bot run`` in ``profile`` ("embedded"/"production"), load it, measure it, stop it."""
    data_dir = workdir / profile
    data_dir.mkdir(parents=True, exist_ok=True)
    processes = 1
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "KOMMUN_RASA_TOKEN")}
    env.pop("KOMMUN_RASA_PROCESSES", None)
    database = redis_url = None
    if profile == "production":
        processes = options.rasa_processes or os.cpu_count() or 1
        database = f"kommun_bench_{uuid.uuid4().hex[:10]}"
        redis_url = f"{options.redis_url.rstrip('/')}/{options.redis_db}"
        env.update(
            DATABASE_URL=f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}",
            REDIS_URL=redis_url,
            KOMMUN_RASA_PROCESSES=str(processes),
        )
    rasa_port = free_port(processes)
    env.update(
        KOMMUN_DATA_DIR=str(data_dir),
        KOMMUN_PORT=str(free_port()),
        KOMMUN_RASA_PORT=str(rasa_port),
        KOMMUN_ACTION_PORT=str(free_port()),
    )
    url = f"http://127.0.0.1:{env['KOMMUN_PORT']}"
    result = RunResult(profile, options.users, options.duration, options.rate, None, processes)
    stats = RunStats()
    script = _script(settings, stats)
    process: subprocess.Popen[bytes] | None = None
    sampler: MemorySampler | None = None
    prepared = False
    try:
        if database is not None:
            await _prepare_production_data(options, database, redis_url or "", result)
            prepared = True
        print(f">> {profile}: starting python -m bot run (data: {data_dir})", flush=True)
        started = time.perf_counter()
        process = _popen([sys.executable, "-m", "bot", "run"], env, settings.project_root, data_dir / "supervisor.log")
        names = {rasa_port + i: f"Rasa server {i + 1}" if processes > 1 else "Rasa server" for i in range(processes)}
        sampler = MemorySampler([process.pid], names)
        try:
            result.ready_s = await _wait_healthy(url, process, started)
        except RuntimeError as exc:
            tail = (data_dir / "supervisor.log").read_text(errors="replace").splitlines()[-15:]
            raise RuntimeError(f"{profile}: {exc}. Last lines of its output:\n" + "\n".join(tail)) from exc
        print(
            f">> {profile}: ready in {result.ready_s:.1f} s; {options.users} residents for "
            f"{options.warmup:.0f} + {options.duration:.0f} s",
            flush=True,
        )
        metrics: dict[str, dict[str, float]] = {}
        async with aiohttp.ClientSession() as http:

            async def on_window(edge: str) -> None:
                metrics[edge] = await _metrics(http, url)

            def channel(session: aiohttp.ClientSession, name: str, run: RunStats) -> Channel:
                return StackChannel(session, f"{url}/ws/chat", name, run, script.matcher, options.turn_timeout)

            window = await _load(options, channel, script, sampler, on_window)
        result.summary = stats.summary(window)
        result.memory = sampler.report(window)
        start, end = metrics.get("start", {}), metrics.get("end", {})
        count = end.get("kommun_turn_seconds_count", 0) - start.get("kommun_turn_seconds_count", 0)
        if count > 0:
            seconds = end["kommun_turn_seconds_sum"] - start.get("kommun_turn_seconds_sum", 0)
            result.rasa = {
                "turns": count,
                "mean_ms": 1000.0 * seconds / count,
                "rasa_errors": end.get("kommun_rasa_errors_total", 0) - start.get("kommun_rasa_errors_total", 0),
            }
        if process.poll() is not None:
            result.notes.append(f"the supervisor exited during the run with {process.returncode}")
    finally:
        if process is not None:
            known = sampler.known() if sampler is not None else []
            if sampler is not None and process.poll() is None:
                sampler.sample()  # the tree as it is now, so that nothing started late is missed
                known = sampler.known()
            await _stop_process(process, signal.SIGINT, STOP_TIMEOUT_S)
            killed = _kill_tree(known)
            if killed:
                result.notes.append(f"{killed} process(es) were still running after the supervisor stopped: killed")
            result.problems = _log_problems(data_dir / "logs")
            supervisor_log = data_dir / "supervisor.log"
            if supervisor_log.exists():
                warnings = [line for line in supervisor_log.read_text(errors="replace").splitlines() if "!!" in line]
                result.notes.extend(warnings[:10])
        if database is not None:
            await _drop_production_data(options, database, redis_url if prepared else None, result)
    return result


async def _drop_production_data(options: BenchOptions, database: str, redis_url: str | None, result: RunResult) -> None:
    """Drop the benchmark's PostgreSQL database and delete its Redis keys (failures become notes).

    ``redis_url`` is None when the Redis db was not checked empty at the start: its keys are not ours.
    """
    import asyncpg
    from redis.exceptions import RedisError

    try:
        await _admin_sql(options.pg_admin_dsn, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    except (OSError, asyncpg.PostgresError) as exc:
        result.notes.append(f"could not drop the database {database}: {exc!r}")
    if redis_url is None:
        return
    try:
        removed = await _redis_keys(redis_url, delete=True)
        result.notes.append(f"removed {removed} Redis keys ({REDIS_KEY_PATTERN}) from db {options.redis_db}")
    except (OSError, RedisError) as exc:
        result.notes.append(f"could not clean Redis db {options.redis_db}: {exc!r}")


async def _wait_healthy(url: str, process: subprocess.Popen[bytes], started: float) -> float:
    """Seconds from ``started`` until ``/healthz`` answers 200.

    Raises:
        RuntimeError: the supervisor exited, or the stack was not ready in time.
    """
    async with aiohttp.ClientSession() as http:
        while time.perf_counter() - started < READY_TIMEOUT_S:
            if process.poll() is not None:
                raise RuntimeError(f"python -m bot run exited with {process.returncode} before it was ready")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                # A generous timeout: a client that gives up makes the web app log "Error handling request".
                async with http.get(f"{url}/healthz", timeout=aiohttp.ClientTimeout(total=15)) as response:
                    if response.status == 200:
                        return time.perf_counter() - started
            await asyncio.sleep(0.25)
    raise RuntimeError(f"the stack was not ready within {READY_TIMEOUT_S:.0f} s")


async def run_bare(options: BenchOptions, settings: Settings, model: Path, workdir: Path) -> RunResult:
    """The same model behind one bare ``rasa run`` (REST webhook) plus its action server, loaded the same way."""
    from bot.rasa_client import action_server_status
    from bot.store.migrate import upgrade

    data_dir = workdir / "bare"
    data_dir.mkdir(parents=True, exist_ok=True)
    rasa_port, action_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "KOMMUN_RASA_PROCESSES")}
    env.update(
        KOMMUN_DATA_DIR=str(data_dir),
        KOMMUN_ACTION_PORT=str(action_port),
        KOMMUN_RASA_PORT=str(rasa_port),
        SANIC_HOST="127.0.0.1",
        ACTION_SERVER_SANIC_WORKERS="1",
        PYTHONUNBUFFERED="1",
    )
    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{data_dir / 'kommun.db'}")
    (data_dir / "credentials.yml").write_text("rest:\n", encoding="utf-8")
    (data_dir / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n', encoding="utf-8"
    )
    result = RunResult("bare rasa", options.users, options.duration, options.rate, None, 1)
    stats = RunStats()
    script = _script(settings, stats)
    webhook = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    actions = rasa = None
    sampler = None
    try:
        print(f">> bare rasa: starting rasa run and the action server (data: {data_dir})", flush=True)
        started = time.perf_counter()
        actions = _popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(action_port)],
            env,
            settings.project_root,
            data_dir / "logs" / "actions.log",
        )
        rasa = _popen(
            [
                sys.executable,
                "-m",
                "rasa",
                "run",
                "--model",
                str(model),
                "--interface",
                "127.0.0.1",
                "--port",
                str(rasa_port),
                "--credentials",
                str(data_dir / "credentials.yml"),
                "--endpoints",
                str(data_dir / "endpoints.yml"),
            ],
            env,
            settings.project_root,
            data_dir / "logs" / "rasa.log",
        )
        sampler = MemorySampler([rasa.pid, actions.pid], {rasa_port: "Rasa server (bare)"})
        async with aiohttp.ClientSession() as http:
            ready = False
            while time.perf_counter() - started < READY_TIMEOUT_S:
                if rasa.poll() is not None or actions.poll() is not None:
                    raise RuntimeError("bare rasa or its action server exited before it was ready (see its log)")
                if (await action_server_status(http, f"http://127.0.0.1:{action_port}"))["ok"]:
                    with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                        body = {"sender": "bench-ready", "message": "hej", "metadata": {"language": "sv"}}
                        async with http.post(webhook, json=body, timeout=aiohttp.ClientTimeout(total=30)) as reply:
                            ready = reply.status == 200
                if ready:
                    break
                await asyncio.sleep(0.25)
            if not ready:
                raise RuntimeError(f"bare rasa was not ready within {READY_TIMEOUT_S:.0f} s")
        result.ready_s = time.perf_counter() - started
        print(
            f">> bare rasa: ready in {result.ready_s:.1f} s; {options.users} residents for "
            f"{options.warmup:.0f} + {options.duration:.0f} s",
            flush=True,
        )

        def channel(session: aiohttp.ClientSession, name: str, run: RunStats) -> Channel:
            return RestChannel(session, webhook, name, run, script.matcher, options.turn_timeout)

        window = await _load(options, channel, script, sampler)
        result.summary = stats.summary(window)
        result.memory = sampler.report(window)
    finally:
        known = sampler.known() if sampler is not None else []
        for process in (rasa, actions):
            if process is not None:
                await _stop_process(process, signal.SIGTERM, 15.0)
        _kill_tree(known)
        result.problems = _log_problems(data_dir / "logs")
    return result


# -- report ---------------------------------------------------------------------------------------------


@dataclass
class Target:
    """One target of issue 7: what, the measured value (as text), and whether it was met (None: not measured)."""

    name: str
    value: str
    met: bool | None


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value / 1e6:.0f}"


def _ms(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0f}"


def evaluate_targets(results: Sequence[RunResult], soak: bool) -> list[Target]:
    """The issue's targets for these runs (the stack profiles against "bare rasa" when it ran).

    Normal run: stack turns/s ≥ 2× bare, p95 ≤ 500 ms, 0 lost, embedded memory ≤ 1.5 GB, start to
    ready ≤ 30 s. Soak (``--rate``): 0 errors, 0 lost, total memory grew ≤ 5 % over the window.
    """
    bare = next((r for r in results if r.label == "bare rasa"), None)
    targets: list[Target] = []
    for r in results:
        if r.label == "bare rasa":
            continue
        s = r.summary
        lost = s.get("lost", 0)
        if soak:
            errors = s.get("errors", 0)
            targets.append(Target(f"{r.label}: 0 errors", str(errors), errors == 0))
            targets.append(Target(f"{r.label}: 0 lost messages", str(lost), lost == 0))
            first, last = r.memory.get("total_window_first"), r.memory.get("total_window_last")
            if first and last:
                growth = (last - first) / first
                targets.append(
                    Target(
                        f"{r.label}: memory flat (≤ {TARGET_MEMORY_GROWTH:.0%} growth)",
                        f"{_mb(first)} → {_mb(last)} MB ({growth:+.1%})",
                        growth <= TARGET_MEMORY_GROWTH,
                    )
                )
            continue
        if bare is not None and bare.summary.get("turns_per_s"):
            ratio = s.get("turns_per_s", 0.0) / bare.summary["turns_per_s"]
            targets.append(
                Target(f"{r.label}: ≥ {TARGET_RATIO:.0f}× bare throughput", f"{ratio:.2f}×", ratio >= TARGET_RATIO)
            )
        p95 = s.get("p95_ms", math.nan)
        targets.append(
            Target(
                f"{r.label}: p95 ≤ {TARGET_P95_MS:.0f} ms",
                f"{_ms(p95)} ms",
                None if math.isnan(p95) else p95 <= TARGET_P95_MS,
            )
        )
        targets.append(Target(f"{r.label}: 0 lost messages", str(lost), lost == 0))
        if r.label == "embedded":
            peak = r.memory.get("total_peak", 0)
            targets.append(
                Target("embedded: all processes ≤ 1.5 GB", f"{_mb(peak)} MB", peak <= TARGET_EMBEDDED_MEMORY_BYTES)
            )
        if r.ready_s is not None:
            targets.append(
                Target(
                    f"{r.label}: start to ready ≤ {TARGET_READY_S:.0f} s",
                    f"{r.ready_s:.1f} s",
                    r.ready_s <= TARGET_READY_S,
                )
            )
    return targets


def cpu_ms_per_turn(r: RunResult) -> float:
    """CPU milliseconds all processes of a run used per measured turn (``nan`` without turns)."""
    cpu = sum(p.get("cpu_s") or 0.0 for p in r.memory.get("processes", []))
    turns = r.summary.get("turns", 0)
    return 1000.0 * cpu / turns if turns else math.nan


def _run_rows(r: RunResult) -> list[tuple[str, str]]:
    s = r.summary
    mode = f"{r.rate:g} turns/s in all" if r.rate else "closed loop"
    rasa = f"{r.rasa['mean_ms']:.0f} ms mean inside Rasa ({r.rasa['turns']:.0f} turns)" if r.rasa else "-"
    counts = ", ".join(
        f"{key.replace('_', ' ')} {s.get(key, 0)}"
        for key in ("conversations", "cases", "lookups", "handoffs", "empty_replies", "late_replies")
    )
    errors = ", ".join(f"{k} {v}" for k, v in sorted(s.get("errors_by_kind", {}).items())) or "none"
    off = ", ".join(f"{k} {v}" for k, v in sorted(s.get("off_script_by_step", {}).items())) or "none"
    return [
        ("users, window", f"{r.users} users, {r.duration_s:g} s, {mode}"),
        ("Rasa processes", str(r.processes)),
        ("start to ready", "-" if r.ready_s is None else f"{r.ready_s:.1f} s"),
        ("turns/s", f"{s.get('turns_per_s', math.nan):.2f} ({s.get('turns', 0)} turns)"),
        ("latency p50 / p95 / p99", f"{_ms(s.get('p50_ms'))} / {_ms(s.get('p95_ms'))} / {_ms(s.get('p99_ms'))} ms"),
        ("latency max", f"{_ms(s.get('max_ms'))} ms"),
        ("time inside Rasa", rasa),
        ("CPU per turn", f"{_ms(cpu_ms_per_turn(r))} ms (all processes of the run together)"),
        ("benchmark's own CPU", f"{s.get('client_cpu_pct', math.nan):.0f} % of one core"),
        ("errors", f"{s.get('errors', 0)} ({errors})"),
        ("lost / duplicated", f"{s.get('lost', 0)} / {s.get('duplicated', 0)}"),
        ("conversations", counts),
        ("off script", f"{s.get('off_script', 0)} ({off})"),
    ]


def _memory_rows(r: RunResult) -> list[tuple[str, ...]]:
    rows = []
    for p in r.memory.get("processes", []):
        cpu = "-" if p.get("cpu_pct") is None else f"{p['cpu_pct']:.0f}"
        rows.append((p["name"], str(p["pid"]), _mb(p["peak"]), _mb(p["window_first"]), _mb(p["last"]), cpu))
    m = r.memory
    rows.append(
        (
            "total (sum per sample)",
            "",
            _mb(m.get("total_peak")),
            _mb(m.get("total_window_first")),
            _mb(m.get("total_last")),
            "",
        )
    )
    return rows


MEMORY_HEADER = ("process", "pid", "peak MB", "window start MB", "last MB", "CPU % in window")


def _table(rows: Sequence[Sequence[str]], header: Sequence[str] | None = None) -> str:
    all_rows = [tuple(header)] if header else []
    all_rows += [tuple(row) for row in rows]
    widths = [max(len(row[i]) for row in all_rows) for i in range(len(all_rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in all_rows)


def render_table(results: Sequence[RunResult], targets: Sequence[Target]) -> str:
    """The readable report on stdout: one block per run, the comparison, the targets."""
    out = []
    for r in results:
        out.append(f"\n== {r.label} ==")
        out.append(_table(_run_rows(r)))
        out.append("")
        out.append(_table(_memory_rows(r), MEMORY_HEADER))
        steps = sorted(r.summary.get("steps", {}).items(), key=lambda item: -item[1]["p95_ms"])[:6]
        if steps:
            out.append("slowest steps (p95): " + ", ".join(f"{k} {_ms(v['p95_ms'])} ms" for k, v in steps))
        if r.summary.get("off_script_samples"):
            out.append("off-script samples:\n  " + "\n  ".join(r.summary["off_script_samples"][:6]))
        if r.summary.get("error_samples"):
            out.append("error samples:\n  " + "\n  ".join(r.summary["error_samples"][:6]))
        for name, problem in r.problems.items():
            out.append(f"log {name}: {problem['count']} error lines, e.g. {problem['first'][0]}")
        out.extend(f"note: {note}" for note in r.notes)
    if len(results) > 1:
        out.append("\n== side by side ==")
        rows = [
            (
                r.label,
                f"{r.summary.get('turns_per_s', math.nan):.2f}",
                _ms(r.summary.get("p95_ms")),
                str(r.summary.get("errors", 0)),
                str(r.summary.get("lost", 0)),
                _mb(r.memory.get("total_peak")),
                _ms(cpu_ms_per_turn(r)),
            )
            for r in results
        ]
        out.append(_table(rows, ("run", "turns/s", "p95 ms", "errors", "lost", "memory MB", "CPU ms/turn")))
        bare = next((r for r in results if r.label == "bare rasa"), None)
        if bare is not None and bare.summary.get("turns_per_s"):
            for r in results:
                if r is not bare:
                    ratio = r.summary.get("turns_per_s", 0) / bare.summary["turns_per_s"]
                    p95, bare_p95 = _ms(r.summary.get("p95_ms")), _ms(bare.summary.get("p95_ms"))
                    out.append(f"ratio {r.label} ÷ bare rasa: {ratio:.2f}× turns/s; p95 {p95} vs {bare_p95} ms")
    out.append("\n== targets ==")
    for t in targets:
        mark = "n/a" if t.met is None else "yes" if t.met else "NO"
        out.append(f"  [{mark:>3}] {t.name}: {t.value}")
    return "\n".join(out)


def machine_info() -> dict[str, Any]:
    """CPU model and count (``/proc/cpuinfo``), RAM (bytes), load average, Python and Rasa versions."""
    cpu_model, cpus = platform.processor() or "?", os.cpu_count() or 0
    with contextlib.suppress(OSError):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
        cpu_model = models[0] if models else cpu_model
        cpus = len(models) or cpus
    ram = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        ram = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1]) * 1024
    try:
        rasa = version("rasa")
    except PackageNotFoundError:
        rasa = "?"
    return {
        "cpu_model": cpu_model,
        "cpus": cpus,
        "ram_bytes": ram,
        "load_average": list(os.getloadavg()),
        "python": platform.python_version(),
        "rasa": rasa,
    }


def render_markdown(
    results: Sequence[RunResult], targets: Sequence[Target], machine: dict[str, Any], command: str, when: datetime
) -> str:
    """A markdown section for a results file: date, machine, command, figures per run, targets."""
    lines = [
        f"## Load benchmark {when.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"- Machine: {machine['cpu_model']}, {machine['cpus']} CPUs, {machine['ram_bytes'] / 2**30:.1f} GiB RAM, "
        f"load average at start {' / '.join(f'{x:.2f}' for x in machine['load_average'])}",
        f"- Python {machine['python']}, Rasa {machine['rasa']}",
        f"- Command: `{command}`",
        "",
        "| run | users | turns/s | p50 ms | p95 ms | p99 ms | errors | lost | duplicated | ready s | memory MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r.summary
        ready = "-" if r.ready_s is None else f"{r.ready_s:.1f}"
        lines.append(
            f"| {r.label} | {r.users} | {s.get('turns_per_s', math.nan):.2f} | {_ms(s.get('p50_ms'))} | "
            f"{_ms(s.get('p95_ms'))} | {_ms(s.get('p99_ms'))} | {s.get('errors', 0)} | {s.get('lost', 0)} | "
            f"{s.get('duplicated', 0)} | {ready} | {_mb(r.memory.get('total_peak'))} |"
        )
    for r in results:
        lines += ["", f"### {r.label}: memory per process", "", "| " + " | ".join(MEMORY_HEADER) + " |"]
        lines.append("|" + "---|" * len(MEMORY_HEADER))
        lines += ["| " + " | ".join(row) + " |" for row in _memory_rows(r)]
        keys = ("time inside Rasa", "CPU per turn", "conversations", "off script", "errors")
        extra = [f"{k}: {v}" for k, v in _run_rows(r) if k in keys]
        steps = sorted(r.summary.get("steps", {}).items(), key=lambda item: -item[1]["p95_ms"])[:6]
        if steps:
            extra.append("slowest steps (p95): " + ", ".join(f"{k} {_ms(v['p95_ms'])} ms" for k, v in steps))
        extra += [f"note: {n}" for n in r.notes]
        lines += ["", *[f"- {e}" for e in extra]]
    lines += ["", "### Targets", ""]
    for t in targets:
        mark = "n/a" if t.met is None else "yes" if t.met else "**no**"
        lines.append(f"- {t.name}: {t.value} — {mark}")
    return "\n".join(lines) + "\n"


# -- entry point ------------------------------------------------------------------------------------------


async def _bench(options: BenchOptions, settings: Settings, model: Path, workdir: Path) -> list[RunResult]:
    profiles = ["embedded", "production"] if options.profile == "both" else [options.profile]
    results: list[RunResult] = []
    for profile in profiles:
        results.append(await run_stack(options, settings, profile, workdir))
    if options.baseline:
        results.append(await run_bare(options, settings, model, workdir))
    return results


def _run_loop(coroutine: Any) -> Any:
    """Run ``coroutine`` to its end; the first Ctrl-C or SIGTERM cancels it (its cleanup still runs).

    Raises:
        asyncio.CancelledError: interrupted.
    """
    loop = asyncio.new_event_loop()
    task = loop.create_task(coroutine)

    def interrupt() -> None:
        if not task.cancelled() and not getattr(interrupt, "called", False):
            interrupt.called = True  # type: ignore[attr-defined]
            print("\n!! interrupted: stopping everything the benchmark started", file=sys.stderr, flush=True)
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupt)
    try:
        return loop.run_until_complete(task)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


def main(options: BenchOptions, settings: Settings) -> int:
    """Run the benchmark, print the report, write ``--markdown``/``--json``; 0 when every target was met.

    The work directory (data directories and logs of every process) is removed at the end unless
    ``--keep`` was given or something went wrong (errors, lost messages, a failed start).

    Raises:
        bot.training.TrainingError: no model is cached for the current inputs (``python -m bot train``).
    """
    from bot.training import TrainingError, cached_model

    model = cached_model(settings.project_root, settings.model_cache_dir)
    if model is None:
        raise TrainingError("no trained model for the current inputs: run `python -m bot train` (make train) first")
    when = datetime.now()
    machine = machine_info()
    workdir = Path(tempfile.mkdtemp(prefix="kommun-bench-"))
    print(f">> model {model}; work dir {workdir}", flush=True)
    try:
        results = _run_loop(_bench(options, settings, model, workdir))
    except asyncio.CancelledError:
        print(f">> logs kept in {workdir}", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"!! {exc}\n>> logs kept in {workdir}", file=sys.stderr)
        return 1
    targets = evaluate_targets(results, soak=options.rate is not None)
    print(render_table(results, targets))
    cpus = machine["cpus"]
    if options.users != TARGET_USERS or cpus != TARGET_CPUS:
        print(
            f"note: the targets are for {TARGET_USERS} users on {TARGET_CPUS} CPUs; this run: "
            f"{options.users} users on {cpus} CPUs"
        )
    if options.rate is None:
        for r in results:
            if r.label != "bare rasa" and r.summary.get("turns_per_s"):
                half = r.summary["turns_per_s"] / 2
                print(
                    f"soak at half this rate: python -m bot bench --profile {r.label} --no-baseline "
                    f"--users {options.users} --rate {half:.1f} --duration 600"
                )
    if options.markdown:
        with options.markdown.open("a", encoding="utf-8") as out:
            out.write("\n" + render_markdown(results, targets, machine, options.command, when))
        print(f">> appended to {options.markdown}")
    if options.json_path:
        figures = {
            "date": when.isoformat(timespec="seconds"),
            "command": options.command,
            "machine": machine,
            "runs": [asdict(r) for r in results],
            "targets": [asdict(t) for t in targets],
        }
        options.json_path.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
        print(f">> wrote {options.json_path}")
    troubled = any(r.summary.get("errors") or r.summary.get("lost") or r.problems for r in results)
    if options.keep or troubled:
        print(f">> logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(t.met is not False for t in targets) else 1


def command_line(argv: Sequence[str]) -> str:
    """The command as the user typed it, for the report: ``python -m bot bench …``."""
    return "python -m bot " + shlex.join(argv)
