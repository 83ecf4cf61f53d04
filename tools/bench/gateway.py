"""``python -m bot bench-gateway``: the gateway's own cost per resident turn, without Rasa (issue 18).

The web app (:func:`bot.web.app.create_app`) runs in this process; a resident in a second process
(``multiprocessing``, spawn) holds conversations over ``/ws/chat``, one message at a time, each waiting for
the bot's reply. The same second process runs a **stand-in for Rasa**: a tiny aiohttp server answering the
gateway channel's REST webhook with one fixed reply. It is no mock of an available service — the real Rasa
runs in the stack tests and ``python -m bot bench`` — it stands in for Rasa so that what is measured is the
gateway alone: everything this process spends on a turn is the gateway's cost.

Per turn it prints the CPU milliseconds of this process (all threads: the SQLite driver's and the language
detection's executor threads included) and a breakdown by stage, each timed around the gateway's own calls
(CPU and wall clock; a stage's figures include what other tasks of the same turn did meanwhile, so stages
may overlap a little):

- **storage**: every call into SQLAlchemy's async layer (queries, flushes, commits, closing sessions);
- **language ID**: :func:`bot.core.langid.decide`, ``foreign_language`` and ``text_language`` as the intake calls them;
- **JSON**: encoding the socket's outgoing events and decoding its incoming frames;
- **hub**: :meth:`bot.chat.hub.Hub.publish` (fan-out to the sockets, which includes their JSON encoding);
- **presence**: :meth:`bot.chat.presence.Presence.anyone_available`, asked before each Rasa call;
- **Rasa call**: :meth:`bot.chat.rasa_client.RasaClient.send` (HTTP and JSON on our side; the stand-in's
  CPU is in the other process, its wall time is not).

Language detection's models are loaded before the measurement (:func:`bot.core.langid.warm_up`), and one
conversation is held first unmeasured, so the figures are the steady state. Timings on a shared machine are
indicative; the call counts per turn are exact.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import json
import multiprocessing
import pstats
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.settings import Settings

SCRIPT = (
    "Hej, jag vill lämna en synpunkt om snöröjningen på min gata",
    "ja",
    "Gatlampan utanför Storgatan 5 har varit trasig i två veckor.",
    "Storgatan 5",
    "igår",
    "nej",
    "Anna Berg",
    "anna.berg@example.se",
    "Jag undrar också när återvinningscentralen har öppet på lördagar",
    "/affirm",
)
"""What a resident types in one conversation, turn by turn: free text in Swedish (the first message decides
the language), form answers, a long later message (checked for a foreign language and its own language)."""
REPLY = "Tack! Vad vill du göra nu?"
"""The stand-in's one reply to every message."""
STAGES = ("storage", "language ID", "JSON", "hub", "presence", "Rasa call")


@dataclass
class Stage:
    """Calls, CPU seconds and wall seconds spent in one stage."""

    calls: int = 0
    cpu: float = 0.0
    wall: float = 0.0


