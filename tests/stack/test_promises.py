"""Promises that hold (issue 15), on the whole stack as `make run` starts it.

Two stacks, one after the other: a municipality that is closed now, and one that is open now. In the
open one the handoff is walked with nobody signed in to the staff console and with a case officer
signed in (a staff socket). Nothing the bot says may promise a connection, a queue place or a contact
that the system cannot deliver; a crisis at night gets 112 first, the question how to reach the
resident, and the department's functional mailbox one mail (a real SMTP server, aiosmtpd).
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Iterator

import aiohttp
import pytest
import yaml
from sqlalchemy import select

from bot.core.profile import WEEKDAYS
from bot.core.settings import PROJECT_ROOT
from bot.store import reach
from bot.store.db import create_engine, session_factory
from bot.store.models import Case
from tests.helpers.chat import open_chat
from tests.helpers.ready import StackExited, wait_ready
from tests.helpers.smtp import smtp_server
from tests.helpers.stack import stack_env, stack_url, start_stack, stop_stack

READY_TIMEOUT = 300.0
MAILBOX = "kontaktcenter@exempelby.example"
PASSWORD = "a long test password"
PATHS = {
    "request_human": "I want to talk to a person",
    "crisis": "i keep thinking about ending my life",
    "care_abuse": "staff hit my mother at the care home",
}
NEVER_WITHOUT_STAFF = ("connecting", "in the queue", "It takes about")
NEVER_WITHOUT_CONTACT = ("We will contact you", "contact you by")


@pytest.fixture(scope="module")
def smtp():
    with smtp_server() as server:
        yield server


def _stack(tmp_path_factory, smtp_port: int, open_now: bool) -> Iterator[dict]:
    data_dir = tmp_path_factory.mktemp("open" if open_now else "closed")
    profile = yaml.safe_load((PROJECT_ROOT / "profiles" / "example.yml").read_text(encoding="utf-8"))
    profile["opening_hours"] = {day: ["00:00", "23:59"] for day in WEEKDAYS} if open_now else {}
    for department in profile["departments"]:
        if department["id"] == "general":
            department["email"] = MAILBOX
    path = data_dir / "profile.yml"
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    env = stack_env(
        data_dir, KOMMUN_PROFILE=str(path), KOMMUN_SMTP_HOST="127.0.0.1", KOMMUN_SMTP_PORT=str(smtp_port),
        KOMMUN_SMTP_FROM="chatt@exempelby.example", KOMMUN_SMTP_SECURITY="none", KOMMUN_OUTBOX_INTERVAL="1",
        KOMMUN_PUBLIC_URL="https://chatt.exempelby.example",
    )  # fmt: skip
    process = start_stack(env)
    try:
        yield {"url": stack_url(env), "env": env, "data_dir": data_dir, "process": process}
    finally:
        stop_stack(process, 90)


async def _ready(stack: dict) -> None:
    try:
        await wait_ready(stack["url"], READY_TIMEOUT, stack["process"], interval=1.0)
    except (StackExited, TimeoutError) as exc:
        pytest.fail(f"the stack did not become ready ({exc}):\n{(stack['data_dir'] / 'supervisor.log').read_text()}")


async def _case(stack: dict, reference: str) -> tuple[Case, str | None]:
    engine = create_engine(f"sqlite+aiosqlite:///{stack['data_dir'] / 'kommun.db'}")
    try:
        async with session_factory(engine)() as session:
            case = (await session.execute(select(Case).where(Case.reference == reference))).scalar_one()
            return case, await reach.contact_state(session, case.id)
    finally:
        await engine.dispose()


def _reference(replies: list[dict]) -> str:
    match = re.search(r"SYN-\d{4}-\d{5}", " ".join(r["text"] for r in replies))
    assert match, replies
    return match.group(0)


async def walk(url: str, available: bool) -> list[list[dict]]:
    """Every handoff path, each in a chat of its own; checks each reply against what the system can deliver."""
    walked = []
    for intent, text in PATHS.items():
        async with open_chat(url, "en") as resident:
            replies = await resident.say(text, timeout=60)
            said = " ".join(r["text"] for r in replies)
            assert "SYN-" in said, (intent, said)
            for promise in NEVER_WITHOUT_CONTACT:
                assert promise not in said, (intent, said)
            if available:
                assert "I am connecting you" in said and "in the queue" in said, (intent, said)
            else:
                for promise in NEVER_WITHOUT_STAFF:
                    assert promise not in said, (intent, said)
                assert replies[-1]["text"].startswith("How can we reach you?"), (intent, said)
            if intent in ("crisis", "care_abuse"):
                assert replies[0]["text"].startswith(("Are you in danger right now? Call 112.", "Is someone in danger"))
            walked.append(replies)
    return walked


@pytest.fixture(scope="class")
def closed_stack(tmp_path_factory, smtp):
    yield from _stack(tmp_path_factory, smtp[1], open_now=False)


@pytest.fixture(scope="class")
def open_stack(tmp_path_factory, smtp):
    yield from _stack(tmp_path_factory, smtp[1], open_now=True)


class TestClosedNow:
    async def test_crisis_at_night_112_first_no_connecting_contact_asked_and_stored(self, closed_stack, smtp):
        await _ready(closed_stack)
        async with open_chat(closed_stack["url"], "sv") as resident:
            replies = await resident.say("jag tänker ofta på att dö", timeout=60)
            texts = [r["text"] for r in replies]
            assert texts[0].startswith("Är du i fara just nu? Ring 112.")
            assert not any("kopplar" in t or "kontaktar dig" in t for t in texts)
            assert texts[1].startswith("Ingen kan chatta med dig just nu. Är du i fara? Ring 112 nu.")
            assert texts[-1].startswith("Hur kan vi nå dig?") and len(replies[-1]["buttons"]) == 3
            reference = _reference(replies)
            await resident.send("ring mig på 0701234567")  # the chat waits for staff: the gateway answers
            saved = await resident.next(lambda e: e.get("sender") == "bot")
            assert "+46 70 123 45 67" in saved["text"] and "Vi kontaktar dig via telefon" in saved["text"]
        case, state = await _case(closed_stack, reference)
        assert (case.contact_phone, case.reply_channel, case.reply_language, state) == (
            "+46 70 123 45 67", "phone", "sv", "given",
        )  # fmt: skip
        # the department's functional mailbox hears of it once: no description, no contact details
        inbox, _ = smtp
        for _ in range(60):
            if any(reference in str(m["Subject"]) for m in inbox.messages):
                break
            await asyncio.sleep(1)
        await asyncio.sleep(3)  # a few more outbox passes: still one
        mails = [m for m in inbox.messages if reference in str(m["Subject"])]
        assert len(mails) == 1 and mails[0]["To"] == MAILBOX
        body = mails[0].get_content()
        assert f"https://chatt.exempelby.example/staff/cases/{reference}" in body
        assert "0701234567" not in body and "+46" not in body and "dö" not in body

    async def test_anonymous_choice_gives_reference_code_and_how_to_look_it_up(self, closed_stack):
        await _ready(closed_stack)
        async with open_chat(closed_stack["url"], "en") as resident:
            replies = await resident.say("I want to talk to a person", timeout=60)
            reference = _reference(replies)
            self_button = next(b for b in replies[-1]["buttons"] if b["payload"] == "/contact_self")
            await resident.ws.send_json(
                {"type": "message", "text": self_button["payload"], "display": self_button["title"]}
            )
            told = await resident.next(lambda e: e.get("sender") == "bot" and "Your code is" in e["text"])
        assert reference in told["text"] and "ask the chat" in told["text"] and "will contact you" not in told["text"]
        case, state = await _case(closed_stack, reference)
        assert state == "self" and case.check_code_hash and case.contact_email is None

    async def test_every_handoff_path_out_of_hours(self, closed_stack):
        await _ready(closed_stack)
        for replies in await walk(closed_stack["url"], available=False):
            assert any(r["text"].startswith("We are closed right now.") for r in replies)


async def _signed_in(stack: dict, http: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    """A case officer signed in to the console with a live staff socket."""
    subprocess.run(
        [sys.executable, "-m", "bot", "staff", "add", "anna", "--name", "Anna Berg", "--languages", "sv,en"],
        cwd=PROJECT_ROOT, env=stack["env"], input=PASSWORD + "\n", text=True, check=True, capture_output=True,
    )  # fmt: skip
    page = await (await http.get(f"{stack['url']}/staff/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    await (
        await http.post(f"{stack['url']}/staff/login", data={"csrf": token, "username": "anna", "password": PASSWORD})
    ).read()
    ws = await http.ws_connect(f"{stack['url']}/ws/staff", headers={"Origin": stack["url"]})
    assert (await ws.receive_json(timeout=10)) == {"type": "away", "away": False}
    return ws


class TestOpenNow:
    async def test_nobody_signed_in_no_queue_place_and_contact_asked(self, open_stack):
        await _ready(open_stack)
        for replies in await walk(open_stack["url"], available=False):
            assert any(r["text"].startswith("No case officer can chat right now.") for r in replies)

    async def test_a_case_officer_available_is_connected_and_away_is_not(self, open_stack):
        await _ready(open_stack)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            staff = await _signed_in(open_stack, http)
            queue = await (await http.get(f"{open_stack['url']}/staff/queue")).text()
            assert "Tillgängliga nu: Anna Berg" in queue
            await walk(open_stack["url"], available=True)
            await staff.send_json({"type": "away", "away": True})
            while (await staff.receive_json(timeout=10)).get("type") != "away":
                pass
            await walk(open_stack["url"], available=False)
            await staff.close()
