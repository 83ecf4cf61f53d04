"""Logging in and out (argon2 passwords checked off the event loop; 5 failures in a row lock the account)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time

from aiohttp import web
from aiohttp_session import new_session

from bot.store.staff import find_staff, record_login, verify_password
from bot.web.keys import SESSIONS
from bot.web.staff.auth import check_csrf, current_staff
from bot.web.staff.render import local_time, render, texts_of

logger = logging.getLogger(__name__)


async def login_page(request: web.Request) -> web.Response:
    """The login form (also shown again after a failed attempt)."""
    if await current_staff(request) is not None:
        raise web.HTTPSeeOther("/staff")
    return await render(request, "staff_login.html", error=None, username="", next=request.query.get("next", ""))


def _safe_next(value: str) -> str:
    return value if value.startswith("/staff") and not value.startswith("//") else "/staff"


async def login(request: web.Request) -> web.Response:
    """Check the password (argon2, off the event loop) and start a session; lockout after 5 failures."""
    form = await check_csrf(request)
    username = form.get("username", "")[:64]
    password = form.get("password", "")
    async with request.app[SESSIONS]() as db:
        member = await find_staff(db, username)
    loop = asyncio.get_running_loop()
    password_ok = await loop.run_in_executor(None, verify_password, member.password_hash if member else None, password)
    async with request.app[SESSIONS]() as db, db.begin():
        member = await find_staff(db, username)
        result = await record_login(db, member, password_ok)
    texts = texts_of(request)
    if result.member is None:
        error = texts.login_failed
        if result.locked_until:
            error = texts("login_locked", until=local_time(request, result.locked_until))
        logger.info("staff login refused")
        return await render(
            request, "staff_login.html", status=401, error=error, username=username, next=form.get("next", "")
        )
    session = await new_session(request)
    session["staff_id"] = result.member.id
    session["login_at"] = time.time()
    session["csrf"] = secrets.token_urlsafe(32)
    raise web.HTTPSeeOther(_safe_next(form.get("next", "")))


async def logout(request: web.Request) -> web.Response:
    """End the session."""
    await check_csrf(request)
    session = await new_session(request)
    session["flash"] = ["logged_out", {}]
    raise web.HTTPSeeOther("/staff/login")
