"""The bookkeeping of a load benchmark run: per-socket ledgers, the run's counts, and a run's figures.

Units: times are seconds unless a name ends in ``_ms`` (milliseconds); memory is bytes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0–100) of ``values`` with linear interpolation; ``nan`` when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Ledger:
    """The bookkeeping of one resident socket: client ids sent, acked and answered; message ids delivered."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.acks: Counter[str] = Counter()
        self.answered: set[str] = set()
        self.delivered: set[Any] = set()
        self.unknown_acks = 0

    def on_send(self, client_id: str) -> None:
        """A resident message with this ``client_id`` was sent."""
        self.sent.append(client_id)

    def on_ack(self, client_id: str | None) -> bool:
        """An ``ack`` arrived; True when it is a duplicate (a second ack for the same client id)."""
        if client_id not in self.sent:
            self.unknown_acks += 1
            return False
        self.acks[client_id] += 1
        return self.acks[client_id] > 1

    def on_message(self, message_id: Any) -> bool:
        """A ``message`` event arrived; True when its ``id`` was delivered on this socket before."""
        if message_id is None:
            return False
        if message_id in self.delivered:
            return True
        self.delivered.add(message_id)
        return False

    def on_answer(self, client_id: str) -> None:
        """The reply to this resident message was complete within the turn timeout."""
        self.answered.add(client_id)

    def lost(self) -> int:
        """Messages sent but never answered in time, or answered but never acknowledged."""
        return sum(1 for cid in self.sent if cid not in self.answered or self.acks[cid] == 0)


@dataclass
class RunStats:
    """Counts of one run.

    Turns completed inside ``[window_start, window_end]`` (``perf_counter`` seconds) give the
    throughput and latencies; errors, lost and duplicated messages count over the whole run (warm-up
    and the last turns after the window included).

    ``counts`` holds the conversation tallies (``conversations``, ``cases``, ``lookups``, ``handoffs``,
    ``empty replies``, ``late replies``, ``turns outside window``).
    """

    window_start: float = 0.0
    window_end: float = math.inf
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    off_script: Counter[str] = field(default_factory=Counter)
    off_script_samples: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    client_cpu_s: float = math.nan
    """CPU seconds the benchmark itself (the simulated residents) used in the window."""
    by_step: dict[str, list[float]] = field(default_factory=dict)
    """Latencies (ms) in the window per step of the script ("greeting", "form confirm", "lookup code", …)."""

    def step_done(self, step: str, ended: float, latency_ms: float) -> None:
        """File a turn's latency under its script step (only turns inside the window)."""
        if self.window_start <= ended <= self.window_end:
            self.by_step.setdefault(step, []).append(latency_ms)

    def turn_done(self, ended: float, latency_ms: float) -> None:
        """A turn completed at ``ended`` (perf_counter seconds) after ``latency_ms``."""
        if self.window_start <= ended <= self.window_end:
            self.latencies_ms.append(latency_ms)
        else:
            self.counts["turns outside window"] += 1

    def error(self, kind: str, detail: str = "") -> None:
        """Count an error of ``kind`` (keeps the first few details as samples)."""
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {detail}"[:300])

    def stray(self, step: str, names: Sequence[str], texts: Sequence[str]) -> None:
        """The bot answered a scripted step with something else than the script expects."""
        self.off_script[step] += 1
        if len(self.off_script_samples) < 12:
            got = " | ".join(f"{n or '?'}: {t[:90]!r}" for n, t in zip(names, texts, strict=False)) or "(nothing)"
            self.off_script_samples.append(f"{step} -> {got}")

    def summary(self, window_s: float) -> dict[str, Any]:
        """The figures of the run: turns/s over ``window_s`` seconds, latency percentiles (ms), counts."""
        lat = self.latencies_ms
        return {
            "turns": len(lat),
            "turns_per_s": len(lat) / window_s if window_s > 0 else math.nan,
            "client_cpu_pct": 100.0 * self.client_cpu_s / window_s if window_s > 0 else math.nan,
            "p50_ms": percentile(lat, 50),
            "p95_ms": percentile(lat, 95),
            "p99_ms": percentile(lat, 99),
            "max_ms": max(lat) if lat else math.nan,
            "mean_ms": sum(lat) / len(lat) if lat else math.nan,
            "errors": sum(self.errors.values()),
            "errors_by_kind": dict(self.errors),
            "error_samples": list(self.error_samples),
            "lost": self.lost,
            "duplicated": self.duplicated,
            "off_script": sum(self.off_script.values()),
            "off_script_by_step": dict(self.off_script),
            "off_script_samples": list(self.off_script_samples),
            "steps": {
                step: {"turns": len(v), "p50_ms": percentile(v, 50), "p95_ms": percentile(v, 95), "max_ms": max(v)}
                for step, v in sorted(self.by_step.items())
            },
            **{key.replace(" ", "_"): value for key, value in sorted(self.counts.items())},
        }


@dataclass
class RunResult:
    """The figures of one run: a stack profile ("embedded", "production") or "bare rasa".

    ``ready_s``: start → ready (seconds); ``summary``: :meth:`RunStats.summary`; ``memory``:
    :meth:`MemorySampler.report`; ``rasa``: mean seconds per turn inside Rasa (the gateway's
    metrics) over the window; ``problems``: error lines of the logs; ``notes``: anything unusual.
    """

    label: str
    users: int
    duration_s: float
    rate: float | None
    ready_s: float | None
    processes: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    rasa: dict[str, float] = field(default_factory=dict)
    problems: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
