"""Photo uploads against the chat (issue 20): the chat's answer time while 20 photos arrive at once.

``python -m tools.bench.photos``: starts the web app in this process on a fresh SQLite file (Rasa not
running: the figure is the gateway's own answer, the ``ack`` of a stored message, which is what the
photo decoding competes with), opens 20 resident conversations, and sends one 12-megapixel phone photo
(4032 × 3024 JPEG with EXIF) from each at the same moment, while another resident sends a chat message
every 100 ms. Prints the ack latency before and during the uploads, and how long the uploads took.
Photos are decoded in worker threads, :data:`bot.web.uploads.PHOTO_WORKERS` at a time.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.core.settings import Settings
from bot.store.migrate import upgrade
from bot.web.app import create_app
from bot.web.uploads import PHOTO_WORKERS
from tests.helpers.images import phone_jpeg
from tests.helpers.ports import free_port

UPLOADS = 20


async def _hello(http: aiohttp.ClientSession, base: str) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    ws = await http.ws_connect(f"{base}/ws/chat")
    await ws.send_json({"type": "hello", "language": "sv"})
    while (event := await ws.receive_json())["type"] != "welcome":
        pass
    return ws, event["token"]


async def _ack_latencies(
    ws: aiohttp.ClientWebSocketResponse, count: int, label: str, until: asyncio.Future | None = None
) -> list[float]:
    latencies: list[float] = []
    number = 0
    while number < count or (until is not None and not until.done()):
        number += 1
        started = time.perf_counter()
        client_id = f"{label}-{number}"
        await ws.send_json({"type": "message", "text": f"Hej {number}", "client_id": client_id})
        while True:
            event = await ws.receive_json()
            if event.get("type") == "ack" and event.get("client_id") == client_id:
                break
        latencies.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.1)
    return latencies


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms, max {ordered[-1]:.0f} ms (n={len(ordered)})"


async def run() -> None:
    """Measure once and print the figures (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        env = {"KOMMUN_DATA_DIR": tmp, "DATABASE_URL": url, "KOMMUN_RASA_TOKEN": "bench",
               "KOMMUN_RASA_PORT": "1", "KOMMUN_ACTION_PORT": "1"}  # fmt: skip
        settings = Settings.from_env(env).with_overrides(warm_up_language_detection=False)
        runner = web.AppRunner(create_app(settings))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        base = f"http://127.0.0.1:{port}"
        photo = phone_jpeg((4032, 3024))
        try:
            async with aiohttp.ClientSession() as http:
                chat, _ = await _hello(http, base)
                uploaders = [await _hello(http, base) for _ in range(UPLOADS)]
                await _ack_latencies(chat, 1, "warm-up")  # the first free text loads language detection
                before = await _ack_latencies(chat, 20, "before")

                async def upload(token: str) -> int:
                    form = aiohttp.FormData()
                    form.add_field("photo", photo, filename="IMG.jpg", content_type="image/jpeg")
                    async with http.post(
                        f"{base}/api/photos", data=form, headers={"Authorization": f"Bearer {token}"}
                    ) as r:
                        await r.read()
                        return r.status

                started = time.perf_counter()
                uploads = asyncio.gather(*(upload(token) for _, token in uploaders))
                during_task = asyncio.ensure_future(_ack_latencies(chat, 10, "during", uploads))
                statuses = await uploads
                upload_seconds = time.perf_counter() - started
                during = await during_task
                for ws, _ in [(chat, None), *uploaders]:
                    await ws.close()
        finally:
            await runner.cleanup()
    print(f"photo: {len(photo) / 1e6:.1f} MB, 4032 x 3024; {UPLOADS} parallel uploads, {PHOTO_WORKERS} decoded at once")
    print(f"uploads: {statuses.count(201)}/{UPLOADS} stored in {upload_seconds:.1f} s")
    print(f"chat ack before: {_summary(before)}")
    print(f"chat ack during: {_summary(during)}")


if __name__ == "__main__":
    asyncio.run(run())
