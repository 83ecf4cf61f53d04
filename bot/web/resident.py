"""The resident's side of the web app: the chat page, its labels per language, and the chat socket.

The socket protocol is in README.md ("Chat protocol"). A page may use the chat when it comes from the
chat server itself or from an origin in the profile's ``widget.allowed_origins``.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.chat.limits import TokenBucket
from bot.chat.notify import message_event
from bot.core.images import MAX_BYTES
from bot.core.internal_keys import keyed_digest
from bot.store import conversations as convs
from bot.store.photos import MAX_PENDING_PHOTOS
from bot.web.client_address import client_address
from bot.web.keys import CATALOGS, DESK, INTAKE, LIMITS, NOTIFIER, PROFILE, SESSIONS, SETTINGS, SOCKETS, TEMPLATES
from bot.web.sockets import OVERSIZE, json_events, pusher

logger = logging.getLogger(__name__)


def _ui(app: web.Application, language: str) -> dict[str, Any]:
    catalogs, profile = app[CATALOGS], app[PROFILE]
    cat = catalogs.get(language)
    return {
        "language": language,
        "dir": cat.direction,
        "strings": catalogs.ui(language, catalogs.profile_values(profile, language)),
        "languages": [{"code": code, "name": catalogs.get(code).name} for code in catalogs.languages],
        "privacy_url": profile.privacy_url,
        # the public key figures (issue 17), linked from the widget
        "figures_url": f"/key-figures?lang={language}",
        "figures_link": cat.public_figures.get("link", ""),
        "photos": {"max": MAX_PENDING_PHOTOS, "max_bytes": MAX_BYTES, "position": profile.map_area is not None},
    }


def _origin_of(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def origin_allowed(request: web.Request) -> bool:
    """True when the page that sent this request may use the resident chat (its ``Origin`` header).

    Allowed: no ``Origin`` (not a browser page, e.g. the benchmark), the chat server's own origin and
    the profile's ``widget.allowed_origins``.
    """
    origin = request.headers.get("Origin")
    return origin is None or origin == _origin_of(request) or origin in request.app[PROFILE].widget_allowed_origins


def _cors(request: web.Request, response: web.Response) -> web.Response:
    """Let an allowed web site embedding the widget read this response (CORS)."""
    origin = request.headers.get("Origin")
    if origin and origin != _origin_of(request) and origin_allowed(request):
        response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    return response


def accepted_languages(header: str) -> list[str]:
    """Primary language codes of an ``Accept-Language`` header, best quality first.

    ``"sv;q=0.5, ar-SY, ar;q=0.9"`` → ``["ar", "ar", "sv"]``; ``*`` and ``q=0`` are left out.
    """
    ranked = []
    for position, part in enumerate(header.split(",")):
        code, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if code and code != "*" and quality > 0:
            ranked.append((-quality, position, code.split("-")[0].lower()))
    return [code for _, _, code in sorted(ranked)]


async def index(request: web.Request) -> web.Response:
    """The resident chat page (the widget filling the page).

    In the ``?lang=`` language, else the first supported language of the browser's ``Accept-Language``
    (RFC 9110 §12.5.4, by quality), else the default.
    """
    app = request.app
    catalogs = app[CATALOGS]
    wanted = [request.query.get("lang", ""), *accepted_languages(request.headers.get("Accept-Language", ""))]
    language = next((code for code in wanted if catalogs.supports(code)), app[SETTINGS].default_language)
    ui = _ui(app, language)
    html = app[TEMPLATES].get_template("chat.html").render(ui=ui)
    return web.Response(text=html, content_type="text/html")


async def ui_strings(request: web.Request) -> web.Response:
    """Chat labels of one language (``{language, dir, strings, languages, privacy_url}``); 404 if unknown."""
    language = request.match_info["language"]
    if not request.app[CATALOGS].supports(language):
        raise web.HTTPNotFound(text="unknown language")
    return _cors(request, web.json_response(_ui(request.app, language)))


async def ui_preferred(request: web.Request) -> web.Response:
    """Chat labels of the first supported language in ``?prefer=ar,sv-SE,en``, else the default language."""
    catalogs = request.app[CATALOGS]
    wanted = [code.strip().split("-")[0].lower() for code in request.query.get("prefer", "").split(",")]
    language = next((code for code in wanted if catalogs.supports(code)), request.app[SETTINGS].default_language)
    return _cors(request, web.json_response(_ui(request.app, language)))


MAX_EVENT_CHARS = 16 * 1024
"""Longest event frame read (characters); a longer one is answered with ``too_long`` and the socket stays open."""
MAX_FRAME_BYTES = 1024 * 1024
"""Longest frame the socket takes at all: beyond it aiohttp closes the connection (1009, message too big)."""
TYPED_FIELDS = {"token": str, "language": str, "text": str, "display": str, "client_id": (str, int)}
"""Fields of resident events and the JSON types they may have (absent or null is always allowed)."""


def _fields_typed(event: dict[str, Any]) -> bool:
    """True when each known field of ``event`` is absent, null or of its type in :data:`TYPED_FIELDS`."""
    return all(
        event.get(name) is None or (isinstance(event[name], kinds) and not isinstance(event[name], bool))
        for name, kinds in TYPED_FIELDS.items()
    )


def client_key(request: web.Request) -> str:
    """A keyed digest of the resident's client address (the status lookup's limit per address).

    The address is :func:`bot.web.client_address.client_address` (the peer, or behind a trusted reverse
    proxy the client it forwarded). Only the digest under the Rasa secret leaves this function: the
    address itself is never stored.
    """
    return keyed_digest(request.app[SETTINGS].rasa_token or "-", client_address(request))


async def chat_socket(request: web.Request) -> web.WebSocketResponse:
    """The resident's WebSocket (protocol in README.md, "Chat protocol").

    The first event must be ``hello`` (with the stored ``token`` to resume); every problem with an
    event (not JSON, wrong field types, text that is not valid Unicode, longer than
    :data:`MAX_EVENT_CHARS`, faster than the limits of :mod:`bot.chat.limits` — per socket, and per
    conversation for messages) is answered with an ``error`` event and the socket stays open.
    """
    app = request.app
    settings, catalogs = app[SETTINGS], app[CATALOGS]
    notifier, intake, desk = app[NOTIFIER], app[INTAKE], app[DESK]
    if not origin_allowed(request):
        logger.warning("resident socket from a web site not in widget.allowed_origins refused")
        raise web.HTTPForbidden(text="this web site may not embed the chat (widget.allowed_origins)")
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    app[SOCKETS].add(ws)
    conversation_id: str | None = None
    language = settings.default_language

    push = pusher(ws)

    async def error(code: str, key: str, client_id: Any = None, **values: Any) -> None:
        current = language
        if conversation_id is not None:  # the language may have changed since hello
            async with app[SESSIONS]() as session:
                conversation = await convs.get_conversation(session, conversation_id)
            current = conversation.language if conversation else language
        event = {"type": "error", "code": code, "message": catalogs.system(key, current, values)}
        if client_id is not None:  # the widget stops resending that message
            event["client_id"] = str(client_id)[:64]
        await push(event)

    socket_bucket = TokenBucket()
    try:
        async for event in json_events(ws, MAX_EVENT_CHARS):
            client_id = event.get("client_id") if event is not None else None
            client_id = str(client_id)[:64] if isinstance(client_id, (str, int)) else None
            if not socket_bucket.take():
                await error("too_fast", "too_fast", client_id)
                continue
            if event is OVERSIZE:
                await error("too_long", "message_too_long", None, max_chars=settings.max_message_chars)
                continue
            if event is None or not _fields_typed(event):
                await error("invalid", "message_invalid", client_id)
                continue
            kind = event["type"]
            if kind == "hello":
                if conversation_id is not None:
                    notifier.detach(conversation_id, push)
                resumed = await intake.resume(event["token"]) if event.get("token") else None
                wanted = event.get("language")
                if resumed is not None:
                    conversation, history = resumed
                    token = str(event["token"])
                else:
                    start_language = wanted if catalogs.supports(wanted) else settings.default_language
                    conversation, token, history = await intake.start_conversation(start_language)
                conversation_id, language = conversation.id, conversation.language
                notifier.attach(conversation_id, push)
                await push(
                    {
                        "type": "welcome",
                        "token": token,
                        "language": language,
                        "dir": catalogs.get(language).direction,
                        "mode": conversation.mode,
                        "history": [message_event(m) for m in history],
                    }
                )
                continue
            if conversation_id is None:
                await error("no_session", "message_invalid")
                continue
            if kind == "message":
                body = event.get("text")
                display = event.get("display")
                if not await app[LIMITS].take(conversation_id):  # the same conversation on several sockets
                    await error("too_fast", "too_fast", client_id)
                    continue
                if (
                    not isinstance(body, str)
                    or not body.strip()
                    or (display is not None and not isinstance(display, str))
                ):
                    await error("invalid", "message_invalid", client_id)
                    continue
                if len(body) > settings.max_message_chars or len(display or "") > settings.max_message_chars:
                    await error("too_long", "message_too_long", client_id, max_chars=settings.max_message_chars)
                    continue
                stored = await intake.receive(conversation_id, body.strip(), display, client_id, client_key(request))
                await push({"type": "ack", "client_id": client_id, "id": stored.id})
            elif kind == "leave":
                await desk.resident_leave_if_live(conversation_id)
            else:
                await error("invalid", "message_invalid")
    finally:
        if conversation_id is not None:
            notifier.detach(conversation_id, push)
    return ws
