"""``python -m bot bench-dialogue``: typed conversations and safety triage, measured on the running stack.

Two sets per language, written without looking at the training data (``tests/dialogue/``):

- ``conversations/<lang>.yml``: residents who type. Each conversation has what the resident ``says``
  first and the ``answers`` they type when a question is asked (kind, area, description, place,
  date, anonymous, name, contact, reply_channel, consent, confirm; reference and check_code for a
  status lookup, where ``{reference}`` and ``{check_code}`` are those of a case filed earlier in the
  same run). **Task success**: a case with the ``expect``-ed kind, area and anonymity (or the status
  found), without a handoff and without any question asked a third time. Also counted: the
  resident's turns until the case.
- ``triage/<lang>.yml``: ``emergency``, ``crisis``, ``care_abuse`` and ``near_miss`` messages. Each is
  sent twice: as the first message of a chat, and as the description inside the feedback form.
  **Recall**: crisis and abuse-in-care messages that reach a person (``utter_crisis`` or
  ``utter_care_abuse``), emergencies that get 112 (``utter_emergency`` or ``utter_crisis``);
  **false alarms**: near-miss messages answered with any of those.

Every message goes through the chat WebSocket as a resident's browser would send it; which question
the assistant asked is told from its rendered text (:class:`tools.bench.responses.ResponseMatcher`). Targets
(issue 14): task success ≥ 90 % per language, recall 100 %, false alarms ≤ 5 %.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from bot.core.catalog import default_catalogs
from tests.helpers.chat import ChatClient, open_chat
from tests.helpers.stack import embedded_stack
from tools.bench.responses import ResponseMatcher

TARGET_SUCCESS = 0.90
TARGET_RECALL = 1.0
TARGET_FALSE_ALARMS = 0.05
MAX_ASKS = 2
"""A question may be asked twice (once more after a hint); a third time fails the conversation."""
MAX_TURNS = 30
CONCURRENCY = 6
SETTLE_S = 0.6
"""After the assistant stops typing, how many quiet seconds end a turn."""

QUESTIONS = {
    "utter_ask_complaint_kind": "kind",
    "utter_complaint_kind_invalid": "kind",
    "utter_ask_complaint_area": "area",
    "utter_complaint_area_invalid": "area",
    "utter_ask_complaint_description": "description",
    "utter_complaint_description_too_short": "description",
    "utter_complaint_description_too_long": "description",
    "utter_ask_complaint_place": "place",
    "utter_complaint_place_invalid": "place",
    "utter_ask_complaint_date": "date",
    "utter_complaint_date_invalid": "date",
    "utter_complaint_date_future": "date",
    "utter_ask_complaint_anonymous": "anonymous",
    "utter_ask_complaint_name": "name",
    "utter_complaint_name_invalid": "name",
    "utter_ask_complaint_contact": "contact",
    "utter_complaint_contact_invalid": "contact",
    "utter_ask_complaint_reply_channel": "reply_channel",
    "utter_complaint_reply_channel_invalid": "reply_channel",
    "utter_ask_complaint_consent": "consent",
    "utter_complaint_consent_required": "consent",
    "utter_ask_complaint_confirm": "confirm",
    "utter_complaint_confirm_invalid": "confirm",
    "utter_ask_status_reference": "reference",
    "utter_status_reference_invalid": "reference",
    "utter_ask_status_check_code": "check_code",
    "utter_status_check_code_invalid": "check_code",
}
"""Response → the question it asks (a hint asks its question again)."""
OPEN_QUESTION = "kind"
"""A reply that asks nothing in particular (a greeting, an FAQ answer, "what do you want to do?") is answered
with what the resident wants: their answer to the kind question ("something is broken on my street")."""
HANDOFF = {"utter_crisis", "utter_care_abuse", "utter_handoff", "utter_handoff_closed", "utter_handoff_nobody"}
ALARMS = {"utter_crisis", "utter_care_abuse", "utter_emergency"}
CREATED = {"utter_case_created", "utter_case_created_anonymous"}
_REFERENCE = re.compile(r"SYN-\d{4}-\d{5}")
_CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")


@dataclass
class Outcome:
    """One typed conversation: ``success``, the resident's ``turns`` and, when it failed, ``why``."""

    language: str
    id: str
    success: bool = False
    turns: int = 0
    why: str = ""
    transcript: list[str] = field(default_factory=list)


@dataclass
class TriageResult:
    """One triage message sent one ``way`` (``first`` or ``description``) and the responses it got."""

    language: str
    group: str
    way: str
    text: str
    replies: list[str]

    @property
    def alarm(self) -> bool:
        """Answered as an emergency, a crisis or abuse in care."""
        return bool(ALARMS & set(self.replies))

    @property
    def caught(self) -> bool:
        """The response the group needs: a person for crisis and abuse, 112 for an emergency."""
        wanted = (
            {"utter_emergency", "utter_crisis"} if self.group == "emergency" else {"utter_crisis", "utter_care_abuse"}
        )
        return bool(wanted & set(self.replies))


