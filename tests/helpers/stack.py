"""The whole stack as ``make run`` starts it (``python -m bot run``), on free ports, in a data directory of its own."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.core.settings import PROJECT_ROOT
from tests.helpers.ports import free_port
from tests.helpers.ready import wait_ready

NOT_INHERITED = (
    "DATABASE_URL",
    "REDIS_URL",
    "KOMMUN_RASA_PROCESSES",
    "KOMMUN_RASA_TOKEN",
    "KOMMUN_ACTION_TOKEN",
    "KOMMUN_HOST",
    "KOMMUN_RASA_HOST",
    "KOMMUN_ACTION_HOST",
    "KOMMUN_RASA_URLS",
    "KOMMUN_ACTION_URL",
)
"""Variables of the caller's environment a stack does not take: it gets its own (or the defaults)."""


def stack_env(data_dir: Path, rasa_processes: int = 1, **variables: str) -> dict[str, str]:
    """The environment of ``python -m bot run`` with its data in ``data_dir`` and every port free.

    The embedded profile (SQLite, one Rasa) unless ``variables`` set ``DATABASE_URL`` and ``REDIS_URL``;
    ``rasa_processes`` Rasa servers listen on consecutive free ports from ``KOMMUN_RASA_PORT``.
    """
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(
        KOMMUN_DATA_DIR=str(data_dir),
        KOMMUN_PORT=str(free_port()),
        KOMMUN_RASA_PORT=str(free_port(rasa_processes)),
        KOMMUN_ACTION_PORT=str(free_port()),
        KOMMUN_RASA_PROCESSES=str(rasa_processes),
    )
    env.update(variables)
    return env


def stack_url(env: dict[str, str]) -> str:
    """The web app's URL in a stack started with ``env`` (on ``KOMMUN_HOST`` when set)."""
    return f"http://{env.get('KOMMUN_HOST', '127.0.0.1')}:{env['KOMMUN_PORT']}"


def start_stack(
    env: dict[str, str], cwd: Path = PROJECT_ROOT, new_session: bool = False, only: str | None = None
) -> subprocess.Popen[bytes]:
    """Start ``python -m bot run`` with ``env``; its output goes to ``supervisor.log`` in the data directory.

    ``new_session``: in a session of its own, so that a terminal's Ctrl-C reaches only the caller.
    ``only``: one part (``web``, ``rasa``, ``actions``: ``run --only``), as on a host of its own.
    """
    log = Path(env["KOMMUN_DATA_DIR"]) / "supervisor.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run", *(["--only", only] if only else [])],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=new_session,
        )


def stop_stack(process: subprocess.Popen[bytes], timeout: float = 60.0) -> int:
    """Ctrl-C (SIGINT) to the supervisor, which stops its children; its exit code.

    Raises:
        subprocess.TimeoutExpired: still running after ``timeout`` seconds.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    return process.wait(timeout)


@contextmanager
def embedded_stack(data_dir: Path, cwd: Path = PROJECT_ROOT, timeout: float = 300.0) -> Iterator[str]:
    """A stack in the embedded profile (SQLite in ``data_dir``), ready; yields its URL and stops it at the end.

    Raises:
        StackExited: the supervisor exited before the stack was ready.
        TimeoutError: not ready within ``timeout`` seconds.
    """
    env = stack_env(data_dir)
    process = start_stack(env, cwd)
    try:
        asyncio.run(wait_ready(stack_url(env), timeout, interval=1.0))
        yield stack_url(env)
    finally:
        stop_stack(process)
