"""Staff accounts: creation, roles and departments, listing, deactivation, passwords.

Passwords are hashed with argon2id, profile :data:`bot.core.passwords.STAFF_PASSWORD` (RFC 9106, 64 MiB);
hashing and verifying take ~0.2–0.4 s of CPU, so the web app calls them on the hashing pool
(:func:`bot.core.passwords.run_hashing`). Disabling an account or changing
its password revokes its sessions (:mod:`bot.store.staff_sessions`); failed logins are throttled by
:mod:`bot.store.throttle`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.access import CASE_OFFICER, ROLES
from bot.core import passwords
from bot.store.models import StaffMember, utcnow
from bot.store.staff_sessions import revoke_all

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
"""Usernames: lower-case letters, digits, dot, dash and underscore, 2–64 characters."""
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024


class StaffError(ValueError):
    """An invalid staff account operation; the message says what is wrong (shown to the admin)."""


def hash_password(password: str) -> str:
    """Argon2id hash of a password (CPU-bound: :func:`bot.core.passwords.run_hashing` in the web app).

    Raises:
        StaffError: shorter than :data:`MIN_PASSWORD_CHARS` or longer than :data:`MAX_PASSWORD_CHARS`.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"the password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise StaffError(f"the password may have at most {MAX_PASSWORD_CHARS} characters")
    return passwords.hash_secret(password, passwords.STAFF_PASSWORD)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``password_hash``.

    With ``password_hash`` ``None`` (unknown user) a dummy hash is verified, so that an unknown
    username and a wrong password take the same time.
    """
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    return passwords.verify(password_hash, password, passwords.STAFF_PASSWORD)


def check_username(username: str) -> str:
    """The username, lower-cased, if valid.

    Raises:
        StaffError: not 2–64 characters of ``a-z 0-9 . _ -`` starting with a letter or digit.
    """
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise StaffError("a username has 2–64 characters: letters a–z, digits, '.', '_' or '-'")
    return name


def check_role(role: str, departments: Sequence[str]) -> tuple[str, list[str]]:
    """The role and its sorted departments, if the role is known.

    Raises:
        StaffError: an unknown role.
    """
    if role not in ROLES:
        raise StaffError(f"the role must be one of {', '.join(ROLES)}, got {role!r}")
    return role, sorted(set(departments))


async def add_staff(
    session: AsyncSession,
    username: str,
    display_name: str,
    password_hash: str,
    languages: list[str],
    role: str = CASE_OFFICER,
    departments: Sequence[str] = (),
) -> StaffMember:
    """Create an active staff account.

    ``languages`` are language codes the person can handle a case in, ``departments`` the profile's
    department ids a case officer works for (both checked by the caller against the catalogs and the
    profile). Raises:
        StaffError: invalid username or role, empty display name, or the username is taken.
    """
    name = check_username(username)
    role, departments = check_role(role, departments)
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
        created_at=utcnow(),
        role=role,
        departments=departments,
    )
    session.add(member)
    await session.flush()
    return member


async def edit_staff(
    session: AsyncSession,
    username: str,
    display_name: str | None = None,
    languages: list[str] | None = None,
    role: str | None = None,
    departments: Sequence[str] | None = None,
) -> StaffMember:
    """Change an account's display name, languages, role or departments (``None`` keeps the value).

    A changed role or department list revokes the account's sessions: the next request logs in again
    with the new rights. Raises:
        StaffError: no such account, an unknown role or an empty display name.
    """
    member = await _existing(session, username)
    rights = (member.role, list(member.departments or []))
    if display_name is not None:
        if not display_name.strip():
            raise StaffError("the display name must not be empty")
        member.display_name = display_name.strip()
    if languages is not None:
        member.languages = sorted(set(languages))
    kept = member.departments or []
    new_role, new_departments = check_role(role or member.role, kept if departments is None else departments)
    member.role, member.departments = new_role, new_departments
    if (new_role, new_departments) != rights:
        await revoke_all(session, member.id)
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
    """Enable or disable an account (a disabled account cannot log in; its sessions are revoked).

    Raises:
        StaffError: no such account.
    """
    member = await _existing(session, username)
    member.active = active
    if not active:
        await revoke_all(session, member.id)
    return member


async def set_password(session: AsyncSession, username: str, password_hash: str) -> StaffMember:
    """Replace an account's password; its sessions are revoked (every browser logs in again).

    Raises:
        StaffError: no such account.
    """
    member = await _existing(session, username)
    member.password_hash = password_hash
    await revoke_all(session, member.id)
    return member


async def record_login(session: AsyncSession, member: StaffMember, now: datetime | None = None) -> None:
    """Note a successful login's time on the account (``staff list`` shows it)."""
    await session.execute(update(StaffMember).where(StaffMember.id == member.id).values(last_login_at=now or utcnow()))
