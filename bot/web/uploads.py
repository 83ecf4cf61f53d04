"""Photos and positions a resident sends, over HTTP beside the chat socket (never over the socket).

``POST /api/photos`` (multipart, field ``photo``; ``use_position=1`` when the resident agreed that the
photo's own GPS tag may be used before it is stripped) and ``POST /api/position`` (JSON ``{latitude,
longitude, accuracy}`` from the browser's geolocation, sent only after the resident pressed the button).
Both need the conversation's session token (``Authorization: Bearer <token>``, the token the socket's
``welcome`` gave) and a page from an allowed origin (:func:`bot.web.resident.origin_allowed`; CORS for
the profile's ``widget.allowed_origins``). What arrives is stored for that token's conversation only,
added to its transcript as a resident message (payload ``photo`` or ``position``) and pushed to its
sockets. Problems are answered ``{"ok": false, "code", "message"}`` with the message in the
conversation's language; nothing the resident already sent is lost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from bot.chat.notify import message_event
from bot.core.geo import valid_coordinates
from bot.core.images import MAX_BYTES, ImageRejected, Photo, process_photo
from bot.store import conversations as convs
from bot.store import photos
from bot.store.models import Conversation
from bot.web.keys import CATALOGS, NOTIFIER, PHOTO_SLOTS, PROFILE, SESSIONS, SETTINGS
from bot.web.resident import origin_allowed

logger = logging.getLogger(__name__)

PHOTO_WORKERS = 2
"""Photos decoded at the same time (each in a worker thread; one core stays free for the chat)."""
CHUNK = 64 * 1024


class UploadProblem(Exception):
    """An upload is refused: HTTP ``status`` and the ``system`` catalog key ``key`` that explains it."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


def _cors_headers(request: web.Request) -> dict[str, str]:
    origin = request.headers.get("Origin")
    headers = {"Vary": "Origin"}
    if origin and origin_allowed(request):
        headers.update(
            {
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Headers": "Authorization, Content-Type",
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Max-Age": "600",
            }
        )
    return headers


def _answer(request: web.Request, language: str, status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status, headers=_cors_headers(request))


def _refusal(request: web.Request, language: str, problem: UploadProblem) -> web.Response:
    catalogs = request.app[CATALOGS]
    values = catalogs.profile_values(request.app[PROFILE], language)  # the texts name 10 MB and 3 photos
    message = catalogs.system(problem.key, language, values)
    response = _answer(request, language, problem.status, {"ok": False, "code": problem.key, "message": message})
    response.force_close()  # the rest of a refused body may be unread: this connection is not reused
    return response


def _request_language(request: web.Request) -> str:
    wanted = request.query.get("lang", "")
    return wanted if request.app[CATALOGS].supports(wanted) else request.app[SETTINGS].default_language


async def _conversation(request: web.Request) -> Conversation:
    if not origin_allowed(request):
        logger.warning("photo or position upload from a web site not in widget.allowed_origins refused")
        raise UploadProblem(403, "upload_origin")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    async with request.app[SESSIONS]() as session:
        conversation = await convs.find_by_token(session, token.strip()) if scheme == "Bearer" else None
    if conversation is None:
        raise UploadProblem(403, "upload_session")
    return conversation


async def _read_photo(request: web.Request) -> tuple[bytes, bool]:
    """The ``photo`` part's bytes (at most :data:`MAX_BYTES`) and whether ``use_position`` was given."""
    if not request.content_type.startswith("multipart/"):
        raise UploadProblem(400, "photo_not_image")
    reader = await request.multipart()
    raw: bytes | None = None
    use_position = False
    while (part := await reader.next()) is not None:
        if part.name == "use_position":
            use_position = (await part.text()).strip() == "1"  # type: ignore[union-attr]
        elif part.name == "photo" and raw is None:
            data = bytearray()
            while chunk := await part.read_chunk(CHUNK):  # type: ignore[union-attr]
                data.extend(chunk)
                if len(data) > MAX_BYTES:
                    raise UploadProblem(413, "photo_too_large")
            raw = bytes(data)
    if not raw:
        raise UploadProblem(400, "photo_not_image")
    return raw, use_position


