"""The shared helpers (tests/helpers) on fakes: the stack tests and the benchmarks rely on them.

The web app is reduced to an in-process aiohttp server on loopback (:mod:`tests.helpers.fakes`).
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.helpers.chat import ChatClient, open_chat
from tests.helpers.fakes import REPLIES, fake_web_app
from tests.helpers.ports import free_port
from tests.helpers.ready import StackExited, wait_listening, wait_ready
from tests.helpers.stack import NOT_INHERITED, stack_env, stack_url


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
    async with TestServer(fake_web_app()) as server:
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
    async with TestServer(fake_web_app()) as server, aiohttp.ClientSession() as http:
        async with http.ws_connect(str(server.make_url("/ws/chat"))) as ws:
            chat = ChatClient(ws, settle=0.2)
            assert (await chat.hello("ar"))["language"] == "ar"
            replies = await chat.say("hej")
            assert tuple(r["text"] for r in replies) == REPLIES
            assert {"type": "typing", "on": True} in chat.events  # every event is kept
            with pytest.raises(asyncio.TimeoutError):  # the assistant never stopped typing
                await chat.say("silence", timeout=0.3)


async def test_open_chat_in_a_session_of_its_own_or_a_borrowed_one():
    async with TestServer(fake_web_app()) as server:
        url = str(server.make_url("")).rstrip("/")
        async with open_chat(url, "fi") as chat:
            assert chat.welcome["language"] == "fi"
            await chat.send("silence")
            assert (await chat.next(lambda e: e.get("sender") == "resident"))["text"] == "silence"
        async with aiohttp.ClientSession() as http:
            async with open_chat(url, http=http, settle=0.2) as chat:
                assert chat.welcome["language"] == "sv" and len(await chat.say("hej")) == 2
            assert not http.closed  # borrowed: still open for the next chat
