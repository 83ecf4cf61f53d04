"""A way to reach the resident when nobody takes their chat now, and telling the department.

Whenever nobody can take a handed-over chat now — out of hours, no case officer available (the handoff
action asks at once), or nobody claimed it within ``handoff.unclaimed_minutes`` (:meth:`Reach.notify_unclaimed`)
— the resident is asked how we may reach them: e-mail, phone, or "I will check myself". The chat stays in
mode ``waiting`` (Rasa is paused), so the answer comes here, from :mod:`bot.chat.intake`
(:meth:`Reach.answer`). Typed answers count as much as the buttons: an address or number anywhere in the
message ("ring mig på 0701234567") is read by the complaint form's parsers. Only with a channel stored
on the case does the resident hear "we will contact you by …"; "I will check myself" gives the reference
and a new check code and says how to look the case up. Other messages are added to the case, as in any
waiting chat. Progress is kept in the case's audit trail (:mod:`bot.store.reach`).

The department's functional mailbox hears of every such chat once (:func:`bot.cases.outbox.queue_department_notice`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import sessionmaker

from actions.fields import find_email, find_phone, match_choice
from bot.cases.outbox import queue_department_notice
from bot.chat.notify import Notifier
from bot.core.passwords import run_hashing
from bot.core.settings import Settings
from bot.store import conversations as convs
from bot.store import queue
from bot.store import reach as store
from bot.store.cases import hash_check_code, new_check_code
from bot.store.models import Case

ASK = "utter_ask_handoff_contact"
"""The question, with the buttons e-mail / phone / I will check myself (payloads :data:`CHOICES`)."""
CHOICES = {"/contact_email": "email", "/contact_phone": "phone", "/contact_self": "self"}
"""Button payload → choice."""
HINT = "utter_handoff_contact_hint"


class Reach:
    """Asks residents how to reach them and reads their answers (one instance per web app process)."""

    def __init__(self, sessions: sessionmaker, notifier: Notifier, settings: Settings) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._settings = settings

    def _choice(self, text: str, language: str) -> str | None:
        """``email``, ``phone`` or ``self`` for a button payload or a typed button title, else ``None``."""
        if text in CHOICES:
            return CHOICES[text]
        cats = self._notifier.catalogs
        options: dict[str, list[str]] = {"email": [], "phone": [], "self": []}
        for lang in dict.fromkeys((language, "sv", "en")):
            for button in cats.response(ASK, lang, {})["buttons"]:
                options[CHOICES[button["payload"]]].append(button["title"])
            for channel in ("email", "phone"):
                options[channel].append(cats.term(lang, "reply_channel", channel))
        return match_choice(text, options)

    async def _say(self, conversation_id: str, response: str, language: str, **values: Any) -> None:
        """Store and push a catalog response as the bot's message (its name kept in ``payload.key``)."""
        cats = self._notifier.catalogs
        values = {**cats.profile_values(self._notifier.profile, language), **values}
        rendered = cats.response(response, language, values)
        payload = {"buttons": rendered["buttons"], **self._notifier.lang_payload(language), "key": response}
        await self._notifier.store_and_push(conversation_id, "bot", rendered["text"], payload)

    def _due(self, case: Case, language: str) -> str:
        due = case.acknowledgement_due
        return self._notifier.catalogs.format_date(due, language) if due else ""

    async def answer(self, conversation_id: str, text: str, language: str) -> bool:
        """Read a resident message of a waiting chat as the answer to the question; ``False`` if none is open.

        Returns ``True`` when the message was answered here (stored contact, the next question, or a
        hint); the caller then says nothing more.
        """
        async with self._sessions() as session:
            case = await queue.open_handoff_case(session, conversation_id)
            state = await store.contact_state(session, case.id) if case is not None else None
            last_key = await store.last_bot_key(session, conversation_id)
        if case is None or state not in store.OPEN_STATES:
            return False
        email, phone = find_email(text), find_phone(text)
        choice = None if email or phone else self._choice(text, language)
        code = None
        if choice == "self":
            code = new_check_code()
            code_hash = await run_hashing(hash_check_code, code)
        async with self._sessions() as session, session.begin():
            case = await session.get(Case, case.id)
            if email or phone:
                channel = await store.save_contact(session, case, language, email, phone)
            elif code is not None:
                await store.check_myself(session, case, code_hash, language)
            elif choice in ("email", "phone"):
                await store.set_state(session, case, choice, "resident")
        if email or phone:
            shown = email if channel == "email" else phone
            channel_name = self._notifier.catalogs.term(language, "reply_channel", channel)
            await self._say(
                conversation_id, "utter_handoff_contact_saved", language, reference=case.reference,
                acknowledgement_due=self._due(case, language), channel=channel_name, contact=shown,
            )  # fmt: skip
        elif code is not None:
            await self._say(conversation_id, "utter_handoff_check_myself", language, reference=case.reference,
                            check_code=code)  # fmt: skip
        elif choice in ("email", "phone"):
            await self._say(conversation_id, f"utter_ask_handoff_{choice}", language)
        elif last_key == HINT:
            return False  # said once: further messages are added to the case as in any waiting chat
        else:
            await self._say(conversation_id, HINT, language)
        return True

    async def ask(self, conversation_id: str, case: Case, language: str) -> None:
        """Ask the question in a waiting chat (the case is already marked ``asked`` by the caller)."""
        await self._say(conversation_id, ASK, language)

    async def notify_unclaimed(self) -> int:
        """Chats nobody claimed within ``handoff.unclaimed_minutes``: tell the resident and the department.

        Each such chat, once: its department's functional mailbox gets a notice; the resident hears that
        nobody is free and is asked how we may reach them (unless they were asked already or the case
        holds a way to reach them). Returns how many chats were handled.
        """
        minutes = self._notifier.profile.handoff_unclaimed_minutes
        cats, profile = self._notifier.catalogs, self._notifier.profile
        targets = []
        async with self._sessions() as session, session.begin():
            for case in await queue.unclaimed_cases(session, timedelta(minutes=minutes)):
                await queue_department_notice(session, case, cats, profile, self._settings)
                conversation = await convs.get_conversation(session, case.conversation_id)
                first_time = await store.contact_state(session, case.id) is None
                asked = await store.ask(session, case) if first_time else False
                if conversation is not None and first_time:
                    targets.append((case, conversation, asked))
        for case, conversation, asked in targets:
            language = conversation.language
            await self._notifier.system_message(
                conversation.id, "nobody_free", language, reference=case.reference,
                acknowledgement_due=self._due(case, language),
            )  # fmt: skip
            if asked:
                await self.ask(conversation.id, case, language)
        return len(targets)
