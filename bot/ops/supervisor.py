"""``python -m bot run``: migrate, train if needed, then run and watch the three processes.

Children: the action server (rasa-sdk), the Rasa server and the web app, each in its own process
group with its log in ``<data dir>/logs/<name>.log``. The supervisor waits until each answers its
health check, prints the URL to open, restarts a child that dies (with backoff), and on Ctrl-C or
SIGTERM stops all three (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
import yaml

from bot.chat.rasa_client import RasaClient, action_server_status
from bot.core.internal_keys import private_file, with_internal_secrets
from bot.core.settings import Settings

STOP_GRACE_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 300.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass
class Child:
    """One supervised process: its command, log file and health check (``True`` when ready)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    healthy: Callable[[aiohttp.ClientSession], Awaitable[bool]]
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    async def start(self, cwd: Path) -> None:
        """Start the process, appending its output to the log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv, cwd=cwd, env=self.env, stdout=log, stderr=asyncio.subprocess.STDOUT, start_new_session=True
            )
        finally:
            log.close()
        self.started_at = time.monotonic()

    async def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL it after the grace period."""
        if self.process is None or self.process.returncode is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            await asyncio.wait_for(self.process.wait(), STOP_GRACE_SECONDS)
        except asyncio.TimeoutError:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await self.process.wait()

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the child's log."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def production_stores(settings: Settings) -> dict[str, Any]:
    """Rasa's stores for the production profile (Rasa's documented way to run several servers).

    With a PostgreSQL ``DATABASE_URL``: the SQL tracker store in the same database (Rasa's table
    ``events`` beside ours). With ``REDIS_URL``: the Redis lock store, so two Rasa processes never
    handle one conversation at the same time.
    """
    from sqlalchemy.engine import make_url

    stores: dict[str, Any] = {}
    if settings.production:
        url = make_url(settings.database_url)
        stores["tracker_store"] = {
            "type": "SQL",
            "dialect": "postgresql",
            "url": url.host or "127.0.0.1",
            "port": url.port or 5432,
            "db": url.database,
            "username": url.username,
            "password": url.password or "",
            "login_db": url.database,
        }
    if settings.redis_url:
        redis = urlparse(settings.redis_url)
        stores["lock_store"] = {
            "type": "redis",
            "url": redis.hostname or "127.0.0.1",
            "port": redis.port or 6379,
            "db": int((redis.path or "/0").strip("/") or 0),
            "password": redis.password,
            "key_prefix": "kommun",
        }
    return stores


def render_endpoints(settings: Settings) -> Path:
    """Write ``endpoints.yml`` with its ``${NAME}`` values filled from the settings; returns its path.

    The result (``<data dir>/endpoints.yml``, readable by the owner only, as it holds Rasa's token) is
    what the Rasa server reads: Rasa does not expand variables inside endpoint URLs itself.

    Raises:
        KeyError: the template names a variable the settings do not provide.
    """
    values = settings.child_env()
    template = (settings.project_root / "endpoints.yml").read_text(encoding="utf-8")
    rendered = re.sub(r"\$\{([A-Z0-9_]+)\}", lambda m: values[m.group(1)], template)
    if settings.production or settings.redis_url:
        endpoints = yaml.safe_load(rendered)
        endpoints.update(production_stores(settings))
        rendered = yaml.safe_dump(endpoints, sort_keys=False, allow_unicode=True)
    target = settings.data_dir / "endpoints.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600)
    target.write_text(rendered, encoding="utf-8")
    return target


def prepare_tracker_store(path: Path) -> None:
    """Create Rasa's SQLite tracker store readable by its owner only (0600), in WAL mode.

    Rasa creates the file with the default mode otherwise; WAL (kept in the file) lets readers go on
    while Rasa writes.
    """
    import sqlite3

    private_file(path)
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


TRACKER_SESSION_INDEX = "CREATE INDEX IF NOT EXISTS ix_events_session_start ON events (sender_id, type_name, timestamp)"


def index_tracker_store(database_url: str) -> None:
    """Index Rasa's ``events`` table (PostgreSQL) for its "latest session" query; once Rasa has created the table.

    Rasa's SQL tracker store reads a conversation's latest session with a ``max(timestamp)`` sub-query over its
    ``session_started`` events. On a table without statistics PostgreSQL runs that sub-query again for every
    event of the conversation: 0.7 s a turn after 200 turns (issue 18, docs/benchmarks.md). With this index
    it is one index lookup, run once. Idempotent.

    Raises:
        sqlalchemy.exc.DBAPIError: the database refused (no ``events`` table yet, no right to create an index).
    """
    from sqlalchemy import create_engine, text

    from bot.store.db import sync_url

    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            connection.execute(text(TRACKER_SESSION_INDEX))
    finally:
        engine.dispose()


def rasa_command(model: Path, port: int, endpoints: Path, credentials: Path, token: str | None = None) -> list[str]:
    """The command line of a Rasa server on 127.0.0.1:``port`` serving ``model``.

    With ``token`` its HTTP API is on, guarded by that token; without, only the channels of
    ``credentials`` answer (the load benchmark's bare Rasa).
    """
    api = ["--enable-api", f"--auth-token={token}"] if token is not None else []
    # "=" form above: a random token may start with "-", which argparse would take for an option.
    return [
        sys.executable,
        "-m",
        "rasa",
        "run",
        "--model",
        str(model),
        *api,
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
    ]


