"""``python -m bot bench --growth``: one resident's long conversation, and whether a turn gets slower as it grows.

One resident holds a conversation of :data:`GROWTH_TURNS` turns: a cycle of :data:`CYCLE_TURNS` scripted
turns (a greeting, FAQ questions, thanks, the complaint form filled and filed, a status lookup of that
case), repeated. Turns are spaced :data:`TURN_SPACING_S` apart from start to start, inside the gateway's
rate limits (``bot/chat/limits.py``: 2 messages a second per conversation); the waiting is not counted.
The figures: the median turn of turns 1–20 and of 181–200 and their ratio (issue 18: at most
:data:`TARGET_GROWTH`), and the events in Rasa's tracker after each block of 20 turns — in the current
session (what Rasa reads back and replays on every turn) and in all sessions.

Times are milliseconds unless a name ends in ``_s``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tools.bench.scenario import PHRASES, ConversationPlan, Script, file_complaint, look_up
from tools.bench.stats import percentile

if TYPE_CHECKING:
    from tools.bench.channels import Channel, Reply

GROWTH_TURNS = 200
WINDOW_TURNS = 20
"""Turns per block: the first block (1–20) and the last (181–200) are compared."""
TARGET_GROWTH = 1.3
"""Median turn of the last block ÷ median turn of the first block, at most (issue 18)."""
TURN_SPACING_S = 0.6
"""Seconds from one turn's start to the next at least: the sustained limit is 2 a second (``bot/chat/limits.py``)."""
CYCLE_TURNS = 20
"""Turns of one cycle of the script (:func:`cycle`), so that every block of 20 holds the same mix."""

GROWTH_PLAN = ConversationPlan(
    phrases=PHRASES["sv"],
    faqs=(PHRASES["sv"].faqs[0], PHRASES["sv"].faqs[1]),
    handoff=False,
    kind_index=0,
    area_pick=0.3,
    description=PHRASES["sv"].descriptions[0],
    anonymous=False,
    contact=PHRASES["sv"].email,
)
"""The resident of the long conversation: Swedish, a named complaint with an e-mail address, the same each cycle."""

SMALL_TALK = (("tack", "utter_you_are_welcome"), ("hej", "utter_hello"))


@dataclass
class GrowthRun:
    """One long conversation against one target ("embedded", "production" or "bare rasa").

    ``latencies_ms``: one per turn in order (``nan`` for a turn that failed); ``events``: after turn
    ``n`` (:func:`read_tracker_after`), ``(events in the current session, events in all sessions)``;
    ``off_script``: scripted steps answered otherwise; ``errors``: the channel's errors by kind.
    """

    label: str
    processes: int = 1
    ready_s: float | None = None
    latencies_ms: list[float] = field(default_factory=list)
    events: dict[int, tuple[int, int]] = field(default_factory=dict)
    off_script: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def block_median(self, first: int, last: int = 0) -> float:
        """Median latency (ms) of turns ``first``–``last`` (1-based, inclusive; ``last`` 0: ``first + 19``)."""
        last = last or first + WINDOW_TURNS - 1
        done = [v for v in self.latencies_ms[first - 1 : last] if not math.isnan(v)]
        return percentile(done, 50)

    def ratio(self) -> float:
        """Median of the last block ÷ median of the first block (``nan`` when either is missing)."""
        turns = len(self.latencies_ms)
        if turns < 2 * WINDOW_TURNS:
            return math.nan
        return self.block_median(turns - WINDOW_TURNS + 1) / self.block_median(1)

    def blocks(self) -> list[tuple[int, int, float, tuple[int, int] | None]]:
        """Per block of :data:`WINDOW_TURNS` turns: first turn, last turn, median ms, events (:meth:`block_events`)."""
        rows = []
        for first in range(1, len(self.latencies_ms) + 1, WINDOW_TURNS):
            last = min(first + WINDOW_TURNS - 1, len(self.latencies_ms))
            rows.append((first, last, self.block_median(first, last), self.block_events(first, last)))
        return rows

    def block_events(self, first: int, last: int) -> tuple[int, int] | None:
        """The largest current session read in turns ``first``–``last``, and all events at the last reading."""
        read = [self.events[turn] for turn in range(first, last + 1) if turn in self.events]
        return (max(session for session, _ in read), read[-1][1]) if read else None


