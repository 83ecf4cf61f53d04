"""Staff sessions and CSRF: the session key, who is logged in, the CSRF token of every form.

The cookie is aiohttp-session's encrypted cookie (Fernet) and holds the random token of a server-side
session record (:mod:`bot.store.staff_sessions`), checked on every request: logout, a disabled account,
a new password or new rights end it at once, and so do the idle timeout (profile,
``staff.idle_timeout_minutes``) and the absolute one (:data:`SESSION_MAX_AGE`).
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_session import get_session
from aiohttp_session import setup as setup_sessions
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.core.settings import Settings
from bot.store import staff_sessions
from bot.store.models import StaffMember
from bot.web.keys import PROFILE, SESSIONS, SETTINGS
from bot.web.staff.texts import Texts

SESSION_MAX_AGE = int(staff_sessions.ABSOLUTE_TIMEOUT.total_seconds())
"""Seconds a staff login lasts at most (one working day); the cookie expires then too."""
SESSION_ID = "staff_session"
"""``request[SESSION_ID]``: the id of the request's live staff session (set by :func:`current_staff`)."""
COOKIE_NAME = "kommun_staff"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def session_key(settings: Settings) -> bytes:
    """The 32-byte key that encrypts staff session cookies.

    ``KOMMUN_SESSION_SECRET`` (url-safe base64 of 32 bytes, e.g. from ``python -c "from
    cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"``) when set — every web
    app instance of a deployment must share it; else a key kept in ``<data dir>/session.key``
    (created on first start, readable only by its owner), so logins survive a restart.

    Raises:
        ValueError: ``KOMMUN_SESSION_SECRET`` is not url-safe base64 of 32 bytes.
    """
    if settings.session_secret:
        key = base64.urlsafe_b64decode(settings.session_secret.encode())
        if len(key) != 32:
            raise ValueError("KOMMUN_SESSION_SECRET must be url-safe base64 of 32 bytes")
        return key
    path = settings.data_dir / "session.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return base64.urlsafe_b64decode(path.read_bytes().strip())


def setup_staff_sessions(app: web.Application, settings: Settings) -> None:
    """Add aiohttp-session's middleware with the encrypted cookie storage of staff sessions.

    Raises:
        ValueError: see :func:`session_key`.
    """
    storage = EncryptedCookieStorage(
        session_key(settings),
        cookie_name=COOKIE_NAME,
        httponly=True,
        samesite="Strict",
        secure=settings.cookie_secure,
        max_age=SESSION_MAX_AGE,
        path="/",
    )
    setup_sessions(app, storage)


def idle_timeout(request: web.Request) -> timedelta:
    """The profile's idle timeout of staff sessions (``staff.idle_timeout_minutes``)."""
    return timedelta(minutes=request.app[PROFILE].staff_idle_timeout_minutes)


async def current_staff(request: web.Request) -> StaffMember | None:
    """The logged-in, active staff member of this request, or ``None`` (the cookie is dropped).

    The cookie's token must name a live server-side session (not revoked, within both timeouts, of an
    active account); its id is put in ``request[SESSION_ID]``.
    """
    session = await get_session(request)
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    sid = staff_sessions.session_id(token)
    async with request.app[SESSIONS]() as db, db.begin():
        member = await staff_sessions.active_member(db, sid, idle_timeout(request))
    if member is None:
        session.invalidate()
        return None
    request[SESSION_ID] = sid
    return member


async def session_alive(request: web.Request, sid: str) -> bool:
    """True while the staff session ``sid`` is live (for open sockets: checked again before each event)."""
    async with request.app[SESSIONS]() as db:
        return await staff_sessions.is_live(db, sid, idle_timeout(request))


async def csrf_token(request: web.Request) -> str:
    """The session's CSRF token (created on first use), to put in every form."""
    session = await get_session(request)
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


async def check_csrf(request: web.Request) -> dict[str, str]:
    """The posted form, if its CSRF token matches the session's.

    Raises:
        aiohttp.web.HTTPForbidden: no or a wrong CSRF token.
    """
    form = await request.post()
    session = await get_session(request)
    expected = session.get("csrf")
    given = form.get("csrf")
    if not isinstance(expected, str) or not isinstance(given, str) or not hmac.compare_digest(given, expected):
        texts = Texts(request.app[SETTINGS].staff_language)
        raise web.HTTPForbidden(text=texts.csrf_failed)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def staff_only(handler: Handler) -> Handler:
    """Require a staff session (pages redirect to the login; forms also need a valid CSRF token)."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        member = await current_staff(request)
        if member is None:
            if request.method == "GET" and request.headers.get("X-Requested-With") != "fetch":
                raise web.HTTPSeeOther("/staff/login?" + urlencode({"next": request.path_qs}))
            raise web.HTTPUnauthorized(text="login required")
        request["staff"] = member
        if request.method == "POST":
            request["form"] = await check_csrf(request)
        return await handler(request)

    wrapper.__doc__ = handler.__doc__
    return wrapper
