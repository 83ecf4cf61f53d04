"""Case store on SQLite and on the real PostgreSQL: schema, reference numbers, cases, transcripts."""

import asyncio
from datetime import date, datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.store import conversations as convs
from bot.store.cases import NewCase, create_case, format_reference, list_cases, next_reference
from bot.store.db import create_engine, safe_url
from bot.store.models import Base


async def test_migrations_match_the_models(database_url):
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


def test_reference_format():
    assert format_reference(2026, 42) == "SYN-2026-00042"


async def test_reference_numbers_are_sequential_per_year(sessions):
    async with sessions() as s, s.begin():
        first = await next_reference(s, 2091)
        second = await next_reference(s, 2091)
        other_year = await next_reference(s, 2092)
    assert (first, second, other_year) == ("SYN-2091-00001", "SYN-2091-00002", "SYN-2092-00001")


async def test_concurrent_filings_never_share_a_number(sessions):
    async def reserve() -> str:
        async with sessions() as s, s.begin():
            return await next_reference(s, 2093)

    numbers = await asyncio.gather(*(reserve() for _ in range(8)))
    assert sorted(numbers) == [f"SYN-2093-{n:05d}" for n in range(1, 9)]


async def test_case_due_dates_count_working_days(sessions, profile):
    filed = datetime(2026, 12, 23, 10, 0, tzinfo=timezone.utc)  # Wednesday before Christmas
    async with sessions() as s, s.begin():
        case = await create_case(s, profile, NewCase(kind="complaint", description="x" * 20, language="sv"), now=filed)
    assert case.acknowledgement_due == date(2026, 12, 29)
    assert case.reply_due == date(2027, 1, 13)  # 10 working days; 31 Dec, 1 and 6 Jan are off
    assert case.anonymous is True


async def test_area_deadline_and_contact(sessions, profile):
    filed = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # Monday
    new = NewCase(kind="complaint", description="Soporna hämtades inte", language="sv", area="waste",
                  contact_email="a@example.se")  # fmt: skip
    async with sessions() as s, s.begin():
        case = await create_case(s, profile, new, now=filed)
    assert case.reply_due == date(2026, 11, 30)  # waste: 5 working days
    assert case.anonymous is False


async def test_conversation_transcript_and_case_listing(sessions, profile):
    async with sessions() as s, s.begin():
        conversation, token = await convs.create_conversation(s, "en")
        await convs.add_message(s, conversation.id, "resident", "<img src=x onerror=alert(1)>")
        await convs.add_message(s, conversation.id, "bot", "Hello", {"buttons": []}, delivered=True)
        case = await create_case(
            s, profile, NewCase(kind="question", description="help", language="en", conversation_id=conversation.id)
        )
    async with sessions() as s:
        assert (await convs.find_by_token(s, token)).id == conversation.id
        assert await convs.find_by_token(s, token + "x") is None
        assert conversation.token_hash != token
        messages = await convs.transcript(s, conversation.id)
        assert [m.sender for m in messages] == ["resident", "bot"]
        assert messages[0].text == "<img src=x onerror=alert(1)>"
        assert [m.id for m in await convs.undelivered(s, conversation.id)] == [messages[0].id]
        listed = await list_cases(s)
        assert listed[0].reference == case.reference


def test_safe_url_hides_the_password():
    assert "secret" not in safe_url("postgresql+asyncpg://user:secret@db.example:5432/kommun")
    assert safe_url("not a url") == "<invalid URL>"
