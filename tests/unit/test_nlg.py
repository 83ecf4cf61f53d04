"""Responses rendered inside Rasa (bot/nlg.py, issue 18): loaded from endpoints.yml, language, values, output.

The trackers are Rasa's own (``DialogueStateTracker`` fed a short event list), and the generator is
created the way ``rasa run`` creates it, from the rendered ``endpoints.yml``. When this replaced the web
app's ``POST /nlg``, 1,621 renderings (86 responses × 9 languages, with and without arguments, plural
counts 0/1/2/5/11, language from argument, slot and message metadata, an unknown name) were compared
with what ``/nlg`` answered to Rasa's own request body: all identical.
"""

from __future__ import annotations

import logging

import pytest
from rasa.core.actions.action import ActionBotResponse
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg.generator import NaturalLanguageGenerator
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot.core.rendering import FSI, PDI
from bot.core.settings import Settings
from bot.nlg import CatalogNaturalLanguageGenerator
from bot.ops.children import render_endpoints

SLOTS = ("language", "complaint_area", "form_failures", "status_reference")


def tracker(slots: dict | None = None, metadata: dict | None = None) -> DialogueStateTracker:
    """A conversation: one resident message (with ``metadata``), then ``slots`` set."""
    state = DialogueStateTracker("conversation-1", [AnySlot(name, mappings=[{}]) for name in SLOTS])
    state.update(ActionExecuted("action_listen"))
    state.update(UserUttered("hej", {"name": "greet", "confidence": 1.0}, metadata=metadata or {}))
    for name, value in (slots or {}).items():
        state.update(SlotSet(name, value))
    return state


@pytest.fixture(scope="module")
def nlg(tmp_path_factory) -> NaturalLanguageGenerator:
    """The generator as ``rasa run`` builds it from the ``endpoints.yml`` the supervisor writes."""
    settings = Settings.from_env({}).with_overrides(
        data_dir=tmp_path_factory.mktemp("data"), rasa_token="t", action_token="a"
    )
    endpoints = AvailableEndpoints.read_endpoints(str(render_endpoints(settings)))
    return NaturalLanguageGenerator.create(endpoints.nlg, Domain.empty())


def test_rasa_builds_the_catalog_generator_from_endpoints_yml(nlg):
    assert isinstance(nlg, CatalogNaturalLanguageGenerator)
    assert nlg.profile.name == "Exempelby kommun" and "ar" in nlg.catalogs.languages


async def test_language_is_the_argument_then_the_slot_then_the_message_metadata_then_the_default(nlg):
    goodbye = {"sv": "Hej då!", "en": "Goodbye!", "fi": "Näkemiin!"}

    async def said(state: DialogueStateTracker, **arguments) -> str:
        text = (await nlg.generate("utter_goodbye", state, "gateway", domain_responses={}, **arguments))["text"]
        return next(code for code, start in goodbye.items() if text.startswith(start))

    both = tracker({"language": "en"}, {"language": "fi"})
    assert await said(both, language="sv") == "sv"
    assert await said(both) == "en"
    assert await said(tracker({"language": "xx"}, {"language": "fi"})) == "fi"
    assert await said(tracker({}, {"language": "fi"})) == "fi"
    assert await said(tracker()) == "sv"  # KOMMUN_DEFAULT_LANGUAGE's default


async def test_values_come_from_profile_then_slots_then_arguments(nlg):
    state = tracker({"language": "en", "status_reference": "SYN-2026-00001"})
    text = (await nlg.generate("utter_case_status_paused", state, "gateway", minutes=5, phone="112"))["text"]
    assert text == "You have tried too many times. Wait 5 minutes and try again, or call 112."
    text = (await nlg.generate("utter_case_status_paused", state, "gateway", minutes=1))["text"]
    assert text.endswith("Wait 1 minute and try again, or call 0123-45 67 00.")  # the profile's phone


@pytest.mark.parametrize(
    ("language", "minutes", "form"),
    [("ar", 1, "دقيقة واحدة"), ("ar", 2, "دقيقتين"), ("ar", 5, f"{FSI}5{PDI} دقائق"), ("ar", 11, f"{FSI}11{PDI} دقيقة"),
     ("pl", 1, "1 minutę"), ("pl", 2, "2 minuty"), ("pl", 5, "5 minut"), ("sv", 1, "1 minut"), ("sv", 2, "2 minuter")],
)  # fmt: skip
async def test_counts_take_the_plural_form_of_the_language(nlg, language, minutes, form):
    state = tracker({"language": language})
    assert form in (await nlg.generate("utter_case_status_paused", state, "gateway", minutes=minutes))["text"]


async def test_arabic_isolates_the_filled_in_values(nlg):
    state = tracker({"language": "ar"})
    rendered = await nlg.generate("utter_handoff_closed", state, "gateway", reference="SYN-2026-00042")
    assert f"{FSI}SYN-2026-00042{PDI}" in rendered["text"]
    assert rendered["text"].startswith("نحن")


async def test_buttons_are_rendered_too(nlg):
    languages = await nlg.generate("utter_choose_language", tracker({"language": "fa"}), "gateway")
    assert [b["lang"] for b in languages["buttons"]] == ["sv", "en", "ar", "fa", "so", "ti", "pl", "uk", "fi"]
    areas = await nlg.generate("utter_ask_complaint_area", tracker({"language": "en"}), "gateway")
    assert len(areas["buttons"]) == len(nlg.profile.departments) and areas["buttons"][0]["payload"]


async def test_rasa_utters_the_response_and_an_unknown_name_sends_nothing(nlg, caplog):
    channel, state = CollectingOutputChannel(), tracker({"language": "sv"})
    events = await ActionBotResponse("utter_goodbye").run(channel, nlg, state, Domain.empty())
    assert isinstance(events[0], BotUttered) and events[0].text.startswith("Hej då!")
    with caplog.at_level(logging.ERROR):
        assert await ActionBotResponse("utter_nope").run(channel, nlg, state, Domain.empty()) == []
    assert "utter_nope" in caplog.text
