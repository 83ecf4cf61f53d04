"""The phrasebook (issue 17) through the real staff console and the real resident and staff sockets."""

from __future__ import annotations

import pytest

from bot.core import phrasebook
from bot.store.staff import add_staff, hash_password
from tests.app.test_staff_web import PASSWORD, csrf, login, receive, waiting_resident


@pytest.fixture
async def officer(db):
    """Bo, a case officer who speaks only Swedish."""
    async with db() as s, s.begin():
        return await add_staff(s, "bo", "Bo Ek", hash_password(PASSWORD), ["sv"])


async def live_chat(client, db, profile, language: str):
    """A resident's socket, the watching staff socket, the case reference and a CSRF token; Bo has claimed it."""
    resident, _, reference = await waiting_resident(client, db, profile, language)
    assert (await login(client, "bo")).status == 303
    token = await csrf(client)
    claimed = await client.post(f"/staff/cases/{reference}/claim", data={"csrf": token}, allow_redirects=False)
    await claimed.read()
    await receive(resident, lambda e: e["type"] == "mode" and e["mode"] == "human")
    staff_ws = await client.ws_connect("/ws/staff", headers={"Origin": str(client.make_url("")).rstrip("/")})
    await staff_ws.send_json({"type": "watch", "reference": reference})
    await receive(staff_ws, lambda e: e["type"] == "watching")
    return resident, staff_ws, reference, token


async def send(client, reference: str, token: str, **fields: str) -> dict:
    response = await client.post(
        f"/staff/cases/{reference}/message", data={"csrf": token, **fields}, headers={"X-Requested-With": "fetch"}
    )
    return await response.json()


def from_staff(event: dict) -> bool:
    return event["type"] == "message" and event["sender"] == "staff"


async def test_a_phrase_reaches_an_arabic_resident_in_arabic_and_the_officer_sees_which_phrase(
    client, db, officer, profile, catalogs
):
    resident, staff_ws, reference, token = await live_chat(client, db, profile, "ar")
    assert (await send(client, reference, token, phrase="interpreter_call"))["ok"] is True

    seen = await receive(resident, from_staff)
    assert seen["text"] == "سنتصل بكم مع مترجم." == phrasebook.phrase(catalogs, "interpreter_call", "ar", {})
    assert seen["lang"] == "ar" and seen["dir"] == "rtl" and seen["name"] == "Bo Ek" and seen["note"] is None
    watched = await receive(staff_ws, from_staff)
    assert watched["phrase"] == "interpreter_call" and watched["text"] == seen["text"]

    page = await (await client.get(f"/staff/cases/{reference}")).text()
    assert "Frasbok: Vi ringer dig med en tolk." in page  # the transcript tells the officer what was sent
    assert 'id="phrasebook"' in page and page.count('name="phrase"') >= 20
    await staff_ws.close()


async def test_a_phrase_reaches_a_swedish_resident_in_swedish_with_the_officers_name(client, db, officer, profile):
    resident, staff_ws, reference, token = await live_chat(client, db, profile, "sv")
    assert (await send(client, reference, token, phrase="greeting"))["ok"] is True
    seen = await receive(resident, from_staff)
    assert seen["text"] == f"Hej! Jag heter Bo Ek. Jag arbetar på {profile.name}. Hur kan jag hjälpa dig?"
    assert seen["lang"] == "sv" and seen["note"] is None
    assert (await send(client, reference, token, phrase="case_number"))["ok"] is True
    assert reference in (await receive(resident, from_staff))["text"]
    await staff_ws.close()


async def test_own_text_to_an_arabic_resident_is_marked_written_in_swedish_in_arabic(client, db, officer, profile):
    resident, staff_ws, reference, token = await live_chat(client, db, profile, "ar")
    assert (await send(client, reference, token, text="Hej!"))["ok"] is True
    seen = await receive(resident, from_staff)
    assert seen["text"] == "Hej!" and seen["lang"] == "sv" and seen["dir"] == "ltr"
    assert seen["note"] == "مكتوب باللغة السويدية." and seen["note_lang"] == "ar" and seen["note_dir"] == "rtl"
    page = await (await client.get(f"/staff/cases/{reference}")).text()
    assert "märkt ”skrivet på svenska”" in page
    await staff_ws.close()


async def test_own_text_to_a_swedish_resident_is_not_marked(client, db, officer, profile):
    resident, staff_ws, reference, token = await live_chat(client, db, profile, "sv")
    assert (await send(client, reference, token, text="Hej! Hur kan jag hjälpa dig i dag?"))["ok"] is True
    seen = await receive(resident, from_staff)
    assert seen["lang"] == "sv" and seen["note"] is None
    await staff_ws.close()


async def test_an_unknown_phrase_gets_a_message_and_sends_nothing(client, db, officer, profile):
    resident, staff_ws, reference, token = await live_chat(client, db, profile, "ar")
    result = await send(client, reference, token, phrase="<script>")
    assert result == {"ok": False, "error": "Frasen finns inte i frasboken."}
    assert (await send(client, reference, token, phrase="still_there"))["ok"] is True
    assert (await receive(resident, from_staff))["text"] == "هل ما زلتم هنا؟"  # the first one never came
    await staff_ws.close()


async def test_a_phrase_on_a_chat_that_is_not_live_gets_a_message(client, db, officer, profile):
    _, _, reference = await waiting_resident(client, db, profile, "ar")
    assert (await login(client, "bo")).status == 303
    result = await send(client, reference, await csrf(client), phrase="greeting")
    assert result == {"ok": False, "error": "Du chattar inte i det här ärendet just nu."}
