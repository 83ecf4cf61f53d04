"""The production profile as `make run` starts it: PostgreSQL, Redis, two Rasa processes.

Conversations are spread over both Rasa processes and their trackers live in PostgreSQL (Rasa's SQL
tracker store), so when a Rasa process is killed in the middle of the complaint form, the supervisor
restarts it and the form goes on where it was.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from pathlib import Path

import asyncpg
import pytest

from tests.helpers.chat import open_chat
from tests.helpers.postgres import create_database, drop_database, sqlalchemy_url
from tests.helpers.ready import StackExited, wait_ready
from tests.helpers.stack import stack_env, stack_url, start_stack, stop_stack

READY_TIMEOUT = 300.0


@pytest.fixture(scope="module")
def production_stack(tmp_path_factory):
    name = f"kommun_prod_{uuid.uuid4().hex[:10]}"
    asyncio.run(create_database(name))
    data_dir = tmp_path_factory.mktemp("production")
    env = stack_env(  # two Rasa processes, on consecutive ports
        data_dir, 2, DATABASE_URL=sqlalchemy_url(name), REDIS_URL="redis://127.0.0.1:6379/3"
    )
    process = start_stack(env)
    yield {"url": stack_url(env), "env": env, "process": process, "data_dir": data_dir, "database": name}
    stop_stack(process, 90)
    asyncio.run(drop_database(name))


async def wait_until_ready(stack) -> dict:
    try:
        return await wait_ready(stack["url"], READY_TIMEOUT, stack["process"], interval=1.0)
    except (StackExited, TimeoutError) as exc:
        log = (stack["data_dir"] / "supervisor.log").read_text()
        pytest.fail(f"the production stack did not become ready ({exc}):\n{log}")


def listening_pid(module: bytes, port: int) -> int:
    """The pid of our ``python -m <module> … --port <port>`` child (from /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if module in args and b"--port" in args and args[args.index(b"--port") + 1] == str(port).encode():
            return int(entry.name)
    raise LookupError(port)


async def test_conversations_use_both_rasa_processes_with_trackers_in_postgresql(production_stack):
    health = await wait_until_ready(production_stack)
    assert health["rasa"]["ok"] and health["database"]["detail"] == "postgresql"
    senders = []
    for _ in range(6):
        async with open_chat(production_stack["url"], "sv") as resident:
            replies = await resident.say("när har ni öppet?")
            assert any("08.00" in r["text"] for r in replies)
    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{production_stack['database']}")
    try:
        senders = await connection.fetch("SELECT DISTINCT sender_id FROM events")
    finally:
        await connection.close()
    assert len(senders) >= 6  # Rasa's trackers are in PostgreSQL, beside the cases
    rasa_log = Path(production_stack["data_dir"]) / "logs"
    assert (rasa_log / "rasa.log").exists() and (rasa_log / "rasa-2.log").exists()


async def test_killing_a_rasa_process_mid_form_the_form_goes_on_after_the_restart(production_stack):
    await wait_until_ready(production_stack)
    base_port = int(production_stack["env"]["KOMMUN_RASA_PORT"])
    async with open_chat(production_stack["url"], "sv") as resident:
        kind = await resident.say("jag vill lämna en synpunkt")  # names no kind: the form asks it
        assert kind[0]["text"] == "Vad vill du lämna?"
        area = await resident.say(kind[0]["buttons"][3]["payload"])  # praise
        assert area[0]["buttons"]
        # Kill whichever Rasa process holds this conversation: both, one after the other, is simplest.
        for port in (base_port, base_port + 1):
            os.kill(listening_pid(b"bot.rasa_server", port), signal.SIGKILL)
        await resident.send(area[0]["buttons"][0]["payload"])
        told = await resident.next(lambda e: e.get("sender") == "system", timeout=30)
        assert "Assistenten svarar inte just nu" in told["text"]
        answer = await resident.next(lambda e: e.get("sender") == "bot", timeout=READY_TIMEOUT)
        assert answer["text"].startswith("Berätta vad det gäller")  # the form went on after the restart


async def test_killing_the_action_server_mid_form_the_resident_is_told_and_the_form_goes_on(production_stack):
    await wait_until_ready(production_stack)
    async with open_chat(production_stack["url"], "ar") as resident:
        kind = await resident.say("بدي قدم ملاحظة")  # "I want to give a remark": the form asks the kind
        assert kind[0]["buttons"]
        # The whole action server crashes (its main process and its Sanic workers).
        action_port = int(production_stack["env"]["KOMMUN_ACTION_PORT"])
        os.killpg(listening_pid(b"bot.action_server", action_port), signal.SIGKILL)
        await resident.send(kind[0]["buttons"][0]["payload"])
        try:
            told = await resident.next(lambda e: e.get("sender") == "system", timeout=60)
        except asyncio.TimeoutError:
            pytest.fail(str([(e.get("type"), e.get("sender"), e.get("text", "")[:60]) for e in resident.events[-6:]]))
        assert told["lang"] == "ar"  # "the assistant is not answering right now", in Arabic
        area = await resident.next(lambda e: e.get("sender") == "bot", timeout=READY_TIMEOUT)
        assert area["buttons"] and area["lang"] == "ar"  # the next question of the form
