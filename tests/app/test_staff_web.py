"""The staff console over HTTP and WebSocket, with the web app and a real database (Rasa not running)."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import update

from bot.store import conversations as convs
from bot.store import desk, queue
from bot.store.cases import NewCase
from bot.store.models import Case, LoginThrottle, utcnow
from bot.store.staff import add_staff, hash_password, set_active
from bot.web.keys import DESK

PASSWORD = "a-long-enough-password"
XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
async def staff(db):
    hashed = hash_password(PASSWORD)
    async with db() as s, s.begin():
        anna = await add_staff(s, "anna", "Anna Berg", hashed, ["sv", "ar"], role="supervisor")
        bo = await add_staff(s, "bo", "Bo Ek", hashed, ["sv"], departments=["waste"])
    return anna, bo


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


async def login(http, username: str, password: str = PASSWORD) -> aiohttp.ClientResponse:
    page = await http.get("/staff/login")
    token = csrf_of(await page.text())
    response = await http.post(
        "/staff/login", data={"csrf": token, "username": username, "password": password}, allow_redirects=False
    )
    await response.read()  # release the connection
    return response


async def csrf(http, path: str = "/staff") -> str:
    return csrf_of(await (await http.get(path)).text())


async def receive(ws, predicate, timeout: float = 5.0) -> dict:
    async def wait() -> dict:
        while True:
            event = await ws.receive_json()
            if predicate(event):
                return event

    return await asyncio.wait_for(wait(), timeout)


async def waiting_resident(client, db, profile, language="ar"):
    """A resident socket whose conversation was handed to a person (as the handoff action does)."""
    ws = await client.ws_connect("/ws/chat")
    await ws.send_json({"type": "hello", "language": language})
    welcome = await receive(ws, lambda e: e["type"] == "welcome")
    async with db() as s, s.begin():
        conversation = await convs.find_by_token(s, welcome["token"])
        case = await queue.start_handoff(
            s, profile, NewCase(kind="question", description="help", language=language, conversation_id=conversation.id)
        )
    return ws, conversation.id, case.reference


async def second_client(client) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(base_url=str(client.make_url("/")), cookie_jar=aiohttp.CookieJar(unsafe=True))


STAFF_GETS = [
    "/staff",
    "/staff/queue",
    "/staff/cases",
    "/staff/cases.csv",
    "/staff/figures",
    "/staff/cases/SYN-2026-00001",
]
STAFF_POSTS = [
    f"/staff/cases/SYN-2026-00001/{action}" for action in ("claim", "message", "note", "status", "close", "handback")
]


async def test_every_staff_route_and_the_socket_refuse_a_request_without_a_session(client):
    for path in STAFF_GETS:
        response = await client.get(path, allow_redirects=False)
        await response.read()
        assert response.status == 303, path
        assert response.headers["Location"].startswith("/staff/login")
        fetched = await client.get(path, headers={"X-Requested-With": "fetch"}, allow_redirects=False)
        await fetched.read()
        assert fetched.status == 401, path
    for path in [*STAFF_POSTS, "/staff/logout"]:
        response = await client.post(path, data={"csrf": "x", "text": "hi"}, allow_redirects=False)
        await response.read()
        assert response.status in (401, 403), path
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws/staff")
    assert refused.value.status == 401


async def test_login_needs_the_csrf_token_and_an_account_is_never_locked(client, db, staff):
    no_token = await client.post("/staff/login", data={"username": "anna", "password": PASSWORD})
    await no_token.read()
    assert no_token.status == 403
    for _attempt in range(6):
        failed = await login(client, "anna", "wrong password!")
        assert failed.status == 401
    async with db() as s, s.begin():  # a minute later (the longest an account waits)
        await s.execute(update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    ok = await login(client, "anna")
    assert ok.status == 303 and ok.headers["Location"] == "/staff"  # today's code: locked for 15 minutes
    other = await second_client(client)
    try:
        bo = await login(other, "bo")
        assert bo.status == 303 and bo.headers["Location"] == "/staff"
    finally:
        await other.close()


async def test_staff_socket_refuses_another_origin(client, staff):
    await login(client, "anna")
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws/staff", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403


async def test_claim_chat_note_close_and_resident_text_is_shown_as_text(client, db, staff, profile):
    resident, conversation_id, reference = await waiting_resident(client, db, profile, "ar")
    await resident.send_json({"type": "message", "text": XSS, "client_id": "c1"})
    await receive(resident, lambda e: e["type"] == "message" and e["sender"] == "system")  # waiting notice
    await resident.send_json({"type": "message", "text": "مرحبا؟", "client_id": "c2"})
    await receive(resident, lambda e: e["type"] == "ack" and e["client_id"] == "c2")

    assert (await login(client, "anna")).status == 303
    queue = await (await client.get("/staff")).text()
    assert reference in queue and "العربية" in queue and "Tolk behövs" not in queue  # Anna speaks Arabic
    assert 'data-language="ar"' in queue and "Anna Berg" in queue

    token = csrf_of(queue)
    claimed = await client.post(f"/staff/cases/{reference}/claim", data={"csrf": token}, allow_redirects=False)
    await claimed.read()
    assert claimed.status == 303 and claimed.headers["Location"] == f"/staff/cases/{reference}"
    joined = await receive(resident, lambda e: e["type"] == "message" and e["sender"] == "system")
    assert "Anna Berg" in joined["text"] and "anna" not in joined["text"].split()

    page = await (await client.get(f"/staff/cases/{reference}")).text()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and XSS not in page
    assert page.count('class="msg system"') == 2  # one waiting notice for two messages, then "joined"

    sent = await client.post(
        f"/staff/cases/{reference}/message", data={"csrf": token, "text": "Hej! Jag heter Anna."},
        headers={"X-Requested-With": "fetch"},
    )  # fmt: skip
    assert (await sent.json())["ok"] is True
    staff_message = await receive(resident, lambda e: e["type"] == "message" and e["sender"] == "staff")
    assert staff_message["name"] == "Anna Berg" and staff_message["text"] == "Hej! Jag heter Anna."

    await (
        await client.post(f"/staff/cases/{reference}/note", data={"csrf": token, "text": "Ring tolk: " + XSS})
    ).read()
    page = await (await client.get(f"/staff/cases/{reference}")).text()
    assert "Ring tolk: &lt;img" in page

    stale = await client.post(
        f"/staff/cases/{reference}/status", data={"csrf": token, "status": "received", "expected": "waiting_for_staff"}
    )
    assert stale.status == 200 and "har ändrats under tiden" in await stale.text()

    closed = await client.post(
        f"/staff/cases/{reference}/close",
        data={"csrf": token, "resolution": "Besvarat i chatten", "expected": "in_progress"},
    )
    assert closed.status == 200
    ended = await receive(resident, lambda e: e["type"] == "message" and e["sender"] == "system")
    assert reference in ended["text"]
    assert (await receive(resident, lambda e: e["type"] == "mode"))["mode"] == "closed"
    again = await client.post(
        f"/staff/cases/{reference}/close", data={"csrf": token, "resolution": "igen", "expected": "in_progress"}
    )
    assert "har ändrats under tiden" in await again.text()  # a message, not a 500

    export = await client.get("/staff/cases.csv", params={"reference": reference})
    rows = list(csv.reader(io.StringIO((await export.read()).decode("utf-8-sig"))))
    assert rows[0][0] == "reference" and rows[1][0] == reference and len(rows) == 2
    async with db() as s:
        case = await desk.get_case(s, reference)
        kinds = [e.kind for e in await desk.case_events(s, case.id)]
        transcript = await convs.transcript(s, conversation_id)
    for kind in ("created", "handoff", "claimed", "viewed", "message", "note", "closed", "exported"):
        assert kind in kinds, kind
    assert all(e.actor == "staff:anna" for e in await _staff_events(db, case.id))
    assert [m.sender for m in transcript if m.sender != "bot"] == [
        "resident", "system", "resident", "system", "staff", "system",
    ]  # fmt: skip
    assert all(m.text != "Ring tolk: " + XSS for m in transcript)  # the note never reaches the chat


async def _staff_events(db, case_id):
    async with db() as s:
        return [e for e in await desk.case_events(s, case_id) if e.actor.startswith("staff:")]


async def test_two_staff_members_race_to_claim_and_one_wins(client, db, staff, profile):
    _, _, reference = await waiting_resident(client, db, profile)
    other = await second_client(client)
    try:
        await login(client, "anna")
        await login(other, "bo")
        tokens = [await csrf(client), await csrf(other)]
        results = await asyncio.gather(
            client.post(f"/staff/cases/{reference}/claim", data={"csrf": tokens[0]}, allow_redirects=False),
            other.post(f"/staff/cases/{reference}/claim", data={"csrf": tokens[1]}, allow_redirects=False),
        )
        for r in results:
            await r.read()
        locations = sorted(r.headers["Location"] for r in results)
        assert locations == ["/staff", f"/staff/cases/{reference}"]
        loser = client if results[0].headers["Location"] == "/staff" else other
        assert "redan tagen" in await (await loser.get("/staff")).text()
    finally:
        await other.close()


async def test_hand_back_while_the_assistant_is_down_keeps_the_chat_with_the_person(client, db, staff, profile):
    _, conversation_id, reference = await waiting_resident(client, db, profile, "sv")
    await login(client, "anna")
    token = await csrf(client)
    await (await client.post(f"/staff/cases/{reference}/claim", data={"csrf": token})).read()
    other = await second_client(client)
    try:
        await login(other, "bo")
        taken = await other.post(f"/staff/cases/{reference}/handback", data={"csrf": await csrf(other)})
        assert taken.status == 403  # Bo cannot end Anna's chat
    finally:
        await other.close()
    response = await client.post(f"/staff/cases/{reference}/handback", data={"csrf": token})
    assert "Assistenten svarar inte" in await response.text()
    async with db() as s:
        assert (await convs.get_conversation(s, conversation_id)).mode == "human"


async def test_resident_can_leave_a_waiting_chat_and_the_case_stays(client, db, profile, staff):
    resident, conversation_id, reference = await waiting_resident(client, db, profile, "so")
    await resident.send_json({"type": "leave"})
    ended = await receive(resident, lambda e: e["type"] == "message" and e["sender"] == "system")
    assert reference in ended["text"] and ended["lang"] == "so"
    async with db() as s:
        case = await desk.get_case(s, reference)
        assert case.status == "received"
        assert (await convs.get_conversation(s, conversation_id)).mode == "closed"
    await login(client, "anna")
    assert reference not in await (await client.get("/staff/queue")).text()


async def test_nobody_claims_in_time_the_resident_is_told_once(client, db, profile):
    resident, _, reference = await waiting_resident(client, db, profile, "en")
    async with db() as s, s.begin():
        await s.execute(
            update(Case).where(Case.reference == reference).values(handoff_at=utcnow() - timedelta(hours=1))
        )
    case_desk = client.app[DESK]
    assert await case_desk.notify_unclaimed() == 1
    told = await receive(resident, lambda e: e["type"] == "message" and e["sender"] == "system")
    assert "No case officer is free" in told["text"] and reference in told["text"]
    assert await case_desk.notify_unclaimed() == 0


async def test_a_disabled_account_loses_its_session(client, db, staff):
    await login(client, "anna")
    before = await client.get("/staff", allow_redirects=False)
    await before.read()
    assert before.status == 200
    async with db() as s, s.begin():
        await set_active(s, "anna", False)
    after = await client.get("/staff", allow_redirects=False)
    await after.read()
    assert after.status == 303


async def test_live_queue_updates_over_the_staff_socket(client, db, staff, profile):
    await login(client, "anna")
    ws = await client.ws_connect("/ws/staff", headers={"Origin": str(client.make_url("")).rstrip("/")})
    await ws.send_json({"type": "watch_queue"})
    await receive(ws, lambda e: e["type"] == "watching")
    resident, _, reference = await waiting_resident(client, db, profile)
    token = await csrf(client)
    await (await client.post(f"/staff/cases/{reference}/claim", data={"csrf": token})).read()
    await receive(ws, lambda e: e["type"] == "queue_changed")
    await ws.send_json({"type": "watch", "reference": reference})
    await receive(ws, lambda e: e["type"] == "watching")
    await resident.send_json({"type": "message", "text": "are you there?", "client_id": "r1"})
    seen = await receive(ws, lambda e: e["type"] == "message" and e["sender"] == "resident")
    assert seen["text"] == "are you there?"


async def test_case_list_filters_and_key_figures_page(client, db, staff, profile):
    _, _, reference = await waiting_resident(client, db, profile, "ar")
    await login(client, "anna")
    listed = await (await client.get("/staff/cases", params={"language": "ar", "status": "waiting_for_staff"})).text()
    assert reference in listed
    assert reference not in await (await client.get("/staff/cases", params={"language": "sv"})).text()
    bad = await (await client.get("/staff/cases", params={"from": "22/11"})).text()
    assert "ÅÅÅÅ-MM-DD" in bad
    figures = await (await client.get("/staff/figures")).text()
    assert 'id="figure-handoffs">1<' in figures


def test_staff_catalogs_have_the_same_texts():
    from bot.web.staff.texts import staff_languages, staff_texts

    languages = staff_languages()
    assert "sv" in languages and "en" in languages
    keys = {code: set(staff_texts(code)) for code in languages}
    assert all(found == keys["sv"] for found in keys.values())
    assert "yes" in keys["sv"] and "no" in keys["sv"]  # quoted in YAML, not booleans
