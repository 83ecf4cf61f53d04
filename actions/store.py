"""Data access for the actions: settings, profile, catalogs and database sessions of this process.

Created on first use (never at import time) and then shared by all actions of the action server.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.cases.outbox import queue_department_notice, queue_receipt
from bot.core.catalog import Catalogs, default_catalogs
from bot.core.passwords import run_hashing
from bot.core.profile import Profile, load_profile
from bot.core.settings import Settings
from bot.store import reach
from bot.store.cases import NewCase, create_case, hash_check_code
from bot.store.conversations import get_conversation
from bot.store.db import create_engine, session_factory
from bot.store.models import Case
from bot.store.queue import estimated_wait_minutes, queue_position, start_handoff

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Settings of the action server process (from its environment)."""
    return Settings.from_env()


@lru_cache(maxsize=1)
def profile() -> Profile:
    """The municipality profile named by the settings."""
    return load_profile(settings().profile_path)


def catalogs() -> Catalogs:
    """The language catalogs."""
    return default_catalogs()


@lru_cache(maxsize=1)
def _engine() -> AsyncEngine:
    return create_engine(settings().database_url)


@lru_cache(maxsize=1)
def _sessions() -> Any:
    return session_factory(_engine())


async def reset() -> None:
    """Dispose of the engine and forget settings and profile (they are read again on next use)."""
    if _engine.cache_info().currsize:
        await _engine().dispose()
    for cached in (_engine, _sessions, settings, profile):
        cached.cache_clear()


@asynccontextmanager
async def unit_of_work() -> AsyncIterator[AsyncSession]:
    """One database session and transaction; commits on success, rolls back on error."""
    async with _sessions()() as session, session.begin():
        yield session


def language_of(tracker: Tracker) -> str:
    """The conversation's language: the ``language`` slot, else the session's metadata, else default."""
    cats = catalogs()
    slot = tracker.get_slot("language")
    if cats.supports(slot):
        return str(slot)
    metadata = tracker.get_slot("session_started_metadata") or {}
    if cats.supports(metadata.get("language")):
        return str(metadata["language"])
    latest = (tracker.latest_message or {}).get("metadata") or {}
    if cats.supports(latest.get("language")):
        return str(latest["language"])
    return settings().default_language


def local_now() -> datetime:
    """The current time in the municipality's time zone."""
    return datetime.now(ZoneInfo(profile().timezone))


async def file_case(
    dispatcher: CollectingDispatcher, tracker: Tracker, check_code: str | None = None, **fields: Any
) -> Case | None:
    """Store a case for this conversation; ``fields`` are those of :class:`~bot.store.cases.NewCase`.

    Language and conversation come from the tracker. With a ``check_code`` its argon2 hash is stored
    (computed on the hashing pool, :func:`bot.core.passwords.run_hashing`) and, when the case has an
    e-mail address, a receipt with the code is queued in the notification outbox in the same
    transaction. On a database error the resident is told, in their language, how else to reach the
    municipality, the error is logged (without what the resident wrote) and ``None`` is returned.
    """
    if check_code is not None:
        fields["check_code_hash"] = await run_hashing(hash_check_code, check_code)
    try:
        async with unit_of_work() as session:
            new = await _new_case(session, tracker, fields)
            case = await create_case(session, profile(), new)
            if check_code is not None:
                await queue_receipt(session, case, check_code, catalogs(), profile())
            return case
    except (SQLAlchemyError, OSError):
        logger.exception("could not store a %s case (conversation %s)", fields.get("kind"), tracker.sender_id)
        dispatcher.utter_message(response="utter_case_failed", phone=profile().phone)
        return None


async def _new_case(session: AsyncSession, tracker: Tracker, fields: dict[str, Any]) -> NewCase:
    """The case to store for this conversation: ``fields`` with its language and conversation."""
    conversation = await get_conversation(session, tracker.sender_id)
    return NewCase(language=language_of(tracker), conversation_id=conversation.id if conversation else None, **fields)


async def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    ask_contact: bool = False,
    tell_department: bool = False,
    **fields: Any,
) -> tuple[Case, int, int, bool] | None:
    """Put this conversation in the staff queue; returns ``(case, queue position, wait in minutes, asked)``.

    ``fields`` are those of :class:`~bot.store.cases.NewCase`. The conversation's open handoff case
    is reused when there is one (:func:`bot.store.queue.start_handoff`). With ``ask_contact`` (nobody
    can take the chat now) the case is marked as asking how to reach the resident (:func:`bot.store.reach.ask`;
    ``asked`` is ``False`` when the case already holds a way); with ``tell_department`` (out of hours)
    the department's functional mailbox gets a notice, once (:func:`bot.cases.outbox.queue_department_notice`),
    all in the same transaction. On a database error the resident is told how else to reach the
    municipality and ``None`` is returned.
    """
    try:
        async with unit_of_work() as session:
            new = await _new_case(session, tracker, fields)
            case = await start_handoff(session, profile(), new)
            position = await queue_position(session, case)
            wait = await estimated_wait_minutes(session, profile(), position)
            asked = await reach.ask(session, case) if ask_contact else False
            if tell_department:
                await queue_department_notice(session, case, catalogs(), profile(), settings())
            return case, position, wait, asked
    except (SQLAlchemyError, OSError):
        logger.exception("could not hand over conversation %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_case_failed", phone=profile().phone)
        return None
