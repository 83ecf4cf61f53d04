"""One run of the load benchmark: the stack (``python -m bot run``) or bare ``rasa run``, loaded and measured.

Simulated residents hold scripted conversations (:mod:`tools.bench.scenario`) with the real stack —
``python -m bot run`` in a subprocess with its own data directory and free ports, exactly as
``make run`` starts it — over the WebSocket ``/ws/chat``, while the RSS and CPU time of every
process of the stack are sampled. In the same run the same cached model runs behind one bare
``rasa run`` (REST webhook, in-memory tracker store, ``domain.yml``'s own response texts, no NLG
endpoint) with the action server it needs, and the same kind of residents talk to it over HTTP, so
that the stack's throughput is measured side by side with one bare Rasa process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import signal
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.core.settings import Settings
from tests.helpers.ports import free_port
from tests.helpers.postgres import ADMIN_DSN, create_database, drop_database, sqlalchemy_url
from tests.helpers.ready import StackExited, wait_ready
from tests.helpers.stack import stack_env, stack_url, start_stack
from tools.bench.channels import Channel, RestChannel, StackChannel
from tools.bench.responses import ResponseMatcher
from tools.bench.sampler import (
    READY_TIMEOUT_S,
    MemorySampler,
    kill_tree,
    log_problems,
    popen,
    stop_process,
    web_metrics,
)
from tools.bench.scenario import Pacer, Script, resident
from tools.bench.services import REDIS_KEY_PATTERN, redis_keys
from tools.bench.stats import RunResult, RunStats

STOP_TIMEOUT_S = 60.0
"""How long the supervisor gets to stop its children after SIGINT before everything left is killed."""
DEFAULT_REDIS_DB = 11


@dataclass
class BenchOptions:
    """Options of ``python -m bot bench`` (see ``--help``); times in seconds, ``rate`` in turns/s."""

    profile: str = "embedded"
    users: int = 20
    duration: float = 60.0
    warmup: float = 10.0
    rate: float | None = None
    turn_timeout: float = 30.0
    baseline: bool = True
    rasa_processes: int | None = None
    pg_admin_dsn: str = ADMIN_DSN
    redis_url: str = "redis://127.0.0.1:6379"
    redis_db: int = DEFAULT_REDIS_DB
    seed: int = 1
    markdown: Path | None = None
    json_path: Path | None = None
    keep: bool = False
    command: str = ""
    growth: bool = False
    growth_turns: int = 200


async def _load(
    options: BenchOptions,
    make_channel: Callable[[aiohttp.ClientSession, str, RunStats], Channel],
    script: Script,
    sampler: MemorySampler,
    on_window: Callable[[str], Any] | None = None,
) -> float:
    """Run ``options.users`` residents for warm-up + duration; returns the measured window in seconds."""
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    stats = script.stats
    stats.window_start = start + options.warmup
    stats.window_end = stats.window_start + options.duration
    per_user = options.rate / options.users if options.rate else None
    stop = asyncio.Event()
    sampling = loop.create_task(sampler.run(stop))
    timeout = aiohttp.ClientTimeout(total=None)
    connector = aiohttp.TCPConnector(limit=0)
    tasks: list[asyncio.Task[None]] = []
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
            for index in range(options.users):
                rng = random.Random(options.seed * 1000 + index)  # noqa: S311 - a reproducible mix, not security
                channel = make_channel(http, f"r{index + 1}", stats)
                pacer = Pacer(stats.window_end, per_user, rng)
                tasks.append(loop.create_task(resident(channel, pacer, rng, script)))
                await asyncio.sleep(min(0.05, options.warmup / max(options.users, 1)))  # spread the first hellos
            await asyncio.sleep(max(stats.window_start - time.perf_counter(), 0))
            sampler.sample("start")
            client_cpu = time.process_time()
            if on_window:
                await on_window("start")
            await asyncio.sleep(max(stats.window_end - time.perf_counter(), 0))
            sampler.sample("end")
            stats.client_cpu_s = time.process_time() - client_cpu
            if on_window:
                await on_window("end")
            # Residents start no new turn now; the turns under way finish (or time out) before the count.
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    stats.error("resident crashed", repr(outcome))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stop.set()
        await sampling
    return options.duration


@dataclass
class Started:
    """A started run, as its driver sees it.

    ``channel`` makes a resident's channel (HTTP session, name, the run's stats); ``rasa_api`` is
    ``(base URL, token)`` of (the first) Rasa server's HTTP API, or ``None`` when it is off; ``web_url``
    and ``database_url`` are the stack's web app and database (``None`` for bare Rasa).
    """

    channel: Callable[[aiohttp.ClientSession, str, RunStats], Channel]
    script: Script
    sampler: MemorySampler
    result: RunResult
    stats: RunStats
    rasa_api: tuple[str, str] | None = None
    web_url: str | None = None
    database_url: str | None = None


Driver = Callable[[BenchOptions, Started], Awaitable[None]]
"""Talks to a started run and fills its figures (:func:`drive_load`, or ``--growth``'s long conversation)."""


async def drive_load(options: BenchOptions, run: Started) -> None:
    """The load benchmark: ``options.users`` residents for warm-up + duration; fills the run's figures."""
    label = run.result.label
    print(f">> {label}: {options.users} residents for {options.warmup:.0f} + {options.duration:.0f} s", flush=True)
    metrics: dict[str, dict[str, float]] = {}
    async with aiohttp.ClientSession() as http:

        async def on_window(edge: str) -> None:
            metrics[edge] = await web_metrics(http, run.web_url or "")

        window = await _load(options, run.channel, run.script, run.sampler, on_window if run.web_url else None)
    run.result.summary = run.stats.summary(window)
    run.result.memory = run.sampler.report(window)
    start, end = metrics.get("start", {}), metrics.get("end", {})
    count = end.get("kommun_turn_seconds_count", 0) - start.get("kommun_turn_seconds_count", 0)
    if count > 0:
        seconds = end["kommun_turn_seconds_sum"] - start.get("kommun_turn_seconds_sum", 0)
        run.result.rasa = {
            "turns": count,
            "mean_ms": 1000.0 * seconds / count,
            "rasa_errors": end.get("kommun_rasa_errors_total", 0) - start.get("kommun_rasa_errors_total", 0),
        }


def make_script(settings: Settings, stats: RunStats) -> Script:
    """What the residents of a run share: its stats, the response matcher, the catalogs and the profile."""
    from bot.core.catalog import default_catalogs
    from bot.core.profile import load_profile

    catalogs = default_catalogs()
    return Script(stats, ResponseMatcher(catalogs), catalogs, load_profile(settings.profile_path))


async def _prepare_production_data(options: BenchOptions, database: str, redis_url: str, result: RunResult) -> None:
    """Create the fresh PostgreSQL database; check that the Redis db holds no ``kommun*`` keys yet.

    Raises:
        RuntimeError: PostgreSQL or Redis cannot be reached, or the Redis db is in use.
    """
    import asyncpg
    from redis.exceptions import RedisError

    try:
        await create_database(database, options.pg_admin_dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(f"cannot create a PostgreSQL database through {options.pg_admin_dsn}: {exc!r}") from exc
    try:
        leftover = await redis_keys(redis_url, delete=False)
    except (OSError, RedisError) as exc:
        raise RuntimeError(f"cannot reach Redis at {redis_url}: {exc!r}") from exc
    if leftover:
        raise RuntimeError(
            f"Redis db {options.redis_db} already holds {leftover} {REDIS_KEY_PATTERN} keys (another stack?): "
            "choose another with --redis-db"
        )


async def run_stack(
    options: BenchOptions, settings: Settings, profile: str, workdir: Path, drive: Driver | None = None
) -> RunResult:
    """Start ``python -m bot run`` in ``profile`` ("embedded"/"production"), load it, measure it, stop it.

    ``drive`` talks to the started stack (default :func:`drive_load`: the load benchmark's residents).
    """
    data_dir = workdir / profile
    data_dir.mkdir(parents=True, exist_ok=True)
    processes = 1
    database = redis_url = None
    production: dict[str, str] = {}
    if profile == "production":
        processes = options.rasa_processes or os.cpu_count() or 1
        database = f"kommun_bench_{uuid.uuid4().hex[:10]}"
        redis_url = f"{options.redis_url.rstrip('/')}/{options.redis_db}"
        production = {"DATABASE_URL": sqlalchemy_url(database), "REDIS_URL": redis_url}
    env = stack_env(data_dir, processes, KOMMUN_RASA_TOKEN=secrets.token_urlsafe(24), **production)
    rasa_port = int(env["KOMMUN_RASA_PORT"])
    url = stack_url(env)
    result = RunResult(profile, options.users, options.duration, options.rate, None, processes)
    stats = RunStats()
    script = make_script(settings, stats)
    process: subprocess.Popen[bytes] | None = None
    sampler: MemorySampler | None = None
    prepared = False
    try:
        if database is not None:
            await _prepare_production_data(options, database, redis_url or "", result)
            prepared = True
        print(f">> {profile}: starting python -m bot run (data: {data_dir})", flush=True)
        started = time.perf_counter()
        process = start_stack(env, settings.project_root, new_session=True)
        names = {rasa_port + i: f"Rasa server {i + 1}" if processes > 1 else "Rasa server" for i in range(processes)}
        sampler = MemorySampler([process.pid], names)
        try:
            await wait_ready(url, READY_TIMEOUT_S, process, interval=0.25)
            result.ready_s = time.perf_counter() - started
        except (StackExited, TimeoutError) as exc:
            tail = (data_dir / "supervisor.log").read_text(errors="replace").splitlines()[-15:]
            raise RuntimeError(f"{profile}: {exc}. Last lines of its output:\n" + "\n".join(tail)) from exc
        print(f">> {profile}: ready in {result.ready_s:.1f} s", flush=True)

        def channel(session: aiohttp.ClientSession, name: str, run: RunStats) -> Channel:
            return StackChannel(session, f"{url}/ws/chat", name, run, script.matcher, options.turn_timeout)

        rasa_api = (f"http://127.0.0.1:{rasa_port}", env["KOMMUN_RASA_TOKEN"])
        target = Started(channel, script, sampler, result, stats, rasa_api, url, Settings.from_env(env).database_url)
        await (drive or drive_load)(options, target)
        if process.poll() is not None:
            result.notes.append(f"the supervisor exited during the run with {process.returncode}")
    finally:
        if process is not None:
            known = sampler.known() if sampler is not None else []
            if sampler is not None and process.poll() is None:
                sampler.sample()  # the tree as it is now, so that nothing started late is missed
                known = sampler.known()
            await stop_process(process, signal.SIGINT, STOP_TIMEOUT_S)
            killed = kill_tree(known)
            if killed:
                result.notes.append(f"{killed} process(es) were still running after the supervisor stopped: killed")
            result.problems = log_problems(data_dir / "logs")
            supervisor_log = data_dir / "supervisor.log"
            if supervisor_log.exists():
                warnings = [line for line in supervisor_log.read_text(errors="replace").splitlines() if "!!" in line]
                result.notes.extend(warnings[:10])
        if database is not None:
            await _drop_production_data(options, database, redis_url if prepared else None, result)
    return result


async def _drop_production_data(options: BenchOptions, database: str, redis_url: str | None, result: RunResult) -> None:
    """Drop the benchmark's PostgreSQL database and delete its Redis keys (failures become notes).

    ``redis_url`` is None when the Redis db was not checked empty at the start: its keys are not ours.
    """
    import asyncpg
    from redis.exceptions import RedisError

    try:
        await drop_database(database, options.pg_admin_dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        result.notes.append(f"could not drop the database {database}: {exc!r}")
    if redis_url is None:
        return
    try:
        removed = await redis_keys(redis_url, delete=True)
        result.notes.append(f"removed {removed} Redis keys ({REDIS_KEY_PATTERN}) from db {options.redis_db}")
    except (OSError, RedisError) as exc:
        result.notes.append(f"could not clean Redis db {options.redis_db}: {exc!r}")


async def bare_env(data_dir: Path, rasa_port: int, action_port: int) -> dict[str, str]:
    """Prepare ``data_dir`` for a bare Rasa and its action server; returns their environment.

    Writes the migrated SQLite case store, ``credentials.yml`` (the REST channel) and ``endpoints.yml``
    (the action server at 127.0.0.1:``action_port`` behind a new token, ``KOMMUN_ACTION_TOKEN``).
    """
    from bot.store.migrate import upgrade

    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "KOMMUN_RASA_PROCESSES")}
    env.update(
        KOMMUN_DATA_DIR=str(data_dir),
        KOMMUN_ACTION_PORT=str(action_port),
        KOMMUN_RASA_PORT=str(rasa_port),
        SANIC_HOST="127.0.0.1",
        ACTION_SERVER_SANIC_WORKERS="1",
        PYTHONUNBUFFERED="1",
        KOMMUN_ACTION_TOKEN=secrets.token_urlsafe(24),
    )
    await asyncio.to_thread(upgrade, f"sqlite+aiosqlite:///{data_dir / 'kommun.db'}")
    (data_dir / "credentials.yml").write_text("rest:\n", encoding="utf-8")
    (data_dir / "endpoints.yml").write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        f'  headers:\n    Authorization: "Bearer {env["KOMMUN_ACTION_TOKEN"]}"\n'
        "  enable_selective_domain: true\n",
        encoding="utf-8",
    )
    return env