def action_server_command(port: int) -> list[str]:
    """The command line of the action server (``actions/``, :mod:`bot.action_server`) on ``port``."""
    return [sys.executable, "-m", "bot.action_server", "--actions", "actions", "--port", str(port)]


def rasa_child(settings: Settings, model: Path, index: int, env: dict[str, str], logs: Path) -> Child:
    """Rasa server process ``index`` (0-based) on port ``rasa_port + index``, logging to ``rasa[-N].log``."""
    url = settings.rasa_urls[index]
    port = settings.rasa_port + index

    async def rasa_ok(http: aiohttp.ClientSession) -> bool:
        return bool((await RasaClient(http, url, settings.rasa_token).status())["ok"])

    return Child(
        "Rasa server" if settings.rasa_processes == 1 else f"Rasa server {index + 1}",
        rasa_command(model, port, render_endpoints(settings), Path("credentials.yml"), settings.rasa_token),
        env,
        logs / ("rasa.log" if index == 0 else f"rasa-{index + 1}.log"),
        rasa_ok,
    )


def build_children(settings: Settings, model: Path) -> list[Child]:
    """The action server, the Rasa server(s) and the web app, with the environment carrying ``settings``.

    In the production profile the action server runs as many Sanic workers as there are Rasa processes.
    Rasa's telemetry is off (``RASA_TELEMETRY_ENABLED=false``) unless the environment turns it on: a
    municipality's assistant sends nothing about its use to a third party.
    """
    env = {"RASA_TELEMETRY_ENABLED": "false", **os.environ, **settings.child_env(), "PYTHONUNBUFFERED": "1"}
    logs = settings.data_dir / "logs"
    py = sys.executable

    async def actions_ok(http: aiohttp.ClientSession) -> bool:
        return bool((await action_server_status(http, settings.action_server_url))["ok"])

    async def web_ok(http: aiohttp.ClientSession) -> bool:
        try:
            async with http.get(f"http://127.0.0.1:{settings.port}/healthz", timeout=aiohttp.ClientTimeout(total=3)):
                return True
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    return [
        Child(
            "action server",
            action_server_command(settings.action_port),
            {**env, "SANIC_HOST": "127.0.0.1", "ACTION_SERVER_SANIC_WORKERS": str(settings.rasa_processes)},
            logs / "actions.log",
            actions_ok,
        ),
        *(rasa_child(settings, model, index, env, logs) for index in range(settings.rasa_processes)),
        Child("web app", [py, "-m", "bot", "serve"], env, logs / "web.log", web_ok),
    ]


def busy_ports(settings: Settings) -> list[int]:
    """Which of the web app's, Rasa's and the action server's ports something already listens on."""
    busy = []
    rasa_ports = [settings.rasa_port + i for i in range(settings.rasa_processes)]
    for port in (settings.port, *rasa_ports, settings.action_port):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                busy.append(port)
    return busy


async def _wait_ready(child: Child, http: aiohttp.ClientSession, stop: asyncio.Event) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not stop.is_set() and time.monotonic() < deadline:
        if child.process is not None and child.process.returncode is not None:
            return False
        if await child.healthy(http):
            return True
        await asyncio.sleep(0.5)
    return False


async def supervise(settings: Settings, model: Path, stop: asyncio.Event | None = None) -> int:
    """Run the children until ``stop`` is set (or SIGINT/SIGTERM); returns the exit code."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if settings.rasa_processes > 1 and not settings.redis_url:
        print(
            "!! KOMMUN_RASA_PROCESSES > 1 needs REDIS_URL: several Rasa servers share one lock store (Redis).",
            file=sys.stderr,
        )
        return 1
    busy = busy_ports(settings)
    if busy:
        ports = ", ".join(map(str, busy))
        print(
            f"!! port {ports} is already in use: is the assistant already running? Stop it, or set "
            "KOMMUN_PORT, KOMMUN_RASA_PORT and KOMMUN_ACTION_PORT to free ports.",
            file=sys.stderr,
        )
        return 1
    children = build_children(settings, model)
    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        try:
            for child in children:
                print(f">> starting the {child.name} (log: {child.log_path})", flush=True)
                await child.start(settings.project_root)
            for child in children:
                if not await _wait_ready(child, http, stop):
                    if stop.is_set():
                        return 0
                    print(f"!! the {child.name} did not become ready. Last lines of its log:", file=sys.stderr)
                    print(child.log_tail(), file=sys.stderr)
                    return 1
                print(f">> {child.name} ready ({time.monotonic() - started:.0f} s)", flush=True)
            if settings.production:  # Rasa has created its tables by now
                await _index_tracker_store(settings)
            print(f"\n   Open {settings.web_url} to chat with the assistant. Stop with Ctrl-C.\n", flush=True)
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


def run(settings: Settings) -> int:
    """The whole ``run`` command: secrets, migrations, model, then :func:`supervise`.

    The internal secrets come from the settings or the data directory (:mod:`bot.core.internal_keys`).

    Raises:
        bot.ops.training.TrainingError: the model could not be trained.
    """
    from bot.ops.training import ensure_model
    from bot.store.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings = with_internal_secrets(settings)
    if not settings.production:
        prepare_tracker_store(settings.data_dir / "tracker.db")
    upgrade(settings.database_url)
    model = ensure_model(settings.project_root, settings.model_cache_dir)
    return asyncio.run(supervise(settings, model))
