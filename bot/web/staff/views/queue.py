"""The queue page: chats waiting for a case officer (longest wait first), who is available, own live chats, claiming."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.cases import access, workflow
from bot.store import queue
from bot.store.models import StaffMember
from bot.store.staff import list_staff
from bot.web.keys import DESK, PRESENCE, SESSIONS
from bot.web.staff.auth import staff_only
from bot.web.staff.guard import require
from bot.web.staff.render import back, flash, render, texts_of


async def _queue_context(request: web.Request) -> dict[str, Any]:
    me: StaffMember = request["staff"]
    if not access.sees_cases(me):
        raise web.HTTPSeeOther("/staff/accounts")  # an admin's start page
    available_ids = await request.app[PRESENCE].available_ids()
    async with request.app[SESSIONS]() as db:
        waiting = await queue.waiting_queue(db)
        mine = await queue.live_cases_of(db, me.id)
        available = [m.display_name for m in await list_staff(db) if m.id in available_ids and m.active]
    return {"queue": waiting, "mine": mine, "available": sorted(available)}


@staff_only
async def dashboard(request: web.Request) -> web.Response:
    """The queue of waiting chats (longest wait first), the case officers available now, the member's own live chats."""
    return await render(request, "staff_queue.html", **await _queue_context(request))


@staff_only
async def queue_fragment(request: web.Request) -> web.Response:
    """Only the queue tables (the page's script reloads them when the queue changes)."""
    return await render(request, "_staff_queue_tables.html", **await _queue_context(request))


@staff_only
async def claim(request: web.Request) -> web.Response:
    """Take a waiting chat; the loser of a race is told who was faster, not shown an error page."""
    reference = request.match_info["reference"]
    await require(request, access.sees_cases, access.CLAIM)
    try:
        await request.app[DESK].claim(reference, request["staff"])
    except LookupError:
        raise web.HTTPNotFound(text=texts_of(request).not_found) from None
    except workflow.StaleCase:
        await flash(request, "claim_lost", reference=reference)
        raise web.HTTPSeeOther("/staff") from None
    await flash(request, "claimed", reference=reference)
    raise back(reference)
