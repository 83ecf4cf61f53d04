"""Session start: carries slots over and takes the conversation's language from the gateway."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.store import catalogs


class ActionSessionStart(Action):
    """``action_session_start``: the gateway sends ``metadata.language``; it becomes the slot."""

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Start a session: ``SessionStarted``, carried-over slots, the language slot, ``action_listen``."""
        events: list[EventType] = [SessionStarted()]
        for key, value in tracker.slots.items():
            if key != "session_started_metadata" and value is not None:
                events.append(SlotSet(key, value))
        metadata = tracker.get_slot("session_started_metadata") or {}
        language = metadata.get("language")
        if catalogs().supports(language):
            events.append(SlotSet("language", language))
        events.append(ActionExecuted("action_listen"))
        return events
