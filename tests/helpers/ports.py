"""Free TCP ports on loopback."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator

from aiohttp import web


def free_port(consecutive: int = 1) -> int:
    """A free TCP port ``p`` on loopback such that ``p … p + consecutive - 1`` are all free.

    Raises:
        RuntimeError: no such run of ports found in 100 tries.
    """
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + consecutive > 65535:
            continue
        ok = True
        for other in range(port + 1, port + consecutive):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", other)) == 0:
                    ok = False
                    break
        if ok:
            return port
    raise RuntimeError(f"no {consecutive} consecutive free ports")


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port for the ``async with`` block; yields its base URL (``http://…``)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    try:
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
