"""Cases (ärenden): reference numbers, creation with due dates, listing.

Every function takes an open :class:`AsyncSession` and works inside the caller's transaction, so
one unit of work is one ``async with sessions() as s, s.begin():`` block.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.workflow import CASE_STATUSES
from bot.core import passwords
from bot.core.profile import DEFAULT_LANGUAGE, Profile
from bot.core.workdays import add_working_days
from bot.store import photos
from bot.store.models import Case, CaseEvent, ReferenceCounter, StaffMember, utcnow

CASE_KINDS = ("complaint", "fault_report", "suggestion", "praise", "question")
REFERENCE_PREFIX = "SYN"
REPLY_CHANNELS = ("email", "phone")
WORKING_LANGUAGE = DEFAULT_LANGUAGE
"""Staff work in Swedish (språklagen 10 §: Swedish is the language of the public sector), so a case in
Swedish never needs an interpreter."""

CHECK_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
"""Letters and digits of check codes: no 0/O, 1/I/L, which residents mix up when they type a code."""
CHECK_CODE_LENGTH = 8

_REFERENCE = re.compile(r"(?:([A-Za-z]{2,5})\s*[-–—_/.]?\s*)?(\d{4})\s*[-–—_/. ]\s*(\d{1,5})(?!\d)")


def format_reference(year: int, number: int, prefix: str = REFERENCE_PREFIX) -> str:
    """A reference number such as ``SYN-2026-00042`` (prefix, year, five-digit sequence)."""
    return f"{prefix}-{year}-{number:05d}"


def parse_reference(text: str, prefix: str = REFERENCE_PREFIX) -> str | None:
    """Find a reference number in what a resident typed and normalise it, else ``None``.

    Accepts ``SYN-2026-00042``, ``syn 2026 42``, ``2026-42`` and digits of any script (Arabic-Indic
    ``٢٠٢٦``, Persian ``۲۰۲۶``); returns ``SYN-2026-00042``. Another letter prefix gives ``None``.
    """
    match = _REFERENCE.search(text or "")
    if not match:
        return None
    letters, year, number = match.groups()
    if letters and letters.upper() != prefix:
        return None
    return format_reference(int(year), int(number), prefix)


def new_check_code() -> str:
    """A random check code such as ``K7PQ-4XZ9`` (8 characters of :data:`CHECK_CODE_ALPHABET`, ≈ 40 bits)."""
    chars = "".join(secrets.choice(CHECK_CODE_ALPHABET) for _ in range(CHECK_CODE_LENGTH))
    return f"{chars[:4]}-{chars[4:]}"


MASK = "\u2022"
"""The bullet that stands for a hidden character of a check code."""


def mask_check_code(code: str) -> str:
    """A check code with all but its last two characters hidden: ``K7PQ-4XZ9`` → ``••••-••Z9``.

    What the transcript, the staff console and Rasa's tracker keep of the code shown once to the resident.
    """
    return "".join(c if c == "-" or i >= len(code) - 2 else MASK for i, c in enumerate(code))


def normalize_check_code(text: str) -> str | None:
    """A typed check code in the canonical ``XXXX-XXXX`` form, or ``None`` when it cannot be one.

    Case, spaces and dashes do not matter.
    """
    chars = re.sub(r"[\s\-–—_.]", "", text or "").upper()
    if len(chars) != CHECK_CODE_LENGTH or any(c not in CHECK_CODE_ALPHABET for c in chars):
        return None
    return f"{chars[:4]}-{chars[4:]}"


_CODE_TOKEN = re.compile(r"(?<![A-Za-z0-9])(?=([A-Za-z0-9]{4}[\s\-–—_.]?[A-Za-z0-9]{4})(?![A-Za-z0-9]))")
"""Every place a code may start; a lookahead, so that "taki AXEQ-S9FC" also tries "AXEQ-S9FC" after "taki AXEQ"."""


def _check_code_span(text: str) -> tuple[int, int, str] | None:
    """Where the check code in ``text`` is (start, end), and the code normalised (as :func:`find_check_code` picks)."""
    candidates = []
    for position, match in enumerate(_CODE_TOKEN.finditer(text or "")):
        code = normalize_check_code(match.group(1))
        if code:
            split = any(c.isspace() for c in match.group(1))
            digitless = not any(c.isdigit() for c in code)
            candidates.append((split, digitless, position, match.start(1), match.end(1), code))
    if not candidates:
        return None
    _, _, _, start, end, code = min(candidates)
    return start, end, code


def find_check_code(text: str) -> str | None:
    """The check code in ``text`` (a typed sentence), normalised, else ``None``.

    Of the well-formed candidates, one written as a single token ("AXEQ-S9FC", "axeqs9fc") beats two
    words of four letters ("they gave"), one with a digit beats one without, and then the first wins.
    """
    span = _check_code_span(text)
    return span[2] if span else None


MASKED_CHECK_CODE = f"{MASK * 4}-{MASK * 4}"
"""What stands in a stored resident message where the resident typed a check code: ``••••-••••``."""


def hide_typed_check_code(text: str, asked: bool) -> tuple[str, str | None]:
    """A resident's message with the check code it holds replaced by :data:`MASKED_CHECK_CODE`, and that code.

    The code counts when the message answers the question for the check code (``asked``: the whole
    message read as a code, else the code :func:`find_check_code` finds), or when the message holds a
    reference number (:func:`parse_reference`) and a code beside it ("SYN-2026-00042, koden ABCD-2345"),
    as the status lookup reads them (``actions/case_status.py``). Otherwise ``(text, None)``: a message
    without a reference is left alone even if a word looks like a code ("barnvagn").
    """
    if asked:
        whole = normalize_check_code(text)
        if whole:
            return MASKED_CHECK_CODE, whole
        span = _check_code_span(text)
    else:
        reference = _REFERENCE.search(text or "")
        if reference is None or parse_reference(text) is None:
            return text, None
        start, end = reference.span()
        span = _check_code_span(text[:start] + " " * (end - start) + text[end:])
    if span is None:
        return text, None
    start, end, code = span
    return text[:start] + MASKED_CHECK_CODE + text[end:], code


def hash_check_code(code: str) -> str:
    """Argon2id hash of a check code, profile :data:`bot.core.passwords.CHECK_CODE` (7 MiB, ~16 ms of CPU).

    From async code call it through :func:`bot.core.passwords.run_hashing`.
    """
    return passwords.hash_secret(code, passwords.CHECK_CODE)


def verify_check_code(code_hash: str | None, code: str) -> bool:
    """True when ``code`` matches ``code_hash``.

    With ``code_hash`` ``None`` (an unknown reference) a dummy hash is checked, so that a wrong code
    and an unknown reference take the same time and cannot be told apart.
    """
    return passwords.verify(code_hash, code, passwords.CHECK_CODE)


def check_code_needs_rehash(code_hash: str) -> bool:
    """True when ``code_hash`` was made with other parameters than :data:`bot.core.passwords.CHECK_CODE`'s.

    Check codes hashed before issue 18 used argon2-cffi's default (64 MiB); they still verify.
    """
    return passwords.needs_rehash(code_hash, passwords.CHECK_CODE)


async def next_reference(session: AsyncSession, year: int) -> str:
    """Reserve the next reference number of ``year`` (sequential per year, never reused).

    One upsert increments the year's counter (creating it at 1), so the row (PostgreSQL) or the
    database (SQLite) stays write-locked until the caller's transaction ends: two concurrent filings,
    even the first two of a year, never get the same number.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ReferenceCounter).values(year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[ReferenceCounter.year], set_={"last": ReferenceCounter.last + 1}
    )
    await session.execute(statement)
    number = (await session.execute(select(ReferenceCounter.last).where(ReferenceCounter.year == year))).scalar_one()
    return format_reference(year, number)


