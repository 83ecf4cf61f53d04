"""Staff accounts: creation, listing, deactivation and password login with a lockout.

Passwords are hashed with argon2 (argon2-cffi); hashing and verifying take ~0.2–0.4 s of CPU, so the
web app calls them off the event loop (:mod:`bot.core.passwords`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import passwords
from bot.store.models import StaffMember, aware, utcnow

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
"""Usernames: lower-case letters, digits, dot, dash and underscore, 2–64 characters."""
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
LOCKOUT_FAILURES = 5
"""Failed logins in a row after which an account is locked (issue 5; NCSC-style brute-force limit)."""
LOCKOUT_TIME = timedelta(minutes=15)


class StaffError(ValueError):
    """An invalid staff account operation; the message says what is wrong (shown to the admin)."""


def hash_password(password: str) -> str:
    """Argon2 hash of a password (CPU-bound: call it off the event loop in the web app).

    Raises:
        StaffError: shorter than :data:`MIN_PASSWORD_CHARS` or longer than :data:`MAX_PASSWORD_CHARS`.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise StaffError(f"the password may have at most {MAX_PASSWORD_CHARS} characters")
    return passwords.hash_secret(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``.

    With ``password_hash`` ``None`` (unknown user) a dummy hash is verified, so that an unknown
    username and a wrong password take the same time.
    """
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    return passwords.verify(password_hash, password)


def check_username(username: str) -> str:
    """The username, lower-cased, if valid.

    Raises:
        StaffError: not 2–64 characters of ``a-z 0-9 . _ -`` starting with a letter or digit.
    """
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise StaffError("a username has 2–64 characters: letters a–z, digits, '.', '_' or '-'")
    return name


async def add_staff(
    session: AsyncSession, username: str, display_name: str, password_hash: str, languages: list[str]
) -> StaffMember:
    """Create an active staff account.

    ``languages`` are language codes the person can handle a case in (checked by the caller against
    the catalogs). Raises:
        StaffError: invalid username, empty display name, or the username is taken.
    """
    name = check_username(username)
    if not display_name.strip():
        raise StaffError("the display name must not be empty")
    if await find_staff(session, name) is not None:
        raise StaffError(f"the username {name!r} is already taken")
    member = StaffMember(
        username=name,
        display_name=display_name.strip(),
        password_hash=password_hash,
        languages=sorted(set(languages)),
        active=True,
        failed_logins=0,
        created_at=utcnow(),
    )
    session.add(member)
    await session.flush()
    return member


async def find_staff(session: AsyncSession, username: str) -> StaffMember | None:
    """The account with this username (any case), or ``None``."""
    row = await session.execute(select(StaffMember).where(StaffMember.username == username.strip().lower()))
    return row.scalar_one_or_none()


async def list_staff(session: AsyncSession) -> list[StaffMember]:
    """Every account, by username."""
    return list((await session.execute(select(StaffMember).order_by(StaffMember.username))).scalars())


async def _existing(session: AsyncSession, username: str) -> StaffMember:
    member = await find_staff(session, username)
    if member is None:
        raise StaffError(f"no staff member {username!r}")
    return member


async def set_active(session: AsyncSession, username: str, active: bool) -> StaffMember:
    """Enable or disable an account (a disabled account cannot log in; its sessions stop working).

    Raises:
        StaffError: no such account.
    """
    member = await _existing(session, username)
    member.active = active
    return member


async def set_password(session: AsyncSession, username: str, password_hash: str) -> StaffMember:
    """Replace an account's password and lift a lockout.

    Raises:
        StaffError: no such account.
    """
    member = await _existing(session, username)
    member.password_hash = password_hash
    member.failed_logins = 0
    member.locked_until = None
    return member


@dataclass(frozen=True)
class LoginResult:
    """Outcome of a login: ``member`` on success; else ``locked_until`` when the account is locked."""

    member: StaffMember | None
    locked_until: datetime | None = None


async def record_login(
    session: AsyncSession, member: StaffMember | None, password_ok: bool, now: datetime | None = None
) -> LoginResult:
    """Apply the outcome of a password check to the account and decide the login.

    A locked account is refused even with the right password. A wrong password counts one failure;
    the :data:`LOCKOUT_FAILURES`-th in a row locks the account for :data:`LOCKOUT_TIME`. A success
    resets the count. Unknown and disabled accounts are refused like a wrong password.
    """
    now = now or utcnow()
    if member is None or not member.active:
        return LoginResult(None)
    locked_until = aware(member.locked_until)
    if locked_until is not None and locked_until > now:
        return LoginResult(None, locked_until)
    if not password_ok:
        failures = (member.failed_logins or 0) + 1
        until = now + LOCKOUT_TIME if failures >= LOCKOUT_FAILURES else None
        await session.execute(
            update(StaffMember)
            .where(StaffMember.id == member.id)
            .values(failed_logins=0 if until else failures, locked_until=until)
        )
        return LoginResult(None, until)
    await session.execute(
        update(StaffMember)
        .where(StaffMember.id == member.id)
        .values(failed_logins=0, locked_until=None, last_login_at=now)
    )
    return LoginResult(member)
