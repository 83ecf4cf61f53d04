"""The notification outbox against a real local SMTP server (aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cases.outbox import MAX_ATTEMPTS, queue_receipt, send_due
from bot.core.catalog import Catalogs
from bot.core.settings import Settings
from bot.store.cases import NewCase, create_case
from bot.store.models import Notification
from tests.helpers.ports import free_port
from tests.helpers.smtp import smtp_server as running_smtp


@pytest.fixture
def smtp_server():
    with running_smtp() as server:
        yield server


def smtp_settings(port: int) -> Settings:
    return Settings().with_overrides(
        smtp_host="127.0.0.1", smtp_port=port, smtp_from="noreply@exempelby.example", smtp_security="none"
    )


async def queued_case(sessions, profile, catalogs, language="fa", email_address="resident@example.se"):
    async with sessions() as s, s.begin():
        case = await create_case(s, profile, NewCase(kind="complaint", description="Ingen har plogat gatan.",
                                                      language=language, area="streets_parks", contact_name="Sara",
                                                      contact_email=email_address, reply_channel="email"))  # fmt: skip
        notification = await queue_receipt(s, case, "K7PQ-4XZ9", catalogs, profile)
    return case, notification


async def test_receipt_is_sent_once_in_the_residents_language(sessions, profile, catalogs: Catalogs, smtp_server):
    inbox, port = smtp_server
    case, notification = await queued_case(sessions, profile, catalogs)
    assert await send_due(sessions, smtp_settings(port), profile) >= 1
    mine = [m for m in inbox.messages if case.reference in m["Subject"]]
    assert len(mine) == 1
    message = mine[0]
    assert message["To"] == "resident@example.se" and message["Content-Language"] == "fa"
    body = message.get_content()
    assert "K7PQ-4XZ9" in body and case.reference in body and "Sara" in body
    assert catalogs.format_date(case.reply_due, "fa") in body
    async with sessions() as s:
        stored = await s.get(Notification, notification.id)
    assert stored.status == "sent" and stored.sent_at is not None
    assert stored.body == ""  # the check code does not stay in the database in clear text
    await send_due(sessions, smtp_settings(port), profile)
    assert len([m for m in inbox.messages if case.reference in m["Subject"]]) == 1


async def test_without_smtp_the_receipt_stays_queued(sessions, profile, catalogs):
    _, notification = await queued_case(sessions, profile, catalogs, "sv")
    assert await send_due(sessions, Settings(), profile) == 0
    async with sessions() as s:
        assert (await s.get(Notification, notification.id)).status == "queued"


async def test_no_receipt_without_an_email_address(sessions, profile, catalogs):
    _, notification = await queued_case(sessions, profile, catalogs, "sv", email_address=None)
    assert notification is None


async def test_unreachable_server_is_retried_later_then_given_up(sessions, profile, catalogs):
    _, notification = await queued_case(sessions, profile, catalogs, "so")
    dead = smtp_settings(free_port())
    await send_due(sessions, dead, profile)
    async with sessions() as s:
        stored = await s.get(Notification, notification.id)
    assert stored.status == "queued" and stored.attempts == 1 and stored.last_error
    assert stored.next_attempt_at is not None
    for _ in range(MAX_ATTEMPTS):
        async with sessions() as s, s.begin():
            (await s.get(Notification, notification.id)).next_attempt_at = None
        await send_due(sessions, dead, profile)
    async with sessions() as s:
        stored = (await s.execute(select(Notification).where(Notification.id == notification.id))).scalar_one()
    assert stored.status == "failed" and stored.attempts == MAX_ATTEMPTS and stored.body == ""
