"""Staff sessions and CSRF: the session key, who is logged in, the CSRF token of every form.

Sessions are aiohttp-session's encrypted cookies (Fernet); a login lasts :data:`SESSION_MAX_AGE`.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_session import get_session
from aiohttp_session import setup as setup_sessions
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.core.settings import Settings
from bot.store.models import StaffMember
from bot.web.keys import SESSIONS, SETTINGS
from bot.web.staff.texts import Texts

SESSION_MAX_AGE = 8 * 3600
"""Seconds a staff login lasts (one working day)."""
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


async def current_staff(request: web.Request) -> StaffMember | None:
    """The logged-in, active staff member of this request, or ``None`` (the session is dropped)."""
    session = await get_session(request)
    staff_id = session.get("staff_id")
    if not isinstance(staff_id, int) or time.time() - float(session.get("login_at", 0)) > SESSION_MAX_AGE:
        return None
    async with request.app[SESSIONS]() as db:
        member = await db.get(StaffMember, staff_id)
    if member is None or not member.active:
        session.invalidate()
        return None
    return member


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