async def run_bare(
    options: BenchOptions, settings: Settings, model: Path, workdir: Path, drive: Driver | None = None
) -> RunResult:
    """The same model behind one bare ``rasa run`` (REST webhook) plus its action server, loaded the same way.

    ``drive`` as in :func:`run_stack`; with one, Rasa's HTTP API is on (behind a token), so that the
    driver can read the tracker.
    """
    from bot.chat.rasa_client import action_server_status
    from bot.ops.children import action_server_command, rasa_command

    data_dir = workdir / "bare"
    rasa_port, action_port = free_port(), free_port()
    env = await bare_env(data_dir, rasa_port, action_port)
    result = RunResult("bare rasa", options.users, options.duration, options.rate, None, 1)
    stats = RunStats()
    script = make_script(settings, stats)
    webhook = f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook"
    actions = rasa = None
    sampler = None
    try:
        print(f">> bare rasa: starting rasa run and the action server (data: {data_dir})", flush=True)
        started = time.perf_counter()
        logs = data_dir / "logs"
        actions = popen(action_server_command(action_port), env, settings.project_root, logs / "actions.log")
        api_token = secrets.token_urlsafe(24) if drive is not None else None
        rasa_argv = rasa_command(
            model, rasa_port, data_dir / "endpoints.yml", data_dir / "credentials.yml", api_token, module="rasa"
        )
        rasa = popen(rasa_argv, env, settings.project_root, logs / "rasa.log")
        sampler = MemorySampler([rasa.pid, actions.pid], {rasa_port: "Rasa server (bare)"})
        async with aiohttp.ClientSession() as http:
            ready = False
            while time.perf_counter() - started < READY_TIMEOUT_S:
                if rasa.poll() is not None or actions.poll() is not None:
                    raise RuntimeError("bare rasa or its action server exited before it was ready (see its log)")
                if (await action_server_status(http, f"http://127.0.0.1:{action_port}"))["ok"]:
                    with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                        body = {"sender": "bench-ready", "message": "hej", "metadata": {"language": "sv"}}
                        async with http.post(webhook, json=body, timeout=aiohttp.ClientTimeout(total=30)) as reply:
                            ready = reply.status == 200
                if ready:
                    break
                await asyncio.sleep(0.25)
            if not ready:
                raise RuntimeError(f"bare rasa was not ready within {READY_TIMEOUT_S:.0f} s")
        result.ready_s = time.perf_counter() - started
        print(f">> bare rasa: ready in {result.ready_s:.1f} s", flush=True)

        def channel(session: aiohttp.ClientSession, name: str, run: RunStats) -> Channel:
            return RestChannel(session, webhook, name, run, script.matcher, options.turn_timeout)

        rasa_api = (f"http://127.0.0.1:{rasa_port}", api_token) if api_token else None
        await (drive or drive_load)(options, Started(channel, script, sampler, result, stats, rasa_api))
    finally:
        known = sampler.known() if sampler is not None else []
        for process in (rasa, actions):
            if process is not None:
                await stop_process(process, signal.SIGTERM, 15.0)
        kill_tree(known)
        result.problems = log_problems(data_dir / "logs")
    return result
