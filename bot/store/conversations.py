"""Conversations and their transcripts, as the gateway uses them.

Session tokens: 32 random bytes (``secrets.token_urlsafe``) handed to the resident once; only their
SHA-256 digest is stored, so a database dump gives nobody access to a conversation.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.workflow import BOT, MODES
from bot.store.models import Conversation, Message, utcnow

SENDERS = ("resident", "bot", "staff", "system")


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_conversation(session: AsyncSession, language: str) -> tuple[Conversation, str]:
    """Start a conversation; returns it and the resident's new session token (shown once)."""
    token = secrets.token_urlsafe(32)
    conversation = Conversation(id=uuid.uuid4().hex, token_hash=hash_token(token), language=language, mode=BOT)
    session.add(conversation)
    await session.flush()
    return conversation, token


async def find_by_token(session: AsyncSession, token: str) -> Conversation | None:
    """The conversation a session token belongs to, or ``None``."""
    if not token or len(token) > 128:
        return None
    row = await session.execute(select(Conversation).where(Conversation.token_hash == hash_token(token)))
    return row.scalar_one_or_none()


async def get_conversation(session: AsyncSession, conversation_id: str) -> Conversation | None:
    """The conversation with this id, or ``None``."""
    return await session.get(Conversation, conversation_id)


async def add_message(
    session: AsyncSession,
    conversation_id: str,
    sender: str,
    text: str,
    payload: dict[str, Any] | None = None,
    delivered: bool = False,
    client_id: str | None = None,
) -> Message:
    """Append a message to a transcript (``client_id``: the widget's id of a resident message).

    Raises:
        ValueError: ``sender`` is not one of :data:`SENDERS`.
        sqlalchemy.exc.IntegrityError: (at flush) the conversation already has a message with ``client_id``.
    """
    if sender not in SENDERS:
        raise ValueError(f"unknown sender {sender!r}")
    message = Message(
        conversation_id=conversation_id,
        sender=sender,
        text=text,
        payload=payload,
        created_at=utcnow(),
        delivered_at=utcnow() if delivered else None,
        client_id=client_id,
    )
    session.add(message)
    await session.flush()
    return message


async def find_by_client_id(session: AsyncSession, conversation_id: str, client_id: str) -> Message | None:
    """The message the widget sent with ``client_id`` in this conversation, or ``None``."""
    row = await session.execute(
        select(Message).where(Message.conversation_id == conversation_id, Message.client_id == client_id)
    )
    return row.scalars().first()


async def has_resident_messages(session: AsyncSession, conversation_id: str) -> bool:
    """True when the resident has written anything in this conversation."""
    row = await session.execute(
        select(Message.id).where(Message.conversation_id == conversation_id, Message.sender == "resident").limit(1)
    )
    return row.first() is not None


async def mark_delivered(session: AsyncSession, message_id: int, payload: dict[str, Any] | None = None) -> None:
    """Record that Rasa has answered a resident message; with ``payload``, replace the message's payload too."""
    values: dict[str, Any] = {"delivered_at": utcnow()}
    if payload is not None:
        values["payload"] = payload
    await session.execute(update(Message).where(Message.id == message_id).values(**values))


async def delivered_count(session: AsyncSession, conversation_id: str) -> int:
    """How many of the conversation's resident messages Rasa has answered."""
    rows = await session.execute(
        select(func.count(Message.id)).where(
            Message.conversation_id == conversation_id,
            Message.sender == "resident",
            Message.delivered_at.is_not(None),
        )
    )
    return int(rows.scalar_one())


async def undelivered(session: AsyncSession, conversation_id: str) -> list[Message]:
    """Resident messages not yet answered by Rasa, oldest first."""
    rows = await session.execute(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.sender == "resident",
            Message.delivered_at.is_(None),
        )
        .order_by(Message.id)
    )
    return list(rows.scalars())


async def conversations_with_undelivered(session: AsyncSession) -> list[str]:
    """Ids of conversations in mode ``bot`` or ``closed`` that have resident messages waiting for Rasa."""
    rows = await session.execute(
        select(Message.conversation_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.sender == "resident", Message.delivered_at.is_(None), Conversation.mode.in_(("bot", "closed")))
        .distinct()
    )
    return list(rows.scalars())


async def set_mode(session: AsyncSession, conversation_id: str, mode: str) -> None:
    """Switch a conversation's mode.

    Raises:
        ValueError: ``mode`` is not one of :data:`MODES`.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    await session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(mode=mode, updated_at=utcnow())
    )


async def set_language(session: AsyncSession, conversation_id: str, language: str) -> None:
    """Record the conversation's language."""
    await session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(language=language, updated_at=utcnow())
    )


async def transcript(session: AsyncSession, conversation_id: str) -> list[Message]:
    """Every message of a conversation, oldest first."""
    rows = await session.execute(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))
    return list(rows.scalars())


async def last_reply(session: AsyncSession, conversation_id: str, sender: str | None = None) -> Message | None:
    """The newest message of a conversation not written by the resident (by ``sender`` if given), or ``None``."""
    by = Message.sender == sender if sender else Message.sender != "resident"
    rows = await session.execute(
        select(Message).where(Message.conversation_id == conversation_id, by).order_by(Message.id.desc()).limit(1)
    )
    return rows.scalar_one_or_none()
