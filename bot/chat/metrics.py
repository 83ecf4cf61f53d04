"""The chat's counters for Prometheus (served at ``/metrics`` by :mod:`bot.web.metrics`).

- ``kommun_turns_total``: resident messages Rasa answered;
- ``kommun_turn_seconds``: time from sending a message to Rasa until its replies came (histogram);
- ``kommun_rasa_errors_total``: messages Rasa could not answer (they are retried);
- ``kommun_handoffs_total``: chats handed to a person;
- ``kommun_chats_waiting``: chats waiting for a case officer now (read from the database at scrape);
- ``kommun_chats_live``: chats with a case officer now.

Each app has its own registry (several apps in one test process do not clash).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

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
