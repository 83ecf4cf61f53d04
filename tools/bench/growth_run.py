"""``python -m bot bench --growth``: the long conversation against the stack's profiles and bare ``rasa run``.

Each target is started by :mod:`tools.bench.runner` (as the load benchmark starts it); the driver here
holds one conversation of :data:`~tools.bench.growth.GROWTH_TURNS` turns (:mod:`tools.bench.growth`) and
reads the size of Rasa's tracker after every block of 20 turns through Rasa's HTTP API
(``GET /conversations/<id>/tracker?include_events=ALL``, outside the timed turns). The stack's
conversation id is found from the session token of ``welcome`` (the gateway stores only its digest).
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import aiohttp

from bot.core.settings import Settings
from tools.bench.channels import RestChannel, StackChannel
from tools.bench.growth import (
    TARGET_GROWTH,
    WINDOW_TURNS,
    GrowthRun,
    Turns,
    count_events,
    hold_conversation,
    read_tracker_after,
    render_growth,
    render_growth_markdown,
)
from tools.bench.runner import BenchOptions, Driver, Started, run_bare, run_stack


async def tracker_events(http: aiohttp.ClientSession, rasa_api: tuple[str, str], sender: str) -> tuple[int, int]:
    """``(events in the current session, events in all sessions)`` of ``sender``'s tracker (Rasa's HTTP API).

    Raises:
        aiohttp.ClientError: Rasa did not answer with the tracker.
    """
    base, token = rasa_api
    params = {"token": token, "include_events": "ALL"}
    async with http.get(f"{base}/conversations/{sender}/tracker", params=params) as response:
        response.raise_for_status()
        return count_events((await response.json()).get("events") or [])


async def conversation_id(database_url: str, token: str) -> str | None:
    """The stack's conversation id of a session token (its database, as the gateway looks it up)."""
    from bot.store.conversations import find_by_token
    from bot.store.db import create_engine, session_factory

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            conversation = await find_by_token(session, token)
            return conversation.id if conversation else None
    finally:
        await engine.dispose()


def growth_driver(run: GrowthRun) -> Driver:
    """A driver (:data:`tools.bench.runner.Driver`) that holds the long conversation and fills ``run``."""

    async def drive(options: BenchOptions, started: Started) -> None:
        print(f">> {run.label}: one resident, {options.growth_turns} turns", flush=True)
        sender: list[str] = []
        timeout = aiohttp.ClientTimeout(total=None)
        async with aiohttp.ClientSession(timeout=timeout) as http, aiohttp.ClientSession() as api:
            channel = started.channel(http, "g1", started.stats)

            async def after_turn(turn: int) -> None:
                if not read_tracker_after(turn, options.growth_turns):
                    return
                if started.rasa_api is not None and not sender:
                    if isinstance(channel, RestChannel):
                        sender.append(channel.sender)
                    elif isinstance(channel, StackChannel) and channel.token and started.database_url:
                        found = await conversation_id(started.database_url, channel.token)
                        sender.extend([found] if found else [])
                if started.rasa_api is not None and sender:
                    try:
                        run.events[turn] = await tracker_events(api, started.rasa_api, sender[0])
                    except aiohttp.ClientError as exc:
                        run.notes.append(f"tracker not read after turn {turn}: {exc!r}")
                if turn % WINDOW_TURNS == 0:
                    median = run.block_median(turn - WINDOW_TURNS + 1, turn)
                    print(f"   turns {turn - WINDOW_TURNS + 1}–{turn}: median {median:.0f} ms", flush=True)

            turns = Turns(channel, run, options.growth_turns, after_turn=after_turn)
            await hold_conversation(channel, started.script, turns)
        started.result.summary = started.stats.summary(1.0)

    return drive


async def _growth(options: BenchOptions, settings: Settings, model: Path, workdir: Path) -> list[GrowthRun]:
    profiles = ["embedded", "production"] if options.profile == "both" else [options.profile]
    runs: list[GrowthRun] = []
    for profile in profiles:
        run = GrowthRun(profile)
        result = await run_stack(options, settings, profile, workdir, growth_driver(run))
        run.ready_s, run.processes, run.notes = result.ready_s, result.processes, run.notes + result.notes
        runs.append(run)
    if options.baseline:
        run = GrowthRun("bare rasa")
        result = await run_bare(options, settings, model, workdir, growth_driver(run))
        run.ready_s, run.notes = result.ready_s, run.notes + result.notes
        runs.append(run)
    return runs


def main(options: BenchOptions, settings: Settings) -> int:
    """Run the long conversation on every target, print the report, append ``--markdown``; 0 when on target.

    Raises:
        bot.ops.training.TrainingError: no model is cached for the current inputs.
    """
    from tools.bench.load import run_in_workdir
    from tools.bench.report import machine_info

    when, machine = datetime.now(), machine_info()
    ran = run_in_workdir(settings, "kommun-growth-", lambda model, workdir: _growth(options, settings, model, workdir))
    if isinstance(ran, int):
        return ran
    runs, workdir = ran
    print(render_growth(runs))
    if options.markdown:
        with options.markdown.open("a", encoding="utf-8") as out:
            out.write("\n" + render_growth_markdown(runs, machine, options.command, when))
        print(f">> appended to {options.markdown}")
    if options.keep or any(r.errors for r in runs):
        print(f">> logs kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(r.ratio() <= TARGET_GROWTH for r in runs) else 1