@dataclass(frozen=True)
class NewCase:
    """What a resident gave for a new case.

    ``kind`` is one of :data:`CASE_KINDS`; ``language`` is the conversation's (the reply language
    unless ``reply_language`` says otherwise); ``description_language`` the language the description
    was written in (default ``language``); ``area`` a department id of the profile;
    ``reply_channel`` one of :data:`REPLY_CHANNELS`; ``check_code_hash`` from :func:`hash_check_code`;
    ``consent_at`` when the resident accepted that the case becomes a public record;
    ``interpreter_language`` a language we do not speak (:data:`bot.core.foreign.FOREIGN`) the resident
    wrote in and needs an interpreter for: it becomes the description language and flags the case.
    """

    kind: str
    description: str
    language: str
    conversation_id: str | None = None
    area: str | None = None
    description_language: str | None = None
    place: str | None = None
    event_date: date | None = None
    anonymous: bool | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    reply_channel: str | None = None
    reply_language: str | None = None
    consent_at: datetime | None = None
    check_code_hash: str | None = None
    status: str = "received"
    interpreter_language: str | None = None


def local_today(profile: Profile, now: datetime | None = None) -> date:
    """Today's date in the municipality's time zone."""
    return (now or utcnow()).astimezone(ZoneInfo(profile.timezone)).date()


