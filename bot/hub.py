"""Live delivery of events to open sockets, by topic (in one web app process).

Topics: ``resident:<conversation id>`` (the resident's tabs), ``staff:<conversation id>`` (staff
browsers showing that chat), ``queue`` (staff browsers showing the queue). The gateway publishes;
socket handlers subscribe. Events are JSON-ready dicts. A socket that fails to take an event is
dropped from its topic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

Push = Callable[[dict[str, Any]], Awaitable[None]]
"""Sends one event (a JSON-ready dict) to one socket."""


def resident_topic(conversation_id: str) -> str:
    """Topic of a resident's sockets."""
    return f"resident:{conversation_id}"


def staff_topic(conversation_id: str) -> str:
    """Topic of the staff sockets watching a conversation."""
    return f"staff:{conversation_id}"


QUEUE = "queue"


class Hub:
    """Subscribers by topic, in this process."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Push]] = defaultdict(set)

    def subscribe(self, topic: str, push: Push) -> None:
        """Deliver the topic's events to ``push`` from now on."""
        self._subscribers[topic].add(push)

    def unsubscribe(self, topic: str, push: Push) -> None:
        """Stop delivering the topic's events to ``push`` (no error when it was not subscribed)."""
        subscribers = self._subscribers.get(topic)
        if subscribers is None:
            return
        subscribers.discard(push)
        if not subscribers:
            del self._subscribers[topic]

    def count(self, topic: str) -> int:
        """How many sockets are subscribed to ``topic``."""
        return len(self._subscribers.get(topic, ()))

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Send ``event`` to every subscriber of ``topic``; failing subscribers are dropped."""
        for push in list(self._subscribers.get(topic, ())):
            try:
                await push(event)
            except (ConnectionError, RuntimeError):
                self.unsubscribe(topic, push)
