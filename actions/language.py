"""Changing the conversation's language."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.store import catalogs


class ActionChangeLanguage(Action):
    """``action_change_language``: switch to the named language, or offer the choice.

    A supported ``language`` entity becomes the slot; the confirmation is rendered in the new
    language (passed as an argument, since the slot is set only after this action). In the middle
    of a form nothing is said: the form asks its next question again, in the new language, with the
    answers given so far kept. The gateway is
    told through a custom payload ``{"gateway": {"language": code}}`` so its own messages follow.
    """

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_change_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Set the ``language`` slot from the latest entity, or ask which language to use."""
        wanted = next(tracker.get_latest_entity_values("language"), None)
        if not catalogs().supports(wanted):
            dispatcher.utter_message(response="utter_choose_language")
            return []
        dispatcher.utter_message(json_message={"gateway": {"language": wanted}})
        if not tracker.active_loop_name:
            # In a form the next question, now in the new language, is the confirmation.
            dispatcher.utter_message(response="utter_language_changed", language=wanted)
        return [SlotSet("language", wanted)]
