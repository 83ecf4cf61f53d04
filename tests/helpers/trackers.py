"""Helpers for tests of custom actions: inline trackers and the responses a dispatcher collected."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "",
    entities=None,
    sender="c1",
    active_loop=None,
    metadata=None,
):
    return Tracker(
        sender_id=sender,
        slots={"requested_slot": None, "language": None, **(slots or {})},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": entities or [],
            "metadata": metadata or {},
        },
        events=[],
        paused=False,
        followup_action=None,
        active_loop=active_loop or {},
        latest_action_name="action_listen",
    )


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    return [m.get("response") for m in dispatcher.messages]
