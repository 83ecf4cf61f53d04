"""The case desk: what case officers do with a case and its live chat, and a resident leaving one.

Claim, chat message, note, status, close and hand back change the case in the store (:mod:`bot.store.desk`,
:mod:`bot.store.queue`, checked against :mod:`bot.cases.workflow`) and then tell whoever watches: the
resident's sockets, staff browsers showing the case or the queue (:class:`bot.chat.notify.Notifier`).
Called by the staff console (:mod:`bot.web.staff`) and by the chat (:mod:`bot.chat.intake`, a goodbye).
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.orm import sessionmaker

from bot.cases import workflow
from bot.cases.reach import Reach
from bot.chat.delivery import Delivery
from bot.chat.notify import Notifier, message_event
from bot.core import phrasebook
from bot.core.langid import MIN_CHARS_FOR_TEXT_LANGUAGE, text_language
from bot.core.phrasebook import WORKING_LANGUAGE
from bot.core.settings import Settings
from bot.store import conversations as convs
from bot.store import desk, queue
from bot.store.models import Case, Conversation, Message, StaffMember

CASE_CHANGED = {"type": "case_changed"}


class Desk:
    """Case officers' operations on cases and their live chats (one instance per web app process)."""

    def __init__(
        self, sessions: sessionmaker, notifier: Notifier, delivery: Delivery, settings: Settings | None = None
    ) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._delivery = delivery
        self.reach = Reach(sessions, notifier, settings or Settings())
        """Asking residents how to reach them when nobody takes their chat (:mod:`bot.cases.reach`)."""

    async def _changed(self, conversation_id: str | None, queue_too: bool = True) -> None:
        """Tell staff watching the case (and the queue) that it changed."""
        if conversation_id:
            await self._notifier.to_staff(conversation_id, CASE_CHANGED)
        if queue_too:
            await self._notifier.queue_changed()

    async def _live_case(self, session: Any, reference: str, member: StaffMember) -> tuple[Case, Conversation]:
        """The case and its conversation, if ``member`` is the one chatting live on it."""
        case = await desk.get_case(session, reference)
        conversation = await convs.get_conversation(session, case.conversation_id) if case.conversation_id else None
        if conversation is None or conversation.mode != workflow.HUMAN or case.assigned_staff_id != member.id:
            raise workflow.StaleCase(reference, case.status)
        return case, conversation

    async def claim(self, reference: str, member: StaffMember) -> Case:
        """``member`` takes a waiting chat; the resident is told who joined (display name).

        Raises:
            bot.cases.workflow.StaleCase: someone else claimed it first or the chat is no longer waiting.
            LookupError: unknown reference.
        """
        notify = self._notifier
        async with self._sessions() as session, session.begin():
            case = await queue.claim(session, reference, member)
            conversation = await convs.get_conversation(session, case.conversation_id)
        if conversation is not None:
            name = member.display_name
            await notify.system_message(conversation.id, "staff_joined", conversation.language, name=name)
            await notify.broadcast(conversation.id, {"type": "mode", "mode": workflow.HUMAN, "name": name})
            await notify.to_staff(conversation.id, CASE_CHANGED)
        await notify.queue_changed()
        return case

    async def staff_message(self, reference: str, member: StaffMember, text: str) -> Message:
        """Store and deliver a case officer's own chat message (shown with their display name).

        Its language: detected when ≥ 20 characters, else the resident's when ``member`` speaks it, else
        Swedish (marked for others: :func:`bot.core.phrasebook.own_text_payload`). Raises:
            bot.cases.workflow.StaleCase: ``member`` is not chatting live on this case. ValueError: empty text.
        """
        text = text.strip()
        if not text:
            raise ValueError("empty message")
        async with self._sessions() as session:
            _, conversation = await self._live_case(session, reference, member)
        language = conversation.language if conversation.language in (member.languages or []) else WORKING_LANGUAGE
        if len(text) >= MIN_CHARS_FOR_TEXT_LANGUAGE:
            detected = await asyncio.get_running_loop().run_in_executor(None, text_language, text, language)
            if self._notifier.catalogs.supports(detected):
                language = detected
        payload = phrasebook.own_text_payload(self._notifier.catalogs, language, conversation.language)
        return await self._deliver_staff(reference, member, text, payload)

    async def staff_phrase(self, reference: str, member: StaffMember, key: str) -> Message:
        """Send the phrasebook reply ``key`` in the resident's language (:mod:`bot.core.phrasebook`, issue 17).

        Delivered like :meth:`staff_message`; ``payload.phrase`` keeps the key. Raises:
            bot.core.catalog.CatalogError (a KeyError): no such phrase. StaleCase: not live with ``member``.
        """
        notifier = self._notifier
        async with self._sessions() as session:
            case, conversation = await self._live_case(session, reference, member)
        language = conversation.language
        values = {**notifier.catalogs.profile_values(notifier.profile, language), "name": member.display_name}
        text = phrasebook.phrase(notifier.catalogs, key, language, {**values, "reference": case.reference})
        return await self._deliver_staff(reference, member, text, {**notifier.lang_payload(language), "phrase": key})

    async def _deliver_staff(self, reference: str, member: StaffMember, text: str, payload: dict[str, Any]) -> Message:
        """Store a case officer's message (if still live with ``member``) and push it to the chat's sockets."""
        async with self._sessions() as session, session.begin():
            case, conversation = await self._live_case(session, reference, member)
            payload = {**payload, "name": member.display_name}
            message = await convs.add_message(session, conversation.id, "staff", text, payload, delivered=True)
            message.staff_member_id = member.id
            await desk.note_staff_reply(session, case, member)
        await self._notifier.broadcast(conversation.id, message_event(message))
        return message

    async def add_note(self, reference: str, member: StaffMember, text: str) -> None:
        """Add an internal note; staff watching the case see it, the resident never does.

        Raises:
            ValueError: empty note. LookupError: unknown reference.
        """
        async with self._sessions() as session, session.begin():
            case = await desk.get_case(session, reference)
            await desk.add_note(session, case, member, text)
        await self._changed(case.conversation_id, queue_too=False)

    async def set_status(self, reference: str, member: StaffMember, status: str, expected: str) -> None:
        """Change a case's status by hand (see :func:`bot.store.desk.set_status` for the errors)."""
        async with self._sessions() as session, session.begin():
            case = await desk.get_case(session, reference)
            await desk.set_status(session, case, member, status, expected)
        await self._changed(case.conversation_id)

    async def close_case(self, reference: str, member: StaffMember, resolution: str, expected: str) -> None:
        """Close a case with a resolution; a live chat of it ends and the resident is told.

        Raises: see :func:`bot.store.desk.close_case`.
        """
        async with self._sessions() as session, session.begin():
            case = await desk.get_case(session, reference)
            ended = await desk.close_case(session, case, member, resolution, expected)
            conversation = await convs.get_conversation(session, case.conversation_id) if ended else None
        if conversation is not None:
            notify = self._notifier
            await notify.system_message(conversation.id, "chat_closed", conversation.language, reference=reference)
            await notify.broadcast(conversation.id, {"type": "mode", "mode": workflow.CHAT_ENDED.target})
        await self._changed(case.conversation_id)

    async def hand_back(self, reference: str, member: StaffMember) -> None:
        """Give a live chat back to the bot: Rasa resumes (tracker events API) and greets the resident.

        Raises:
            bot.cases.workflow.StaleCase: the chat is not live any more, or another case officer is in it.
            bot.chat.rasa_client.RasaUnavailable: Rasa could not be resumed (nothing changed; try again).
        """
        async with self._sessions() as session:
            case = await desk.get_case(session, reference)
            conversation = await convs.get_conversation(session, case.conversation_id) if case.conversation_id else None
        if conversation is None or not workflow.CHAT_HANDED_BACK.allows(conversation.mode):
            raise workflow.StaleCase(reference, case.status)
        if conversation.mode == workflow.HUMAN and case.assigned_staff_id != member.id:
            raise workflow.StaleCase(reference, case.status)  # another case officer is in this chat
        language = conversation.language
        text, payload = self._notifier.render("utter_handed_back", language)
        await self._delivery.rasa_for(conversation.id).append_events(
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
        await self._notifier.system_message(conversation.id, "staff_left", language, name=member.display_name)
        await self._notifier.broadcast(conversation.id, {"type": "mode", "mode": workflow.CHAT_HANDED_BACK.target})
        await self._notifier.store_and_push(conversation.id, "bot", text, payload)
        await self._changed(conversation.id)

    async def reassign(self, reference: str, member: StaffMember, to_id: int) -> None:
        """A supervisor gives a case to another officer; a live chat goes along (the resident hears who joined).

        Raises: see :func:`bot.store.desk.reassign` (and LookupError: unknown reference).
        """
        async with self._sessions() as session, session.begin():
            case = await desk.get_case(session, reference)
            to = await desk.reassign(session, case, member, to_id)
            conversation = await convs.get_conversation(session, case.conversation_id) if case.conversation_id else None
        if conversation is not None and conversation.mode == workflow.HUMAN:
            name = to.display_name
            await self._notifier.system_message(conversation.id, "staff_joined", conversation.language, name=name)
        await self._changed(case.conversation_id)

    async def resident_leave(self, conversation_id: str) -> None:
        """The resident ends a live chat (goodbye, or the widget's "end chat"): told politely, case stays."""
        async with self._sessions() as session, session.begin():
            case = await queue.resident_left(session, conversation_id)
            conversation = await convs.get_conversation(session, conversation_id)
        if conversation is None:
            return
        if case is not None:
            await self._notifier.system_message(
                conversation_id,
                "chat_ended",
                conversation.language,
                reference=case.reference,
                acknowledgement_due=self._notifier.catalogs.format_date(
                    case.acknowledgement_due, conversation.language
                ),
            )
        await self._notifier.broadcast(conversation_id, {"type": "mode", "mode": workflow.CHAT_CLOSED})
        await self._changed(conversation_id)

    async def resident_leave_if_live(self, conversation_id: str) -> None:
        """The widget's "end chat": ends a live chat (see :meth:`resident_leave`); else does nothing."""
        async with self._sessions() as session:
            conversation = await convs.get_conversation(session, conversation_id)
        if conversation is not None and conversation.mode in workflow.LIVE_MODES:
            await self.resident_leave(conversation_id)

    async def notify_unclaimed(self) -> int:
        """Chats nobody claimed in time: the resident and the department are told (:meth:`Reach.notify_unclaimed`)."""
        return await self.reach.notify_unclaimed()
