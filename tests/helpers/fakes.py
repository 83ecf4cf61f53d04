"""Fakes of the web app for tests of the helpers and the benchmarks' channels: in process, on loopback."""

from __future__ import annotations

import asyncio

from aiohttp import web

REPLIES = ("Vad vill du lämna?", "second message")
"""What the fake gateway answers to every message but ``"silence"``."""


async def fake_gateway(request: web.Request) -> web.WebSocketResponse:
    """``/ws/chat`` reduced: welcome, echo, ack, typing on/off and two replies.

    ``"silence"`` gets no reply; ``"twice"`` gets its last reply delivered twice.
    """
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    next_id = 100
    async for frame in ws:
        event = frame.json()
        if event["type"] == "hello":
            language = event.get("language", "sv")
            await ws.send_json({"type": "welcome", "token": "t", "language": language, "mode": "bot", "history": []})
            continue
        next_id += 1
        echo = {"type": "message", "id": next_id, "sender": "resident", "text": event["text"]}
        await ws.send_json(echo)
        if "client_id" in event:
            await ws.send_json({"type": "ack", "client_id": event["client_id"], "id": next_id})
        if event["text"] == "silence":
            continue
        await ws.send_json({"type": "typing", "on": True})
        await asyncio.sleep(0.05)
        await ws.send_json({"type": "typing", "on": False})
        for text in REPLIES:
            next_id += 1
            await ws.send_json({"type": "message", "id": next_id, "sender": "bot", "text": text, "lang": "sv"})
        if event["text"] == "twice":
            await ws.send_json({"type": "message", "id": next_id, "sender": "bot", "text": "again", "lang": "sv"})
    return ws


def fake_web_app(ready_after: int = 3) -> web.Application:
    """``/ws/chat`` (:func:`fake_gateway`) and ``/healthz``, which answers 503 until its ``ready_after``-th ask."""
    asked = []

    async def healthz(request: web.Request) -> web.Response:
        asked.append(1)
        if len(asked) < ready_after:
            return web.json_response({"rasa": {"ok": False}}, status=503)
        return web.json_response({"rasa": {"ok": True}})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/ws/chat", fake_gateway)
    return app
