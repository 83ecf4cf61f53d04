"""The gateway: resident conversations, their transcripts, and routing between resident and Rasa.

A resident message is stored first (durable before anything else), then acknowledged, then — in mode
``bot`` — sent to Rasa with ``sender`` = conversation id and ``metadata.language``. Rasa's replies are
stored and pushed to every open socket of that conversation. When Rasa is not reachable the message
stays undelivered, the resident is told in their language, and a background loop retries it, so
nothing typed is lost. In mode ``waiting`` or ``human`` Rasa is not asked.

Custom payloads ``{"gateway": {...}}`` in Rasa's replies are instructions to the gateway, never shown:
``{"mode": "waiting", "reference": …}`` after a handoff, ``{"language": code}`` after a language change.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import sessionmaker

from bot.catalog import Catalogs
from bot.langid import MIN_CHARS_FOR_TEXT_LANGUAGE, decide, text_language
from bot.profile import Profile
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.store import conversations as convs
from bot.store.models import Conversation, Message

logger = logging.getLogger(__name__)

Push = Callable[[dict[str, Any]], Awaitable[None]]
"""Sends one event (a JSON-ready dict) to one resident socket."""


def message_event(message: Message) -> dict[str, Any]:
    """The socket event for a stored message: ``{type, id, sender, text, buttons, lang, dir, time}``."""
    payload = message.payload or {}
    return {
        "type": "message",
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "buttons": payload.get("buttons") or [],
        "lang": payload.get("lang"),
        "dir": payload.get("dir"),
        "client_id": payload.get("client_id"),
        "time": message.created_at.isoformat() if message.created_at else None,
    }


class Gateway:
    """Routes messages between residents' sockets, the transcript store and Rasa.

    One instance per web app process. ``sessions`` is an async session factory; ``rasa`` the Rasa
    client; ``catalogs`` and ``profile`` give the gateway's own messages.
    """

    def __init__(
        self, sessions: sessionmaker, rasa: RasaClient, catalogs: Catalogs, profile: Profile, retry_interval: float
    ) -> None:
        self._sessions = sessions
        self._rasa = rasa
        self._catalogs = catalogs
        self._profile = profile
        self._retry_interval = retry_interval
        self._sockets: dict[str, set[Push]] = defaultdict(set)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._told_unavailable: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.rasa_seen_ready = False

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)  # type: ignore[arg-type]
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

    # -- sockets ---------------------------------------------------------------------------------

    def attach(self, conversation_id: str, push: Push) -> None:
        """Register a socket of a conversation (a resident may have several tabs open)."""
        self._sockets[conversation_id].add(push)

    def detach(self, conversation_id: str, push: Push) -> None:
        """Forget a closed socket."""
        self._sockets[conversation_id].discard(push)
        if not self._sockets[conversation_id]:
            del self._sockets[conversation_id]

    async def broadcast(self, conversation_id: str, event: dict[str, Any]) -> None:
        """Send an event to every open socket of a conversation (closed sockets are skipped)."""
        for push in list(self._sockets.get(conversation_id, ())):
            try:
                await push(event)
            except (ConnectionError, RuntimeError):
                self.detach(conversation_id, push)

    # -- conversations -----------------------------------------------------------------------------

    def _lang_payload(self, language: str) -> dict[str, str]:
        return {"lang": language, "dir": self._catalogs.get(language).direction}

    def _render(self, response: str, language: str) -> tuple[str, dict[str, Any]]:
        """A catalog response as the text and payload of a stored bot message."""
        rendered = self._catalogs.response(response, language, self._catalogs.profile_values(self._profile, language))
        return rendered["text"], {"buttons": rendered["buttons"], **self._lang_payload(language)}

    async def start_conversation(self, language: str) -> tuple[Conversation, str, list[Message]]:
        """Create a conversation and its greeting; returns it, its session token and the greeting."""
        text, payload = self._render("utter_greet", language)
        async with self._sessions() as session, session.begin():
            conversation, token = await convs.create_conversation(session, language)
            message = await convs.add_message(session, conversation.id, "bot", text, payload, delivered=True)
        return conversation, token, [message]

    async def resume(self, token: str) -> tuple[Conversation, list[Message]] | None:
        """The conversation of a session token and its transcript, or ``None`` for an unknown token."""
        async with self._sessions() as session:
            conversation = await convs.find_by_token(session, token)
            if conversation is None:
                return None
            history = await convs.transcript(session, conversation.id)
        return conversation, history

    async def system_message(self, conversation_id: str, key: str, language: str, **values: Any) -> None:
        """Store and push a gateway message from the catalog."""
        text = self._catalogs.system(
            key, language, {**self._catalogs.profile_values(self._profile, language), **values}
        )
        async with self._sessions() as session, session.begin():
            message = await convs.add_message(session, conversation_id, "system", text, self._lang_payload(language))
        await self.broadcast(conversation_id, message_event(message))

    async def receive(self, conversation_id: str, text: str, display: str | None, client_id: str | None) -> Message:
        """Store a resident message and hand it on; returns the stored message.

        ``text`` is what goes to Rasa (a button's payload, or what was typed); ``display`` is what the
        resident saw (a button's title), stored as the transcript text. The first free-text message
        of a conversation also sets its language (:func:`bot.langid.decide`): a confidently detected
        other language is switched to; an unsure one makes the bot ask which language to use. Later
        free-text messages of at least 20 characters get the language they are written in
        (:func:`bot.langid.text_language`) in ``payload.written_in``, passed to Rasa as
        ``metadata.written_in`` (a complaint's description keeps its original language).
        """
        async with self._sessions() as session:
            conversation = await convs.get_conversation(session, conversation_id)
            if conversation is None:
                raise LookupError(conversation_id)
            first = not text.startswith("/") and not await convs.has_resident_messages(session, conversation_id)
        decision, language = "keep", conversation.language
        written_in = None
        loop = asyncio.get_running_loop()
        if first:
            decision, language = await loop.run_in_executor(None, decide, text, conversation.language)
            if decision == "switch" and not self._catalogs.supports(language):
                decision, language = "keep", conversation.language
        elif not text.startswith("/") and len(text) >= MIN_CHARS_FOR_TEXT_LANGUAGE:
            written_in = await loop.run_in_executor(None, text_language, text, conversation.language)
        async with self._sessions() as session, session.begin():
            if decision == "switch":
                await convs.set_language(session, conversation_id, language)
            payload: dict[str, Any] = {**self._lang_payload(conversation.language), "client_id": client_id}
            if written_in:
                payload["written_in"] = written_in
            if display is not None and display != text:
                payload["rasa_text"] = text
            message = await convs.add_message(session, conversation_id, "resident", display or text, payload)
            mode = conversation.mode
        await self.broadcast(conversation_id, message_event(message))
        if decision == "switch":
            await self.broadcast(conversation_id, {"type": "language", **self._lang_payload(language)})
        elif decision == "ask":
            await self.bot_message(conversation_id, "utter_choose_language", language)
        if mode == "bot":
            self._spawn(self.deliver_pending(conversation_id))
        else:
            await self.system_message(conversation_id, "waiting_for_staff", language)
        return message

    async def bot_message(self, conversation_id: str, response: str, language: str) -> None:
        """Store and push a catalog response as the bot's own message (no Rasa turn)."""
        text, payload = self._render(response, language)
        async with self._sessions() as session, session.begin():
            message = await convs.add_message(session, conversation_id, "bot", text, payload, True)
        await self.broadcast(conversation_id, message_event(message))

    async def deliver_pending(self, conversation_id: str) -> None:
        """Send a conversation's undelivered resident messages to Rasa, in order, one at a time."""
        async with self._locks[conversation_id]:
            while True:
                async with self._sessions() as session:
                    conversation = await convs.get_conversation(session, conversation_id)
                    pending = await convs.undelivered(session, conversation_id)
                if conversation is None or conversation.mode != "bot" or not pending:
                    return
                message = pending[0]
                rasa_text = (message.payload or {}).get("rasa_text") or message.text
                await self.broadcast(conversation_id, {"type": "typing", "on": True})
                try:
                    metadata = {"language": conversation.language}
                    if (message.payload or {}).get("written_in"):
                        metadata["written_in"] = message.payload["written_in"]
                    replies = await self._rasa.send(conversation_id, rasa_text, metadata)
                except RasaUnavailable as exc:
                    logger.warning("Rasa unavailable for a conversation: %s", exc)
                    await self.broadcast(conversation_id, {"type": "typing", "on": False})
                    if conversation_id not in self._told_unavailable:
                        self._told_unavailable.add(conversation_id)
                        key = "assistant_unavailable" if self.rasa_seen_ready else "assistant_starting"
                        await self.system_message(conversation_id, key, conversation.language)
                    return
                self.rasa_seen_ready = True
                self._told_unavailable.discard(conversation_id)
                await self._store_replies(conversation, message.id, replies)

    async def _store_replies(self, conversation: Conversation, message_id: int, replies: list[dict[str, Any]]) -> None:
        language = conversation.language
        mode = conversation.mode
        stored: list[Message] = []
        async with self._sessions() as session, session.begin():
            for reply in replies:
                instruction = (
                    (reply.get("custom") or {}).get("gateway") if isinstance(reply.get("custom"), dict) else None
                )
                if instruction:
                    if self._catalogs.supports(instruction.get("language")):
                        language = instruction["language"]
                        await convs.set_language(session, conversation.id, language)
                    if instruction.get("mode") in convs.MODES:
                        mode = instruction["mode"]
                        await convs.set_mode(session, conversation.id, mode)
                    continue
                if not reply.get("text") and not reply.get("buttons"):
                    continue
                payload = {"buttons": reply.get("buttons") or [], **self._lang_payload(language)}
                stored.append(
                    await convs.add_message(session, conversation.id, "bot", reply.get("text") or "", payload, True)
                )
            await convs.mark_delivered(session, message_id)
        await self.broadcast(conversation.id, {"type": "typing", "on": False})
        if language != conversation.language:
            await self.broadcast(conversation.id, {"type": "language", **self._lang_payload(language)})
        if mode != conversation.mode:
            await self.broadcast(conversation.id, {"type": "mode", "mode": mode})
        for message in stored:
            await self.broadcast(conversation.id, message_event(message))

    async def retry_loop(self) -> None:
        """Retry undelivered resident messages every ``retry_interval`` seconds (runs until cancelled)."""
        while True:
            await asyncio.sleep(self._retry_interval)
            try:
                async with self._sessions() as session:
                    waiting = await convs.conversations_with_undelivered(session)
                for conversation_id in waiting:
                    await self.deliver_pending(conversation_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("retrying undelivered messages failed")
