"""Answers to frequently asked questions that depend on what the resident asked about."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import area_words, read_choice
from actions.complaint import AREA
from actions.store import language_of, profile


class ActionFaqResponseTime(Action):
    """``action_faq_response_time``: how long the answer takes, by department.

    The department is the complaint form's area when one is chosen, else one the question names ("how long
    does the school take?", read with the profile's department names and keywords in the conversation's
    language, Swedish and English). Named: ``utter_faq_response_time_area`` with that department's reply
    deadline (:meth:`bot.core.profile.Profile.reply_days_for`); not named: ``utter_faq_response_time``
    with the range over all departments (``reply_days_range``, from the profile).
    """

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_faq_response_time"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Utter the department's own reply deadline, or the range over departments."""
        municipality = profile()
        language = language_of(tracker)
        area = tracker.get_slot(AREA)
        if area not in {dep.id for dep in municipality.departments}:
            text = str((tracker.latest_message or {}).get("text") or "")
            languages = list(dict.fromkeys([language, "sv", "en"]))
            area = read_choice(text, area_words(municipality, languages), languages) if text else None
        if area is None:
            dispatcher.utter_message(response="utter_faq_response_time")
            return []
        department = municipality.department(area)
        dispatcher.utter_message(
            response="utter_faq_response_time_area",
            area_name=department.display_name(language),
            reply_days=municipality.reply_days_for(area),
        )
        return []
