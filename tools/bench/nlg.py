"""``python -m bot bench-nlg``: one response rendered inside Rasa against one NLG callback (issue 18).

Two ways for Rasa to get the text of a response, timed on the same tracker:

- **in process**: :class:`bot.nlg.CatalogNaturalLanguageGenerator`, as ``endpoints.yml`` names it now;
- **callback**: Rasa's own ``CallbackNaturalLanguageGenerator`` posting to an ``/nlg`` endpoint, as
  the web app served it until issue 18 — Rasa serialises the whole tracker (``EventVerbosity.ALL``;
  it also ``json.dumps`` the body once more for a debug line it builds whether logged or not), sends
  it over loopback HTTP, the endpoint parses the JSON, renders the same text
  (:func:`bot.nlg.render_response`) and answers JSON, which Rasa parses and validates. Both sides run
  in this one process and event loop, so a callback's time is the work of both.

Trackers of 20 and 180 turns are built from Rasa's event classes the way the complaint form records a
turn (:func:`turn_events`; sizes checked against a stack test's ``tracker.db``). Also printed: the
request body per response, and the resident memory of a fresh Python process before and after it
loads the catalogs and the profile and renders one response in every language (what a Rasa process
holds for them; the NLU component :mod:`bot.feedback_cues` already loads the same catalogs).
Times are wall-clock medians on a shared machine: indicative.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from statistics import median
from typing import Any

from aiohttp import web
from rasa.core.nlg import NaturalLanguageGenerator
from rasa.core.nlg.callback import CallbackNaturalLanguageGenerator, nlg_request_format
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    DefinePrevUserUtteredFeaturization,
    Event,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig

from bot.nlg import CatalogNaturalLanguageGenerator, render_response, response_language
from tests.helpers.ports import free_port

TURNS = (20, 180)
RESPONSE = "utter_ask_complaint_area"
"""The response timed: a form question with one button per department (the profile's areas)."""
INTENTS = [
    "file_complaint",
    "inform",
    "affirm",
    "deny",
    "faq_contact",
    "greet",
    "thank",
    "goodbye",
    "dont_know",
    "cancel",
]

GENERATOR = web.AppKey("generator", CatalogNaturalLanguageGenerator)

MEMORY_PROBE = """
import asyncio, os, resource
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
from rasa.shared.core.trackers import DialogueStateTracker
import bot.nlg
before = rss()
generator = bot.nlg.CatalogNaturalLanguageGenerator()
loaded = rss()
for language in generator.catalogs.languages:
    tracker = DialogueStateTracker.from_dict("m", [{"event": "slot", "name": "language", "value": language}], [])
    asyncio.run(generator.generate("utter_faq_opening_hours", tracker, "gateway", minutes=2))
print(before, loaded, rss())
"""


def turn_events(n: int, language: str = "sv") -> list[Event]:
    """The events of one turn of the complaint form: listen, the message with its NLU reading, the form, answer.

    As in the Swedish complaint of ``tests/stack/test_stack.py`` (its ``tracker.db``: 9–11 events and
    3.7 kB per turn): the message carries the gateway's metadata and the intent ranking (10 entries),
    the form validates the answer, clears ``form_failures`` and asks for the next slot, and the answer
    carries its buttons.
    """
    text = f"Det gäller snöröjningen på Storgatan {n}, den har inte gjorts på tre dagar och vi kommer inte ut"
    ranking = [{"name": name, "confidence": round(0.6 / (i + 1), 4)} for i, name in enumerate(INTENTS)]
    message_id = uuid.uuid4().hex
    meta = {"language": language, "staff_available": False}
    parse = {"intent": ranking[0], "entities": [], "text": text, "message_id": message_id, "metadata": meta}
    model = {"model_id": uuid.uuid4().hex, "assistant_id": "kommun-assistent"}
    buttons = [{"title": f"Avdelning {i}", "payload": f'/inform{{"complaint_area": "area{i}"}}'} for i in range(8)]
    return [
        ActionExecuted("action_listen", policy="RulePolicy", confidence=1.0, metadata=model),
        UserUttered(text, ranking[0], [], {**parse, "intent_ranking": ranking}, None, "gateway", message_id, meta),
        SlotSet("complaint_description", text, metadata=model),
        DefinePrevUserUtteredFeaturization(False, metadata=model),
        ActionExecuted("complaint_form", policy="RulePolicy", confidence=1.0, metadata=model),
        SlotSet("complaint_description", text, metadata=model),
        SlotSet("form_failures", {}, metadata=model),
        SlotSet("requested_slot", "complaint_area", metadata=model),
        BotUttered(
            "Vad gäller det? Välj det som passar bäst.",
            {"buttons": buttons, "elements": None, "quick_replies": None, "image": None, "custom": None},
            {"utter_action": RESPONSE, **model},
        ),
    ]


def build_tracker(turns: int, domain: Domain) -> DialogueStateTracker:
    """A conversation of ``turns`` complaint-form turns, with the domain's slots and ``language`` = sv."""
    events: list[Event] = [SlotSet("language", "sv")]
    for n in range(turns):
        events.extend(turn_events(n))
    return DialogueStateTracker.from_events("bench-nlg", events, domain.slots)


async def nlg_endpoint(request: web.Request) -> web.Response:
    """The ``POST /nlg`` the web app served until issue 18: Rasa's body in, ``{text, buttons}`` out."""
    generator = request.app[GENERATOR]
    body = await request.json()
    arguments = body.get("arguments") or {}
    slots = (body.get("tracker") or {}).get("slots") or {}
    language = response_language(generator.catalogs, arguments, slots, {}, generator.default_language)
    rendered = render_response(
        generator.catalogs, generator.profile, str(body.get("response")), language, slots, arguments
    )
    return web.json_response(rendered)


async def _timed(call: Any, repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` awaits of ``call()`` (after one unmeasured call)."""
    await call()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    return seconds


async def measure_size(
    turns: int, domain: Domain, generator: NaturalLanguageGenerator, callback: NaturalLanguageGenerator, repeat: int
) -> dict[str, Any]:
    """One tracker size: median milliseconds in process, by callback and for the tracker to JSON alone."""
    tracker = build_tracker(turns, domain)

    def inside() -> Any:
        return generator.generate(RESPONSE, tracker, "gateway", domain_responses=domain.responses)

    def remote() -> Any:
        return callback.generate(RESPONSE, tracker, "gateway", domain_responses=domain.responses)

    async def to_json() -> str:
        return json.dumps(tracker.current_state(EventVerbosity.ALL))

    body = json.dumps(nlg_request_format(RESPONSE, tracker, "gateway")).encode("utf-8")
    return {
        "turns": turns,
        "events": len(tracker.events),
        "body_bytes": len(body),
        "inside_ms": median(await _timed(inside, repeat)) * 1000,
        "callback_ms": median(await _timed(remote, repeat)) * 1000,
        "to_json_ms": median(await _timed(to_json, repeat)) * 1000,
        "same_output": await inside() == await remote(),
    }


async def measure(project_root: Path, repeat: int) -> list[dict[str, Any]]:
    """:func:`measure_size` for each of :data:`TURNS`, the callback's endpoint served on a loopback port."""
    domain = Domain.load(str(project_root / "domain.yml"))
    generator = CatalogNaturalLanguageGenerator()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[GENERATOR] = generator
    app.router.add_post("/nlg", nlg_endpoint)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    callback = CallbackNaturalLanguageGenerator(EndpointConfig(f"http://127.0.0.1:{port}/nlg"))
    try:
        return [await measure_size(turns, domain, generator, callback, repeat) for turns in TURNS]
    finally:
        await runner.cleanup()


def memory() -> tuple[int, int, int]:
    """Resident bytes of a fresh process: after importing Rasa's NLG, after loading, after rendering all languages."""
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE], capture_output=True, text=True, check=True)
    before, loaded, rendered = (int(x) for x in out.stdout.split()[-3:])
    return before, loaded, rendered


def main(project_root: Path, repeat: int = 200) -> int:
    """Print the table of :func:`measure` and the memory figures; returns 0, or 1 when the outputs differ."""
    rows = asyncio.run(measure(project_root, repeat))
    print(f"One response ({RESPONSE}), median of {repeat} (ms, wall clock, one process):")
    print("| turns | events | callback body | in process ms | callback ms | tracker to JSON ms | ratio | same |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        ratio = row["callback_ms"] / row["inside_ms"]
        print(
            f"| {row['turns']} | {row['events']} | {row['body_bytes'] / 1024:.0f} KiB | {row['inside_ms']:.3f} "
            f"| {row['callback_ms']:.2f} | {row['to_json_ms']:.2f} | {ratio:.0f}× "
            f"| {'yes' if row['same_output'] else 'NO'} |"
        )
    before, loaded, rendered = memory()
    mib = 1024 * 1024
    print(
        f"Resident memory of a fresh process: {before / mib:.1f} MiB with Rasa's NLG imported, "
        f"+{(loaded - before) / mib:.1f} MiB after loading catalogs and profile, "
        f"+{(rendered - before) / mib:.1f} MiB after rendering once in every language"
    )
    return 0 if all(row["same_output"] for row in rows) else 1
