"""The aiohttp web app: resident chat page and socket, staff console, health, metrics.

Built by :func:`create_app`. Each resource is its own ``cleanup_ctx`` entry — the database engine, the
HTTP client (and the Rasa clients on it), the hub, the chat services, the background loops — opened on
startup in that order and closed in the reverse order on shutdown, so a start that fails half-way
closes exactly what it opened. Nothing heavy happens at import time.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import jinja2
from aiohttp import WSCloseCode, web

from bot.cases.desk import Desk
from bot.cases.outbox import send_due
from bot.chat.delivery import Delivery
from bot.chat.hub import QUEUE, Hub, RedisHub
from bot.chat.intake import Intake
from bot.chat.limits import ConversationLimits, RedisConversationLimits
from bot.chat.locks import LocalLocks, RedisLocks
from bot.chat.metrics import Metrics
from bot.chat.notify import Notifier
from bot.chat.presence import Presence, RedisPresence
from bot.chat.rasa_client import RasaClient, action_server_status
from bot.core.catalog import Catalogs, default_catalogs
from bot.core.langid import warm_up_steps
from bot.core.profile import Profile, load_profile
from bot.core.settings import Settings
from bot.store.db import create_engine, session_factory
from bot.store.retention import DAY, run_once
from bot.web import public_figures, resident
from bot.web.health import healthz
from bot.web.keys import (
    CATALOGS,
    DELIVERY,
    DESK,
    ENGINE,
    HTTP,
    HUB,
    INTAKE,
    LIMITS,
    METRICS,
    NOTIFIER,
    PRESENCE,
    PROFILE,
    RASA,
    SESSIONS,
    SETTINGS,
    SOCKETS,
    TEMPLATES,
)
from bot.web.metrics import metrics_endpoint
from bot.web.middleware import protective_headers, security_headers
from bot.web.staff.routes import setup_staff
from bot.web.uploads import setup_uploads

logger = logging.getLogger(__name__)

BOT_DIR = Path(__file__).resolve().parents[1]
"""``bot/``: ``templates/`` and ``static/`` live there."""

SHUTDOWN_GRACE = 10.0
"""Seconds a background pass under way may take to finish when the web app stops."""
RETENTION_FIRST_DELAY = 60.0
"""Seconds after start before the first retention pass (not during start-up load)."""
WARM_UP_DELAY = 0.5
"""Seconds after start before language detection's models start loading: the port opens first."""
WARM_UP_PAUSE = 0.05
"""Seconds the event loop runs between two warm-up steps (Lingua holds the GIL while it loads a language)."""


async def warm_up_language_detection(stop: asyncio.Event) -> None:
    """Load language detection's models in the background, one language at a time, until done or ``stop``.

    Each step (:func:`bot.core.langid.warm_up_steps`) runs in a thread of its own; between steps the event
    loop answers health checks and sockets. A message arriving meanwhile is detected all the same (the
    detector loads what it still lacks).
    """
    if await _stopped(stop, WARM_UP_DELAY):
        return
    loop = asyncio.get_running_loop()
    # One thread for every step: models loaded in many threads spread over as many malloc arenas (more RSS).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-up") as executor:
        for step in warm_up_steps():
            await loop.run_in_executor(executor, step)
            if await _stopped(stop, WARM_UP_PAUSE):
                return


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


# -- resources, one cleanup_ctx each ---------------------------------------------------------------


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = create_engine(app[SETTINGS].database_url)
    app[ENGINE] = engine
    app[SESSIONS] = session_factory(engine)
    try:
        yield
    finally:
        await engine.dispose()


