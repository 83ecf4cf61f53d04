"""The NLG endpoint Rasa asks for every response (``POST /nlg``): the text from the conversation's catalog.

``domain.yml`` lists only the response names; the words live in ``bot/locales/<lang>.yml`` and the
municipal facts in the profile.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from bot.core.catalog import CatalogError
from bot.store import conversations as convs
from bot.web.keys import CATALOGS, PROFILE, SESSIONS, SETTINGS

logger = logging.getLogger(__name__)

NLG_MAX_BODY = 16 * 1024 * 1024
"""Largest request body accepted (bytes): Rasa's NLG calls carry the full tracker of long conversations."""


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
