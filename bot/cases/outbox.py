"""Notification outbox: receipts of cases queued in the database and sent by SMTP when configured.

Queuing happens inside the unit of work that stores the case, so a receipt exists exactly when its
case does. Sending happens later, in a background loop of the web app (:func:`send_due`), with
``aiosmtplib``. Without SMTP settings nothing is sent and receipts stay ``queued`` (an installation
can configure SMTP later and they go out then). Several web app instances may run the loop: each
message is claimed with a conditional update first, so only one of them sends it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.catalog import Catalogs
from bot.core.profile import DEFAULT_LANGUAGE, Profile
from bot.core.settings import Settings
from bot.store.models import Case, Notification, utcnow

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
"""Wait after the 1st, 2nd, … failed attempt before the next one."""
STALE_CLAIM = timedelta(minutes=10)
"""A message claimed (``sending``) for longer than this is taken to belong to a sender that died."""


def receipt_values(case: Case, check_code: str, catalogs: Catalogs, profile: Profile) -> dict[str, Any]:
    """Placeholder values of the receipt e-mail of ``case``, formatted in its reply language."""
    language = case.reply_language or DEFAULT_LANGUAGE
    department = profile.department(case.area).display_name(language) if case.area else ""
    return {
        **catalogs.profile_values(profile, language),
        "name": case.contact_name or "",
        "kind": catalogs.term(language, "case_kind", case.kind),
        "reference": case.reference,
        "check_code": check_code,
        "department": department,
        "acknowledgement_due": catalogs.format_date(case.acknowledgement_due, language)
        if case.acknowledgement_due
        else "",
        "reply_due": catalogs.format_date(case.reply_due, language) if case.reply_due else "",
    }


async def queue_receipt(
    session: AsyncSession, case: Case, check_code: str, catalogs: Catalogs, profile: Profile
) -> Notification | None:
    """Queue the receipt of ``case`` for its e-mail address, in its reply language.

    Returns the queued notification, or ``None`` when the case has no e-mail address. The check code
    is in the body in clear text until the message is sent (then the body is emptied).
    """
    if not case.contact_email:
        return None
    language = case.reply_language or DEFAULT_LANGUAGE
    values = receipt_values(case, check_code, catalogs, profile)
    return await _queue_email(session, case, "receipt", case.contact_email, catalogs, language, values)


DEPARTMENT_NOTICE = "department_notice"
"""Notification kind of the mail that tells a department's functional mailbox about a chat nobody takes."""


async def queue_department_notice(
    session: AsyncSession, case: Case, catalogs: Catalogs, profile: Profile, settings: Settings
) -> Notification | None:
    """Queue, once per case, a mail to the department's functional mailbox: a chat nobody takes.

    Sent when a handoff comes out of hours with nobody signed in, or when a waiting chat stays unclaimed
    for ``handoff.unclaimed_minutes``. The mail names the reference, kind, language, interpreter flag and
    a link to the case page, in the staff language (``KOMMUN_STAFF_LANGUAGE``); never the description
    or contact details (personal data stays in the case, behind the staff login). Returns ``None`` when
    the case already has one.
    """
    known = await session.execute(
        select(Notification.id).where(Notification.case_id == case.id, Notification.kind == DEPARTMENT_NOTICE)
    )
    if known.first() is not None:
        return None
    language = settings.staff_language if catalogs.supports(settings.staff_language) else DEFAULT_LANGUAGE
    case_language = case.reply_language or language
    values = {
        **catalogs.profile_values(profile, language),
        "reference": case.reference,
        "kind": catalogs.term(language, "case_kind", case.kind),
        "language": f"{catalogs.get(case_language).name} ({case_language})" if catalogs.supports(case_language) else "",
        "interpreter": catalogs.term(language, "yes" if case.interpreter_needed else "no"),
        "link": f"{settings.public_base_url}/staff/cases/{case.reference}",
    }
    recipient = profile.mailbox_for(case.area)
    return await _queue_email(session, case, DEPARTMENT_NOTICE, recipient, catalogs, language, values)


def _email(notification: Notification, settings: Settings, profile: Profile) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{profile.name} <{settings.smtp_from}>"
    message["To"] = notification.recipient
    message["Subject"] = notification.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notification.body)
    message["Content-Language"] = notification.language  # after set_content, which drops Content-* headers
    return message


async def _claim(sessions: Any, now: datetime) -> list[int]:
    """Ids of messages due now that this sender claimed (status ``queued`` → ``sending``)."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(Notification)
            .where(Notification.status == "sending", Notification.next_attempt_at < now - STALE_CLAIM)
            .values(status="queued")
        )
        due = await session.execute(
            select(Notification.id)
            .where(Notification.status == "queued")
            .where((Notification.next_attempt_at.is_(None)) | (Notification.next_attempt_at <= now))
            .order_by(Notification.id)
            .limit(50)
        )
        candidates = list(due.scalars())
    claimed = []
    for notification_id in candidates:
        async with sessions() as session, session.begin():
            result = await session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.status == "queued")
                .values(status="sending", next_attempt_at=now)
            )
            if result.rowcount == 1:
                claimed.append(notification_id)
    return claimed


async def send_due(sessions: Any, settings: Settings, profile: Profile, now: datetime | None = None) -> int:
    """Send every queued message that is due; returns how many were sent.

    Does nothing (returns 0) when SMTP is not configured. A failed attempt is retried later
    (:data:`RETRY_DELAYS`) and given up after :data:`MAX_ATTEMPTS` (status ``failed``, error kept).
    Recipient addresses are not logged.
    """
    if not settings.smtp_configured:
        return 0
    now = now or utcnow()
    sent = 0
    for notification_id in await _claim(sessions, now):
        async with sessions() as session:
            notification = await session.get(Notification, notification_id)
        try:
            await aiosmtplib.send(
                _email(notification, settings, profile),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username or None,
                password=settings.smtp_password or None,
                use_tls=settings.smtp_security == "tls",
                start_tls=True if settings.smtp_security == "starttls" else False,
                timeout=30,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            attempts = notification.attempts + 1
            failed = attempts >= MAX_ATTEMPTS
            logger.warning("sending notification %s failed (attempt %s): %s", notification_id, attempts, exc)
            values: dict[str, Any] = {"attempts": attempts, "last_error": str(exc)[:500]}
            if failed:
                values.update(status="failed", body="")
            else:
                delay = RETRY_DELAYS[min(attempts - 1, len(RETRY_DELAYS) - 1)]
                values.update(status="queued", next_attempt_at=now + delay)
            async with sessions() as session, session.begin():
                await session.execute(update(Notification).where(Notification.id == notification_id).values(**values))
            continue
        async with sessions() as session, session.begin():
            await session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(status="sent", sent_at=utcnow(), body="", attempts=notification.attempts + 1, last_error=None)
            )
        sent += 1
    return sent


async def _queue_email(
    session: AsyncSession,
    case: Case,
    kind: str,
    recipient: str | None,
    catalogs: Catalogs,
    language: str,
    values: dict[str, Any],
) -> Notification:
    """Queue the e-mail ``<kind>_subject``/``<kind>_body`` of the catalogs for ``case`` (sent by :func:`send_due`)."""
    notification = Notification(
        case_id=case.id,
        kind=kind,
        channel="email",
        recipient=recipient,
        language=language,
        subject=catalogs.email(f"{kind}_subject", language, values),
        body=catalogs.email(f"{kind}_body", language, values),
        status="queued",
        attempts=0,
        created_at=utcnow(),
    )
    session.add(notification)
    await session.flush()
    return notification
