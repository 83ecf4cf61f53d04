"""``GET /metrics``: the chat's counters (:mod:`bot.chat.metrics`) in Prometheus' text exposition format.

Answers requests from loopback, or with ``Authorization: Bearer <KOMMUN_METRICS_TOKEN>`` when that is
set. The gauges of waiting and live chats are read from the database at each scrape.
"""

from __future__ import annotations

import ipaddress

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from bot.cases.workflow import HUMAN, LIVE_MODES, WAITING
from bot.core.internal_keys import bearer_matches
from bot.store.models import Conversation
from bot.web.client_address import client_address
from bot.web.keys import METRICS, SESSIONS, SETTINGS


def from_loopback(request: web.Request) -> bool:
    """True when the request comes from this machine (127.0.0.0/8, ::1).

    The client's address counts (:func:`bot.web.client_address.client_address`): a request that a trusted
    reverse proxy on this machine forwards from elsewhere does not come from loopback.
    """
    try:
        return ipaddress.ip_address(client_address(request)).is_loopback
    except ValueError:
        return False


def _allowed(request: web.Request, token: str) -> bool:
    if token:
        return bearer_matches(request.headers.get("Authorization"), token)
    return from_loopback(request)


async def metrics_endpoint(request: web.Request) -> web.Response:
    """The metrics in Prometheus' text format (403 from elsewhere than loopback without the token)."""
    if not _allowed(request, request.app[SETTINGS].metrics_token):
        raise web.HTTPForbidden(text="metrics are available on loopback or with the metrics token")
    metrics = request.app[METRICS]
    async with request.app[SESSIONS]() as session:
        rows = await session.execute(
            select(Conversation.mode, func.count()).where(Conversation.mode.in_(LIVE_MODES)).group_by(Conversation.mode)
        )
        counts = dict(rows.all())
    metrics.waiting.set(counts.get(WAITING, 0))
    metrics.live.set(counts.get(HUMAN, 0))
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