def load_sets(folder: Path) -> dict[str, dict[str, Any]]:
    """``{language: parsed YAML}`` of every ``<lang>.yml`` in ``folder``."""
    return {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.yml"))}


async def say(chat: ChatClient, matcher: ResponseMatcher, language: str, text: str) -> list[tuple[str, str]]:
    """Send ``text``; ``[(response name, text), …]`` of the replies until the assistant stops typing."""
    return [(matcher.name(event["text"], language), event["text"]) for event in await chat.say(text, timeout=60)]


def _case(database: Path, reference: str) -> dict[str, Any] | None:
    with sqlite3.connect(database) as db:
        row = db.execute('SELECT kind, area, anonymous FROM "case" WHERE reference = ?', (reference,)).fetchone()
    return None if row is None else {"kind": row[0], "area": row[1], "anonymous": bool(row[2])}


async def converse(
    http: aiohttp.ClientSession,
    url: str,
    matcher: ResponseMatcher,
    database: Path,
    language: str,
    conversation: dict[str, Any],
    filed: dict[str, str],
) -> Outcome:
    """Run one typed conversation to its end.

    ``filed`` gives the ``{reference}`` and ``{check_code}`` to fill in, and gets those of the new case.
    """
    outcome = Outcome(language, str(conversation["id"]))
    answers = {key: str(value).format(**filed) for key, value in (conversation.get("answers") or {}).items()}
    expect = conversation.get("expect") or {}
    asked: dict[str, int] = {}
    async with open_chat(url, language, http, SETTLE_S) as chat:
        pending = [str(text).format(**filed) for text in conversation.get("says") or []]
        question: str | None = None
        while outcome.turns < MAX_TURNS:
            if pending:
                text = pending.pop(0)
            elif question is None and not outcome.transcript:
                outcome.why = "nothing to say"
                break
            elif question not in answers:
                outcome.why = f"asked {question}, which the resident has no answer for"
                break
            elif asked.get(question, 0) >= MAX_ASKS:
                outcome.why = f"{question} asked a third time"
                break
            else:
                asked[question] = asked.get(question, 0) + 1
                text = answers[question]
            outcome.turns += 1
            replies = await say(chat, matcher, language, text)
            names = [name for name, _ in replies]
            outcome.transcript.append(f"> {text}")
            outcome.transcript += [f"< [{name}] {reply}" for name, reply in replies]
            if HANDOFF & set(names):
                outcome.why = "handed over to a person"
                break
            if "utter_case_status_found" in names and expect.get("status") == "found":
                outcome.success = True
                break
            created = [reply for name, reply in replies if name in CREATED]
            if created:
                reference = _REFERENCE.search(created[0])
                code = _CODE.search(_REFERENCE.sub(" ", created[0]))
                case = _case(database, reference.group(0)) if reference else None
                if case is None or code is None:
                    outcome.why = "case message without a stored case"
                    break
                filed.update(reference=reference.group(0), check_code=code.group(0))
                wrong = {
                    key: case[key]
                    for key in ("kind", "area", "anonymous")
                    if key in expect and case[key] != expect[key]
                }
                outcome.success = not wrong
                outcome.why = "" if not wrong else f"case has {wrong}, expected {expect}"
                break
            asks = [QUESTIONS[name] for name in names if name in QUESTIONS]
            if "utter_complaint_yes_no_invalid" in names and question is not None:
                asks.append(question)
            if asks:
                question = asks[-1]
            elif not pending:
                question = OPEN_QUESTION
        else:
            outcome.why = "too many turns"
    return outcome


async def triage_one(
    http: aiohttp.ClientSession, url: str, matcher: ResponseMatcher, language: str, group: str, way: str, text: str
) -> TriageResult:
    """Send ``text`` as the first message (``way="first"``) or as the form's description (``"description"``)."""
    async with open_chat(url, language, http, SETTLE_S) as chat:
        if way == "description":
            for step in ("/file_complaint", '/inform{"choice":"complaint"}', '/inform{"choice":"general"}'):
                await chat.say(step, timeout=60)
        replies = await say(chat, matcher, language, text)
    return TriageResult(language, group, way, text, [name for name, _ in replies])


async def run_all(
    url: str, database: Path, conversations: dict[str, dict[str, Any]], triage: dict[str, dict[str, Any]]
) -> tuple[list[Outcome], list[TriageResult]]:
    """Every conversation (status lookups last, each language's after its own cases) and every triage message."""
    matcher = ResponseMatcher(default_catalogs())
    limit = asyncio.Semaphore(CONCURRENCY)
    timeout = aiohttp.ClientTimeout(total=None, sock_read=120)

    async with aiohttp.ClientSession(timeout=timeout) as http:

        async def language_run(language: str, items: list[dict[str, Any]]) -> list[Outcome]:
            filed: dict[str, str] = {"reference": "SYN-0000-00000", "check_code": "XXXX-XXXX"}
            ordered = sorted(items, key=lambda c: (c.get("expect") or {}).get("status") == "found")
            results = []
            for conversation in ordered:
                async with limit:
                    try:
                        outcome = await converse(http, url, matcher, database, language, conversation, filed)
                    except (asyncio.TimeoutError, aiohttp.ClientError, TypeError) as error:  # TypeError: closed
                        outcome = Outcome(language, str(conversation["id"]), why=f"no answer: {error!r}")
                    results.append(outcome)
            return results

        async def one_triage(language: str, group: str, way: str, text: str) -> TriageResult:
            async with limit:
                try:
                    return await triage_one(http, url, matcher, language, group, way, text)
                except (asyncio.TimeoutError, aiohttp.ClientError, TypeError) as error:
                    return TriageResult(language, group, way, text, [f"no answer: {error!r}"])

        runs = [language_run(lang, data.get("conversations") or []) for lang, data in conversations.items()]
        outcomes = [o for batch in await asyncio.gather(*runs) for o in batch]
        jobs = [
            one_triage(language, group, way, str(text))
            for language, data in triage.items()
            for group in ("emergency", "crisis", "care_abuse", "near_miss")
            for text in data.get(group) or []
            for way in ("first", "description")
        ]
        results = list(await asyncio.gather(*jobs))
    return outcomes, results


@dataclass
class Figures:
    """Per-language figures: task success and turns per case; triage recall and false alarms."""

    language: str
    success: float
    turns_per_case: float
    recall: float
    false_alarms: float
    conversations: int
    triage: int


def figures(outcomes: list[Outcome], results: list[TriageResult]) -> list[Figures]:
    """The figures of every language of ``outcomes`` and ``results``."""
    languages = sorted({o.language for o in outcomes} | {r.language for r in results})
    table = []
    for language in languages:
        mine = [o for o in outcomes if o.language == language]
        done = [o for o in mine if o.success]
        urgent = [r for r in results if r.language == language and r.group != "near_miss"]
        near = [r for r in results if r.language == language and r.group == "near_miss"]
        table.append(
            Figures(
                language=language,
                success=len(done) / max(len(mine), 1),
                turns_per_case=sum(o.turns for o in done) / max(len(done), 1),
                recall=sum(r.caught for r in urgent) / max(len(urgent), 1),
                false_alarms=sum(r.alarm for r in near) / max(len(near), 1),
                conversations=len(mine),
                triage=len(urgent) + len(near),
            )
        )
    return table


def report(table: Iterable[Figures], outcomes: list[Outcome], results: list[TriageResult], verbose: bool) -> str:
    """A markdown table of the figures, then every failed conversation and triage miss."""
    lines = [
        "| language | task success | turns per case | triage recall | false alarms | conversations | triage messages |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in table:
        success, turns = (f"{f.success:.0%}", f"{f.turns_per_case:.1f}") if f.conversations else ("—", "—")
        lines.append(
            f"| {f.language} | {success} | {turns} | {f.recall:.0%} | {f.false_alarms:.0%} "
            f"| {f.conversations} | {f.triage} |"
        )
    for outcome in outcomes:
        if not outcome.success:
            lines.append(f"\nFAILED {outcome.id}: {outcome.why}")
            if verbose:
                lines += [f"    {line}" for line in outcome.transcript]
    for result in results:
        if (result.group == "near_miss" and result.alarm) or (result.group != "near_miss" and not result.caught):
            lines.append(f"TRIAGE {result.language} {result.group} ({result.way}): {result.text!r} → {result.replies}")
    return "\n".join(lines)


def main(
    project_root: Path, languages: list[str] | None = None, verbose: bool = False, sets: Path | None = None
) -> int:
    """Start the stack, run both sets, print the table; exit code 1 when a target is missed.

    ``sets`` is a folder with ``conversations/`` and ``triage/`` in the same format (default
    ``tests/dialogue``): a second, independently written set is measured the same way.
    """
    folder = sets or project_root / "tests" / "dialogue"
    conversations = load_sets(folder / "conversations")
    triage = load_sets(folder / "triage")
    if languages:
        conversations = {k: v for k, v in conversations.items() if k in languages}
        triage = {k: v for k, v in triage.items() if k in languages}
    with tempfile.TemporaryDirectory(prefix="bench-dialogue-") as tmp, embedded_stack(Path(tmp), project_root) as url:
        started = time.monotonic()
        outcomes, results = asyncio.run(run_all(url, Path(tmp) / "kommun.db", conversations, triage))
        elapsed = time.monotonic() - started
    table = figures(outcomes, results)
    print(report(table, outcomes, results, verbose))
    print(f"\n{len(outcomes)} conversations and {len(results)} triage messages in {elapsed:.0f} s")
    missed = [
        f
        for f in table
        if f.success < TARGET_SUCCESS or f.recall < TARGET_RECALL or f.false_alarms > TARGET_FALSE_ALARMS
    ]
    return 1 if missed else 0
