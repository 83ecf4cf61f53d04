"""The accounts page (admins only): staff accounts, their role and departments; disable, enable, end sessions.

Adding accounts and setting passwords stay on the command line (``python -m bot staff …``), where the
password never passes through a browser. Disabling an account or ending its sessions closes its open
sockets at once.
"""

from __future__ import annotations

import logging

from aiohttp import web
from sqlalchemy import func, select

from bot.cases import access
from bot.store import staff, staff_sessions
from bot.store.models import StaffMember, StaffSession
from bot.web.keys import SESSIONS, STAFF_SOCKETS
from bot.web.middleware import log_safe
from bot.web.staff.auth import staff_only
from bot.web.staff.guard import require
from bot.web.staff.render import flash, render, texts_of

audit_log = logging.getLogger("bot.audit")


@staff_only
async def accounts(request: web.Request) -> web.Response:
    """Every staff account with its role, departments, languages, state and open sessions."""
    await require(request, access.is_admin, "accounts")
    async with request.app[SESSIONS]() as db:
        members = await staff.list_staff(db)
        rows = await db.execute(
            select(StaffSession.staff_member_id, func.count())
            .where(StaffSession.revoked_at.is_(None))
            .group_by(StaffSession.staff_member_id)
        )
        sessions = {member_id: count for member_id, count in rows}
    return await render(request, "staff_accounts.html", members=members, sessions=sessions)


@staff_only
async def change_account(request: web.Request) -> web.Response:
    """``disable``, ``enable`` or ``end_sessions`` of one account (not one's own: no admin locks themself out)."""
    await require(request, access.is_admin, "accounts")
    me: StaffMember = request["staff"]
    action, username = request.match_info["action"], request.match_info["username"]
    if action not in ("disable", "enable", "end_sessions") or username == me.username:
        raise web.HTTPBadRequest(text=texts_of(request).not_allowed)
    async with request.app[SESSIONS]() as db, db.begin():
        member = await staff.find_staff(db, username)
        if member is None:
            raise web.HTTPNotFound(text=texts_of(request).not_found)
        if action == "end_sessions":
            await staff_sessions.revoke_all(db, member.id)
        else:
            await staff.set_active(db, username, action == "enable")  # disabling revokes the sessions
    if action != "enable":
        request.app[STAFF_SOCKETS].close(staff_id=member.id)
    audit_log.warning("staff:%s did %s on account %s", log_safe(me.username), action, log_safe(member.username))
    await flash(request, "account_changed", username=member.username)
    raise web.HTTPSeeOther("/staff/accounts")
