"""Session start: carries slots and an unfinished form over, and takes the conversation's language from the gateway."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.store import catalogs


class ActionSessionStart(Action):
    """``action_session_start``: a new Rasa session that goes on where the last one stopped.

    Rasa starts a new session when the resident writes after ``session_expiration_time`` minutes of
    silence (``domain.yml``), and when the gateway sends ``/session_start`` (every 20 answered messages,
    ``bot/chat/delivery.py``): Rasa reads back only the events of the latest session on every turn.
    Rasa's own session start carries the slots over but not the active form: a resident who comes back
    to a half-filled complaint would find the form gone and their next answer read as a new question.
    This one carries the slots *and* the active form (``ActiveLoop``, with ``requested_slot`` among the
    slots), so the form asks on where it stopped — a half-filled complaint survives a reload, a restart
    and a pause (house rule). The gateway's ``metadata.language`` (of the ``/session_start`` message, or
    of the message that found the session expired) becomes the ``language`` slot.
    """

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """``SessionStarted``, the carried-over slots, the language slot, the active form, ``action_listen``."""
        events: list[EventType] = [SessionStarted()]
        for key, value in tracker.slots.items():
            if key != "session_started_metadata" and value is not None:
                events.append(SlotSet(key, value))
        latest = tracker.latest_message or {}
        if (latest.get("intent") or {}).get("name") == "session_start":  # the gateway's /session_start
            metadata = latest.get("metadata") or {}
        else:  # the session expired: Rasa put the metadata of the resident's new message in this slot
            metadata = tracker.get_slot("session_started_metadata") or {}
        language = metadata.get("language")
        if catalogs().supports(language):
            events.append(SlotSet("language", language))
        if tracker.active_loop_name:
            events.append(ActiveLoop(tracker.active_loop_name))
        events.append(ActionExecuted("action_listen"))
        return events
