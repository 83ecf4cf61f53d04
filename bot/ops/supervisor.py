"""``python -m bot run [--only web|rasa|actions]``: migrate, train if needed, then run and watch the parts.

Children (:mod:`bot.ops.children`): the action server (rasa-sdk), the Rasa server(s) and the web app,
each in its own process group with its log in ``<data dir>/logs/<name>.log``. The supervisor waits
until each answers its health check, prints what runs where, restarts a child that dies (with
backoff), and on Ctrl-C or SIGTERM stops them all (SIGTERM, then SIGKILL after a grace period).

With ``--only`` it runs one part, for deployments with the parts on separate hosts
(docs/deployment.md): the parts then share state only through PostgreSQL and Redis, and their secrets
must come from the environment, the same on every host (:func:`only_problem`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from bot.chat.rasa_client import RasaClient, action_server_status
from bot.core.internal_keys import with_internal_secrets
from bot.core.settings import Settings
from bot.ops.children import (
    PARTS,
    Child,
    build_children,
    busy_ports,
    missing_secrets,
    prepare_tracker_store,
)

READY_TIMEOUT_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 30.0
REMOTE_REPORT_SECONDS = 30.0
"""``--only web``: seconds between two reports of the Rasa servers or the action server it still waits for."""

SECRET_RECIPE = "python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"  # noqa: S105
"""A command that makes a value fit for every shared secret (``KOMMUN_SESSION_SECRET`` needs 32 bytes in base64)."""


def only_problem(settings: Settings, part: str) -> str | None:
    """Why ``run --only part`` cannot run with ``settings`` (a sentence saying what to set), or ``None``.

    The parts of a deployment on separate hosts share cases and Rasa's trackers only through PostgreSQL
    (a SQLite file is one host's), and secrets generated into one host's data directory would differ
    from the other hosts' (:data:`bot.ops.children.SHARED_SECRETS`).

    Raises:
        KeyError: ``part`` is not one of :data:`PARTS`.
    """
    if not settings.production:
        return (
            f"--only {part} runs one part of a deployment on several hosts, which share cases and Rasa's trackers "
            "through PostgreSQL: set DATABASE_URL=postgresql+asyncpg://user:password@host/database"
        )
    missing = missing_secrets(settings, part)
    if missing:
        return (
            f"--only {part} needs {', '.join(missing)} in the environment, the same value on every host (a value "
            f"made in this host's data directory would not match the others'); make one with {SECRET_RECIPE}"
        )
    return None


TRACKER_SESSION_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_events_session_starts ON events (sender_id, timestamp) "
    "WHERE type_name = 'session_started'"
)
OLD_TRACKER_SESSION_INDEX = "DROP INDEX IF EXISTS ix_events_session_start"
"""The index of earlier versions, on every event (sender_id, type_name, timestamp): PostgreSQL did not prefer it to
Rasa's own ``sender_id`` index on a table without statistics."""


def index_tracker_store(database_url: str) -> None:
    """Index Rasa's ``events`` table (PostgreSQL) for its "latest session" query; once Rasa has created the table.

    Rasa's SQL tracker store reads a conversation's latest session with a ``max(timestamp)`` sub-query over its
    ``session_started`` events. On a table without statistics (a new database, until autovacuum's first ANALYZE,
    1–3 minutes) PostgreSQL runs that sub-query again for every event of the conversation, each time over all of
    them: 138 ms for 1,200 events, and turns grew from 77 to 223 ms in 140 turns (issue 18, docs/benchmarks.md).
    A partial index of the ``session_started`` events alone is the cheapest path with or without statistics: the
    sub-query runs once, 0.5 ms for the same 1,200 events. Drops the index of earlier versions. Idempotent.

    Raises:
        sqlalchemy.exc.DBAPIError: the database refused (no ``events`` table yet, no right to create an index).
    """
    from sqlalchemy import create_engine, text

    from bot.store.db import sync_url

    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            connection.execute(text(TRACKER_SESSION_INDEX))
            connection.execute(text(OLD_TRACKER_SESSION_INDEX))
    finally:
        engine.dispose()


async def _wait_ready(child: Child, http: aiohttp.ClientSession, stop: asyncio.Event) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not stop.is_set() and time.monotonic() < deadline:
        if child.process is not None and child.process.returncode is not None:
            return False
        if await child.healthy(http):
            return True
        await asyncio.sleep(0.5)
    return False


async def await_other_hosts(settings: Settings, http: aiohttp.ClientSession, stop: asyncio.Event) -> None:
    """``--only web``: wait until every Rasa URL and the action server answer, saying what it waits for.

    Never fails: Rasa may start after the web app (or be restarted); meanwhile the web app tells
    residents the assistant is not ready and retries their messages. Reports every
    :data:`REMOTE_REPORT_SECONDS` seconds, then once when all answer.
    """
    next_report = 0.0
    while not stop.is_set():
        states = await asyncio.gather(
            *(RasaClient(http, url, settings.rasa_token).status() for url in settings.rasa_urls),
            action_server_status(http, settings.action_server_url),
        )
        names = [
            *(f"Rasa at {url}" for url in settings.rasa_urls),
            f"the action server at {settings.action_server_url}",
        ]
        waiting = [f"{name} ({state['detail']})" for name, state in zip(names, states, strict=True) if not state["ok"]]
        if not waiting:
            print(f">> {', '.join(names)} answer: the assistant is ready", flush=True)
            return
        if time.monotonic() >= next_report:
            hint = " — is KOMMUN_RASA_TOKEN the same as on the Rasa hosts?" if "HTTP 401" in str(waiting) else ""
            print(
                f".. waiting for {'; '.join(waiting)}{hint}. The web app answers meanwhile: residents are told the "
                "assistant is not ready and their messages wait (KOMMUN_RASA_URLS, KOMMUN_ACTION_URL)",
                flush=True,
            )
            next_report = time.monotonic() + REMOTE_REPORT_SECONDS
        try:
            await asyncio.wait_for(stop.wait(), 2.0)
        except asyncio.TimeoutError:
            pass


def _where(settings: Settings, parts: Sequence[str]) -> str:
    """What the parts run here reach on other hosts (nothing when all run here)."""
    if "web" in parts and "rasa" not in parts:
        return f"   the web app sends conversations to Rasa at {', '.join(settings.rasa_urls)}"
    if "rasa" in parts and "actions" not in parts:
        return f"   Rasa calls the action server at {settings.action_server_url}"
    return ""


async def supervise(
    settings: Settings, model: Path | None, stop: asyncio.Event | None = None, parts: Sequence[str] = PARTS
) -> int:
    """Run the children of ``parts`` until ``stop`` is set (or SIGINT/SIGTERM); returns the exit code."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if "rasa" in parts and settings.rasa_processes > 1 and not settings.redis_url:
        print(
            "!! KOMMUN_RASA_PROCESSES > 1 needs REDIS_URL: several Rasa servers share one lock store (Redis).",
            file=sys.stderr,
        )
        return 1
    busy = busy_ports(settings, parts)
    if busy:
        print(
            f"!! {', '.join(busy)} already in use: is the assistant already running? Stop it, or set "
            "KOMMUN_PORT, KOMMUN_RASA_PORT and KOMMUN_ACTION_PORT (or their hosts) to free ones.",
            file=sys.stderr,
        )
        return 1
    children = build_children(settings, model, parts)
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        others: asyncio.Task[None] | None = None
        try:
            for child in children:
                print(f">> starting the {child.name} on {child.url} (log: {child.log_path})", flush=True)
                await child.start(settings.project_root)
            if where := _where(settings, parts):
                print(where, flush=True)
            for child in children:
                if not await _wait_ready(child, http, stop):
                    if stop.is_set():
                        return 0
                    print(f"!! the {child.name} did not become ready. Last lines of its log:", file=sys.stderr)
                    print(child.log_tail(), file=sys.stderr)
                    return 1
                print(f">> {child.name} ready on {child.url} ({time.monotonic() - started:.0f} s)", flush=True)
            if settings.production and "rasa" in parts:  # Rasa has created its tables by now
                await _index_tracker_store(settings)
            if "web" in parts:
                print(f"\n   Open {settings.web_url} to chat with the assistant. Stop with Ctrl-C.\n", flush=True)
                if "rasa" not in parts:
                    others = asyncio.create_task(await_other_hosts(settings, http, stop))
            else:
                print(f"\n   Serving {', '.join(child.url for child in children)}. Stop with Ctrl-C.\n", flush=True)
            while not stop.is_set():
                for child in children:
                    if child.process is not None and child.process.returncode is not None:
                        await _restart(child, settings, http, stop)
                try:
                    await asyncio.wait_for(stop.wait(), 1.0)
                except asyncio.TimeoutError:
                    pass
            return 0
        finally:
            if others is not None:
                others.cancel()
            print(">> stopping", flush=True)
            for child in reversed(children):
                await child.stop()


async def _index_tracker_store(settings: Settings) -> None:
    from sqlalchemy.exc import DBAPIError

    try:
        await asyncio.to_thread(index_tracker_store, settings.database_url)
    except DBAPIError as exc:
        print(f"!! could not index Rasa's events table ({exc.__class__.__name__}): long chats get slower", flush=True)


async def _restart(child: Child, settings: Settings, http: aiohttp.ClientSession, stop: asyncio.Event) -> None:
    code = child.process.returncode if child.process else None
    if child.process is not None:
        # Workers of a crashed parent (the action server's Sanic workers) would keep its port: end them.
        try:
            os.killpg(child.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    child.restarts += 1
    backoff = min(2 ** min(child.restarts, 5), MAX_BACKOFF_SECONDS) if time.monotonic() - child.started_at < 60 else 1
    print(f"!! the {child.name} exited with {code}; restarting in {backoff:.0f} s (see {child.log_path})", flush=True)
    try:
        await asyncio.wait_for(stop.wait(), backoff)
        return
    except asyncio.TimeoutError:
        pass
    await child.start(settings.project_root)
    if await _wait_ready(child, http, stop):
        print(f">> {child.name} ready again", flush=True)


def run(settings: Settings, only: str | None = None) -> int:
    """The whole ``run`` command: secrets, migrations, model, then :func:`supervise`; the exit code.

    Without ``only`` the internal secrets come from the settings or the data directory
    (:mod:`bot.core.internal_keys`); with it they must be set (:func:`only_problem`, exit code 1 with the
    reason). The parts that use the database (web app, action server) migrate it — several hosts at
    once is safe (an advisory lock, ``bot/store/migrations/env.py``); only the Rasa part needs the
    model (trained here if its inputs changed).

    Raises:
        bot.ops.training.TrainingError: the model could not be trained.
    """
    from bot.ops.training import ensure_model
    from bot.store.migrate import upgrade

    parts = PARTS if only is None else (only,)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if only is None:
        settings = with_internal_secrets(settings)
    elif problem := only_problem(settings, only):
        print(f"error: {problem}", file=sys.stderr)
        return 1
    if not settings.production:
        prepare_tracker_store(settings.data_dir / "tracker.db")
    if "web" in parts or "actions" in parts:
        upgrade(settings.database_url)
    model = ensure_model(settings.project_root, settings.model_cache_dir) if "rasa" in parts else None
    return asyncio.run(supervise(settings, model, parts=parts))
