"""Typed keys of the web app's shared state (``request.app[KEY]``), in a leaf module.

Handlers import these keys, never :mod:`bot.web.app`, so no module needs a call-time import and every
lookup keeps its type. The values are set by :func:`bot.web.app.create_app` (settings, profile,
catalogs, templates, sockets, metrics) and by its ``cleanup_ctx`` resources on startup (the rest).
"""

from __future__ import annotations

import asyncio
import weakref

import aiohttp
import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import sessionmaker

from bot.cases.desk import Desk
from bot.chat.delivery import Delivery
from bot.chat.hub import Hub
from bot.chat.intake import Intake
from bot.chat.limits import ConversationLimits
from bot.chat.metrics import Metrics
from bot.chat.notify import Notifier
from bot.chat.presence import Presence
from bot.core.catalog import Catalogs
from bot.core.profile import Profile
from bot.core.settings import Settings
from bot.web.sockets import StaffSockets

SETTINGS = web.AppKey("settings", Settings)
PROFILE = web.AppKey("profile", Profile)
CATALOGS = web.AppKey("catalogs", Catalogs)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
SOCKETS = web.AppKey("sockets", weakref.WeakSet)
"""Every open WebSocket (resident and staff), closed first when the app stops."""
METRICS = web.AppKey("metrics", Metrics)
STAFF_SOCKETS = web.AppKey("staff_sockets", StaffSockets)
"""Open staff sockets by staff session (closed at once when the session ends)."""

ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", sessionmaker)
"""The async session factory: ``async with app[SESSIONS]() as session``."""
HTTP = web.AppKey("http", aiohttp.ClientSession)
RASA = web.AppKey("rasa", list)
"""One :class:`~bot.chat.rasa_client.RasaClient` per Rasa process."""
HUB = web.AppKey("hub", Hub)
NOTIFIER = web.AppKey("notifier", Notifier)
DELIVERY = web.AppKey("delivery", Delivery)
INTAKE = web.AppKey("intake", Intake)
DESK = web.AppKey("desk", Desk)

# -- photos (issue 20) -------------------------------------------------------------------------------
PHOTO_SLOTS = web.AppKey("photo_slots", asyncio.Semaphore)
"""How many photos are decoded at once (:mod:`bot.web.uploads`): uploads wait, the chat keeps answering."""
PRESENCE = web.AppKey("presence", Presence)
"""Which case officers can take a chat now (:mod:`bot.chat.presence`)."""
LIMITS = web.AppKey("limits", ConversationLimits)
"""Rate limits of residents' messages per conversation (:mod:`bot.chat.limits`)."""
