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
import time
import zlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.cases import workflow
from bot.core.catalog import Catalogs
from bot.core.langid import MIN_CHARS_FOR_TEXT_LANGUAGE, decide, text_language
from bot.core.profile import Profile
from bot.hub import QUEUE, Hub, Push, resident_topic, staff_topic
from bot.metrics import Metrics
from bot.rasa_client import RasaClient, RasaUnavailable
from bot.store import conversations as convs
from bot.store import desk, queue
from bot.store.models import Case, Conversation, Message, StaffMember

logger = logging.getLogger(__name__)

LIVE_MODES = workflow.LIVE_MODES
GOODBYE_MAX_CHARS = 60
"""Only short messages in a live chat are checked for a goodbye ("tack, hej då"), not long ones that end so."""
GOODBYE_CONFIDENCE = 0.4


def message_event(message: Message) -> dict[str, Any]:
    """The socket event for a stored message: ``{type, id, sender, text, buttons, lang, dir, name, time}``.

    ``name`` is the case officer's display name on staff messages (never the username).
    """
    payload = message.payload or {}
    return {
        "type": "message",
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "buttons": payload.get("buttons") or [],
        "lang": payload.get("lang"),
        "dir": payload.get("dir"),
        "client_id": message.client_id or payload.get("client_id"),
        "name": payload.get("name") if message.sender == "staff" else None,
        "time": message.created_at.isoformat() if message.created_at else None,
    }


