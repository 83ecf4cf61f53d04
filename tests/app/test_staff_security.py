"""Issue 17's security probe of the staff console, one test per finding, over HTTP and WebSocket.

Roles (case officers by department, supervisors, admins), server-side sessions (logout, disable, idle
timeout; open sockets closed), the login answer and back-off (16 concurrent failures on PostgreSQL),
and the low findings: 404/400 instead of 500, headers on every response, escaped log lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from alembic import command
from sqlalchemy import delete, text, update

from bot.core.settings import Settings
from bot.store import desk
from bot.store.cases import NewCase, create_case
from bot.store.db import create_engine, session_factory
from bot.store.migrate import alembic_config, upgrade
from bot.store.models import LoginThrottle, StaffSession, utcnow
from bot.store.staff import add_staff, edit_staff, find_staff, hash_password, set_active, set_password
from bot.web.middleware import AccessLogger
from bot.web.staff.auth import COOKIE_NAME
from tests.app.test_staff_web import PASSWORD, csrf, csrf_of, login, receive, second_client, waiting_resident
from tests.helpers.postgres import create_database, drop_database, sqlalchemy_url

CLOSED = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED)


@pytest.fixture
async def people(db):
    """A supervisor, two case officers (Finnish-only Olli in school, Anna in waste) and an admin."""
    hashed = hash_password(PASSWORD)
    async with db() as s, s.begin():
        await add_staff(s, "sara", "Sara Sjö", hashed, ["sv"], role="supervisor")
        await add_staff(s, "olli", "Olli Oja", hashed, ["fi"], departments=["school"])
        await add_staff(s, "anna", "Anna Berg", hashed, ["sv", "ar"], departments=["waste"])
        await add_staff(s, "ada", "Ada Admin", hashed, ["sv"], role="admin")


async def filed(db, profile, area: str) -> str:
    async with db() as s, s.begin():
        new = NewCase(kind="complaint", description="Soptunnan", language="sv", area=area, contact_email="a@b.se")
        return (await create_case(s, profile, new)).reference


async def after_presence(ws, timeout: float):
    """The next frame of a staff socket after the presence state it sends on connect (``{"type": "away"}``)."""
    while True:
        message = await ws.receive(timeout=timeout)
        if message.type != WSMsgType.TEXT or json.loads(message.data).get("type") != "away":
            return message


def origin(client) -> dict[str, str]:
    return {"Origin": str(client.make_url("")).rstrip("/")}


async def post(http, path: str, **data: str) -> aiohttp.ClientResponse:
    response = await http.post(path, data={"csrf": await csrf(http), **data}, allow_redirects=False)
    await response.read()
    return response


async def refusals(db, reference: str) -> list[tuple[str, str]]:
    async with db() as s:
        case = await desk.get_case(s, reference)
        return [(e.actor, e.data["action"]) for e in await desk.case_events(s, case.id) if e.kind == "refused"]


async def test_a_disabled_account_loses_its_open_socket_and_cannot_watch_another_case(client, db, people, profile):
    resident, _, reference = await waiting_resident(client, db, profile, "fi")
    _, _, other_reference = await waiting_resident(client, db, profile, "fi")
    await login(client, "olli")
    assert (await post(client, f"/staff/cases/{reference}/claim")).status == 303
    watching = await client.ws_connect("/ws/staff", headers=origin(client))
    await watching.send_json({"type": "watch", "reference": reference})
    await receive(watching, lambda e: e["type"] == "watching")
    elsewhere = await second_client(client)  # Olli logged in on a second computer too
    try:
        await login(elsewhere, "olli")
        idle = await elsewhere.ws_connect("/ws/staff", headers=origin(client))
        async with db() as s, s.begin():
            await set_active(s, "olli", False)  # what `python -m bot staff disable olli` does, from another process
        await resident.send_json({"type": "message", "text": "onko siellä ketään?", "client_id": "r1"})
        await receive(resident, lambda e: e["type"] == "ack")
        assert (await after_presence(watching, 5)).type in CLOSED  # the chat message never reaches it
        with contextlib.suppress(ConnectionResetError):  # (closed already if its idle check came first)
            await idle.send_json({"type": "watch", "reference": other_reference})
        assert (await after_presence(idle, 10)).type in CLOSED  # no "watching"
    finally:
        await elsewhere.close()


async def test_roles_a_case_officer_sees_their_departments_and_acts_only_on_their_own_cases(
    client, db, people, profile
):
    waste = await filed(db, profile, "waste")
    school = await filed(db, profile, "school")
    _, _, live = await waiting_resident(client, db, profile, "sv")
    anna = await second_client(client)
    try:
        await login(anna, "anna")
        assert (await post(anna, f"/staff/cases/{live}/claim")).status == 303  # any officer takes a waiting chat
    finally:
        await anna.close()

    await login(client, "olli")
    page = await client.get(f"/staff/cases/{waste}", allow_redirects=False)
    assert page.status == 403 and "a@b.se" not in await page.text()
    assert (await client.get(f"/staff/cases/{school}")).status == 200
    listed = await (await client.get("/staff/cases")).text()
    assert school in listed and waste not in listed and live not in listed
    export = (await (await client.get("/staff/cases.csv")).read()).decode("utf-8-sig")
    assert school in export and waste not in export
    assert (await client.get("/staff/figures", allow_redirects=False)).status == 403  # supervisors only
    for action, data in (("close", {"resolution": "x", "expected": "in_progress"}), ("handback", {})):
        assert (await post(client, f"/staff/cases/{live}/{action}", **data)).status == 403
    status = await post(client, f"/staff/cases/{live}/status", status="received", expected="in_progress")
    assert status.status == 403
    async with db() as s:
        assert (await desk.get_case(s, live)).status == "in_progress"  # Anna's chat goes on
    assert await refusals(db, waste) == [("staff:olli", "view")]
    assert await refusals(db, live) == [("staff:olli", "close"), ("staff:olli", "hand_back"), ("staff:olli", "status")]

    sara = await second_client(client)
    try:
        await login(sara, "sara")
        assert (await sara.get(f"/staff/cases/{waste}")).status == 200
        olli_id = re.search(
            r'<option value="(\d+)"[^>]*>Olli Oja<', await (await sara.get(f"/staff/cases/{waste}")).text()
        )
        assert (await post(sara, f"/staff/cases/{waste}/assign", staff_id=olli_id.group(1))).status == 303
    finally:
        await sara.close()
    assert (await client.get(f"/staff/cases/{waste}")).status == 200  # now his case
    await login(client, "ada")
    assert (await client.get(f"/staff/cases/{school}", allow_redirects=False)).status == 403  # admins: no cases
    assert "olli" in await (await client.get("/staff/accounts")).text()


async def test_an_admin_disables_an_account_on_the_accounts_page_and_its_socket_closes(client, db, people):
    olli = await second_client(client)
    try:
        await login(olli, "olli")
        ws = await olli.ws_connect("/ws/staff", headers=origin(client))
        await ws.send_json({"type": "watch_queue"})
        await receive(ws, lambda e: e["type"] == "watching")
        await login(client, "olli")  # a case officer may not open the accounts page
        assert (await client.get("/staff/accounts", allow_redirects=False)).status == 403
        await login(client, "ada")
        admin_ws = await client.ws_connect("/ws/staff", headers=origin(client))
        await admin_ws.send_json({"type": "watch_queue"})
        assert (await receive(admin_ws, lambda e: True))["code"] == "forbidden"  # admins see no queue
        assert (await post(client, "/staff/accounts/olli/disable")).status == 303
        assert (await after_presence(ws, 5)).type in CLOSED
        assert (await olli.get("/staff", allow_redirects=False)).status == 303
        assert "olli" in await (await client.get("/staff/accounts")).text()
    finally:
        await olli.close()


async def test_logout_ends_the_session_on_the_server_and_a_copied_cookie_is_refused(client, db, people):
    await login(client, "sara")
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE_NAME].value
    ws = await client.ws_connect("/ws/staff", headers=origin(client))
    assert (await post(client, "/staff/logout")).status == 303
    assert (await after_presence(ws, 5)).type in CLOSED  # closed at once
    copy = aiohttp.ClientSession(base_url=str(client.make_url("/")), cookies={COOKIE_NAME: cookie})
    try:
        for path in ("/staff", "/staff/cases.csv"):
            response = await copy.get(path, allow_redirects=False)
            await response.read()
            assert response.status == 303 and response.headers["Location"].startswith("/staff/login"), path
    finally:
        await copy.close()


async def test_new_rights_or_a_new_password_end_the_sessions(client, db, people):
    await login(client, "olli")
    async with db() as s, s.begin():
        await edit_staff(s, "olli", languages=["fi", "sv"])  # no new rights: the session goes on
    assert (await client.get("/staff", allow_redirects=False)).status == 200
    async with db() as s, s.begin():
        await edit_staff(s, "olli", departments=["school", "waste"])  # `staff edit olli --departments …`
    assert (await client.get("/staff", allow_redirects=False)).status == 303
    await login(client, "olli")
    async with db() as s, s.begin():
        await set_password(s, "olli", hash_password("another long password"))
    assert (await client.get("/staff", allow_redirects=False)).status == 303


async def test_a_session_ends_after_the_profiles_idle_timeout(client, db, people, profile):
    await login(client, "sara")
    assert (await client.get("/staff", allow_redirects=False)).status == 200
    idle = timedelta(minutes=profile.staff_idle_timeout_minutes + 1)
    async with db() as s, s.begin():
        await s.execute(update(StaffSession).values(last_seen_at=utcnow() - idle))
    assert (await client.get("/staff", allow_redirects=False)).status == 303


def login_error(html: str) -> str:
    return re.search(r'id="login-error">([^<]*)<', html).group(1)


async def test_every_login_failure_gets_the_same_answer(client, db, people):
    async with db() as s, s.begin():
        await set_active(s, "anna", False)
        s.add(
            LoginThrottle(
                key="account:sara", failures=9, last_failure_at=utcnow(), blocked_until=utcnow() + timedelta(minutes=1)
            )
        )
    answers = []
    for username, password in (
        ("olli", "wrong password!"),
        ("nobody", PASSWORD),
        ("anna", PASSWORD),
        ("sara", PASSWORD),
    ):
        page = await client.get("/staff/login")
        response = await client.post(
            "/staff/login", data={"csrf": csrf_of(await page.text()), "username": username, "password": password}
        )
        answers.append((response.status, login_error(await response.text())))
    assert len(set(answers)) == 1 and answers[0][0] == 401  # wrong, unknown, disabled, held back


@pytest.fixture
async def pg_client(tmp_path, pg_url):
    """The web app on the session's PostgreSQL database; the login counters are emptied before and after."""
    from bot.web.app import create_app

    engine = create_engine(pg_url)
    sessions = session_factory(engine)

    async def forget() -> None:
        async with sessions() as s, s.begin():
            await s.execute(delete(LoginThrottle))

    await forget()
    settings = Settings.from_env(
        {"KOMMUN_DATA_DIR": str(tmp_path), "DATABASE_URL": pg_url, "KOMMUN_RASA_TOKEN": "t", "KOMMUN_RASA_PORT": "1"}
    ).with_overrides(warm_up_language_detection=False)
    try:
        async with TestClient(TestServer(create_app(settings))) as test_client:
            yield test_client, sessions
    finally:
        await forget()
        await engine.dispose()


