"""The shared helpers (tests/helpers) on fakes: the stack tests and the benchmarks rely on them.

The web app is reduced to an in-process aiohttp server on loopback: ``/healthz`` that is ready on the
third ask, and ``/ws/chat`` that answers every message with typing on/off and two replies.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.helpers.chat import ChatClient
from tests.helpers.ports import free_port
from tests.helpers.ready import StackExited, wait_listening, wait_ready
from tests.helpers.stack import NOT_INHERITED, stack_env, stack_url


async def _chat(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for frame in ws:
        event = frame.json()
        if event["type"] == "hello":
            await ws.send_json({"type": "welcome", "language": event.get("language", "sv"), "history": []})
            continue
        await ws.send_json({"type": "message", "sender": "resident", "text": event["text"]})
        if event["text"] == "silence":
            continue
        await ws.send_json({"type": "typing", "on": True})
        await asyncio.sleep(0.05)
        await ws.send_json({"type": "typing", "on": False})
        for text in ("first", "second"):
            await ws.send_json({"type": "message", "sender": "bot", "text": text})
    return ws


def _fake_web_app() -> web.Application:
    asked = []

    async def healthz(request: web.Request) -> web.Response:
        asked.append(1)
        if len(asked) < 3:
            return web.json_response({"rasa": {"ok": False}}, status=503)
        return web.json_response({"rasa": {"ok": True}})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/ws/chat", _chat)
    return app


def test_free_ports_are_free_and_consecutive():
    port = free_port(3)
    for other in range(port, port + 3):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", other))


def test_a_stack_gets_its_own_ports_and_databases(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://elsewhere/db")
    monkeypatch.setenv("KOMMUN_RASA_TOKEN", "not this one")
    env = stack_env(tmp_path, KOMMUN_PROFILE="p.yml")
    assert not any(key in env for key in NOT_INHERITED if key != "KOMMUN_RASA_PROCESSES")
    assert env["KOMMUN_RASA_PROCESSES"] == "1" and env["KOMMUN_PROFILE"] == "p.yml"
    assert env["KOMMUN_DATA_DIR"] == str(tmp_path)
    assert len({env["KOMMUN_PORT"], env["KOMMUN_RASA_PORT"], env["KOMMUN_ACTION_PORT"]}) == 3
    assert stack_url(env) == f"http://127.0.0.1:{env['KOMMUN_PORT']}"
    production = stack_env(tmp_path, 2, DATABASE_URL="postgresql+asyncpg://here/db")
    assert production["KOMMUN_RASA_PROCESSES"] == "2" and production["DATABASE_URL"] == "postgresql+asyncpg://here/db"


async def test_wait_ready_asks_until_healthy_and_gives_the_body():
    async with TestServer(_fake_web_app()) as server:
        body = await wait_ready(str(server.make_url("")).rstrip("/"), timeout=10, interval=0.05)
    assert body == {"rasa": {"ok": True}}


async def test_wait_ready_gives_up_or_sees_the_supervisor_exit():
    with pytest.raises(TimeoutError):
        await wait_ready(f"http://127.0.0.1:{free_port()}", timeout=0.3, interval=0.05)
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    with pytest.raises(StackExited):
        await wait_ready(f"http://127.0.0.1:{free_port()}", timeout=5, process=exited)
    with pytest.raises(StackExited):
        wait_listening(free_port(), exited, timeout=5)


async def test_chat_client_collects_the_replies_of_a_turn():
    async with TestServer(_fake_web_app()) as server, aiohttp.ClientSession() as http:
        async with http.ws_connect(str(server.make_url("/ws/chat"))) as ws:
            chat = ChatClient(ws, settle=0.2)
            assert (await chat.hello("ar"))["language"] == "ar"
            replies = await chat.say("hej")
            assert [r["text"] for r in replies] == ["first", "second"]
            assert {"type": "typing", "on": True} in chat.events  # every event is kept
            with pytest.raises(asyncio.TimeoutError):  # the assistant never stopped typing
                await chat.say("silence", timeout=0.3)