class Gateway:
    """Routes messages between residents' sockets, the transcript store and Rasa.

    One instance per web app process. ``sessions`` is an async session factory; ``rasa`` the Rasa
    client (or one per Rasa process); ``catalogs`` and ``profile`` give the gateway's own messages;
    ``actions_ok`` tells whether the action server answers (asked when Rasa answers nothing).
    """

    def __init__(
        self,
        sessions: sessionmaker,
        rasa: RasaClient | list[RasaClient],
        catalogs: Catalogs,
        profile: Profile,
        retry_interval: float,
        hub: Hub | None = None,
        actions_ok: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self._sessions = sessions
        self._rasas = rasa if isinstance(rasa, list) else [rasa]
        self._catalogs = catalogs
        self._profile = profile
        self._retry_interval = retry_interval
        self.hub = hub or Hub()
        self._actions_ok = actions_ok
        self.metrics = Metrics()
        # One lock per conversation, kept only while some task holds or waits for it (counted in
        # _lock_users): keeping one for every conversation ever seen would grow memory over days of chats.
        self._locks: dict[str, asyncio.Lock] = {}
        self._lock_users: dict[str, int] = {}
        self._told_unavailable: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.rasa_seen_ready = False

    def _rasa_for(self, conversation_id: str) -> RasaClient:
        """The Rasa process that handles this conversation: always the same one (CRC-32 of the id).

        With several Rasa processes (production profile) each keeps its conversations' trackers warm;
        the shared tracker store (PostgreSQL) and lock store (Redis) keep it correct when one restarts.
        """
        return self._rasas[zlib.crc32(conversation_id.encode("utf-8")) % len(self._rasas)]

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
        """Register a resident socket of a conversation (a resident may have several tabs open)."""
        self.hub.subscribe(resident_topic(conversation_id), push)

    def detach(self, conversation_id: str, push: Push) -> None:
        """Forget a closed resident socket."""
        self.hub.unsubscribe(resident_topic(conversation_id), push)

    async def broadcast(self, conversation_id: str, event: dict[str, Any], staff: bool = True) -> None:
        """Send an event to the resident's open sockets and (with ``staff``) to staff watching the chat."""
        await self.hub.publish(resident_topic(conversation_id), event)
        if staff:
            await self.hub.publish(staff_topic(conversation_id), event)

    async def to_staff(self, conversation_id: str, event: dict[str, Any]) -> None:
        """Send an event only to staff watching the chat (internal notes, case changes)."""
        await self.hub.publish(staff_topic(conversation_id), event)

    async def queue_changed(self) -> None:
        """Tell staff browsers showing the queue to refresh it."""
        await self.hub.publish(QUEUE, {"type": "queue_changed"})

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
        """Store and push a gateway message from the catalog (its key is kept in ``payload.key``)."""
        text = self._catalogs.system(
            key, language, {**self._catalogs.profile_values(self._profile, language), **values}
        )
        async with self._sessions() as session, session.begin():
            message = await convs.add_message(
                session, conversation_id, "system", text, {**self._lang_payload(language), "key": key}, delivered=True
            )
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

        ``client_id`` is the widget's id of the message: a message the widget sends again (after a
        reconnect, it did not see the acknowledgement) is recognised, not stored or answered twice;
        the stored message is returned.
        """
        async with self._sessions() as session:
            conversation = await convs.get_conversation(session, conversation_id)
            if conversation is None:
                raise LookupError(conversation_id)
            if client_id and (known := await convs.find_by_client_id(session, conversation_id, client_id)):
                return known
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
        try:
            async with self._sessions() as session, session.begin():
                if decision == "switch":
                    await convs.set_language(session, conversation_id, language)
                payload: dict[str, Any] = {**self._lang_payload(conversation.language), "client_id": client_id}
                if written_in:
                    payload["written_in"] = written_in
                if display is not None and display != text:
                    payload["rasa_text"] = text
                mode = conversation.mode
                message = await convs.add_message(
                    session, conversation_id, "resident", display or text, payload, mode in LIVE_MODES, client_id
                )
        except IntegrityError:  # the same message, sent again at the same moment on another socket
            async with self._sessions() as session:
                known = await convs.find_by_client_id(session, conversation_id, client_id or "")
            if known is None:
                raise
            return known
        await self.broadcast(conversation_id, message_event(message))
        if decision == "switch":
            await self.broadcast(conversation_id, {"type": "language", **self._lang_payload(language)})
        elif decision == "ask":
            await self.bot_message(conversation_id, "utter_choose_language", language)
        if mode not in LIVE_MODES:  # bot, or closed (the next message starts over with the bot)
            self._spawn(self.deliver_pending(conversation_id))
        elif await self._is_goodbye(conversation_id, text):
            await self.resident_leave(conversation_id)
        elif mode == "waiting" and not await self._last_said(conversation_id, "waiting_for_staff"):
            await self.system_message(conversation_id, "waiting_for_staff", language)
        return message

    async def _is_goodbye(self, conversation_id: str, text: str) -> bool:
        """True when a short message in a live chat takes leave (Rasa's NLU, no turn in the tracker).

        ``goodbye`` must reach :data:`GOODBYE_CONFIDENCE` and rank above every other intent except
        ``thank``: residents leave with "tack, hej då" (the goodbye examples hold such thanks-and-goodbye
        pairs in every language; "tack" alone is ``thank`` and does not end the chat).
        """
        if text.startswith("/") or len(text) > GOODBYE_MAX_CHARS:
            return False
        try:
            ranking = await self._rasa_for(conversation_id).parse(text)
        except RasaUnavailable:
            return False
        goodbye = ranking.get("goodbye", 0.0)
        others = [c for name, c in ranking.items() if name not in ("goodbye", "thank", "nlu_fallback")]
        return goodbye >= GOODBYE_CONFIDENCE and all(c < goodbye for c in others)

    async def _last_said(self, conversation_id: str, key: str) -> bool:
        """True when the last message not from the resident is the system message ``key``."""
        async with self._sessions() as session:
            last = await convs.last_reply(session, conversation_id)
        return last is not None and last.sender == "system" and (last.payload or {}).get("key") == key

    async def bot_message(self, conversation_id: str, response: str, language: str) -> None:
        """Store and push a catalog response as the bot's own message (no Rasa turn)."""
        text, payload = self._render(response, language)
        async with self._sessions() as session, session.begin():
            message = await convs.add_message(session, conversation_id, "bot", text, payload, True)
        await self.broadcast(conversation_id, message_event(message))

    async def deliver_pending(self, conversation_id: str) -> None:
        """Send a conversation's undelivered resident messages to Rasa, in order, one at a time."""
        lock = self._locks.setdefault(conversation_id, asyncio.Lock())
        self._lock_users[conversation_id] = self._lock_users.get(conversation_id, 0) + 1
        try:
            async with lock:
                await self._deliver_in_order(conversation_id)
        finally:
            self._lock_users[conversation_id] -= 1
            if not self._lock_users[conversation_id]:
                del self._lock_users[conversation_id], self._locks[conversation_id]

    async def _deliver_in_order(self, conversation_id: str) -> None:
        while True:
            async with self._sessions() as session:
                conversation = await convs.get_conversation(session, conversation_id)
                pending = await convs.undelivered(session, conversation_id)
            if conversation is None or conversation.mode in LIVE_MODES or not pending:
                return
            if conversation.mode == "closed" and not await self._reopen(conversation):
                return
            message = pending[0]
            rasa_text = (message.payload or {}).get("rasa_text") or message.text
            await self.broadcast(conversation_id, {"type": "typing", "on": True})
            failure = None
            try:
                metadata = {"language": conversation.language}
                if (message.payload or {}).get("written_in"):
                    metadata["written_in"] = message.payload["written_in"]
                started = time.perf_counter()
                replies = await self._rasa_for(conversation_id).send(conversation_id, rasa_text, metadata)
                if not replies and self._actions_ok is not None and not await self._actions_ok():
                    # Rasa swallows a failed custom action and answers nothing: the message is kept
                    # and sent again once the action server is back (the form then goes on).
                    raise RasaUnavailable("the action server is not answering")
                self.metrics.turn_seconds.observe(time.perf_counter() - started)
                self.metrics.turns.inc()
            except RasaUnavailable as exc:
                failure = str(exc)
            if failure is not None:  # handled outside the except block: nothing chains onto the error
                self.metrics.rasa_errors.inc()
                logger.warning("Rasa unavailable for a conversation: %s", failure)
                await self.broadcast(conversation_id, {"type": "typing", "on": False})
                await self._tell_unavailable(conversation)
                return
            self.rasa_seen_ready = True
            self._told_unavailable.discard(conversation_id)
            await self._store_replies(conversation, message.id, replies)

    async def _reopen(self, conversation: Conversation) -> bool:
        """Resume Rasa for a conversation whose live chat ended, and switch it back to mode ``bot``.

        Returns False (the resident is told, the message waits for the retry loop) when Rasa is not
        reachable.
        """
        try:
            # The paused tracker ended with the handoff action, not with listening: without the
            # action_listen the next message would be predicted as a continuation of the handoff.
            await self._rasa_for(conversation.id).append_events(
                conversation.id, [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
            )
        except RasaUnavailable as exc:
            logger.warning("Rasa unavailable to resume a conversation: %s", exc)
            await self._tell_unavailable(conversation)
            return False
        async with self._sessions() as session, session.begin():
            await convs.set_mode(session, conversation.id, "bot")
        conversation.mode = "bot"
        await self.broadcast(conversation.id, {"type": "mode", "mode": "bot"})
        return True

    async def _tell_unavailable(self, conversation: Conversation) -> None:
        if conversation.id not in self._told_unavailable:
            self._told_unavailable.add(conversation.id)
            key = "assistant_unavailable" if self.rasa_seen_ready else "assistant_starting"
            await self.system_message(conversation.id, key, conversation.language)

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
                    if instruction.get("mode") in workflow.MODES:
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
        if mode == "waiting" and conversation.mode != "waiting":
            self.metrics.handoffs.inc()
            await self.queue_changed()

    # -- staff side ------------------------------------------------------------------------------

    async def _live_case(self, session: Any, reference: str, member: StaffMember) -> tuple[Case, Conversation]:
        """The case and its conversation, if ``member`` is the one chatting live on it."""
        case = await desk.get_case(session, reference)
        conversation = await convs.get_conversation(session, case.conversation_id) if case.conversation_id else None
        if conversation is None or conversation.mode != "human" or case.assigned_staff_id != member.id:
            raise workflow.StaleCase(reference, case.status)
        return case, conversation

    async def claim(self, reference: str, member: StaffMember) -> Case:
        """``member`` takes a waiting chat; the resident is told who joined (display name).

        Raises:
            bot.store.handoff.StaleCase: someone else claimed it first or the chat is no longer waiting.
            LookupError: unknown reference.
        """
        async with self._sessions() as session, session.begin():
            case = await queue.claim(session, reference, member)
            conversation = await convs.get_conversation(session, case.conversation_id)
        if conversation is not None:
            await self.system_message(conversation.id, "staff_joined", conversation.language, name=member.display_name)
            await self.broadcast(conversation.id, {"type": "mode", "mode": "human", "name": member.display_name})
            await self.to_staff(conversation.id, {"type": "case_changed"})
        await self.queue_changed()
        return case

    async def staff_message(self, reference: str, member: StaffMember, text: str) -> Message:
        """Store and deliver a case officer's chat message (shown with their display name).

        Its ``lang``/``dir`` are those of the language it is written in (detected when ≥ 20
        characters), else the conversation's. Raises:
            bot.store.handoff.StaleCase: ``member`` is not chatting live on this case.
            ValueError: empty text.
        """
        text = text.strip()
        if not text:
            raise ValueError("empty message")
        async with self._sessions() as session:
            _, conversation = await self._live_case(session, reference, member)
        language = conversation.language
        if len(text) >= MIN_CHARS_FOR_TEXT_LANGUAGE:
            detected = await asyncio.get_running_loop().run_in_executor(None, text_language, text, language)
            if self._catalogs.supports(detected):
                language = detected
        async with self._sessions() as session, session.begin():
            case, conversation = await self._live_case(session, reference, member)
            message = await convs.add_message(
                session,
                conversation.id,
                "staff",
                text,
                {**self._lang_payload(language), "name": member.display_name},
                delivered=True,
            )
            message.staff_member_id = member.id
            await desk.note_staff_reply(session, case, member)
        await self.broadcast(conversation.id, message_event(message))
        return message

    async def add_note(self, reference: str, member: StaffMember, text: str) -> None:
        """Add an internal note; staff watching the case see it, the resident never does.

        Raises:
            ValueError: empty note. LookupError: unknown reference.
        """
        async with self._sessions() as session, session.begin():
            case = await desk.get_case(session, reference)
            await desk.add_note(session, case, member, text)
        if case.conversation_id:
            await self.to_staff(case.conversation_id, {"type": "case_changed"})

    async def set_status(self, reference: str, member: StaffMember, status: str, expected: str) -> None:
        """Change a case's status by hand (see :func:`bot.store.handoff.set_status` for the errors)."""
        async with self._sessions() as session, session.begin():
            case = await desk.get_case(session, reference)
            await desk.set_status(session, case, member, status, expected)
        if case.conversation_id:
            await self.to_staff(case.conversation_id, {"type": "case_changed"})
        await self.queue_changed()

    async def close_case(self, reference: str, member: StaffMember, resolution: str, expected: str) -> None:
        """Close a case with a resolution; a live chat of it ends and the resident is told.

        Raises: see :func:`bot.store.handoff.close_case`.
        """
        async with self._sessions() as session, session.begin():
            case = await desk.get_case(session, reference)
            ended = await desk.close_case(session, case, member, resolution, expected)
            conversation = await convs.get_conversation(session, case.conversation_id) if ended else None
        if conversation is not None:
            await self.system_message(conversation.id, "chat_closed", conversation.language, reference=reference)
            await self.broadcast(conversation.id, {"type": "mode", "mode": "closed"})
        if case.conversation_id:
            await self.to_staff(case.conversation_id, {"type": "case_changed"})
        await self.queue_changed()

    async def hand_back(self, reference: str, member: StaffMember) -> None:
        """Give a live chat back to the bot: Rasa resumes (tracker events API) and greets the resident.

        Raises:
            bot.store.handoff.StaleCase: the chat is not live any more, or another case officer is in it.
            bot.rasa_client.RasaUnavailable: Rasa could not be resumed (nothing changed; try again).
        """
        async with self._sessions() as session:
            case = await desk.get_case(session, reference)
            conversation = await convs.get_conversation(session, case.conversation_id) if case.conversation_id else None
        if conversation is None or conversation.mode not in LIVE_MODES:
            raise workflow.StaleCase(reference, case.status)
        if conversation.mode == "human" and case.assigned_staff_id != member.id:
            raise workflow.StaleCase(reference, case.status)  # another case officer is in this chat
        language = conversation.language
        text, payload = self._render("utter_handed_back", language)
        await self._rasa_for(conversation.id).append_events(
            conversation.id,
            [
                {"event": "resume"},
                {"event": "action", "name": "utter_handed_back"},
                {"event": "bot", "text": text, "metadata": {"utter_action": "utter_handed_back"}},
                {"event": "action", "name": "action_listen"},
            ],
        )
        async with self._sessions() as session, session.begin():
            await desk.hand_back(session, case, member)
        await self.system_message(conversation.id, "staff_left", language, name=member.display_name)
        await self.broadcast(conversation.id, {"type": "mode", "mode": "bot"})
        async with self._sessions() as session, session.begin():
            message = await convs.add_message(session, conversation.id, "bot", text, payload, delivered=True)
        await self.broadcast(conversation.id, message_event(message))
        await self.to_staff(conversation.id, {"type": "case_changed"})
        await self.queue_changed()

    async def resident_leave(self, conversation_id: str) -> None:
        """The resident ends a live chat (goodbye, or the widget's "end chat"): told politely, case stays."""
        async with self._sessions() as session, session.begin():
            case = await queue.resident_left(session, conversation_id)
            conversation = await convs.get_conversation(session, conversation_id)
        if conversation is None:
            return
        if case is not None:
            await self.system_message(
                conversation_id,
                "chat_ended",
                conversation.language,
                reference=case.reference,
                acknowledgement_due=self._catalogs.format_date(case.acknowledgement_due, conversation.language),
            )
        await self.broadcast(conversation_id, {"type": "mode", "mode": "closed"})
        await self.to_staff(conversation_id, {"type": "case_changed"})
        await self.queue_changed()

    async def resident_leave_if_live(self, conversation_id: str) -> None:
        """The widget's "end chat": ends a live chat (see :meth:`resident_leave`); else does nothing."""
        async with self._sessions() as session:
            conversation = await convs.get_conversation(session, conversation_id)
        if conversation is not None and conversation.mode in LIVE_MODES:
            await self.resident_leave(conversation_id)

    async def notify_unclaimed(self) -> int:
        """Tell residents whose chat nobody claimed in time that the case stays open; returns how many."""
        minutes = self._profile.handoff_unclaimed_minutes
        async with self._sessions() as session, session.begin():
            cases = await queue.unclaimed_cases(session, timedelta(minutes=minutes))
            targets = []
            for case in cases:
                conversation = await convs.get_conversation(session, case.conversation_id)
                if conversation is not None:
                    targets.append((case, conversation))
        for case, conversation in targets:
            await self.system_message(
                conversation.id,
                "nobody_free",
                conversation.language,
                reference=case.reference,
                acknowledgement_due=self._catalogs.format_date(case.acknowledgement_due, conversation.language),
            )
        return len(targets)

    async def retry_pending(self) -> None:
        """Send every conversation's undelivered resident messages to Rasa (one pass of the retry loop)."""
        async with self._sessions() as session:
            waiting = await convs.conversations_with_undelivered(session)
        for conversation_id in waiting:
            await self.deliver_pending(conversation_id)
