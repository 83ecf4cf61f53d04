"""``python -m bot bench --growth --in-process``: Rasa's Agent in this process, profiled over a long conversation.

The same long conversation as ``--growth`` (:mod:`tools.bench.growth`), but each turn is
``Agent.handle_message`` called here (no HTTP in front, no NLG endpoint: ``domain.yml``'s own
response texts), with the project's action server in a subprocess and Rasa's tracker store in memory,
in SQLite or in a fresh PostgreSQL database on 127.0.0.1 (``--tracker-store``). Per block of 20 turns:
the median turn and this process's CPU time per turn; the tracker's events by type and the time the
tracker store takes to read them back (what Rasa does at the start of every turn) at the largest
session of the first and the last block; with ``--cprofile``, cProfile of the first and the last block
(the functions with most own time, and the cumulative time of a few of Rasa's stages).

Times are milliseconds unless a name ends in ``_s``.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import logging
import pstats
import re
import signal
import statistics
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.core.settings import Settings
from tests.helpers.ports import free_port
from tests.helpers.postgres import create_database, drop_database, sqlalchemy_url
from tools.bench.channels import Reply
from tools.bench.growth import (
    WINDOW_TURNS,
    GrowthRun,
    Turns,
    hold_conversation,
    read_tracker_after,
    render_growth,
)
from tools.bench.runner import bare_env, make_script
from tools.bench.sampler import popen, stop_process
from tools.bench.stats import RunStats

if TYPE_CHECKING:
    from tools.bench.scenario import ConversationPlan

STAGES = (
    "tracker_store.py:.*\\(retrieve\\)",
    "tracker_store.py:.*\\(save\\)",
    "processor.py:.*\\(parse_message\\)",
    "processor.py:.*\\(predict_next_with_tracker_if_should\\)",
    "domain.py:.*\\(states_for_tracker_history\\)",
    "action.py:.*\\(run\\)",
    "trackers.py:.*\\(current_state\\)",
    "trackers.py:.*\\(from_dict\\)",
)
"""Functions of Rasa whose cumulative time per turn is reported (regular expressions over ``file:line(name)``)."""


class AgentChannel:
    """A resident talking to a Rasa ``Agent`` in this process (see :class:`tools.bench.channels.Channel`).

    While :attr:`profiler` is set, every turn runs under it. ``session_turns`` > 0: after every that many
    turns a ``/session_start`` message starts a new Rasa session, untimed, as the gateway does
    (``bot/chat/delivery.py``). :attr:`cpu_ms` holds this process's CPU time of each turn.
    """

    bare = True

    def __init__(self, agent: Any, matcher: Any, session_turns: int = 0) -> None:
        self.agent, self.matcher, self.session_turns = agent, matcher, session_turns
        self.language = "sv"
        self.sender = "growth-1"
        self.profiler: cProfile.Profile | None = None
        self.cpu_ms: list[float] = []

    async def open(self, plan: ConversationPlan) -> bool:
        """A new conversation of a new sender id."""
        self.language = plan.phrases.language
        return True

    async def say(self, text: str, display: str | None = None) -> Reply | None:
        """One turn through ``Agent.handle_message``; the replies as bare Rasa's REST channel gives them."""
        from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

        out = CollectingOutputChannel()
        message = UserMessage(text, out, self.sender, metadata={"language": self.language})
        started, cpu = time.perf_counter(), time.process_time()
        if self.profiler is not None:
            self.profiler.enable()
        try:
            await self.agent.handle_message(message)
        finally:
            if self.profiler is not None:
                self.profiler.disable()
        ended = time.perf_counter()
        self.cpu_ms.append((time.process_time() - cpu) * 1000.0)
        if self.session_turns and len(self.cpu_ms) % self.session_turns == 0:
            start = UserMessage("/session_start", CollectingOutputChannel(), self.sender, metadata=message.metadata)
            await self.agent.handle_message(start)
        messages = [
            {"text": m.get("text") or "", "buttons": m.get("buttons") or [], "lang": self.language}
            for m in out.messages
            if m.get("text") or m.get("buttons")
        ]
        names = [self.matcher.name(m["text"], self.language) for m in messages]
        return Reply(messages, names, ended, (ended - started) * 1000.0)

    async def close(self) -> None:
        """Nothing to close."""


def profile_table(profiler: cProfile.Profile, turns: int, top: int = 15) -> str:
    """The ``top`` functions by own time and the cumulative time of :data:`STAGES`, in ms per turn."""
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(filename).name}:{line}({name})"
        rows.append((own, cumulative, calls, where))
    total = sum(row[0] for row in rows)
    out = [f"   own ms/turn  cum ms/turn  calls/turn  function   (all own time: {1000 * total / turns:.1f} ms/turn)"]
    for own, cumulative, calls, where in sorted(rows, reverse=True)[:top]:
        out.append(f"   {1000 * own / turns:11.2f}  {1000 * cumulative / turns:11.2f}  {calls / turns:10.1f}  {where}")
    for stage in STAGES:
        found = [row for row in rows if re.search(stage, row[3])]
        if found:
            cumulative, calls = max(r[1] for r in found), max(r[2] for r in found)
            label = stage.replace("\\", "").replace(".*", "")
            out.append(f"   {label}: {1000 * cumulative / turns:.2f} ms/turn cumulative, {calls / turns:.1f} calls")
    return "\n".join(out)


