"""How the municipality may reach a resident whose chat nobody takes now: asked, answered, kept on the case.

The question's progress is kept in the case's audit trail (events of kind ``contact``, ``data.state``):

- ``asked`` — the resident was asked how we may reach them (e-mail, phone, or "I will check myself");
- ``email`` / ``phone`` — they chose a channel and we wait for the address or number;
- ``given`` — an address or number is stored on the case (``data.channel``; the detail itself is on
  the case only, never in the audit trail);
- ``self`` — they will look the case up themselves (reference and check code).

A case without any such event was never asked. Every function takes an open :class:`AsyncSession` and
works inside the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store import desk
from bot.store.models import Case, CaseEvent, Message, utcnow

EVENT = "contact"
STATES = ("asked", "email", "phone", "given", "self")
"""Every ``data.state`` of a ``contact`` event, in the order a conversation goes through them."""
OPEN_STATES = ("asked", "email", "phone")
"""States in which the resident's next message is read as the answer."""


def has_contact(case: Case) -> bool:
    """True when the case already holds an e-mail address or a phone number to reach the resident."""
    return bool(case.contact_email or case.contact_phone)


async def contact_state(session: AsyncSession, case_id: int) -> str | None:
    """The newest ``data.state`` of the case's ``contact`` events, or ``None`` when it was never asked."""
    rows = await session.execute(
        select(CaseEvent.data)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == EVENT)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )
    data = rows.scalar_one_or_none()
    return (data or {}).get("state") if isinstance(data, dict) else None


async def set_state(session: AsyncSession, case: Case, state: str, actor: str = "assistant", **data: str) -> None:
    """Record the next state of the question (one of :data:`STATES`).

    Raises:
        ValueError: unknown state.
    """
    if state not in STATES:
        raise ValueError(f"unknown contact state {state!r}")
    await desk.record_event(session, case.id, EVENT, actor, {"state": state, **data})


async def ask(session: AsyncSession, case: Case) -> bool:
    """Mark that the resident is asked how to reach them; ``False`` (nothing asked) when the case has a way already.

    A case that was asked before and answered is not asked again.
    """
    if has_contact(case) or await contact_state(session, case.id) in ("given", "self"):
        return False
    await set_state(session, case, "asked")
    return True


async def save_contact(
    session: AsyncSession, case: Case, language: str, email: str | None = None, phone: str | None = None
) -> str:
    """Store an e-mail address and/or phone number on the case with its reply language; returns the reply channel.

    The case stops being anonymous (the resident gave a way to reach them). E-mail wins as the reply
    channel when both are given. Raises:
        ValueError: neither an address nor a number.
    """
    if not email and not phone:
        raise ValueError("no contact detail")
    if email:
        case.contact_email = email
    if phone:
        case.contact_phone = phone
    channel = "email" if email else "phone"
    case.reply_channel = channel
    case.reply_language = language
    case.anonymous = False
    case.updated_at = utcnow()
    await set_state(session, case, "given", "resident", channel=channel)
    await session.flush()
    return channel


async def check_myself(session: AsyncSession, case: Case, check_code_hash: str, language: str) -> None:
    """The resident will look the case up: store the hash of their new check code and the reply language."""
    case.check_code_hash = check_code_hash
    case.reply_language = language
    case.updated_at = utcnow()
    await set_state(session, case, "self", "resident")
    await session.flush()


async def last_bot_key(session: AsyncSession, conversation_id: str) -> str | None:
    """``payload.key`` of the conversation's newest bot message (the catalog response it showed), else ``None``."""
    rows = await session.execute(
        select(Message.payload)
        .where(Message.conversation_id == conversation_id, Message.sender == "bot")
        .order_by(Message.id.desc())
        .limit(1)
    )
    payload = rows.scalar_one_or_none()
    return payload.get("key") if isinstance(payload, dict) else None
