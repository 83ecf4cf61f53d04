"""Fan-out of chat events to open sockets (through the hub), and the chat's own stored messages.

Every event of a conversation goes to the resident's open sockets (topic ``resident:<id>``) and, unless
it is internal, to staff browsers watching the chat (``staff:<id>``); ``queue`` tells staff browsers
showing the queue to refresh it (:mod:`bot.chat.hub`). Messages the assistant itself sends (catalog
``system`` texts, bot responses outside a Rasa turn) are stored in the transcript first, then pushed.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import sessionmaker

from bot.chat.hub import QUEUE, Hub, Push, resident_topic, staff_topic
from bot.core.catalog import Catalogs
from bot.core.foreign import language_name
from bot.core.profile import Profile
from bot.store import conversations as convs
from bot.store.models import Message


def message_event(message: Message) -> dict[str, Any]:
    """The socket event for a stored message: ``{type, id, sender, text, buttons, lang, dir, name, time, …}``.

    ``photo`` (a photo's id) and ``position`` are set on what the resident sent with :mod:`bot.web.uploads`.

    ``name`` is the case officer's display name on staff messages (never the username). A case
    officer's message may also carry ``phrase`` (the phrasebook key it was sent from) or ``note`` (the
    mark "written in Swedish" in the resident's language, with ``note_lang``/``note_dir``), else ``None``.
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
        "phrase": payload.get("phrase"),
        "note": payload.get("note"),
        "note_lang": payload.get("note_lang"),
        "note_dir": payload.get("note_dir"),
        "photo": payload.get("photo"),  # a photo the resident sent (its id; bot.web.uploads)
        "position": payload.get("position"),  # a position the resident shared
    }


class Notifier:
    """Publishes chat events to sockets and stores the assistant's own messages.

    One instance per web app process. ``sessions`` is an async session factory; ``catalogs`` and
    ``profile`` give the texts of the assistant's own messages.
    """

    def __init__(self, sessions: sessionmaker, hub: Hub, catalogs: Catalogs, profile: Profile) -> None:
        self.sessions = sessions
        self.hub = hub
        self.catalogs = catalogs
        self.profile = profile

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

    async def to_resident(self, conversation_id: str, event: dict[str, Any]) -> None:
        """Send an event only to the resident's open sockets (a reply with a check code in clear)."""
        await self.hub.publish(resident_topic(conversation_id), event)

    async def to_staff(self, conversation_id: str, event: dict[str, Any]) -> None:
        """Send an event only to staff watching the chat (internal notes, case changes)."""
        await self.hub.publish(staff_topic(conversation_id), event)

    async def queue_changed(self) -> None:
        """Tell staff browsers showing the queue to refresh it."""
        await self.hub.publish(QUEUE, {"type": "queue_changed"})

    # -- the assistant's own messages --------------------------------------------------------------

    def lang_payload(self, language: str) -> dict[str, str]:
        """``{"lang", "dir"}`` of a message in ``language``."""
        return {"lang": language, "dir": self.catalogs.get(language).direction}

    def render(self, response: str, language: str) -> tuple[str, dict[str, Any]]:
        """A catalog response as the text and payload of a stored bot message."""
        rendered = self.catalogs.response(response, language, self.catalogs.profile_values(self.profile, language))
        return rendered["text"], {"buttons": rendered["buttons"], **self.lang_payload(language)}

    async def store_and_push(self, conversation_id: str, sender: str, text: str, payload: dict[str, Any]) -> Message:
        """Store a delivered message of ``sender`` in the transcript and push it to the chat's sockets."""
        async with self.sessions() as session, session.begin():
            message = await convs.add_message(session, conversation_id, sender, text, payload, delivered=True)
        await self.broadcast(conversation_id, message_event(message))
        return message

    async def system_message(self, conversation_id: str, key: str, language: str, **values: Any) -> None:
        """Store and push a gateway message from the catalog (its key is kept in ``payload.key``)."""
        text = self.catalogs.system(key, language, {**self.catalogs.profile_values(self.profile, language), **values})
        await self.store_and_push(conversation_id, "system", text, {**self.lang_payload(language), "key": key})

    async def bot_message(self, conversation_id: str, response: str, language: str) -> None:
        """Store and push a catalog response as the bot's own message (no Rasa turn)."""
        text, payload = self.render(response, language)
        await self.store_and_push(conversation_id, "bot", text, payload)

    async def interpreter_offer(self, conversation_id: str, foreign: str, current: str) -> None:
        """Store and push the answer to a message in ``foreign``, a language we do not speak.

        The text (system ``interpreter_offer``: the languages the assistant speaks, each in its own name, and
        that the municipality books an interpreter free of charge, förvaltningslagen (2017:900) 13 §) comes in
        Swedish and English, and in the conversation's language ``current`` when that is another. Buttons:
        ``interpreter_button`` (payload ``/request_interpreter{"interpreter_language": foreign}``: a case for
        a person, interpreter needed) and one per supported language.
        """
        shown = list(dict.fromkeys(["sv", "en", current]))
        speaks = ", ".join(self.catalogs.get(code).name for code in self.catalogs.languages)
        text = "\n\n".join(
            self.catalogs.system(
                "interpreter_offer", code, {"language": language_name(foreign, code), "languages": speaks}
            )
            for code in shown
        )
        title = " / ".join(self.catalogs.system("interpreter_button", code) for code in shown)
        payload = "/request_interpreter" + json.dumps({"interpreter_language": foreign})
        buttons = [{"title": title, "payload": payload}, *self.catalogs.language_buttons()]
        await self.store_and_push(conversation_id, "bot", text, {"buttons": buttons, "lang": "sv", "dir": "ltr"})
