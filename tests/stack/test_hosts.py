"""Separate hosts: the web app, Rasa and the action server as three `python -m bot run --only …` processes.

127.0.0.2 (web app), 127.0.0.3 (Rasa) and 127.0.0.4 (action server) stand in for three hosts: each
part has a data directory of its own and binds only its own address; they reach each other through
``KOMMUN_RASA_URLS`` and ``KOMMUN_ACTION_URL`` and share state only through PostgreSQL and Redis
(production profile), with the shared secrets given in the environment (docs/deployment.md).
A resident files a complaint by typing and looks its status up; the case is in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import socket
import uuid
from pathlib import Path

import asyncpg
import pytest

from tests.helpers.chat import open_chat
from tests.helpers.postgres import create_database, drop_database, sqlalchemy_url
from tests.helpers.ready import StackExited, wait_ready
from tests.helpers.stack import stack_env, stack_url, start_stack, stop_stack

WEB, RASA, ACTIONS = "127.0.0.2", "127.0.0.3", "127.0.0.4"
REDIS_DB = 5
"""Redis db of this test alone (others: 0 and 7 tests/app, 3 the production stack, 9 the socket limits, 11 bench)."""
READY_TIMEOUT = 300.0
PARTS = ("actions", "rasa", "web")


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    """The three parts started at once, each as on its own host; yields ``{part: {env, process}}`` and ``database``."""
    name = f"kommun_hosts_{uuid.uuid4().hex[:10]}"
    asyncio.run(create_database(name))
    shared = stack_env(
        tmp_path_factory.mktemp("shared"),
        1,
        DATABASE_URL=sqlalchemy_url(name),
        REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        KOMMUN_RASA_TOKEN=secrets.token_urlsafe(32),
        KOMMUN_ACTION_TOKEN=secrets.token_urlsafe(32),
        KOMMUN_SESSION_SECRET=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        KOMMUN_HOST=WEB,
        KOMMUN_RASA_HOST=RASA,
        KOMMUN_ACTION_HOST=ACTIONS,
    )
    shared["KOMMUN_RASA_URLS"] = f"http://{RASA}:{shared['KOMMUN_RASA_PORT']}"
    shared["KOMMUN_ACTION_URL"] = f"http://{ACTIONS}:{shared['KOMMUN_ACTION_PORT']}"
    parts = {}
    for part in PARTS:
        env = {**shared, "KOMMUN_DATA_DIR": str(tmp_path_factory.mktemp(part))}
        parts[part] = {"env": env, "process": start_stack(env, only=part)}
    yield {"database": name, "url": stack_url(shared), "env": shared, **parts}
    codes = {part: stop_stack(parts[part]["process"], 90) for part in reversed(PARTS)}
    asyncio.run(drop_database(name))
    assert codes == dict.fromkeys(reversed(PARTS), 0)


def supervisor_log(hosts, part: str) -> str:
    return (Path(hosts[part]["env"]["KOMMUN_DATA_DIR"]) / "supervisor.log").read_text(errors="replace")


def logs(hosts) -> str:
    return "\n".join(f"== {part}\n{supervisor_log(hosts, part)}" for part in PARTS)


def listening(host: str, port: str) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((host, int(port))) == 0


async def test_a_typed_complaint_and_its_status_lookup_across_three_hosts(hosts):
    try:
        health = await wait_ready(hosts["url"], READY_TIMEOUT, hosts["web"]["process"], interval=1.0)
    except (StackExited, TimeoutError) as exc:
        pytest.fail(f"the three parts did not become ready ({exc}):\n{logs(hosts)}")
    assert health["rasa"]["ok"] and health["action_server"]["ok"] and health["database"]["detail"] == "postgresql"
    assert all(hosts[part]["process"].poll() is None for part in PARTS), logs(hosts)
    async with open_chat(hosts["url"], "sv") as resident:
        kind = await resident.say("jag vill lämna en synpunkt")
        assert kind[0]["text"] == "Vad vill du lämna?"
        area = await resident.say("felanmälan")  # typed, not the button
        assert area[0]["buttons"]
        ask = await resident.say("gator och parker")
        assert ask[0]["text"].startswith("Berätta vad det gäller")
        place = await resident.say("Gatlampan utanför Storgatan 5 har varit trasig i två veckor.")
        assert place[0]["text"].startswith("Var hände det?")
        when = await resident.say("Storgatan 5")
        assert when[0]["text"].startswith("När hände det?")
        anonymous = await resident.say("igår")
        assert anonymous[0]["text"].startswith("Vill du vara anonym?")
        name = await resident.say("nej")
        assert name[0]["text"] == "Vad heter du?"
        contact = await resident.say("Anna Berg")
        assert contact[0]["text"].startswith("Hur når vi dig?")
        consent = await resident.say("anna.berg@example.se")
        assert "allmän handling" in consent[0]["text"]
        summary = await resident.say("ja")
        assert "Typ: felanmälan" in summary[0]["text"]
        done = await resident.say("skicka")
        assert done[0]["text"].startswith("Tack! Ditt ärende har nummer SYN-")
        reference = done[0]["text"].split("nummer ")[1].split(" ")[0]
        code = done[0]["text"].split("din kod är ")[1].split(".")[0]  # sealed by the action server, opened here
        lookup = await resident.say("hur går det med mitt ärende?")
        assert lookup[0]["text"].startswith("Vilket ärendenummer har du?")
        ask_code = await resident.say(reference)
        assert ask_code[0]["text"].startswith("Skriv koden")
        status = await resident.say(code)
        assert status[0]["text"].startswith(f"Ärende {reference}: mottaget. Gator och parker hanterar det.")

    connection = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{hosts['database']}")
    try:
        case = await connection.fetchrow('SELECT kind, area, place FROM "case" WHERE reference = $1', reference)
        trackers = await connection.fetchval("SELECT count(DISTINCT sender_id) FROM events")
    finally:
        await connection.close()
    assert tuple(case) == ("fault_report", "streets_parks", "Storgatan 5")
    assert trackers >= 1  # Rasa's tracker store is the same PostgreSQL


def test_each_part_listens_only_on_its_own_address(hosts):
    env = hosts["env"]
    assert listening(RASA, env["KOMMUN_RASA_PORT"]) and listening(ACTIONS, env["KOMMUN_ACTION_PORT"])
    assert listening(WEB, env["KOMMUN_PORT"])
    for other in (WEB, "127.0.0.1"):
        assert not listening(other, env["KOMMUN_RASA_PORT"]), f"Rasa answers on {other}"
        assert not listening(other, env["KOMMUN_ACTION_PORT"]), f"the action server answers on {other}"
    assert not listening("127.0.0.1", env["KOMMUN_PORT"])
    web_log = supervisor_log(hosts, "web")
    assert f"starting the web app on http://{WEB}:{env['KOMMUN_PORT']}" in web_log
    assert f"sends conversations to Rasa at http://{RASA}:{env['KOMMUN_RASA_PORT']}" in web_log
    for part in PARTS:  # the secrets came from the environment: none was generated into a data directory
        assert not list(Path(hosts[part]["env"]["KOMMUN_DATA_DIR"]).glob("*.token"))