def read_tracker_after(turn: int, turns: int) -> bool:
    """Whether the tracker's size is read after ``turn`` of ``turns``.

    Every turn of the first and the last block (a session is largest just before a new one starts), and
    the end of every block.
    """
    return turn <= WINDOW_TURNS or turn > turns - WINDOW_TURNS or turn % WINDOW_TURNS == 0


def count_events(events: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """``(events since the latest session_started, all events)`` of a tracker's event list (Rasa's JSON)."""
    starts = [i for i, event in enumerate(events) if event.get("event") == "session_started"]
    return (len(events) - starts[-1] if starts else len(events)), len(events)


class Turns:
    """The turns of one long conversation: spaced, timed, counted; the script's :class:`~tools.bench.scenario.Step`.

    ``after_turn(n)`` runs after turn ``n`` (outside the timing: the tracker's size is read there).
    """

    def __init__(
        self,
        channel: Channel,
        run: GrowthRun,
        limit: int = GROWTH_TURNS,
        spacing_s: float = TURN_SPACING_S,
        after_turn: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self.channel, self.run, self.limit, self.spacing_s = channel, run, limit, spacing_s
        self.after_turn = after_turn
        self._last_start = -math.inf

    @property
    def done(self) -> bool:
        """True when every turn of the conversation has been taken."""
        return len(self.run.latencies_ms) >= self.limit

    async def __call__(
        self, label: str, text: str, expect: Iterable[str] | None, display: str | None = None, fatal: bool = True
    ) -> Reply | None:
        """One turn (see :class:`~tools.bench.scenario.Step`); ``None`` also when the conversation is complete."""
        if self.done:
            return None
        await asyncio.sleep(max(self._last_start + self.spacing_s - time.perf_counter(), 0.0))
        self._last_start = time.perf_counter()
        reply = await self.channel.say(text, display)
        self.run.latencies_ms.append(reply.latency_ms if reply is not None else math.nan)
        if self.after_turn is not None:
            await self.after_turn(len(self.run.latencies_ms))
        if reply is None:
            return None
        if expect is not None and reply.first(expect) is None:
            self.run.off_script[label] += 1
            if len(self.run.samples) < 8:
                self.run.samples.append(f"turn {len(self.run.latencies_ms)} {label} -> {', '.join(reply.names)}")
            if fatal:
                return None
        return reply


async def cycle(turns: Turns, script: Script, channel: Channel, plan: ConversationPlan = GROWTH_PLAN) -> None:
    """One round of the script (:data:`CYCLE_TURNS` turns when all goes to plan); returns early when done."""
    p = plan.phrases
    small_talk = [(f"small talk {expect.removeprefix('utter_')}", text, {expect}) for text, expect in SMALL_TALK]
    before = [("greeting", p.greeting, {p.greeting_expect, "utter_hello"})]
    before += [(f"faq {expect.removeprefix('utter_faq_')}", text, {expect}) for text, expect in plan.faqs]
    for label, text, expect in [*before, small_talk[0]]:
        await turns(label, text, expect, fatal=False)
    filed = await file_complaint(turns, plan, script, channel)
    if filed is not None:
        await look_up(turns, p, filed, channel)
    # Pad the round to CYCLE_TURNS with small talk, so that every block of 20 turns holds the same mix.
    padding = (CYCLE_TURNS - len(turns.run.latencies_ms) % CYCLE_TURNS) % CYCLE_TURNS
    for index in range(padding):
        await turns(*small_talk[index % len(small_talk)], fatal=False)


async def hold_conversation(channel: Channel, script: Script, turns: Turns) -> None:
    """Open one conversation and run :func:`cycle` until :attr:`Turns.done` (or the channel fails)."""
    if not await channel.open(GROWTH_PLAN):
        turns.run.errors["open failed"] += 1
        return
    try:
        while not turns.done:
            taken = len(turns.run.latencies_ms)
            await cycle(turns, script, channel)
            if len(turns.run.latencies_ms) == taken:  # nothing got through: do not spin
                turns.run.errors["no turn taken in a cycle"] += 1
                return
    finally:
        turns.run.errors.update(script.stats.errors)
        await channel.close()


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"


def _events(value: tuple[int, int] | None) -> str:
    return "-" if value is None else f"{value[0]} / {value[1]}"


def render_growth(runs: Sequence[GrowthRun]) -> str:
    """The readable report: per run the blocks of 20 turns (median ms, events), the ratio and the target."""
    out = []
    for run in runs:
        out.append(f"\n== {run.label}: one resident, {len(run.latencies_ms)} turns ==")
        ready = "-" if run.ready_s is None else f"{run.ready_s:.1f} s"
        out.append(f"Rasa processes {run.processes}; start to ready {ready}")
        out.append("turns     median ms  events (largest session / all)")
        for first, last, median, events in run.blocks():
            out.append(f"{first:>3}–{last:<3}   {_ms(median):>9}  {_events(events)}")
        out.append(f"ratio last ÷ first block: {run.ratio():.2f}")
        failed = sum(1 for v in run.latencies_ms if math.isnan(v))
        out.append(f"failed turns {failed}; off script {sum(run.off_script.values())} {dict(run.off_script) or ''}")
        if run.errors:
            out.append(f"errors: {dict(run.errors)}")
        out.extend(f"off-script sample: {s}" for s in run.samples[:4])
        out.extend(f"note: {note}" for note in run.notes)
    out.append("\n== target (issue 18) ==")
    for run in runs:
        ratio = run.ratio()
        mark = "n/a" if math.isnan(ratio) else "yes" if ratio <= TARGET_GROWTH else "NO"
        out.append(f"  [{mark:>3}] {run.label}: median turn 181–200 ≤ {TARGET_GROWTH}× turns 1–20: {ratio:.2f}×")
    return "\n".join(out)


def render_growth_markdown(runs: Sequence[GrowthRun], machine: dict[str, Any], command: str, when: datetime) -> str:
    """A markdown section for a results file: machine, command, one row per run, the blocks of each run."""
    lines = [
        f"## Long conversation (--growth) {when.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"- Machine: {machine['cpu_model']}, {machine['cpus']} CPUs, load average at start "
        f"{' / '.join(f'{x:.2f}' for x in machine['load_average'])}",
        f"- Python {machine['python']}, Rasa {machine['rasa']}",
        f"- Command: `{command}`",
        "",
        "| run | turns | median ms 1–20 | median ms 181–200 | ratio | events 1–20 | events 181–200 | failed "
        "| off script |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        turns = len(run.latencies_ms)
        last_first = max(turns - WINDOW_TURNS + 1, 1)
        failed = sum(1 for v in run.latencies_ms if math.isnan(v))
        lines.append(
            f"| {run.label} | {turns} | {_ms(run.block_median(1))} | {_ms(run.block_median(last_first))} | "
            f"{run.ratio():.2f} | {_events(run.block_events(1, WINDOW_TURNS))} | "
            f"{_events(run.block_events(last_first, turns))} | "
            f"{failed} | {sum(run.off_script.values())} |"
        )
    lines += ["", "Events: the largest current Rasa session read in the block / all sessions at its end.", ""]
    for run in runs:
        blocks = ", ".join(f"{first}–{last}: {_ms(median)} ms" for first, last, median, _ in run.blocks())
        lines.append(f"- {run.label}: {blocks}")
        lines += [f"  - note: {note}" for note in run.notes]
    return "\n".join(lines) + "\n"
