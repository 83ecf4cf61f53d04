"""The aiohttp web app: resident chat page and socket, staff console, NLG endpoint for Rasa, health check.

Built by :func:`create_app`; the engine, HTTP client and retry loop are created on startup and
closed on shutdown (``cleanup_ctx``). Nothing heavy happens at import time.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import jinja2
from aiohttp import WSCloseCode, WSMsgType, web
from aiohttp.abc import AbstractAccessLogger
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cases.outbox import send_due
from bot.core.catalog import CatalogError, Catalogs, default_catalogs
from bot.core.langid import warm_up
from bot.core.profile import Profile, load_profile
from bot.core.settings import Settings
from bot.gateway import Gateway, message_event
from bot.hub import Hub, RedisHub
from bot.metrics import metrics_endpoint
from bot.rasa_client import RasaClient, action_server_status
from bot.staff import setup_staff
from bot.store import conversations as convs
from bot.store.db import create_engine, session_factory
from bot.store.retention import DAY, run_once

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent

SETTINGS = web.AppKey("settings", Settings)
PROFILE = web.AppKey("profile", Profile)
CATALOGS = web.AppKey("catalogs", Catalogs)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", object)
HTTP = web.AppKey("http", aiohttp.ClientSession)
RASA = web.AppKey("rasa", list)
GATEWAY = web.AppKey("gateway", Gateway)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
SOCKETS = web.AppKey("sockets", weakref.WeakSet)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)


class AccessLogger(AbstractAccessLogger):
    """Access log without query strings (they can carry tokens) and without client addresses."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Log method, path, status and duration in milliseconds."""
        self.logger.info("%s %s %s %.0f ms", request.method, request.path, response.status, time * 1000)


# -- startup and shutdown ------------------------------------------------------------------------

SHUTDOWN_GRACE = 10.0
"""Seconds a background pass under way may take to finish when the web app stops."""
RETENTION_FIRST_DELAY = 60.0
"""Seconds after start before the first retention pass (not during start-up load)."""


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except asyncio.TimeoutError:
        return False
    return True


async def periodic(
    name: str,
    work: Callable[[], Awaitable[object]],
    interval: float,
    stop: asyncio.Event,
    first_delay: float | None = None,
) -> None:
    """Run ``work()`` every ``interval`` seconds (first after ``first_delay``, default ``interval``) until ``stop``.

    A failing pass is logged and the next one runs as planned; ``stop`` is only looked at between passes.
    """
    if await _stopped(stop, interval if first_delay is None else first_delay):
        return
    while True:
        try:
            await work()
        except Exception:
            logger.exception("background task %s failed; trying again later", name)
        if await _stopped(stop, interval):
            return


