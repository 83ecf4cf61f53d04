"""Live delivery of events to open sockets, by topic: in one process, or across instances over Redis.

Topics: ``resident:<conversation id>`` (the resident's tabs), ``staff:<conversation id>`` (staff
browsers showing that chat), ``queue`` (staff browsers showing the queue). :mod:`bot.chat.notify` publishes;
socket handlers subscribe. Events are JSON-ready dicts. A socket that fails to take an event is
dropped from its topic. With ``REDIS_URL`` set the web app uses :class:`RedisHub`, so a resident
connected to one web app instance and a case officer connected to another see each other live.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

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
    """Subscribers by topic, in this process (the embedded default)."""

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

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Send ``event`` to every subscriber of ``topic``; failing subscribers are dropped."""
        for push in list(self._subscribers.get(topic, ())):
            try:
                await push(event)
            except (ConnectionError, RuntimeError):
                self.unsubscribe(topic, push)


REDIS_PREFIX = "kommun:hub:"
"""Redis channel of a topic: ``kommun:hub:<topic>``."""


class RedisHub(Hub):
    """A hub whose events travel over Redis pub/sub, so every web app instance delivers them.

    :meth:`publish` sends to Redis; one listener per instance (pattern ``kommun:hub:*``) hands each
    event to the sockets subscribed in this instance. When Redis cannot be reached the event is
    delivered in this instance only (logged), so a Redis outage degrades to one-instance behaviour
    instead of breaking the chat.
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis.asyncio as redis_asyncio

        self._redis = redis_asyncio.from_url(url)
        self._pubsub: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Subscribe and start listening (call once, inside the running event loop).

        Raises:
            redis.exceptions.ConnectionError: Redis is not reachable.
        """
        self._pubsub = self._redis.pubsub()
        await self._pubsub.psubscribe(REDIS_PREFIX + "*")
        self._task = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("redis hub: lost the subscription, retrying", exc_info=True)
                await asyncio.sleep(1.0)
                continue
            if not message or message.get("type") != "pmessage":
                continue
            topic = message["channel"].decode("utf-8")[len(REDIS_PREFIX) :]
            try:
                event = json.loads(message["data"])
            except ValueError:
                continue
            await super().publish(topic, event)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        """Publish to every instance through Redis (locally only if Redis fails)."""
        try:
            await self._redis.publish(REDIS_PREFIX + topic, json.dumps(event, ensure_ascii=False))
        except Exception:
            logger.warning("redis hub: publish failed, delivering in this instance only", exc_info=True)
            await super().publish(topic, event)

    async def close(self) -> None:
        """Stop listening and close the Redis connections."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.reset()
        await self._redis.close()
        await self._redis.connection_pool.disconnect()
