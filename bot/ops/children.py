"""What ``python -m bot run`` starts, and where: the three parts, their command lines and health checks.

A deployment has three parts (:data:`PARTS`): the web app (``web``), the Rasa server process(es)
(``rasa``) and the action server (``actions``). ``python -m bot run`` runs all three on one machine;
``python -m bot run --only <part>`` runs one of them, so that each can live on a host of its own
(docs/deployment.md). Each part listens on its own address from the settings (``KOMMUN_HOST``,
``KOMMUN_RASA_HOST``, ``KOMMUN_ACTION_HOST``, all 127.0.0.1 unless set) and reaches the others at
``KOMMUN_RASA_URLS`` and ``KOMMUN_ACTION_URL``. The supervisor (:mod:`bot.ops.supervisor`) starts,
watches and stops the :class:`Child` processes built here.
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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp
import yaml

from bot.chat.rasa_client import RasaClient, action_server_status
from bot.core.internal_keys import private_file
from bot.core.settings import Settings, reachable_host

STOP_GRACE_SECONDS = 10.0

PARTS = ("web", "rasa", "actions")
"""The parts ``--only`` accepts: the web app, the Rasa server process(es), the action server."""

SHARED_SECRETS = {
    "web": ("KOMMUN_RASA_TOKEN", "KOMMUN_ACTION_TOKEN", "KOMMUN_SESSION_SECRET"),
    "rasa": ("KOMMUN_RASA_TOKEN", "KOMMUN_ACTION_TOKEN"),
    "actions": ("KOMMUN_ACTION_TOKEN",),
}
"""Part → the secrets it shares with parts on other hosts (the same value everywhere).

The gateway calls Rasa with ``KOMMUN_RASA_TOKEN`` and opens check codes sealed under
``KOMMUN_ACTION_TOKEN``; Rasa checks the first and sends the second to the action server, which checks
it and seals with it; web apps behind one proxy read each other's staff cookies (``KOMMUN_SESSION_SECRET``).
"""

SETTING_OF = {
    "KOMMUN_RASA_TOKEN": "rasa_token",
    "KOMMUN_ACTION_TOKEN": "action_token",
    "KOMMUN_SESSION_SECRET": "session_secret",
}
"""Variable of a shared secret → its :class:`Settings` field."""


def missing_secrets(settings: Settings, part: str) -> list[str]:
    """The variables of :data:`SHARED_SECRETS` ``[part]`` that ``settings`` leaves empty (in that order).

    Raises:
        KeyError: ``part`` is not one of :data:`PARTS`.
    """
    return [name for name in SHARED_SECRETS[part] if not getattr(settings, SETTING_OF[name])]


@dataclass
class Child:
    """One supervised process: its command, where it serves, log file and health check (``True`` when ready)."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    healthy: Callable[[aiohttp.ClientSession], Awaitable[bool]]
    url: str = ""
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
    ``${KOMMUN_ACTION_URL}`` is where Rasa reaches the action server (:attr:`Settings.action_server_url`:
    the variable when set, else this host's action server).

    Raises:
        KeyError: the template names a variable the settings do not provide.
    """
    values = {**settings.child_env(), "KOMMUN_ACTION_URL": settings.action_server_url}
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


def rasa_command(
    model: Path,
    port: int,
    endpoints: Path,
    credentials: Path,
    token: str | None = None,
    host: str = "127.0.0.1",
    module: str = "bot.rasa_server",
) -> list[str]:
    """The command line of a Rasa server on ``host``:``port`` serving ``model``.

    With ``token`` its HTTP API is on, guarded by that token; without, only the channels of
    ``credentials`` answer (the load benchmark's bare Rasa). ``module``: :mod:`bot.rasa_server` (Rasa
    without jax) or ``"rasa"`` itself (the load benchmark's bare ``rasa run``).
    """
    api = ["--enable-api", f"--auth-token={token}"] if token is not None else []
    # "=" form above: a random token may start with "-", which argparse would take for an option.
    return [
        sys.executable,
        "-m",
        module,
        "run",
        "--model",
        str(model),
        *api,
        "--interface",
        host,
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
    """Rasa server process ``index`` (0-based) on ``rasa_host``:``rasa_port + index``, logging to ``rasa[-N].log``."""
    url = settings.local_rasa_urls[index]

    async def rasa_ok(http: aiohttp.ClientSession) -> bool:
        return bool((await RasaClient(http, url, settings.rasa_token).status())["ok"])

    port, endpoints = settings.rasa_port + index, render_endpoints(settings)
    return Child(
        "Rasa server" if settings.rasa_processes == 1 else f"Rasa server {index + 1}",
        rasa_command(model, port, endpoints, Path("credentials.yml"), settings.rasa_token, settings.rasa_host),
        env,
        logs / ("rasa.log" if index == 0 else f"rasa-{index + 1}.log"),
        rasa_ok,
        url,
    )


def build_children(settings: Settings, model: Path | None, parts: Sequence[str] = PARTS) -> list[Child]:
    """The processes of ``parts`` in start order (action server, Rasa server(s), web app), with ``settings``.

    ``model`` is needed only with ``rasa``. In the production profile the action server runs as many
    Sanic workers as there are Rasa processes. Rasa's telemetry is off (``RASA_TELEMETRY_ENABLED=false``)
    unless the environment turns it on: a municipality's assistant sends nothing about its use to a third party.

    Raises:
        ValueError: ``rasa`` is among ``parts`` without a ``model``.
    """
    env = {"RASA_TELEMETRY_ENABLED": "false", **os.environ, **settings.child_env(), "PYTHONUNBUFFERED": "1"}
    logs = settings.data_dir / "logs"
    web_url = f"http://{reachable_host(settings.host)}:{settings.port}"

    async def actions_ok(http: aiohttp.ClientSession) -> bool:
        return bool((await action_server_status(http, settings.local_action_url))["ok"])

    async def web_ok(http: aiohttp.ClientSession) -> bool:
        try:
            async with http.get(f"{web_url}/healthz", timeout=aiohttp.ClientTimeout(total=3)):
                return True
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    children = []
    if "actions" in parts:
        workers = {"SANIC_HOST": settings.action_host, "ACTION_SERVER_SANIC_WORKERS": str(settings.rasa_processes)}
        command, url = action_server_command(settings.action_port), settings.local_action_url
        children.append(Child("action server", command, {**env, **workers}, logs / "actions.log", actions_ok, url))
    if "rasa" in parts:
        if model is None:
            raise ValueError("the Rasa server needs a model")
        children.extend(rasa_child(settings, model, index, env, logs) for index in range(settings.rasa_processes))
    if "web" in parts:
        serve = [sys.executable, "-m", "bot", "serve"]
        children.append(Child("web app", serve, env, logs / "web.log", web_ok, web_url))
    return children


def busy_ports(settings: Settings, parts: Sequence[str] = PARTS) -> list[str]:
    """Which addresses (``host:port``) of ``parts`` something already listens on."""
    addresses = []
    if "web" in parts:
        addresses.append((reachable_host(settings.host), settings.port))
    if "rasa" in parts:
        rasa_host = reachable_host(settings.rasa_host)
        addresses.extend((rasa_host, settings.rasa_port + i) for i in range(settings.rasa_processes))
    if "actions" in parts:
        addresses.append((reachable_host(settings.action_host), settings.action_port))
    busy = []
    for host, port in addresses:
        with socket.socket(socket.AF_INET6 if host.startswith("[") else socket.AF_INET) as probe:
            probe.settimeout(0.5)
            if probe.connect_ex((host.strip("[]"), port)) == 0:
                busy.append(f"{host}:{port}")
    return busy
