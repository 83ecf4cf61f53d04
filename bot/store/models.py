"""Table definitions of the case store.

The schema itself is owned by the alembic migrations (``bot/store/migrations``); these classes must
match them (``tests/app/test_store.py`` compares the two).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    """``moment`` as a timezone-aware UTC time (SQLite returns naive UTC); ``None`` stays ``None``."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


class NumberedRow:
    """Mixin: an integer primary key ``id`` that the database numbers, the first column of the table."""

    id = Column(Integer, primary_key=True, autoincrement=True)


class Conversation(Base):
    """One resident's chat. ``id`` is also the Rasa sender id.

    ``token_hash`` is the SHA-256 hex digest of the resident's session token (the token itself is
    never stored). ``mode`` is ``bot`` (Rasa answers), ``waiting`` (handed off, waiting for staff),
    ``human`` (a case officer chats) or ``closed``. ``anonymised_at``: when retention emptied its
    transcript (:mod:`bot.store.retention`).
    """

    __tablename__ = "conversation"

    id = Column(String(36), primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    language = Column(String(8), nullable=False)
    mode = Column(String(16), nullable=False, default="bot")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    anonymised_at = Column(DateTime(timezone=True), nullable=True)


class Message(NumberedRow, Base):
    """One message of a conversation's transcript.

    ``sender`` is ``resident``, ``bot``, ``staff`` or ``system``. ``payload`` holds buttons or other
    structured content (JSON). ``delivered_at`` is set on resident messages once Rasa has answered
    them; a resident message without it is retried, so nothing typed is lost. ``client_id`` is the
    widget's id of a resident message (unique per conversation): a message sent again after a
    reconnect is recognised and stored once.
    """

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_conversation_client", "conversation_id", "client_id", unique=True),)

    conversation_id = Column(String(36), ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False, index=True)
    sender = Column(String(16), nullable=False)
    staff_member_id = Column(Integer, nullable=True)
    text = Column(Text, nullable=False, default="")
    payload = Column(JSON, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    delivered_at = Column(DateTime(timezone=True), nullable=True)
    client_id = Column(String(64), nullable=True)


class Case(NumberedRow, Base):
    """A case (ärende): a complaint or other feedback, or a handoff to a person.

    ``kind`` is ``complaint``, ``fault_report``, ``suggestion``, ``praise`` or ``question``;
    ``status`` is ``received``, ``waiting_for_staff``, ``in_progress`` or ``closed``. Due dates are
    computed in working days (:mod:`bot.core.workdays`). ``check_code_hash`` is the argon2 hash of the
    code the resident got once to look the case up; ``reply_channel`` is ``email`` or ``phone``
    (``None`` for anonymous cases); ``description_language`` is the language the description was
    written in, ``reply_language`` the one the resident wants the answer in.

    Handoff times: ``handoff_at`` when the chat was last handed to a person (``None`` for cases the
    bot filed on its own), ``claimed_at`` when a case officer took the chat, ``first_staff_reply_at``
    the first message a case officer wrote, ``acknowledged_at`` the first time staff acted on the case
    (for the "acknowledged within the deadline" key figure), ``unclaimed_notified_at`` when the
    resident was told that nobody was free. ``anonymised_at``: when retention removed its personal
    data (:mod:`bot.store.retention`).
    """

    __tablename__ = "case"

    reference = Column(String(32), nullable=False, unique=True)
    check_code_hash = Column(String(128), nullable=True)
    kind = Column(String(20), nullable=False)
    area = Column(String(64), nullable=True)
    description = Column(Text, nullable=False, default="")
    description_language = Column(String(8), nullable=True)
    place = Column(Text, nullable=True)
    event_date = Column(Date, nullable=True)
    anonymous = Column(Boolean, nullable=False, default=False)
    contact_name = Column(Text, nullable=True)
    contact_email = Column(Text, nullable=True)
    contact_phone = Column(Text, nullable=True)
    reply_language = Column(String(8), nullable=True)
    reply_channel = Column(String(16), nullable=True)
    consent_at = Column(DateTime(timezone=True), nullable=True)
    status = Column(String(32), nullable=False, index=True)
    conversation_id = Column(String(36), ForeignKey("conversation.id", ondelete="SET NULL"), nullable=True, index=True)
    assigned_staff_id = Column(Integer, nullable=True)
    interpreter_needed = Column(Boolean, nullable=False, default=False)
    acknowledgement_due = Column(Date, nullable=True)
    reply_due = Column(Date, nullable=True)
    resolution = Column(Text, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)
    closed_at = Column(DateTime(timezone=True), nullable=True)
    handoff_at = Column(DateTime(timezone=True), nullable=True)
    claimed_at = Column(DateTime(timezone=True), nullable=True)
    first_staff_reply_at = Column(DateTime(timezone=True), nullable=True)
    acknowledged_at = Column(DateTime(timezone=True), nullable=True)
    unclaimed_notified_at = Column(DateTime(timezone=True), nullable=True)
    anonymised_at = Column(DateTime(timezone=True), nullable=True)


class CaseEvent(NumberedRow, Base):
    """Audit trail of a case: ``kind`` (``created``, ``status_changed``, ``note``, …), who, when."""

    __tablename__ = "case_event"

    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(32), nullable=False)
    actor = Column(String(64), nullable=False)
    data = Column(JSON, nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)


class ReferenceCounter(Base):
    """Last reference number handed out per year (reference numbers are sequential per year)."""

    __tablename__ = "reference_counter"

    year = Column(Integer, primary_key=True, autoincrement=False)
    last = Column(Integer, nullable=False)


class StaffMember(NumberedRow, Base):
    """A case officer (handläggare) or other staff member who can log in to the staff console.

    ``languages`` lists the language codes the person can handle a case in (e.g. ``["sv", "ar"]``);
    a case in a language nobody active speaks is flagged "interpreter needed". ``password_hash`` is
    an argon2 hash. ``role`` is ``case_officer``, ``supervisor`` or ``admin`` and ``departments`` the
    profile's department ids a case officer works for (:mod:`bot.cases.access` says what each may do).
    """

    __tablename__ = "staff_member"

    username = Column(String(64), nullable=False, unique=True)
    display_name = Column(Text, nullable=False)
    password_hash = Column(String(256), nullable=False)
    languages = Column(JSON, nullable=False, default=list)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at = Column(DateTime(timezone=True), nullable=True)
    role = Column(String(16), nullable=False, default="case_officer")
    departments = Column(JSON, nullable=False, default=list)


class StaffSession(Base):
    """A staff login on the server side (the session cookie holds only its random token).

    ``id`` is the SHA-256 hex digest of the token (a copy of the table gives no live session).
    ``last_seen_at`` moves with each request (the idle timeout); ``revoked_at`` is set at logout,
    when the account is disabled or its password changes, and when a timeout ended it.
    """

    __tablename__ = "staff_session"

    id = Column(String(64), primary_key=True)
    staff_member_id = Column(Integer, ForeignKey("staff_member.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    revoked_at = Column(DateTime(timezone=True), nullable=True)


class LoginThrottle(Base):
    """Failed staff logins per client address (``address:<ip>``) or per username (``account:<name>``).

    ``failures`` counts the failures since the counter was last reset (a success, or an hour without
    failures); ``blocked_until`` is the end of the current back-off (:mod:`bot.store.throttle`).
    """

    __tablename__ = "login_throttle"

    key = Column(String(128), primary_key=True)
    failures = Column(Integer, nullable=False)
    last_failure_at = Column(DateTime(timezone=True), nullable=False)
    blocked_until = Column(DateTime(timezone=True), nullable=True)


class Notification(NumberedRow, Base):
    """Outbox of messages to residents (the receipt of a case), sent by :mod:`bot.cases.outbox`.

    ``status`` is ``queued`` (waiting; also when SMTP is not configured), ``sending`` (claimed by one
    sender), ``sent`` or ``failed`` (gave up after the last attempt). ``body`` is emptied once the
    message is sent, because it holds the case's check code in clear text.
    """

    __tablename__ = "notification"

    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=True, index=True)
    kind = Column(String(32), nullable=False)
    channel = Column(String(16), nullable=False)
    recipient = Column(Text, nullable=False)
    language = Column(String(8), nullable=False)
    subject = Column(Text, nullable=False)
    body = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="queued", index=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    next_attempt_at = Column(DateTime(timezone=True), nullable=True)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = Column(DateTime(timezone=True), nullable=True)


class StatusLookup(NumberedRow, Base):
    """One attempt of a resident to look a case up by reference and check code, in one counter (for throttling).

    ``conversation_id`` names the counter (:func:`bot.store.lookups.lookup_keys`): the conversation's id,
    ``reference:<reference>`` or ``client:<keyed digest of the client address>``.
    """

    __tablename__ = "status_lookup"

    conversation_id = Column(String(36), nullable=False, index=True)
    success = Column(Boolean, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


# -- photos and positions of fault reports (issue 20) -------------------------------------------------


class PhotoBlob(Base):
    """A stored photo's bytes, by content: ``sha256`` of the re-encoded JPEG (:mod:`bot.core.images`).

    Kept in the case store (``bytea`` on PostgreSQL, ``BLOB`` on SQLite) so it is backed up, and removed,
    in the same transaction as the case's other personal data. Removed when no :class:`Photo` uses it.
    """

    __tablename__ = "photo_blob"

    sha256 = Column(String(64), primary_key=True)
    data = Column(LargeBinary, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Photo(NumberedRow, Base):
    """A photo a resident sent in a conversation; ``case_id`` is set when a case is created from it.

    ``message_id``: its place in the transcript. ``width``/``height`` in pixels, ``size`` in bytes (stored).
    """

    __tablename__ = "photo"

    conversation_id = Column(String(36), ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False, index=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=True, index=True)
    message_id = Column(Integer, nullable=True)
    sha256 = Column(String(64), ForeignKey("photo_blob.sha256"), nullable=False, index=True)
    width = Column(Integer, nullable=False)
    height = Column(Integer, nullable=False)
    size = Column(Integer, nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class GeoPosition(NumberedRow, Base):
    """A position the resident shared: WGS 84 degrees, ``accuracy_m`` (radius in metres, 68 %).

    ``source`` is ``device`` (the browser's geolocation, after the resident pressed the button) or
    ``photo`` (a photo's GPS tag, read only when the resident agreed). ``case_id`` as for :class:`Photo`.
    """

    __tablename__ = "geo_position"

    conversation_id = Column(String(36), ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False, index=True)
    case_id = Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=True, index=True)
    message_id = Column(Integer, nullable=True)
    latitude = Column(Float, nullable=False)
    longitude = Column(Float, nullable=False)
    accuracy_m = Column(Float, nullable=True)
    source = Column(String(16), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
