"""Not understood: say so plainly with buttons; after two misses in a row, hand over to a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

FALLBACK_INTENT = "nlu_fallback"


def misses_in_a_row(tracker: Tracker) -> int:
    """How many of the latest resident messages in a row were not understood (``nlu_fallback``)."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionFallback(Action):
    """``action_fallback``: first miss → ``utter_default`` (buttons); second in a row → ``action_handoff``.

    Two misses in a row hand the chat to a person (issue 5's triggers): the resident is not asked a
    third time what they mean.
    """

    def name(self) -> str:
        """Rasa's name of this action."""
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        """Answer a message that was not understood."""
        if misses_in_a_row(tracker) >= 2:
            return [FollowupAction("action_handoff")]
        dispatcher.utter_message(response="utter_default")
        return []
