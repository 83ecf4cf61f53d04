"""The conversation mix of the load benchmark: what simulated residents type, and one conversation.

The mix (:func:`plan_conversation`): Swedish, English and Arabic residents (the Arabic ones are
detected from their first message, as on a Swedish page); a greeting, 1–3 FAQ questions, then either
a request for a person (a handoff: the chat goes to staff, so the resident starts a new
conversation) or the complaint form to the end, following the buttons the bot sends, and a status
lookup with the reference and check code from the filing (:func:`converse`). The texts are made up.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.catalog import Catalogs
from bot.core.profile import Profile
from tools.bench.responses import ResponseMatcher, catalog_buttons
from tools.bench.stats import RunStats

if TYPE_CHECKING:
    from tools.bench.channels import Channel, Reply

MAX_FORM_TURNS = 20

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
HANDOFF_DONE = frozenset({"utter_handoff", "utter_handoff_closed", "utter_handoff_nobody"})
LOOKUP_FOUND = frozenset({"utter_case_status_found"})
LOOKUP_ANSWERED = frozenset({"utter_case_status_found", "utter_case_status_not_found"})

Filed = tuple[str | None, str | None]
"""A filed case as the resident read it: ``(reference, check code)``; ``None`` where not shown (bare Rasa)."""


class Step(Protocol):
    """One scripted turn of a conversation (the load mix's, or the long conversation of ``--growth``)."""

    async def __call__(
        self, label: str, text: str, expect: Iterable[str] | None, display: str | None = None, fatal: bool = True
    ) -> Reply | None:
        """Send ``text`` (shown as ``display``); the reply, or ``None`` (failed, run over, off script and ``fatal``)."""


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
    filed = await file_complaint(step, plan, script, channel)
    if filed is not None and await look_up(step, plan.phrases, filed, channel):
        stats.counts["lookups"] += 1


async def file_complaint(step: Step, plan: ConversationPlan, script: Script, channel: Channel) -> Filed | None:
    """Ask for the complaint form and answer its questions (the buttons the bot sends) until the case is filed.

    Returns the filed case's ``(reference, check code)`` as read from the reply (``None`` where bare Rasa
    shows response names only), or ``None`` when the form went off script (counted as a stray step).
    """
    stats = script.stats
    reply = await step("complaint", plan.phrases.complaint, FORM_QUESTIONS)  # the kind may come with the request
    previous = "complaint"
    for _ in range(MAX_FORM_TURNS):
        if reply is None:
            return None
        if reply.first(CASE_CREATED) is not None:
            stats.counts["cases"] += 1
            text = reply.text()
            reference = REFERENCE_RE.search(text)
            code = CODE_RE.search(text.replace(reference.group(0), " ") if reference else text)
            filed = (reference.group(0) if reference else None, code.group(0) if code else None)
            if not channel.bare and None in filed:
                stats.stray("case created (no reference or code)", reply.names, [text])
                return None
            return filed
        question = reply.last(FORM_QUESTIONS)
        if question is None or question[0] == previous:
            stats.stray(f"after {previous}", reply.names, [m.get("text") or "" for m in reply.messages])
            return None
        name, message = question
        buttons = message.get("buttons") or catalog_buttons(script.catalogs, script.profile, name, channel.language)
        answer = form_answer(name, plan, buttons)
        if answer is None:
            stats.stray(name, [name], [message.get("text") or ""])
            return None
        previous = name
        reply = await step(f"form {name.removeprefix('utter_ask_complaint_')}", answer[0], None, answer[1])
    stats.stray("form (too many turns)", reply.names if reply else [], [reply.text()] if reply else [])
    return None


async def look_up(step: Step, phrases: Phrases, filed: Filed, channel: Channel) -> bool:
    """Ask for the status of the filed case with its reference and check code; True when it was answered."""
    reference, code = filed
    if await step("lookup", phrases.lookup, {"utter_ask_status_reference"}) is None:
        return False
    if await step("lookup reference", reference or BARE_REFERENCE, {"utter_ask_status_check_code"}) is None:
        return False
    expect = LOOKUP_ANSWERED if channel.bare else LOOKUP_FOUND
    return await step("lookup code", code or BARE_CHECK_CODE, expect) is not None


async def resident(channel: Channel, pacer: Pacer, rng: random.Random, script: Script) -> None:
    """One simulated resident: conversation after conversation until the run is over."""
    try:
        while time.perf_counter() < pacer.stop_at:
            await converse(channel, plan_conversation(rng), pacer, script)
    finally:
        await channel.close()
