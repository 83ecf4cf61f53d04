"""Prometheus metrics of the web app (``GET /metrics``, text exposition format).

- ``kommun_turns_total``: resident messages Rasa answered;
- ``kommun_turn_seconds``: time from sending a message to Rasa until its replies came (histogram);
- ``kommun_rasa_errors_total``: messages Rasa could not answer (they are retried);
- ``kommun_handoffs_total``: chats handed to a person;
- ``kommun_chats_waiting``: chats waiting for a case officer now (read from the database at scrape);
- ``kommun_chats_live``: chats with a case officer now.

Each app has its own registry (several apps in one test process do not clash). ``/metrics`` answers
requests from loopback, or with ``Authorization: Bearer <KOMMUN_METRICS_TOKEN>`` when that is set.
"""

from __future__ import annotations

import hmac
import ipaddress

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from bot.store.models import Conversation

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)
"""Seconds; the issue-7 target (p95 ≤ 0.5 s) falls on a bucket edge."""


class Metrics:
    """The web app's metrics in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.turns = Counter("kommun_turns", "Resident messages Rasa answered", registry=self.registry)
        self.turn_seconds = Histogram(
            "kommun_turn_seconds",
            "Seconds until Rasa answered a message",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.rasa_errors = Counter("kommun_rasa_errors", "Messages Rasa could not answer", registry=self.registry)
        self.handoffs = Counter("kommun_handoffs", "Chats handed to a person", registry=self.registry)
        self.waiting = Gauge("kommun_chats_waiting", "Chats waiting for a case officer", registry=self.registry)
        self.live = Gauge("kommun_chats_live", "Chats with a case officer", registry=self.registry)


def _allowed(request: web.Request, token: str) -> bool:
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given, f"Bearer {token}")
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


async def metrics_endpoint(request: web.Request) -> web.Response:
    """The metrics in Prometheus' text format (403 from elsewhere than loopback without the token)."""
    from bot import app as webapp

    settings = request.app[webapp.SETTINGS]
    if not _allowed(request, settings.metrics_token):
        raise web.HTTPForbidden(text="metrics are available on loopback or with the metrics token")
    metrics: Metrics = request.app[webapp.GATEWAY].metrics
    async with request.app[webapp.SESSIONS]() as session:
        rows = await session.execute(
            select(Conversation.mode, func.count())
            .where(Conversation.mode.in_(("waiting", "human")))
            .group_by(Conversation.mode)
        )
        counts = dict(rows.all())
    metrics.waiting.set(counts.get("waiting", 0))
    metrics.live.set(counts.get("human", 0))
    body = generate_latest(metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