async def retrieve_ms(agent: Any, sender: str, repeat: int = 10) -> tuple[float, int, Counter[str], int]:
    """Median ms of the tracker store's ``retrieve`` (the read at the start of a turn), its events, their types.

    The last item: the events of every session (``retrieve_full_tracker``).
    """
    times = []
    tracker = None
    for _ in range(repeat):
        started = time.perf_counter()
        tracker = await agent.tracker_store.retrieve(sender)
        times.append((time.perf_counter() - started) * 1000.0)
    events = list(tracker.events) if tracker is not None else []
    full = await agent.tracker_store.retrieve_full_tracker(sender)
    every = len(full.events) if full is not None else 0
    return statistics.median(times), len(events), Counter(type(e).__name__ for e in events), every


async def profile_growth(settings: Settings, model: Path, options: InProcessOptions, workdir: Path) -> str:
    """Hold the long conversation with an in-process Agent; returns the report (see the module docstring)."""
    turns, tracker_store = options.turns, options.tracker_store
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    # As `rasa run` does by default: warnings only (Rasa's debug logs would be most of a turn's time).
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    from bot.chat.rasa_client import action_server_status
    from bot.ops.children import action_server_command
    from bot.ops.supervisor import index_tracker_store

    action_port = free_port()
    env = await bare_env(workdir, free_port(), action_port)
    database = f"kommun_growth_{uuid.uuid4().hex[:10]}"
    if tracker_store == "postgresql":
        await create_database(database)
    actions = popen(action_server_command(action_port), env, settings.project_root, workdir / "logs" / "actions.log")
    try:
        async with aiohttp.ClientSession() as http:
            while not (await action_server_status(http, f"http://127.0.0.1:{action_port}"))["ok"]:
                if actions.poll() is not None:
                    raise RuntimeError("the action server exited before it was ready (see its log)")
                await asyncio.sleep(0.25)
        stores = {
            "memory": None,
            "sqlite": EndpointConfig(type="sql", dialect="sqlite", db=str(workdir / "tracker.db")),
            "postgresql": EndpointConfig(
                type="sql", dialect="postgresql", url="127.0.0.1", port=5432, db=database, username="postgres"
            ),
        }
        endpoints = AvailableEndpoints(
            action=EndpointConfig(
                f"http://127.0.0.1:{action_port}/webhook",
                headers={"Authorization": f"Bearer {env['KOMMUN_ACTION_TOKEN']}"},
            ),
            tracker_store=stores[tracker_store],
        )
        agent = await load_agent(model_path=str(model), endpoints=endpoints)
        if tracker_store == "postgresql" and options.index:  # as the supervisor does in the production profile
            await asyncio.to_thread(index_tracker_store, sqlalchemy_url(database))
        script = make_script(settings, RunStats())
        channel = AgentChannel(agent, script.matcher, options.session_turns)
        every = f", a new session every {options.session_turns} turns" if options.session_turns else ""
        run = GrowthRun(f"in-process Agent, {tracker_store} tracker store{every}")
        early, late = (cProfile.Profile(), cProfile.Profile()) if options.cprofile else (None, None)
        reads: dict[int, tuple[float, int, Counter[str], int]] = {}

        async def after_turn(turn: int) -> None:
            channel.profiler = early if turn < WINDOW_TURNS else late if turn >= turns - WINDOW_TURNS else None
            if read_tracker_after(turn, turns):
                read = await retrieve_ms(agent, channel.sender, repeat=3)
                run.events[turn] = (read[1], read[3])
                if turn in (WINDOW_TURNS - 1, turns - 1):  # the largest session (before a new one at 20, 200)
                    reads[turn] = read

        channel.profiler = early
        await hold_conversation(channel, script, Turns(channel, run, turns, 0.0, after_turn))
    finally:
        await stop_process(actions, signal.SIGTERM, 15.0)
        if tracker_store == "postgresql":
            await drop_database(database)
    out = [render_growth([run]).split("\n== target")[0]]
    cpu = GrowthRun("cpu", latencies_ms=channel.cpu_ms)
    blocks = ", ".join(f"{first}–{last}: {median:.0f}" for first, last, median, _ in cpu.blocks())
    out.append(f"CPU ms of this process per turn (median per block): {blocks}; ratio {cpu.ratio():.2f}")
    for turn, (ms, count, kinds, _) in sorted(reads.items()):
        out.append(f"after turn {turn}: tracker store read {ms:.1f} ms, {count} events in the session: {dict(kinds)}")
    if early is not None and late is not None:
        out.append(f"\nprofile of turns 1–{WINDOW_TURNS}:\n{profile_table(early, WINDOW_TURNS)}")
        out.append(f"\nprofile of turns {turns - WINDOW_TURNS + 1}–{turns}:\n{profile_table(late, WINDOW_TURNS)}")
    return "\n".join(out)


@dataclass(frozen=True)
class InProcessOptions:
    """``--turns``, ``--tracker-store`` (memory, sqlite, postgresql), ``--session-turns`` (0: none), ``--cprofile``."""

    turns: int = 200
    tracker_store: str = "memory"
    session_turns: int = 0
    cprofile: bool = False
    index: bool = True
    """With ``postgresql``: index Rasa's ``events`` table as the production profile does (``--no-index``: not)."""


def main(settings: Settings, options: InProcessOptions) -> int:
    """Run :func:`profile_growth` and print its report; 0 when done.

    Raises:
        bot.ops.training.TrainingError: no model is cached for the current inputs.
    """
    from bot.ops.training import TrainingError, cached_model

    model = cached_model(settings.project_root, settings.model_cache_dir)
    if model is None:
        raise TrainingError("no trained model for the current inputs: run `python -m bot train` (make train) first")
    with tempfile.TemporaryDirectory(prefix="kommun-inprocess-") as workdir:
        print(asyncio.run(profile_growth(settings, model, options, Path(workdir))))
    return 0
