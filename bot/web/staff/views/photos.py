"""Photos residents sent, served to signed-in staff on the case they belong to (never to anyone else)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.cases import access
from bot.store import photos
from bot.store.models import Case
from bot.web.keys import PROFILE, SESSIONS
from bot.web.staff.auth import staff_only
from bot.web.staff.guard import case_for
from bot.web.staff.render import texts_of


async def case_media(db: Any, request: web.Request, case: Case) -> dict[str, Any]:
    """The case page's ``photos`` and ``positions``, read in the page's database session ``db``.

    Each position comes with its ``map_link`` (``None`` when the profile has no ``map`` section).
    """
    area = request.app[PROFILE].map_area
    positions = [
        {"position": p, "map_link": area.link(p.latitude, p.longitude) if area else None}
        for p in await photos.positions_of_case(db, case.id)
    ]
    return {"photos": await photos.photos_of_case(db, case.id), "positions": positions}


@staff_only
async def photo(request: web.Request) -> web.Response:
    """``GET /staff/cases/{reference}/photos/{photo_id}``: the JPEG, if it belongs to this case.

    The same check as the case page (a signed-in staff member whose role may see the case), and the photo must be
    linked to the case or sent in its conversation. Not cached by the browser or any proxy.
    """
    reference = request.match_info["reference"]
    try:
        photo_id = int(request.match_info["photo_id"])
    except ValueError:
        raise web.HTTPNotFound(text=texts_of(request).not_found) from None
    case = await case_for(request, reference, access.VIEW)  # 404 unknown, 403 (audited) not this role's
    async with request.app[SESSIONS]() as db:
        data = await photos.photo_bytes(db, photo_id, case.id, case.conversation_id)
    if data is None:
        raise web.HTTPNotFound(text=texts_of(request).not_found)
    return web.Response(
        body=data,
        content_type="image/jpeg",
        headers={"Cache-Control": "private, no-store", "Content-Disposition": "inline"},
    )
