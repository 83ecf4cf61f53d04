"""Issue 17 on the running stack: internal endpoints need their secrets, the check code is shown once,
the databases are private, and a burst of hellos on SQLite is answered without a lock error.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import stat
import subprocess
import sys

import aiohttp

from bot.core.settings import PROJECT_ROOT
from tests.helpers.chat import open_chat
from tests.helpers.ready import wait_ready

READY_TIMEOUT = 240.0
CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b")


async def test_rasa_and_the_action_server_refuse_calls_without_the_secret(stack):
    await wait_ready(stack["url"], READY_TIMEOUT)
    env = stack["env"]
    rasa = f"http://127.0.0.1:{env['KOMMUN_RASA_PORT']}"
    actions = f"http://127.0.0.1:{env['KOMMUN_ACTION_PORT']}"
    message = {"sender": "probe", "message": "hur går det med SYN-2026-00001 AAAA-AAAA", "metadata": {}}
    call = {"next_action": "action_check_case_status", "sender_id": "probe", "version": "3.6.21",
            "tracker": {"sender_id": "probe", "slots": {"status_reference": "SYN-2026-00001",
                                                        "status_check_code": "AAAA-AAAA"},
                        "latest_message": {}, "events": [], "paused": False, "followup_action": None,
                        "active_loop": {}, "latest_action_name": None},
            "domain": {}}  # fmt: skip
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{rasa}/webhooks/rest/webhook", json=message) as open_channel:
            assert open_channel.status == 404  # Rasa's open REST channel is gone
        async with http.post(f"{rasa}/webhooks/gateway/webhook", json=message) as no_secret:
            assert no_secret.status == 401
        wrong = {"Authorization": "Bearer not-the-secret"}
        async with http.post(f"{rasa}/webhooks/gateway/webhook", json=message, headers=wrong) as wrong_secret:
            assert wrong_secret.status == 401
        async with http.post(f"{actions}/webhook", json=call) as action_call:
            assert action_call.status == 401 and "events" not in await action_call.json()
        async with http.get(f"{actions}/actions") as listing:
            assert listing.status == 401
        async with http.get(f"{actions}/health") as health:
            assert health.status == 200  # the health check needs no secret and tells nothing


async def test_the_check_code_is_shown_once_and_stored_only_masked(stack):
    await wait_ready(stack["url"], READY_TIMEOUT)
    async with open_chat(stack["url"], "sv") as resident:
        kind = await resident.say("jag vill lämna en synpunkt")
        area = await resident.say(kind[0]["buttons"][1]["payload"])  # Felanmälan
        await resident.say(area[0]["buttons"][0]["payload"])  # Gator och parker
        await resident.say("Gatlampan på Storgatan 7 är trasig sedan en vecka.")
        await resident.say("Storgatan 7")
        await resident.say("igår")
        reply = await resident.say("ja")  # anonymous
        for _ in range(3):
            if reply[0]["text"].startswith("Tack! Ditt ärende"):
                break
            reply = await resident.say("/affirm" if "Stämmer" in reply[0]["text"] else "ja")
        done = reply[0]["text"]
        assert done.startswith("Tack! Ditt ärende har nummer SYN-")
        code = CODE.search(done).group(0)  # the resident sees the code in clear, once
        masked = f"••••-••{code[-2:]} (dold)"
        token = resident.welcome["token"]

    data_dir = stack["data_dir"]
    with sqlite3.connect(data_dir / "kommun.db") as db:
        stored = [text for (text,) in db.execute("SELECT text FROM message")]
        payloads = " ".join(str(p) for (p,) in db.execute("SELECT payload FROM message"))
    assert not any(code in text for text in stored) and code not in payloads
    assert any(masked in text for text in stored)
    with sqlite3.connect(data_dir / "tracker.db") as tracker:
        events = [data for (data,) in tracker.execute("SELECT data FROM events")]
    assert not any(code in data for data in events)  # texts, slots, metadata: the code is ASCII, never escaped
    assert any(masked in (json.loads(data).get("text") or "") for data in events)
    staff_view = subprocess.run(
        [sys.executable, "-m", "bot", "cases", "list", "--json", "--transcripts"],
        cwd=PROJECT_ROOT, env=stack["env"], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert code not in staff_view
    assert any(masked in m["text"] for case in json.loads(staff_view) for m in case.get("transcript", []))
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{stack['url']}/ws/chat") as ws:
        await ws.send_json({"type": "hello", "token": token})
        welcome = await ws.receive_json(timeout=30)
    history = " ".join(m["text"] for m in welcome["history"])
    assert welcome["type"] == "welcome" and code not in history and masked in history


def test_databases_and_secrets_are_readable_by_their_owner_only(stack):
    data_dir = stack["data_dir"]
    for name in ("kommun.db", "tracker.db", "rasa.token", "action.token", "endpoints.yml"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name
    for wal in data_dir.glob("*.db-wal"):
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600, wal.name


async def test_250_residents_saying_hello_at_once_all_get_a_welcome(stack):
    await wait_ready(stack["url"], READY_TIMEOUT)

    async def hello(http: aiohttp.ClientSession) -> dict:
        async with http.ws_connect(f"{stack['url']}/ws/chat") as ws:
            await ws.send_json({"type": "hello", "language": "sv"})
            return await ws.receive_json(timeout=120)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        answers = await asyncio.gather(*(hello(http) for _ in range(250)), return_exceptions=True)
    assert [a for a in answers if not isinstance(a, dict) or a.get("type") != "welcome"] == []
    log = (stack["data_dir"] / "logs" / "web.log").read_text(errors="replace")
    assert "database is locked" not in log
