"""Waiting for a stack: until the web app listens, or until ``/healthz`` says everything is ready."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import time
from typing import Any

import aiohttp


class StackExited(RuntimeError):
    """The supervisor (``python -m bot run``) exited before the stack was ready."""


def _check_alive(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is not None:
        raise StackExited(f"python -m bot run exited with {process.returncode} before it was ready")


def wait_listening(port: int, process: subprocess.Popen[bytes] | None = None, timeout: float = 30.0) -> None:
    """Wait until something accepts connections on ``127.0.0.1:port`` (the web app is up long before Rasa).

    Raises:
        StackExited: ``process`` exited first.
        TimeoutError: nothing listens after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            _check_alive(process)
            time.sleep(0.3)
    raise TimeoutError(f"nothing listens on port {port} after {timeout:.0f} s")


async def wait_ready(
    url: str, timeout: float = 300.0, process: subprocess.Popen[bytes] | None = None, interval: float = 0.5
) -> dict[str, Any]:
    """Wait until ``{url}/healthz`` answers 200 (asked every ``interval`` seconds); its JSON body.

    Raises:
        StackExited: ``process`` exited first.
        TimeoutError: not ready within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            _check_alive(process)
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                # A generous timeout: a client that gives up makes the web app log "Error handling request".
                async with http.get(f"{url}/healthz", timeout=aiohttp.ClientTimeout(total=15)) as response:
                    if response.status == 200:
                        return await response.json()
            await asyncio.sleep(interval)
    raise TimeoutError(f"{url} not ready after {timeout:.0f} s")