async def test_sixteen_concurrent_wrong_passwords_are_all_counted_on_postgresql(pg_client):
    client, sessions = pg_client
    username = f"pg{uuid.uuid4().hex[:10]}"
    async with sessions() as s, s.begin():
        await add_staff(s, username, "Per Gren", hash_password(PASSWORD), ["sv"])
    token = csrf_of(await (await client.get("/staff/login")).text())
    data = {"csrf": token, "username": username, "password": "wrong password!"}
    responses = await asyncio.gather(*(client.post("/staff/login", data=data) for _ in range(16)))
    answers = {(r.status, login_error(await r.text())) for r in responses}
    assert len(answers) == 1 and next(iter(answers))[0] == 401
    async with sessions() as s:
        counted = await s.get(LoginThrottle, "address:127.0.0.1")
    assert counted.failures == 16  # one atomic UPDATE … SET failures = failures + 1 each, none lost


async def test_unknown_references_absurd_dates_and_huge_pages_are_400_or_404(client, db, people):
    await login(client, "sara")
    for action in ("note", "status", "close", "handback"):
        response = await post(
            client, f"/staff/cases/SYN-1999-99999/{action}", text="x", status="received", resolution="x"
        )
        assert response.status == 404, action
    for path in ("/staff/cases?to=9999-12-31", "/staff/figures?to=9999-12-31", "/staff/cases.csv?from=0001-01-01"):
        response = await client.get(path)
        await response.read()
        assert response.status == 400, path
    huge = await client.get("/staff/cases", params={"page": str(10**20)})
    await huge.read()
    assert huge.status == 400


