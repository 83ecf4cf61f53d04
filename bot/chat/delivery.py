"""Delivery of residents' messages to Rasa: in order, one at a time per conversation, retried until answered.

A resident message is stored before anything else (:mod:`bot.chat.intake`); in mode ``bot`` it is then
sent to Rasa with ``sender`` = conversation id and ``metadata.language`` (and ``metadata.written_in``,
``metadata.client``, and ``metadata.staff_available``: whether a case officer can take a chat now, read by
the handoff action).
Rasa's replies are stored and pushed to every open socket of that conversation. When Rasa is not
reachable the message stays undelivered, the resident is told in their language, and the retry loop
(:meth:`Delivery.retry_pending`) sends it again, so nothing typed is lost. In mode ``waiting`` or
``human`` Rasa is not asked.

Custom payloads ``{"gateway": {...}}`` in Rasa's replies are instructions, never shown:
``{"mode": "waiting", "reference": …}`` after a handoff, ``{"language": code}`` after a language change,
``{"asks": "check_code"}`` with the question for a status lookup's check code (kept as ``payload.asks`` of
the turn's last bot message, so the answer is stored masked: :meth:`bot.chat.intake.Intake.receive`).

A resident message whose check code the gateway masked carries the code sealed in ``payload.check_code``;
it goes to Rasa freshly sealed as ``metadata.check_code`` (the action opens it), beside the masked text,
and is removed from the message once Rasa has answered.

After every :data:`TURNS_PER_SESSION` resident messages Rasa has answered in a conversation, the gateway
starts a new Rasa conversation session (the ``/session_start`` message, Rasa's documented manual session
start). Rasa reads back, replays and sends to the action server every event of the current session on every
turn, so without this a turn gets slower the longer the conversation is (issue 18, docs/benchmarks.md); the
project's ``action_session_start`` (``actions/session.py``) carries the slots and an active form over, and
no rule reads further back than the resident's latest message and the slots.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import sessionmaker

from bot.cases import workflow
from bot.chat.locks import LocalLocks
from bot.chat.metrics import Metrics
from bot.chat.notify import Notifier, message_event
from bot.chat.rasa_client import RasaClient, RasaUnavailable
from bot.chat.reveal import CHECK_CODE_QUESTION, reveal_text, reveals
from bot.core.internal_keys import seal, unseal
from bot.store import conversations as convs
from bot.store.models import Conversation, Message

logger = logging.getLogger(__name__)

TURNS_PER_SESSION = 20
"""Resident messages answered by Rasa after which the gateway starts a new Rasa session (see the module docstring)."""
SESSION_START = "/session_start"


async def start_session(rasa: RasaClient, conversation_id: str, language: str) -> None:
    """Start a new Rasa session for the conversation (``/session_start``; replies, if any, are not shown).

    A failure only means the session goes on growing until the next try: logged, not retried.
    """
    try:
        await rasa.send(conversation_id, SESSION_START, {"language": language})
    except RasaUnavailable as exc:
        logger.warning("Rasa unavailable to start a new session: %s", exc)


QUEUED_CODE_TTL = 24 * 3600
"""Seconds a typed check code waits sealed for Rasa at the most (Rasa down); older, it is not sent."""


def rasa_metadata(message: Message, language: str, seal_secret: str) -> dict[str, Any]:
    """Rasa's ``metadata`` of a resident message: ``language``, and ``written_in``, ``client``, ``check_code`` if set.

    A check code the gateway sealed (``payload.check_code``, at most :data:`QUEUED_CODE_TTL` old) is sealed
    again, so the action server opens it within :data:`bot.core.internal_keys.SEAL_TTL_SECONDS`.
    """
    payload = message.payload or {}
    metadata: dict[str, Any] = {"language": language}
    for key in ("written_in", "client"):
        if payload.get(key):
            metadata[key] = payload[key]
    code = unseal(seal_secret, payload.get("check_code"), QUEUED_CODE_TTL)
    if code is not None:
        metadata["check_code"] = seal(seal_secret, code)
    return metadata


class Delivery:
    """Sends resident messages to Rasa and stores its replies.

    One instance per web app process. ``rasa`` is the Rasa client (or one per Rasa process);
    ``actions_ok`` tells whether the action server answers (asked when Rasa answers nothing);
    ``staff_available`` whether a case officer can take a chat now (:mod:`bot.chat.presence`), sent to
    Rasa with each message as ``metadata.staff_available`` so the handoff action promises a live chat
    only when someone is there; ``seal_secret`` opens the sealed check codes of new cases
    (:mod:`bot.chat.reveal`); ``locks`` keep one delivery at a time per conversation (:mod:`bot.chat.locks`;
    :class:`~bot.chat.locks.RedisLocks` when several web apps share the database).
    """

    def __init__(
        self,
        sessions: sessionmaker,
        rasa: RasaClient | list[RasaClient],
        notifier: Notifier,
        metrics: Metrics,
        actions_ok: Callable[[], Awaitable[bool]] | None = None,
        staff_available: Callable[[], Awaitable[bool]] | None = None,
        seal_secret: str = "",
        locks: LocalLocks | None = None,
    ) -> None:
        self._sessions = sessions
        self._rasas = rasa if isinstance(rasa, list) else [rasa]
        self._notifier = notifier
        self._metrics = metrics
        self._actions_ok = actions_ok
        self._staff_available = staff_available
        self._seal_secret = seal_secret
        self._locks = locks if locks is not None else LocalLocks()
        self._told_unavailable: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.rasa_seen_ready = False

    def rasa_for(self, conversation_id: str) -> RasaClient:
        """The Rasa process that handles this conversation: always the same one (CRC-32 of the id).

        With several Rasa processes (production profile) each keeps its conversations' trackers warm;
        the shared tracker store (PostgreSQL) and lock store (Redis) keep it correct when one restarts.
        """
        return self._rasas[zlib.crc32(conversation_id.encode("utf-8")) % len(self._rasas)]

    def spawn(self, conversation_id: str) -> None:
        """Deliver the conversation's pending messages in a task of its own (the caller does not wait)."""
        task = asyncio.get_running_loop().create_task(self.deliver_pending(conversation_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self, grace: float = 5.0) -> None:
        """Let deliveries under way finish (``grace`` seconds at most), then cancel the rest.

        Called before the engine is disposed, so no database connection is left open.
        """
        tasks = list(self._tasks)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def retry_pending(self) -> None:
        """Send every conversation's undelivered resident messages to Rasa (one pass of the retry loop).

        A conversation whose delivery is under way (in this process or, with Redis, in another web app) is
        skipped: its messages are in flight, not lost.
        """
        async with self._sessions() as session:
            waiting = await convs.conversations_with_undelivered(session)
        for conversation_id in waiting:
            await self.deliver_pending(conversation_id, wait=False)

    async def deliver_pending(self, conversation_id: str, wait: bool = True) -> None:
        """Send a conversation's undelivered resident messages to Rasa, in order, one at a time.

        ``wait=False``: give up at once when another delivery of the conversation holds its lock.
        """
        async with self._locks.hold(conversation_id, wait) as held:
            if held:
                await self._deliver_in_order(conversation_id)

    async def _deliver_in_order(self, conversation_id: str) -> None:
        """Deliver the messages pending when called, in order; a message stored meanwhile has its own delivery.

        The conversation is read again before each message after the first (a case officer may have taken it).
        """
        async with self._sessions() as session:
            conversation = await convs.get_conversation(session, conversation_id)
            pending = await convs.undelivered(session, conversation_id)
        for number, message in enumerate(pending):
            if number:
                async with self._sessions() as session:
                    conversation = await convs.get_conversation(session, conversation_id)
            if conversation is None or conversation.mode in workflow.LIVE_MODES:
                return
            if workflow.CHAT_REOPENED.allows(conversation.mode) and not await self._reopen(conversation):
                return
            if not await self._deliver_one(conversation, message):
                return

    async def _deliver_one(self, conversation: Conversation, message: Message) -> bool:
        """Send one resident message to Rasa and store its replies; False when Rasa did not answer."""
        notify, conversation_id = self._notifier, conversation.id
        rasa_text = (message.payload or {}).get("rasa_text") or message.text
        await notify.broadcast(conversation_id, {"type": "typing", "on": True})
        failure = None
        try:
            metadata = rasa_metadata(message, conversation.language, self._seal_secret)
            if self._staff_available is not None:
                metadata["staff_available"] = await self._staff_available()
            started = time.perf_counter()
            replies = await self.rasa_for(conversation_id).send(conversation_id, rasa_text, metadata)
            if not replies and self._actions_ok is not None and not await self._actions_ok():
                # Rasa swallows a failed custom action and answers nothing: the message is kept
                # and sent again once the action server is back (the form then goes on).
                raise RasaUnavailable("the action server is not answering")
            self._metrics.turn_seconds.observe(time.perf_counter() - started)
            self._metrics.turns.inc()
        except RasaUnavailable as exc:
            failure = str(exc)
        if failure is not None:  # handled outside the except block: nothing chains onto the error
            self._metrics.rasa_errors.inc()
            logger.warning("Rasa unavailable for a conversation: %s", failure)
            await notify.broadcast(conversation_id, {"type": "typing", "on": False})
            await self._tell_unavailable(conversation)
            return False
        self.rasa_seen_ready = True
        self._told_unavailable.discard(conversation_id)
        turns, mode, language = await self._store_replies(conversation, message, replies)
        if mode == workflow.BOT and turns % TURNS_PER_SESSION == 0:
            await start_session(self.rasa_for(conversation_id), conversation_id, language)
        return True

    async def _reopen(self, conversation: Conversation) -> bool:
        """Resume Rasa for a conversation whose live chat ended, and switch it back to mode ``bot``.

        Returns False (the resident is told, the message waits for the retry loop) when Rasa is not
        reachable.
        """
        try:
            # The paused tracker ended with the handoff action, not with listening: without the
            # action_listen the next message would be predicted as a continuation of the handoff.
            await self.rasa_for(conversation.id).append_events(
                conversation.id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
            )
        except RasaUnavailable as exc:
            logger.warning("Rasa unavailable to resume a conversation: %s", exc)
            await self._tell_unavailable(conversation)
            return False
        async with self._sessions() as session, session.begin():
            await convs.set_mode(session, conversation.id, workflow.CHAT_REOPENED.target)
        conversation.mode = workflow.CHAT_REOPENED.target
        await self._notifier.broadcast(conversation.id, {"type": "mode", "mode": conversation.mode})
        return True

    async def _tell_unavailable(self, conversation: Conversation) -> None:
        if conversation.id not in self._told_unavailable:
            self._told_unavailable.add(conversation.id)
            key = "assistant_unavailable" if self.rasa_seen_ready else "assistant_starting"
            await self._notifier.system_message(conversation.id, key, conversation.language)

    async def _store_replies(
        self, conversation: Conversation, message: Message, replies: list[dict[str, Any]]
    ) -> tuple[int, str, str]:
        """Store and push Rasa's replies; returns the resident messages answered so far, the mode, the language."""
        notify = self._notifier
        clear = reveals(replies, self._seal_secret)
        async with self._sessions() as session, session.begin():
            stored, language, mode = await save_replies(session, notify, conversation, message, replies)
            turns = await convs.delivered_count(session, conversation.id)
        await notify.broadcast(conversation.id, {"type": "typing", "on": False})
        if language != conversation.language:
            await notify.broadcast(conversation.id, {"type": "language", **notify.lang_payload(language)})
        if mode != conversation.mode:
            await notify.broadcast(conversation.id, {"type": "mode", "mode": mode})
        for reply in stored:
            event = message_event(reply)
            shown = reveal_text(event["text"], clear)
            if shown == event["text"]:
                await notify.broadcast(conversation.id, event)
            else:  # the check code in clear goes to the resident only, and is stored masked
                await notify.to_resident(conversation.id, {**event, "text": shown})
                await notify.to_staff(conversation.id, event)
        if mode == workflow.WAITING and conversation.mode != workflow.WAITING:
            self._metrics.handoffs.inc()
            await notify.queue_changed()
        return turns, mode, language


async def save_replies(
    session: Any, notify: Notifier, conversation: Conversation, message: Message, replies: list[dict[str, Any]]
) -> tuple[list[Message], str, str]:
    """Store Rasa's replies to ``message`` and carry out its instructions, in ``session``'s transaction.

    Returns ``(stored bot messages, language, mode)`` after the instructions. ``message`` is marked delivered
    and its sealed check code (``payload.check_code``) dropped: Rasa has had it. An ``asks: check_code``
    instruction is kept on the last stored reply, so the resident's answer is masked (:mod:`bot.chat.intake`).
    """
    language, mode, asks = conversation.language, conversation.mode, None
    stored: list[Message] = []
    for reply in replies:
        instruction = (reply.get("custom") or {}).get("gateway") if isinstance(reply.get("custom"), dict) else None
        if instruction:
            if notify.catalogs.supports(instruction.get("language")):
                language = instruction["language"]
                await convs.set_language(session, conversation.id, language)
            if instruction.get("mode") in workflow.MODES:
                mode = instruction["mode"]
                await convs.set_mode(session, conversation.id, mode)
            if instruction.get("asks") == CHECK_CODE_QUESTION:
                asks = CHECK_CODE_QUESTION
            continue
        if not reply.get("text") and not reply.get("buttons"):
            continue
        payload = {"buttons": reply.get("buttons") or [], **notify.lang_payload(language)}
        stored.append(await convs.add_message(session, conversation.id, "bot", reply.get("text") or "", payload, True))
    if asks and stored:
        stored[-1].payload = {**(stored[-1].payload or {}), "asks": asks}
    payload = message.payload or {}
    kept = {key: value for key, value in payload.items() if key != "check_code"}
    await convs.mark_delivered(session, message.id, kept if kept != payload else None)
    return stored, language, mode