async def _store_position(
    request: web.Request,
    conversation: Conversation,
    latitude: float,
    longitude: float,
    accuracy: float | None,
    source: str,
) -> None:
    """Store a position inside the municipality's area with its transcript message.

    Raises:
        UploadProblem: no area in the profile (``position_unavailable``) or outside it (``position_outside``).
    """
    area = request.app[PROFILE].map_area
    if area is None:
        raise UploadProblem(409, "position_unavailable")
    if not area.contains(latitude, longitude):
        raise UploadProblem(422, "position_outside")
    notifier = request.app[NOTIFIER]
    shown = {"latitude": latitude, "longitude": longitude, "accuracy": accuracy, "source": source}
    async with request.app[SESSIONS]() as session, session.begin():
        message = await convs.add_message(
            session,
            conversation.id,
            "resident",
            "",
            {"position": shown, **notifier.lang_payload(conversation.language)},
            delivered=True,
        )
        await photos.add_position(session, conversation.id, latitude, longitude, accuracy, source, message.id)
    await notifier.broadcast(conversation.id, message_event(message))


async def upload_photo(request: web.Request) -> web.Response:
    """``POST /api/photos``: store one photo for the token's conversation (see the module docstring)."""
    language = _request_language(request)
    try:
        conversation = await _conversation(request)
        language = conversation.language
        raw, use_position = await _read_photo(request)
        async with request.app[SESSIONS]() as session:  # refuse a fourth photo before decoding it
            if await photos.pending_photo_count(session, conversation.id) >= photos.MAX_PENDING_PHOTOS:
                raise UploadProblem(409, "photo_limit")
        async with request.app[PHOTO_SLOTS]:
            photo: Photo = await asyncio.get_running_loop().run_in_executor(None, process_photo, raw, use_position)
        notifier = request.app[NOTIFIER]
        async with request.app[SESSIONS]() as session, session.begin():
            message = await convs.add_message(
                session, conversation.id, "resident", "", notifier.lang_payload(conversation.language), delivered=True
            )
            try:
                stored = await photos.add_photo(session, conversation.id, photo, message.id)
            except photos.TooManyPhotos:
                raise UploadProblem(409, "photo_limit") from None
            message.payload = {**(message.payload or {}), "photo": stored.id}
        await notifier.broadcast(conversation.id, message_event(message))
    except ImageRejected as rejected:
        return _refusal(
            request, language, UploadProblem(413 if rejected.reason == "too_large" else 415, f"photo_{rejected.reason}")
        )
    except UploadProblem as problem:
        return _refusal(request, language, problem)
    body: dict[str, Any] = {"ok": True, "id": stored.id, "message_id": message.id}
    if photo.position is not None:
        try:
            await _store_position(request, conversation, *photo.position, None, "photo")
            body["position"] = True
        except UploadProblem as problem:  # the photo is kept; only its position is not
            values = request.app[CATALOGS].profile_values(request.app[PROFILE], language)
            body["position_message"] = request.app[CATALOGS].system(problem.key, language, values)
    return _answer(request, language, 201, body)


async def share_position(request: web.Request) -> web.Response:
    """``POST /api/position``: store the browser's position for the token's conversation."""
    language = _request_language(request)
    try:
        conversation = await _conversation(request)
        language = conversation.language
        try:
            data = await request.json()
        except ValueError:
            data = None
        given = (
            valid_coordinates(data.get("latitude"), data.get("longitude"), data.get("accuracy", 0))
            if isinstance(data, dict)
            else None
        )
        if given is None:
            raise UploadProblem(400, "position_invalid")
        await _store_position(request, conversation, *given, "device")
    except UploadProblem as problem:
        return _refusal(request, language, problem)
    return _answer(request, language, 201, {"ok": True})


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight of the upload endpoints: allowed origins may post with the token header."""
    if not origin_allowed(request):
        raise web.HTTPForbidden(text="this web site may not embed the chat (widget.allowed_origins)")
    return web.Response(status=204, headers=_cors_headers(request))


async def _slots(app: web.Application):  # type: ignore[no-untyped-def]
    app[PHOTO_SLOTS] = asyncio.Semaphore(PHOTO_WORKERS)
    yield


def setup_uploads(app: web.Application) -> None:
    """Add the photo and position endpoints (and their CORS preflights) to the web app."""
    app.cleanup_ctx.append(_slots)
    for path, handler in (("/api/photos", upload_photo), ("/api/position", share_position)):
        app.router.add_post(path, handler)
        app.router.add_route("OPTIONS", path, preflight)
