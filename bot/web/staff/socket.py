"""``/ws/staff``: live updates for staff pages (the queue, or one case's chat), through the hub."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import WSCloseCode, web

from bot.cases import access
from bot.chat.hub import QUEUE, staff_topic
from bot.store import desk
from bot.web.keys import HUB, PRESENCE, SESSIONS, SOCKETS, STAFF_SOCKETS
from bot.web.sockets import json_events, pusher
from bot.web.staff.auth import SESSION_ID, current_staff, session_alive

SESSION_CHECK_SECONDS = 5.0
"""How often an idle staff socket checks that its session is still live (events check before each)."""


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is not None and origin == f"{request.scheme}://{request.host}"


async def _watchdog(request: web.Request, sid: str, ws: web.WebSocketResponse) -> None:
    """Close ``ws`` once its session ends (revoked in another process, or timed out)."""
    while not ws.closed:
        await asyncio.sleep(SESSION_CHECK_SECONDS)
        if not await session_alive(request, sid):
            await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"session ended")


async def staff_socket(request: web.Request) -> web.WebSocketResponse:
    """Live updates for staff pages: ``{"type": "watch_queue"}`` or ``{"type": "watch", "reference"}``.

    ``{"type": "away", "away": bool}`` switches the member to away or back to available (answered with
    ``{"type": "away", "away": bool}``); while the socket is open the member counts as signed in
    (:mod:`bot.chat.presence`). Refused (401/403 before the handshake) without a staff session or from
    another origin. Watching a case the role may not see (or the queue, for an admin) is refused with
    ``{"type": "error", "code": "forbidden"}``; a refused case is audited. Events sent: the chat's messages
    (as the resident's socket gets them), ``case_changed``, ``queue_changed``, ``mode``. The socket closes
    (1008) as soon as its session ends: before each event it receives or sends it checks the session, and
    every :data:`SESSION_CHECK_SECONDS` while idle; logout closes it at once.
    """
    member = await current_staff(request)
    if member is None:
        raise web.HTTPUnauthorized(text="login required")
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-origin socket refused")
    sid: str = request[SESSION_ID]
    hub = request.app[HUB]
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    request.app[STAFF_SOCKETS].add(sid, member.id, ws)
    topics: set[str] = set()
    send = pusher(ws)

    async def push(event: dict[str, Any]) -> None:
        if await session_alive(request, sid):
            await send(event)
        else:  # from a publisher's task: close in the background, the publisher does not wait
            request.app[STAFF_SOCKETS].close(sid=sid)

    presence = request.app[PRESENCE]
    seat = await presence.join(member.id) if access.sees_cases(member) else None  # an admin takes no chats
    watchdog = asyncio.get_running_loop().create_task(_watchdog(request, sid, ws))
    try:
        if seat is not None:
            await push({"type": "away", "away": await presence.is_away(member.id)})
        async for event in json_events(ws):
            if not await session_alive(request, sid):
                await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"session ended")
                break
            if event is None:
                continue
            if event["type"] == "away" and isinstance(event.get("away"), bool) and seat is not None:
                await presence.set_away(member.id, event["away"])
                await push({"type": "away", "away": event["away"]})
                continue
            if event["type"] == "watch_queue":
                if not access.sees_cases(member):  # an admin: the socket only tells when the session ends
                    await send({"type": "error", "code": "forbidden"})
                    continue
                topics.add(QUEUE)
                hub.subscribe(QUEUE, push)
            elif event["type"] == "watch" and isinstance(event.get("reference"), str):
                async with request.app[SESSIONS]() as db, db.begin():
                    try:
                        case = await desk.get_case(db, event["reference"][:32])
                    except LookupError:
                        continue
                    if not access.may(member, access.VIEW, case):
                        data = {"staff_id": member.id, "action": access.VIEW}
                        await desk.record_event(db, case.id, "refused", desk.staff_actor(member), data)
                        await send({"type": "error", "code": "forbidden"})
                        continue
                if case.conversation_id:
                    topic = staff_topic(case.conversation_id)
                    topics.add(topic)
                    hub.subscribe(topic, push)
            await send({"type": "watching"})
    finally:
        watchdog.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watchdog
        request.app[STAFF_SOCKETS].discard(sid, ws)
        for topic in topics:
            hub.unsubscribe(topic, push)
        if seat is not None:
            await presence.leave(seat)
    return ws