@dataclass
class Stages:
    """The stages being timed; only counted while :attr:`on`."""

    on: bool = False
    by_name: dict[str, Stage] = field(default_factory=lambda: defaultdict(Stage))
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def count(self, name: str) -> None:
        """Count one event (an SQL statement, a database connection opened) while :attr:`on`."""
        if self.on:
            self.counts[name] += 1

    @contextlib.contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Count the block's CPU (``time.process_time``) and wall time under ``name``."""
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            if self.on:
                stage = self.by_name[name]
                stage.calls += 1
                stage.cpu += time.process_time() - cpu
                stage.wall += time.perf_counter() - wall

    def wrap_async(self, name: str, fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """``fn`` (a coroutine function) timed under ``name``."""

        async def timed_call(*args: Any, **kwargs: Any) -> Any:
            with self.timed(name):
                return await fn(*args, **kwargs)

        return timed_call

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` (a plain function) timed under ``name``."""

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            with self.timed(name):
                return fn(*args, **kwargs)

        return timed_call


def instrument(stages: Stages) -> None:
    """Time the gateway's stages by wrapping the functions named in the module docstring (this process only)."""
    import sqlalchemy.ext.asyncio.engine as sa_engine
    import sqlalchemy.ext.asyncio.result as sa_result
    import sqlalchemy.ext.asyncio.session as sa_session
    from aiohttp import web_ws
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.pool import Pool

    import bot.chat.intake as intake
    import bot.web.sockets as sockets
    from bot.chat.hub import Hub
    from bot.chat.presence import Presence
    from bot.chat.rasa_client import RasaClient

    event.listen(Engine, "before_cursor_execute", lambda *_: stages.count("SQL statements"))
    event.listen(Engine, "commit", lambda *_: stages.count("commits"))
    event.listen(Pool, "connect", lambda *_: stages.count("database connections opened"))
    event.listen(Pool, "checkout", lambda *_: stages.count("connection checkouts (sessions)"))
    for module in (sa_engine, sa_result, sa_session):
        module.greenlet_spawn = stages.wrap_async("storage", module.greenlet_spawn)  # type: ignore[attr-defined]
    for name in ("decide", "foreign_language", "text_language"):
        setattr(intake, name, stages.wrap("language ID", getattr(intake, name)))
    kwdefaults = web_ws.WebSocketResponse.send_json.__kwdefaults__
    kwdefaults["dumps"] = stages.wrap("JSON", kwdefaults["dumps"])
    sockets.json = type("TimedJson", (), {"loads": staticmethod(stages.wrap("JSON", json.loads))})  # type: ignore[assignment]
    Hub.publish = stages.wrap_async("hub", Hub.publish)  # type: ignore[method-assign]
    Presence.anyone_available = stages.wrap_async("presence", Presence.anyone_available)  # type: ignore[method-assign]
    RasaClient.send = stages.wrap_async("Rasa call", RasaClient.send)  # type: ignore[method-assign]


# -- the other process: the stand-in for Rasa and the resident ------------------------------------------


async def _stand_in(port: int) -> Any:
    from aiohttp import web

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response([{"recipient_id": body.get("sender"), "text": REPLY}])

    async def status(request: web.Request) -> web.Response:
        return web.json_response({"model_file": "stand-in.tar.gz", "model_id": "stand-in"})

    app = web.Application()
    app.router.add_post("/webhooks/gateway/webhook", webhook)
    app.router.add_get("/status", status)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def _resident(url: str, conversations: int) -> list[float]:
    """Hold ``conversations`` conversations of :data:`SCRIPT`; seconds from each send to the bot's reply."""
    import aiohttp

    latencies = []
    async with aiohttp.ClientSession() as http:
        for _ in range(conversations):
            async with http.ws_connect(f"{url}/ws/chat") as ws:
                await ws.send_json({"type": "hello", "language": "sv"})
                while (await ws.receive_json(timeout=30))["type"] != "welcome":
                    pass
                for number, text in enumerate(SCRIPT):
                    started = time.perf_counter()
                    await ws.send_json({"type": "message", "text": text, "client_id": f"m{number}"})
                    while True:
                        event = await ws.receive_json(timeout=30)
                        if event["type"] == "message" and event["sender"] in ("bot", "system"):
                            break
                    latencies.append(time.perf_counter() - started)
    return latencies


def _other_process(rasa_port: int, pipe: Any) -> None:
    """Run the stand-in for Rasa; on each ``(url, conversations)`` from ``pipe`` hold them and send back latencies."""

    async def main() -> None:
        runner = await _stand_in(rasa_port)
        pipe.send("ready")
        loop = asyncio.get_running_loop()
        while (order := await loop.run_in_executor(None, pipe.recv)) is not None:
            pipe.send(await _resident(*order))
        await runner.cleanup()

    asyncio.run(main())


# -- this process: the web app ----------------------------------------------------------------------------


@dataclass
class Result:
    """Figures of one run: turns measured, CPU seconds of this process, per-stage figures, turn latencies."""

    database: str
    turns: int
    cpu: float
    wall: float
    stages: dict[str, Stage]
    counts: dict[str, int]
    latencies: list[float]
    profile: str = ""


async def _serve_and_measure(settings: Settings, pipe: Any, conversations: int, profile: bool) -> Result:
    from aiohttp import web

    from bot.core.langid import warm_up
    from bot.web.app import create_app
    from tests.helpers.ports import free_port

    stages = Stages()
    instrument(stages)
    warm_up()  # models loaded before anything is measured
    port = free_port()
    runner = web.AppRunner(create_app(settings.with_overrides(port=port)), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    loop = asyncio.get_running_loop()
    url = f"http://127.0.0.1:{port}"
    try:
        pipe.send((url, 1))  # one conversation unmeasured: connections, caches, compiled queries
        await loop.run_in_executor(None, pipe.recv)
        profiler = cProfile.Profile() if profile else None
        stages.on = True
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        pipe.send((url, conversations))
        latencies = await loop.run_in_executor(None, pipe.recv)
        if profiler:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        stages.on = False
    finally:
        await runner.cleanup()
    top = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        top = out.getvalue()
    kind = settings.database_url.split(":")[0]
    return Result(kind, len(latencies), cpu, wall, dict(stages.by_name), dict(stages.counts), latencies, top)


def run(settings: Settings, conversations: int, profile: bool = False) -> Result:
    """One measured run of ``conversations`` conversations against a web app on ``settings.database_url``.

    The database must exist and be migrated; Rasa's URL is replaced by the stand-in's.
    """
    from tests.helpers.ports import free_port

    rasa_port = free_port()
    settings = settings.with_overrides(rasa_port=rasa_port, rasa_processes=1, warm_up_language_detection=False)
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    other = multiprocessing.get_context("spawn").Process(target=_other_process, args=(rasa_port, theirs), daemon=True)
    other.start()
    try:
        if ours.recv() != "ready":
            raise RuntimeError("the stand-in for Rasa did not start")
        return asyncio.run(_serve_and_measure(settings, ours, conversations, profile))
    finally:
        ours.send(None)
        other.join(10)


def table(result: Result) -> str:
    """Markdown table of one run: per stage calls per turn, CPU ms per turn, wall ms per turn."""
    turns = max(result.turns, 1)
    lines = [
        f"{result.database}: {result.turns} turns, gateway CPU {1000 * result.cpu / turns:.2f} ms per turn "
        f"(this process, all threads), turn latency median {1000 * statistics.median(result.latencies):.1f} ms",
        "",
        "| stage | calls per turn | CPU ms per turn | wall ms per turn |",
        "|---|---:|---:|---:|",
    ]
    for name in STAGES:
        stage = result.stages.get(name, Stage())
        lines.append(
            f"| {name} | {stage.calls / turns:.1f} | {1000 * stage.cpu / turns:.2f} | {1000 * stage.wall / turns:.2f} |"
        )
    counted = ", ".join(f"{name} {count / turns:.1f}" for name, count in sorted(result.counts.items()))
    lines += ["", f"Per turn: {counted}."]
    return "\n".join(lines)


@contextlib.contextmanager
def database(kind: str, pg_admin_dsn: str) -> Iterator[str]:
    """A fresh, migrated database (``sqlite`` in a temporary folder, or ``postgresql``); yields its URL."""
    from bot.store.migrate import upgrade
    from tests.helpers.postgres import create_database, drop_database, sqlalchemy_url

    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            yield url
        return
    name = f"bench_gateway_{uuid.uuid4().hex[:8]}"
    asyncio.run(create_database(name, pg_admin_dsn))
    try:
        upgrade(sqlalchemy_url(name))
        yield sqlalchemy_url(name)
    finally:
        asyncio.run(drop_database(name, pg_admin_dsn))


def main(settings: Settings, databases: list[str], conversations: int, pg_admin_dsn: str, profile: bool) -> int:
    """Run the benchmark on each database kind and print the tables; 0."""
    print(f"{conversations} conversations of {len(SCRIPT)} turns each; CPU figures are indicative on a shared machine")
    for kind in databases:
        with database(kind, pg_admin_dsn) as url:
            result = run(settings.with_overrides(database_url=url), conversations, profile)
        print()
        print(table(result))
        if result.profile:
            print(result.profile)
    return 0