async def _http_client(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with aiohttp.ClientSession() as http:  # closed on leaving, also if the Rasa clients fail
        app[HTTP] = http
        app[RASA] = [RasaClient(http, url, settings.rasa_token, settings.rasa_timeout) for url in settings.rasa_urls]
        yield


async def _hub(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not settings.redis_url:
        app[HUB] = Hub()
        yield
        return
    hub = RedisHub(settings.redis_url)
    try:
        await hub.start()
        app[HUB] = hub
        yield
    finally:
        await hub.close()


async def _presence(app: web.Application) -> AsyncIterator[None]:
    hub, redis_url = app[HUB], app[SETTINGS].redis_url

    async def changed() -> None:
        await hub.publish(QUEUE, {"type": "queue_changed"})

    presence = RedisPresence(redis_url, changed) if redis_url else Presence(changed)
    app[PRESENCE] = presence
    try:
        yield
    finally:
        await presence.close()


async def _limits(app: web.Application) -> AsyncIterator[None]:
    redis_url = app[SETTINGS].redis_url
    limits = RedisConversationLimits(redis_url) if redis_url else ConversationLimits()
    app[LIMITS] = limits
    try:
        yield
    finally:
        await limits.close()


async def _chat(app: web.Application) -> AsyncIterator[None]:
    settings, http = app[SETTINGS], app[HTTP]

    async def actions_ok() -> bool:
        return bool((await action_server_status(http, settings.action_server_url))["ok"])

    sessions = app[SESSIONS]
    notifier = Notifier(sessions, app[HUB], app[CATALOGS], app[PROFILE])
    # Several web apps share a database only with Redis (production): then one delivery per conversation among them.
    lease = settings.rasa_timeout + 30.0
    locks = RedisLocks(settings.redis_url, lease) if settings.redis_url else LocalLocks()
    delivery = Delivery(
        sessions,
        app[RASA],
        notifier,
        app[METRICS],
        actions_ok,
        staff_available=app[PRESENCE].anyone_available,
        seal_secret=settings.action_token,
        locks=locks,
    )
    desk = Desk(sessions, notifier, delivery, settings)
    app[NOTIFIER], app[DELIVERY], app[DESK] = notifier, delivery, desk
    app[INTAKE] = Intake(sessions, notifier, delivery, desk, seal_secret=settings.action_token)
    try:
        yield
    finally:
        await delivery.close()  # deliveries under way finish before the engine is disposed
        await locks.close()


async def _background(app: web.Application) -> AsyncIterator[None]:
    settings, sessions, profile = app[SETTINGS], app[SESSIONS], app[PROFILE]
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    background = [
        loop.create_task(periodic("message retry", app[DELIVERY].retry_pending, settings.retry_interval, stop)),
        loop.create_task(
            periodic("unclaimed chats", app[DESK].notify_unclaimed, settings.unclaimed_check_interval, stop)
        ),
        loop.create_task(
            periodic("outbox", lambda: send_due(sessions, settings, profile), settings.outbox_interval, stop, 0.0)
        ),
        loop.create_task(periodic("retention", lambda: run_once(sessions, profile), DAY, stop, RETENTION_FIRST_DELAY)),
    ]
    if settings.warm_up_language_detection:
        background.append(loop.create_task(warm_up_language_detection(stop)))
    try:
        yield
    finally:
        # Stop between passes, never in the middle of one: a pass cut off mid-query leaves a connection open.
        stop.set()
        _, unfinished = await asyncio.wait(background, timeout=SHUTDOWN_GRACE)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)


async def _close_sockets(app: web.Application) -> None:
    """Close open sockets first, so no handler is cut off in the middle of a database call."""
    for ws in list(app[SOCKETS]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


def create_app(settings: Settings, profile: Profile | None = None, catalogs: Catalogs | None = None) -> web.Application:
    """Build the web app.

    Raises:
        bot.core.profile.ProfileError: the profile file is missing or invalid.
    """
    # Request bodies: aiohttp's default limit (1 MiB) bounds the staff forms and JSON bodies; photos are
    # streamed with their own limit (bot.core.images.MAX_BYTES), resident messages come over the socket.
    app = web.Application(middlewares=[security_headers])
    app[SETTINGS] = settings
    app[PROFILE] = profile or load_profile(settings.profile_path)
    app[CATALOGS] = catalogs or default_catalogs()
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(BOT_DIR / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )
    app[SOCKETS] = weakref.WeakSet()
    app[METRICS] = Metrics()
    app.cleanup_ctx.extend([_database, _http_client, _hub, _presence, _limits, _chat, _background])
    app.on_shutdown.append(_close_sockets)
    app.on_response_prepare.append(protective_headers)  # error responses too
    app.router.add_get("/", resident.index)
    app.router.add_get("/ws/chat", resident.chat_socket)
    app.router.add_get("/api/ui", resident.ui_preferred)
    app.router.add_get("/api/ui/{language}", resident.ui_strings)
    app.router.add_get("/key-figures", public_figures.key_figures_page)  # public, no login (issue 17)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_static("/static/", BOT_DIR / "static", name="static")
    setup_staff(app, settings)
    setup_uploads(app)  # resident photos and positions (issue 20)
    return app
