"""``/ws/staff``: live updates for staff pages (the queue, or one case's chat), through the hub."""

from __future__ import annotations

from aiohttp import web

from bot.chat.hub import QUEUE, staff_topic
from bot.store import desk
from bot.web.keys import HUB, PRESENCE, SESSIONS, SOCKETS
from bot.web.sockets import json_events, pusher
from bot.web.staff.auth import current_staff


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is not None and origin == f"{request.scheme}://{request.host}"


async def staff_socket(request: web.Request) -> web.WebSocketResponse:
    """Live updates for staff pages: ``{"type": "watch_queue"}`` or ``{"type": "watch", "reference"}``.

    ``{"type": "away", "away": bool}`` switches the member to away or back to available (answered with
    ``{"type": "away", "away": bool}``); while the socket is open the member counts as signed in
    (:mod:`bot.chat.presence`). Refused (401/403 before the handshake) without a staff session or from
    another origin. Events sent: the chat's messages (as the resident's socket gets them), ``case_changed``,
    ``queue_changed``, ``mode``.
    """
    member = await current_staff(request)
    if member is None:
        raise web.HTTPUnauthorized(text="login required")
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-origin socket refused")
    hub = request.app[HUB]
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
    await ws.prepare(request)
    request.app[SOCKETS].add(ws)
    topics: set[str] = set()
    push = pusher(ws)
    presence = request.app[PRESENCE]
    seat = await presence.join(member.id)
    try:
        await push({"type": "away", "away": await presence.is_away(member.id)})
        async for event in json_events(ws):
            if event is None:
                continue
            if event["type"] == "away" and isinstance(event.get("away"), bool):
                await presence.set_away(member.id, event["away"])
                await push({"type": "away", "away": event["away"]})
                continue
            if event["type"] == "watch_queue":
                topics.add(QUEUE)
                hub.subscribe(QUEUE, push)
            elif event["type"] == "watch" and isinstance(event.get("reference"), str):
                async with request.app[SESSIONS]() as db:
                    try:
                        case = await desk.get_case(db, event["reference"][:32])
                    except LookupError:
                        continue
                if case.conversation_id:
                    topic = staff_topic(case.conversation_id)
                    topics.add(topic)
                    hub.subscribe(topic, push)
            await push({"type": "watching"})
    finally:
        for topic in topics:
            hub.unsubscribe(topic, push)
        await presence.leave(seat)
    return ws