async def create_case(session: AsyncSession, profile: Profile, new: NewCase, now: datetime | None = None) -> Case:
    """Store a case with a fresh reference number and its due dates, and log a ``created`` event.

    Acknowledgement and reply due dates are counted in working days from today (municipality time),
    using the profile's deadlines (the area's own reply deadline where it has one). The case is
    flagged ``interpreter_needed`` when it is not in Swedish and no active staff member speaks its
    language, or when it has an ``interpreter_language`` (förvaltningslagen (2017:900) 13 §: the authority
    uses an interpreter when needed). A case without any contact detail is anonymous. Photos and positions
    the resident sent in the conversation and no earlier case took are linked to it
    (:func:`bot.store.photos.link_to_case`).

    Raises:
        ValueError: unknown ``kind``, ``status`` or ``reply_channel``.
    """
    if new.kind not in CASE_KINDS:
        raise ValueError(f"unknown case kind {new.kind!r}")
    if new.status not in CASE_STATUSES:
        raise ValueError(f"unknown case status {new.status!r}")
    if new.reply_channel is not None and new.reply_channel not in REPLY_CHANNELS:
        raise ValueError(f"unknown reply channel {new.reply_channel!r}")
    now = now or utcnow()
    today = local_today(profile, now)
    anonymous = new.anonymous if new.anonymous is not None else not (new.contact_email or new.contact_phone)
    language = new.interpreter_language or new.description_language or new.language
    interpreter = bool(new.interpreter_language) or await needs_interpreter(session, new.reply_language or new.language)
    case = Case(
        reference=await next_reference(session, today.year),
        check_code_hash=new.check_code_hash,
        kind=new.kind,
        area=new.area,
        description=new.description,
        description_language=language,
        place=new.place,
        event_date=new.event_date,
        anonymous=anonymous,
        contact_name=None if anonymous else new.contact_name,
        contact_email=None if anonymous else new.contact_email,
        contact_phone=None if anonymous else new.contact_phone,
        reply_channel=None if anonymous else new.reply_channel,
        reply_language=new.reply_language or new.language,
        consent_at=new.consent_at,
        status=new.status,
        conversation_id=new.conversation_id,
        interpreter_needed=interpreter,
        acknowledgement_due=add_working_days(today, profile.acknowledgement_working_days),
        reply_due=add_working_days(today, profile.reply_days_for(new.area)),
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    session.add(CaseEvent(case_id=case.id, kind="created", actor="assistant", data={"status": case.status}))
    await photos.link_to_case(session, case.conversation_id, case.id)  # photos and position the resident sent
    return case


async def staff_languages(session: AsyncSession) -> set[str]:
    """Language codes spoken by at least one active staff member."""
    rows = await session.execute(select(StaffMember.languages).where(StaffMember.active.is_(True)))
    return {str(code) for languages in rows.scalars() for code in (languages or [])}


async def needs_interpreter(session: AsyncSession, language: str) -> bool:
    """True when a case in ``language`` needs an interpreter: not Swedish and no active staff speaks it."""
    return language != WORKING_LANGUAGE and language not in await staff_languages(session)


async def find_case(session: AsyncSession, reference: str) -> Case | None:
    """The case with this reference number, or ``None``."""
    return (await session.execute(select(Case).where(Case.reference == reference))).scalar_one_or_none()


async def list_cases(session: AsyncSession, limit: int = 50) -> list[Case]:
    """The newest cases first, at most ``limit``."""
    rows = await session.execute(select(Case).order_by(Case.id.desc()).limit(limit))
    return list(rows.scalars())


def case_as_dict(case: Case) -> dict[str, Any]:
    """A JSON-ready summary of a case (dates as ISO strings)."""
    return {
        "reference": case.reference,
        "kind": case.kind,
        "status": case.status,
        "area": case.area,
        "language": case.description_language,
        "description": case.description,
        "place": case.place,
        "event_date": case.event_date.isoformat() if case.event_date else None,
        "anonymous": case.anonymous,
        "contact_name": case.contact_name,
        "contact_email": case.contact_email,
        "contact_phone": case.contact_phone,
        "reply_channel": case.reply_channel,
        "reply_language": case.reply_language,
        "consent_at": case.consent_at.isoformat() if case.consent_at else None,
        "interpreter_needed": case.interpreter_needed,
        "conversation_id": case.conversation_id,
        "acknowledgement_due": case.acknowledgement_due.isoformat() if case.acknowledgement_due else None,
        "reply_due": case.reply_due.isoformat() if case.reply_due else None,
        "created_at": case.created_at.isoformat() if case.created_at else None,
    }