async def test_staff_responses_errors_included_carry_the_protective_headers_and_no_store(client, people):
    await login(client, "sara")
    responses = [
        await client.get("/staff"),
        await client.get("/staff/cases.csv"),
        await client.get("/staff/cases/SYN-1999-99999"),
        await client.get("/no/such/page"),
    ]
    for response in responses:
        await response.read()
        assert response.headers["Content-Security-Policy"] and response.headers["X-Content-Type-Options"] == "nosniff"
        assert not re.search(r"\d|aiohttp|Python", response.headers["Server"])
    assert [r.status for r in responses] == [200, 200, 404, 404]
    assert all(r.headers["Cache-Control"] == "no-store" for r in responses[:3])


def test_a_line_feed_in_the_url_cannot_forge_a_log_line(caplog):
    request = make_mocked_request("GET", "/staff/x%0a2026-12-03 INFO forged")
    response = aiohttp.web.Response(status=404)
    with caplog.at_level(logging.INFO, logger="test.access"):
        AccessLogger(logging.getLogger("test.access"), "").log(request, response, 0.001)
    assert len(caplog.records) == 1 and "\n" not in caplog.records[0].getMessage()
    assert "\\x0a2026-12-03 INFO forged" in caplog.records[0].getMessage()


async def test_a_refused_login_logs_the_username_on_one_line(client, people, caplog):
    with caplog.at_level(logging.INFO, logger="bot.web.staff.views.login"):
        page = await client.get("/staff/login")
        data = {
            "csrf": csrf_of(await page.text()),
            "username": "x\nadmin logged in",
            "password": "wrong password!",
        }
        await (await client.post("/staff/login", data=data)).read()
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.web.staff.views.login"]
    assert messages and all("\n" not in m for m in messages)
    assert any("x\\x0aadmin logged in" in m for m in messages)  # who was refused, on one line


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_migration_0006_makes_existing_accounts_supervisors_and_goes_back(tmp_path, backend):
    name = f"kommun_mig_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    else:
        await create_database(name)
        url = sqlalchemy_url(name)
    try:
        await asyncio.to_thread(upgrade, url, "0005")
        engine = create_engine(url)
        insert = (
            "INSERT INTO staff_member (username, display_name, password_hash, languages, active, failed_logins,"
            " created_at) VALUES ('kim', 'Kim', 'h', '[\"sv\"]', true, 0, CURRENT_TIMESTAMP)"
        )
        async with engine.begin() as connection:
            await connection.execute(text(insert))
        await asyncio.to_thread(upgrade, url)
        async with session_factory(engine)() as s:
            kim = await find_staff(s, "kim")
            assert (kim.role, kim.departments) == ("supervisor", [])  # nothing breaks for a running municipality
        await engine.dispose()
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0005")
        await asyncio.to_thread(upgrade, url)
    finally:
        if backend == "postgresql":
            await drop_database(name)
