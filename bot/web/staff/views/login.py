"""Logging in and out: one answer for every failure, back-off per address and account, server-side sessions.

Every failed login — unknown username, wrong password, disabled account, too many attempts — gets the
same page and status (401), so the answer reveals neither which usernames exist nor whether the
back-off is on (OWASP Authentication Cheat Sheet). Passwords are checked with argon2 off the event
loop; failures are counted per client address (behind a trusted reverse proxy the client it forwarded:
:mod:`bot.web.client_address`) and per username (:mod:`bot.store.throttle`).
"""

from __future__ import annotations

import logging
import secrets

from aiohttp import web
from aiohttp_session import get_session, new_session

from bot.cases import access
from bot.core.passwords import run_hashing
from bot.store import staff_sessions, throttle
from bot.store.staff import find_staff, record_login, verify_password
from bot.web.client_address import client_address
from bot.web.keys import SESSIONS, STAFF_SOCKETS
from bot.web.middleware import log_safe
from bot.web.staff.auth import check_csrf, current_staff
from bot.web.staff.render import render, texts_of

logger = logging.getLogger(__name__)


async def login_page(request: web.Request) -> web.Response:
    """The login form (also shown again after a failed attempt)."""
    if await current_staff(request) is not None:
        raise web.HTTPSeeOther("/staff")
    return await render(request, "staff_login.html", error=None, username="", next=request.query.get("next", ""))


def _safe_next(value: str) -> str:
    return value if value.startswith("/staff") and not value.startswith("//") else "/staff"


async def login(request: web.Request) -> web.Response:
    """Check the password and start a session; every failure gets the same answer (401)."""
    form = await check_csrf(request)
    username = form.get("username", "").strip().lower()[:64]
    password = form.get("password", "")
    address = client_address(request) or "-"
    keys = [throttle.ADDRESS.key(address), throttle.ACCOUNT.key(username)]
    async with request.app[SESSIONS]() as db:
        held_back = await throttle.blocked(db, keys)
        member = None if held_back else await find_staff(db, username)
    password_ok = False
    if not held_back:
        password_hash = member.password_hash if member else None
        password_ok = await run_hashing(verify_password, password_hash, password)
    if member is None or not member.active or not password_ok:
        async with request.app[SESSIONS]() as db, db.begin():
            await throttle.record_failure(db, throttle.ADDRESS, address)
            if not held_back:  # somebody else's attempts during a back-off do not lengthen the owner's
                await throttle.record_failure(db, throttle.ACCOUNT, username)
        logger.info("staff login refused for %s", log_safe(username, 64))
        error = texts_of(request).login_failed
        return await render(
            request, "staff_login.html", status=401, error=error, username=username, next=form.get("next", "")
        )
    async with request.app[SESSIONS]() as db, db.begin():
        await throttle.reset(db, keys)
        await record_login(db, member)
        token = await staff_sessions.start_session(db, member)
    session = await new_session(request)
    session["sid"] = token
    session["csrf"] = secrets.token_urlsafe(32)
    target = _safe_next(form.get("next", ""))
    raise web.HTTPSeeOther(target if access.sees_cases(member) else "/staff/accounts")


async def logout(request: web.Request) -> web.Response:
    """End the session: revoked on the server (a copied cookie no longer works), its sockets closed."""
    await check_csrf(request)
    token = (await get_session(request)).get("sid")
    if isinstance(token, str):
        sid = staff_sessions.session_id(token)
        async with request.app[SESSIONS]() as db, db.begin():
            await staff_sessions.revoke(db, sid)
        request.app[STAFF_SOCKETS].close(sid=sid)
    session = await new_session(request)
    session["flash"] = ["logged_out", {}]
    raise web.HTTPSeeOther("/staff/login")
