"""Photos and positions residents attach to a conversation, linked to the case created from it.

A resident may send photos and share a position at any point of a chat (the widget offers both; a
fault report asks for them). They belong to the conversation until a case is created from it, which
takes every photo and position not yet linked (:func:`link_to_case`, called by
:func:`bot.store.cases.create_case`). At most :data:`MAX_PENDING_PHOTOS` photos wait for one case.
Retention deletes them with the case's other personal data (:func:`forget`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.images import Photo as ProcessedPhoto
from bot.store.models import GeoPosition, Photo, PhotoBlob, utcnow

MAX_PENDING_PHOTOS = 3
"""Photos one report may carry (the widget offers as many; ``photo_limit`` and ``photos_hint`` name it)."""
POSITION_SOURCES = ("device", "photo")


class TooManyPhotos(Exception):
    """The conversation already has :data:`MAX_PENDING_PHOTOS` photos waiting for a case."""


async def pending_photo_count(session: AsyncSession, conversation_id: str) -> int:
    """Photos of the conversation not yet linked to a case."""
    row = await session.execute(
        select(func.count(Photo.id)).where(Photo.conversation_id == conversation_id, Photo.case_id.is_(None))
    )
    return int(row.scalar_one())


async def add_photo(
    session: AsyncSession, conversation_id: str, photo: ProcessedPhoto, message_id: int | None = None
) -> Photo:
    """Store a re-encoded photo for the conversation (its bytes once per content hash).

    Raises:
        TooManyPhotos: the conversation already has :data:`MAX_PENDING_PHOTOS` waiting for a case.
    """
    if await pending_photo_count(session, conversation_id) >= MAX_PENDING_PHOTOS:
        raise TooManyPhotos(conversation_id)
    if await session.get(PhotoBlob, photo.sha256) is None:
        session.add(PhotoBlob(sha256=photo.sha256, data=photo.data, created_at=utcnow()))
        await session.flush()
    row = Photo(
        conversation_id=conversation_id,
        message_id=message_id,
        sha256=photo.sha256,
        width=photo.width,
        height=photo.height,
        size=len(photo.data),
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def add_position(
    session: AsyncSession,
    conversation_id: str,
    latitude: float,
    longitude: float,
    accuracy_m: float | None,
    source: str,
    message_id: int | None = None,
) -> GeoPosition:
    """Store a position the resident shared (WGS 84 degrees, accuracy in metres).

    Raises:
        ValueError: ``source`` is not one of :data:`POSITION_SOURCES`.
    """
    if source not in POSITION_SOURCES:
        raise ValueError(f"unknown position source {source!r}")
    row = GeoPosition(
        conversation_id=conversation_id,
        message_id=message_id,
        latitude=latitude,
        longitude=longitude,
        accuracy_m=accuracy_m,
        source=source,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def link_to_case(session: AsyncSession, conversation_id: str | None, case_id: int) -> None:
    """Give the case every photo and position of its conversation not yet linked to a case."""
    if not conversation_id:
        return
    for table in (Photo, GeoPosition):
        await session.execute(
            update(table)
            .where(table.conversation_id == conversation_id, table.case_id.is_(None))
            .values(case_id=case_id)
        )


async def photos_of_case(session: AsyncSession, case_id: int) -> list[Photo]:
    """The case's photos, oldest first."""
    rows = await session.execute(select(Photo).where(Photo.case_id == case_id).order_by(Photo.id))
    return list(rows.scalars())


async def positions_of_case(session: AsyncSession, case_id: int) -> list[GeoPosition]:
    """The case's positions, oldest first (the last one is the resident's latest word)."""
    rows = await session.execute(select(GeoPosition).where(GeoPosition.case_id == case_id).order_by(GeoPosition.id))
    return list(rows.scalars())


async def photo_bytes(session: AsyncSession, photo_id: int, case_id: int, conversation_id: str | None) -> bytes | None:
    """The JPEG of a photo that belongs to this case (linked to it, or sent in its conversation), else ``None``."""
    owner = Photo.case_id == case_id
    if conversation_id:
        owner = owner | (Photo.conversation_id == conversation_id)
    row = await session.execute(
        select(PhotoBlob.data).join(Photo, Photo.sha256 == PhotoBlob.sha256).where(Photo.id == photo_id, owner)
    )
    return row.scalar_one_or_none()


async def photo_counts(session: AsyncSession, case_ids: Iterable[int]) -> dict[int, int]:
    """``{case id: number of photos}`` for these cases (cases without photos are left out)."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Photo.case_id, func.count(Photo.id)).where(Photo.case_id.in_(ids)).group_by(Photo.case_id)
    )
    return {case_id: count for case_id, count in rows.all()}


async def forget(session: AsyncSession, case_ids: Iterable[int] = (), conversation_ids: Iterable[str] = ()) -> int:
    """Delete the photos and positions of these cases and conversations, then photo bytes nobody uses.

    Returns the number of photos deleted. Called by retention (:mod:`bot.store.retention`).
    """
    cases, conversations = list(case_ids), list(conversation_ids)
    deleted = 0
    for table in (Photo, GeoPosition):
        for column, values in ((table.case_id, cases), (table.conversation_id, conversations)):
            if values:
                result = await session.execute(
                    delete(table).where(column.in_(values)).execution_options(synchronize_session=False)
                )
                if table is Photo:
                    deleted += result.rowcount or 0
    if deleted:
        unused = delete(PhotoBlob).where(~exists().where(Photo.sha256 == PhotoBlob.sha256))
        await session.execute(unused.execution_options(synchronize_session=False))
    return deleted