async def _resources(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    engine = create_engine(settings.database_url)
    http = aiohttp.ClientSession()
    app[ENGINE] = engine
    app[SESSIONS] = session_factory(engine)
    app[HTTP] = http
    app[RASA] = [RasaClient(http, url, settings.rasa_token, settings.rasa_timeout) for url in settings.rasa_urls]
    hub: Hub = Hub()
    if settings.redis_url:
        hub = RedisHub(settings.redis_url)
        await hub.start()

    async def actions_ok() -> bool:
        return bool((await action_server_status(http, settings.action_server_url))["ok"])

    app[GATEWAY] = Gateway(
        app[SESSIONS], app[RASA], app[CATALOGS], app[PROFILE], settings.retry_interval, hub, actions_ok
    )
    loop = asyncio.get_running_loop()
    gateway, sessions, profile = app[GATEWAY], app[SESSIONS], app[PROFILE]
    stop = asyncio.Event()
    background = [
        loop.create_task(periodic("message retry", gateway.retry_pending, settings.retry_interval, stop)),
        loop.create_task(
            periodic("unclaimed chats", gateway.notify_unclaimed, settings.unclaimed_check_interval, stop)
        ),
        loop.create_task(
            periodic("outbox", lambda: send_due(sessions, settings, profile), settings.outbox_interval, stop, 0.0)
        ),
        loop.create_task(periodic("retention", lambda: run_once(sessions, profile), DAY, stop, RETENTION_FIRST_DELAY)),
    ]
    if settings.warm_up_language_detection:
        loop.run_in_executor(None, warm_up)
    yield
    # Stop between passes, never in the middle of one: a pass cut off mid-query leaves a connection open.
    stop.set()
    _, unfinished = await asyncio.wait(background, timeout=SHUTDOWN_GRACE)
    for task in unfinished:
        task.cancel()
    await asyncio.gather(*background, return_exceptions=True)
    await app[GATEWAY].close()
    if isinstance(hub, RedisHub):
        await hub.close()
    await http.close()
    await engine.dispose()


async def _close_sockets(app: web.Application) -> None:
    """Close open resident sockets first, so no handler is cut off in the middle of a database call."""
    for ws in list(app[SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """Add CSP and other protective headers to every response."""
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


NLG_MAX_BODY = 16 * 1024 * 1024
"""Largest request body accepted (bytes): Rasa's NLG calls carry the full tracker of long conversations."""


def create_app(settings: Settings, profile: Profile | None = None, catalogs: Catalogs | None = None) -> web.Application:
    """Build the web app.

    Raises:
        bot.profile.ProfileError: the profile file is missing or invalid.
    """
    # Rasa posts the whole tracker (every event of the conversation) to /nlg: a form of a dozen questions
    # passes 64 KiB. Resident input is bounded separately (socket frames, max_message_chars).
    app = web.Application(middlewares=[security_headers], client_max_size=NLG_MAX_BODY)
    app[SETTINGS] = settings
    app[PROFILE] = profile or load_profile(settings.profile_path)
    app[CATALOGS] = catalogs or default_catalogs()
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    app[SOCKETS] = weakref.WeakSet()
    app.cleanup_ctx.append(_resources)
    app.on_shutdown.append(_close_sockets)
    app.router.add_get("/", index)
    app.router.add_get("/ws/chat", chat_socket)
    app.router.add_get("/api/ui", ui_preferred)
    app.router.add_get("/api/ui/{language}", ui_strings)
    app.router.add_post("/nlg", nlg)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_static("/static/", HERE / "static", name="static")
    setup_staff(app, settings)
    return app


# -- resident page -------------------------------------------------------------------------------


def _ui(app: web.Application, language: str) -> dict[str, Any]:
    catalogs, profile = app[CATALOGS], app[PROFILE]
    cat = catalogs.get(language)
    return {
        "language": language,
        "dir": cat.direction,
        "strings": catalogs.ui(language, catalogs.profile_values(profile, language)),
        "languages": [{"code": code, "name": catalogs.get(code).name} for code in catalogs.languages],
        "privacy_url": profile.privacy_url,
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


# -- resident socket -----------------------------------------------------------------------------


async def chat_socket(request: web.Request) -> web.WebSocketResponse:
    """The resident's WebSocket (protocol in README.md, "Chat protocol").

    The first event must be ``hello`` (with the stored ``token`` to resume); every problem with an
    event is answered with an ``error`` event and the socket stays open.
    """
    app = request.app
    settings, catalogs, gateway = app[SETTINGS], app[CATALOGS], app[GATEWAY]
    if not origin_allowed(request):
        logger.warning("resident socket from a web site not in widget.allowed_origins refused")
        raise web.HTTPForbidden(text="this web site may not embed the chat (widget.allowed_origins)")
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=16 * 1024)
    await ws.prepare(request)
    app[SOCKETS].add(ws)
    conversation_id: str | None = None
    language = settings.default_language

    async def push(event: dict[str, Any]) -> None:
        if not ws.closed:
            await ws.send_json(event)

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

    try:
        async for frame in ws:
            if frame.type != WSMsgType.TEXT:
                if frame.type == WSMsgType.ERROR:
                    break
                await error("invalid", "message_invalid")
                continue
            try:
                event = json.loads(frame.data)
            except ValueError:
                event = None
            if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                await error("invalid", "message_invalid")
                continue
            kind = event["type"]
            if kind == "hello":
                if conversation_id is not None:
                    gateway.detach(conversation_id, push)
                resumed = await gateway.resume(str(event.get("token") or "")) if event.get("token") else None
                wanted = event.get("language")
                if resumed is not None:
                    conversation, history = resumed
                    token = str(event["token"])
                else:
                    start_language = wanted if catalogs.supports(wanted) else settings.default_language
                    conversation, token, history = await gateway.start_conversation(start_language)
                conversation_id, language = conversation.id, conversation.language
                gateway.attach(conversation_id, push)
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
                client_id = event.get("client_id")
                client_id = str(client_id)[:64] if client_id is not None else None
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
                stored = await gateway.receive(conversation_id, body.strip(), display, client_id)
                await push({"type": "ack", "client_id": client_id, "id": stored.id})
            elif kind == "leave":
                await gateway.resident_leave_if_live(conversation_id)
            else:
                await error("invalid", "message_invalid")
    finally:
        if conversation_id is not None:
            gateway.detach(conversation_id, push)
    return ws


# -- NLG endpoint for Rasa -----------------------------------------------------------------------


async def nlg(request: web.Request) -> web.Response:
    """Render a Rasa response from the catalog of the conversation's language.

    Request: Rasa's NLG body (``response``, ``arguments``, ``tracker``); answer: ``{"text",
    "buttons"}``. The language is ``arguments.language``, else the tracker's ``language`` slot, else
    the stored conversation's, else the default. Requires Rasa's token (``?token=``).
    """
    app = request.app
    settings, catalogs, profile = app[SETTINGS], app[CATALOGS], app[PROFILE]
    if not hmac.compare_digest(request.query.get("token", ""), settings.rasa_token or "\0"):
        raise web.HTTPUnauthorized(text="token required")
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="JSON body required") from None
    name = body.get("response") or body.get("template")
    arguments = body.get("arguments") or {}
    tracker = body.get("tracker") or {}
    slots = tracker.get("slots") or {}
    language = arguments.get("language") or slots.get("language")
    if not catalogs.supports(language):
        async with app[SESSIONS]() as session:
            conversation = await convs.get_conversation(session, str(tracker.get("sender_id") or ""))
        language = conversation.language if conversation else settings.default_language
    values = {**catalogs.profile_values(profile, language)}
    values.update({k: v for k, v in slots.items() if isinstance(v, (str, int, float))})
    values.update({k: v for k, v in arguments.items() if isinstance(v, (str, int, float))})
    try:
        rendered = catalogs.response(str(name), language, values, profile)
    except CatalogError:
        logger.error("NLG asked for an unknown response %r", name)
        raise web.HTTPNotFound(text="unknown response") from None
    return web.json_response(rendered)


# -- health --------------------------------------------------------------------------------------


async def healthz(request: web.Request) -> web.Response:
    """200 with the state of Rasa, the action server and the database when all are ready, else 503."""
    app = request.app
    settings = app[SETTINGS]
    try:
        async with app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
        database = {"ok": True, "detail": app[ENGINE].dialect.name}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the type is reported
        database = {"ok": False, "detail": type(exc).__name__}
    *rasa_states, actions = await asyncio.gather(
        *(client.status() for client in app[RASA]), action_server_status(app[HTTP], settings.action_server_url)
    )
    rasa = (
        rasa_states[0]
        if len(rasa_states) == 1
        else {
            "ok": all(state["ok"] for state in rasa_states),
            "detail": "; ".join(f"{i + 1}: {state['detail']}" for i, state in enumerate(rasa_states)),
        }
    )
    parts = {"rasa": rasa, "action_server": actions, "database": database}
    ready = all(part["ok"] for part in parts.values())
    return web.json_response({"status": "ok" if ready else "unavailable", **parts}, status=200 if ready else 503)
