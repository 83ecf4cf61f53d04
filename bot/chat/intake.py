"""The resident's side of a chat: start, resume, receive a message (and decide its language).

A resident message is stored first (durable before anything else), then acknowledged, then — in mode
``bot`` — handed to :mod:`bot.chat.delivery`. In a live chat (mode ``waiting``/``human``) it goes to
the case officer only; a short goodbye there ends the live chat (:meth:`bot.cases.desk.Desk.resident_leave`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.cases import workflow
from bot.cases.desk import Desk
from bot.chat.delivery import Delivery
from bot.chat.notify import Notifier, message_event
from bot.chat.rasa_client import RasaUnavailable
from bot.chat.reveal import CHECK_CODE_QUESTION
from bot.core.internal_keys import seal
from bot.core.langid import MIN_CHARS_FOR_TEXT_LANGUAGE, decide, foreign_language, text_language
from bot.store import conversations as convs
from bot.store.cases import hide_typed_check_code
from bot.store.models import Conversation, Message

GOODBYE_MAX_CHARS = 60
"""Only short messages in a live chat are checked for a goodbye ("tack, hej då"), not long ones that end so."""
GOODBYE_CONFIDENCE = 0.4


class Intake:
    """Starts and resumes residents' conversations and takes their messages.

    One instance per web app process; ``sessions`` is an async session factory; ``seal_secret`` (the
    action server's secret) seals a check code typed for a status lookup (:meth:`receive`).
    """

    def __init__(
        self, sessions: sessionmaker, notifier: Notifier, delivery: Delivery, desk: Desk, seal_secret: str = ""
    ) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._delivery = delivery
        self._desk = desk
        self._seal_secret = seal_secret

    async def start_conversation(self, language: str) -> tuple[Conversation, str, list[Message]]:
        """Create a conversation and its greeting; returns it, its session token and the greeting."""
        text, payload = self._notifier.render("utter_greet", language)
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

    async def receive(
        self, conversation_id: str, text: str, display: str | None, client_id: str | None, client: str | None = None
    ) -> Message:
        """Store a resident message and hand it on; returns the stored message.

        ``text`` is what goes to Rasa (a button's payload, or what was typed); ``display`` is what the
        resident saw (a button's title), stored as the transcript text. The first free-text message
        of a conversation also sets its language (:func:`bot.core.langid.decide`): a confidently
        detected other language is switched to; an unsure one makes the bot ask which language to use.
        Later free-text messages of at least 20 characters get the language they are written in
        (:func:`bot.core.langid.text_language`) in ``payload.written_in``, passed to Rasa as
        ``metadata.written_in`` (a complaint's description keeps its original language).

        A message in a language we do not speak (:func:`bot.core.langid.decide` on the first message,
        :func:`bot.core.langid.foreign_language` with strong evidence on later ones, in mode ``bot``) is not
        sent to Rasa, which would answer it in the nearest supported language: the resident gets the
        interpreter offer (:meth:`bot.chat.notify.Notifier.interpreter_offer`).

        ``client_id`` is the widget's id of the message: a message the widget sends again (after a
        reconnect, it did not see the acknowledgement) is recognised, not stored or answered twice;
        the stored message is returned.

        ``client`` is the keyed digest of the resident's client address (:func:`bot.web.resident.client_key`),
        passed to Rasa as ``metadata.client`` (the status lookup's limit per address).

        A check code typed for a status lookup (issue 17: never stored in clear) is stored masked
        (:func:`bot.store.cases.hide_typed_check_code`: an answer to the bot's question for the code, marked
        ``asks: check_code`` on that question, or a code beside a reference number) in mode ``bot``; the
        code itself is kept sealed in ``payload.check_code`` until Rasa has it (:mod:`bot.chat.delivery`).
        Staff, a resumed chat and Rasa's tracker see only the masked text.

        Raises:
            LookupError: no conversation with this id.
        """
        notify = self._notifier
        try:
            # One unit of work: the reads, the language decision, then the message and its commit (durable
            # before anything else). Detection runs in a thread meanwhile; SQLite takes no lock for the reads.
            async with self._sessions() as session:
                conversation = await convs.get_conversation(session, conversation_id)
                if conversation is None:
                    raise LookupError(conversation_id)
                if client_id and (known := await convs.find_by_client_id(session, conversation_id, client_id)):
                    return known
                first = not text.startswith("/") and not await convs.has_resident_messages(session, conversation_id)
                shown, check_code = await self._hide_check_code(session, conversation, text, display)
                decision, language, written_in = await self._languages(conversation, text, first)
                if decision == "switch":
                    await convs.set_language(session, conversation_id, language)
                payload: dict[str, Any] = {**notify.lang_payload(conversation.language), "client_id": client_id}
                if written_in:
                    payload["written_in"] = written_in
                if client:
                    payload["client"] = client
                if display is not None and display != text:
                    payload["rasa_text"] = text
                if check_code is not None:
                    payload["check_code"] = seal(self._seal_secret, check_code)
                mode = conversation.mode
                live = mode in workflow.LIVE_MODES
                foreign = decision == "foreign"  # never sent to Rasa: marked delivered
                stored = shown if check_code else display or text
                message = await convs.add_message(
                    session, conversation_id, "resident", stored, payload, live or foreign, client_id
                )
                await session.commit()
        except IntegrityError:  # the same message, sent again at the same moment on another socket
            async with self._sessions() as session:
                known = await convs.find_by_client_id(session, conversation_id, client_id or "")
            if known is None:
                raise
            return known
        await notify.broadcast(conversation_id, message_event(message))
        if decision == "switch":
            await notify.broadcast(conversation_id, {"type": "language", **notify.lang_payload(language)})
        elif decision == "ask":
            await notify.bot_message(conversation_id, "utter_choose_language", language)
        elif decision == "foreign":
            await notify.interpreter_offer(conversation_id, language, conversation.language)
            return message
        if not live:  # bot, or closed (the next message starts over with the bot)
            self._delivery.spawn(conversation_id)
        elif await self._is_goodbye(conversation_id, text):
            await self._desk.resident_leave(conversation_id)
        elif mode == workflow.WAITING and await self._desk.reach.answer(conversation_id, text, conversation.language):
            pass  # an answer to "how may we reach you?" (bot.cases.reach), answered there
        elif mode == workflow.WAITING and not await self._last_said(conversation_id, "waiting_for_staff"):
            await notify.system_message(conversation_id, "waiting_for_staff", language)
        return message

    async def _hide_check_code(
        self, session: Any, conversation: Conversation, text: str, display: str | None
    ) -> tuple[str, str | None]:
        """``(text to store and send to Rasa, check code or None)``: a typed check code masked (issue 17)."""
        typed = not text.startswith("/") and display in (None, text)
        if not (typed and self._seal_secret) or conversation.mode in workflow.LIVE_MODES:
            return text, None
        question = await convs.last_reply(session, conversation.id, "bot")
        asked = question is not None and (question.payload or {}).get("asks") == CHECK_CODE_QUESTION
        return hide_typed_check_code(text, asked)

    async def _languages(self, conversation: Conversation, text: str, first: bool) -> tuple[str, str, str | None]:
        """The language decision on a resident message: ``(decision, language, written_in)``.

        ``decision`` is one of :func:`bot.core.langid.decide`'s; ``written_in`` the language a later free-text
        message is written in (``None`` when not detected). Detection runs in the default executor.
        """
        decision, language = "keep", conversation.language
        loop = asyncio.get_running_loop()
        if first:
            decision, language = await loop.run_in_executor(None, decide, text, conversation.language)
            if decision == "switch" and not self._notifier.catalogs.supports(language):
                decision, language = "keep", conversation.language
            if decision == "foreign" and conversation.mode in workflow.LIVE_MODES:  # a person reads it
                decision, language = "keep", conversation.language
            return decision, language, None
        if text.startswith("/") or len(text) < MIN_CHARS_FOR_TEXT_LANGUAGE:
            return decision, language, None
        if conversation.mode == workflow.BOT:
            found = await loop.run_in_executor(None, foreign_language, text, True, conversation.language)
            if found is not None and found.language:
                return "foreign", found.language, None
        return decision, language, await loop.run_in_executor(None, text_language, text, conversation.language)

    async def _is_goodbye(self, conversation_id: str, text: str) -> bool:
        """True when a short message in a live chat takes leave (Rasa's NLU, no turn in the tracker).

        ``goodbye`` must reach :data:`GOODBYE_CONFIDENCE` and rank above every other intent except
        ``thank``: residents leave with "tack, hej då" (the goodbye examples hold such thanks-and-goodbye
        pairs in every language; "tack" alone is ``thank`` and does not end the chat).
        """
        if text.startswith("/") or len(text) > GOODBYE_MAX_CHARS:
            return False
        try:
            ranking = await self._delivery.rasa_for(conversation_id).parse(text)
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
