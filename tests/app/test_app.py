"""The web app without Rasa running: socket protocol, bad input, messages kept, health."""

from __future__ import annotations

import asyncio

from bot.store import conversations as convs


async def receive(ws, kind: str, timeout: float = 5.0) -> dict:
    """The next event of this type (others are skipped)."""

    async def wait() -> dict:
        while True:
            event = await ws.receive_json()
            if event["type"] == kind:
                return event

    return await asyncio.wait_for(wait(), timeout)


async def hello(client, **extra) -> tuple[object, dict]:
    ws = await client.ws_connect("/ws/chat")
    await ws.send_json({"type": "hello", **extra})
    return ws, await receive(ws, "welcome")


async def test_page_is_the_widget_in_the_asked_language(client):
    sv = await client.get("/")
    assert sv.status == 200
    html = await sv.text()
    assert '<html lang="sv" dir="ltr">' in html and "<title>Chatta med Exempelby kommun</title>" in html
    assert '<script src="/static/widget.js" defer data-mode="page" data-target="#chat" data-language="sv">' in html
    assert "<noscript><p>Chatten behöver JavaScript. Du kan ringa oss på 0123-45 67 00" in html
    assert "<script>" not in html and "style=" not in html  # nothing inline: the strict CSP holds
    csp = sv.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    ar = await (await client.get("/?lang=ar")).text()
    assert '<html lang="ar" dir="rtl">' in ar
    assert '<html lang="sv"' in await (await client.get("/?lang=xx")).text()
    widget = await client.get("/static/widget.js")
    assert widget.status == 200 and "javascript" in widget.headers["Content-Type"]


async def test_page_opens_in_the_browsers_language_when_we_have_it(client):
    async def page_language(**headers):
        html = await (await client.get("/", headers=headers)).text()
        return html.split('<html lang="')[1].split('"')[0]

    assert await page_language(**{"Accept-Language": "ar-SY,ar;q=0.9,en;q=0.5"}) == "ar"
    assert await page_language(**{"Accept-Language": "de-DE, uk;q=0.4, en;q=0.7"}) == "en"  # by quality
    assert await page_language(**{"Accept-Language": "de, tr;q=0.9"}) == "sv"  # none of ours: the default
    assert await page_language(**{"Accept-Language": "fi, en;q=0"}) == "fi"
    html = await (await client.get("/?lang=pl", headers={"Accept-Language": "ar"})).text()
    assert '<html lang="pl"' in html  # an explicit choice wins


async def test_ui_strings_endpoint(client):
    data = await (await client.get("/api/ui/en")).json()
    assert data["language"] == "en" and data["strings"]["send"] == "Send"
    assert data["privacy_url"] == "https://www.exempelby.example/personuppgifter"
    assert [lang["name"] for lang in data["languages"]][:2] == ["Svenska", "English"]
    assert (await client.get("/api/ui/xx")).status == 404


async def test_ui_strings_of_the_first_supported_preferred_language(client):
    assert (await (await client.get("/api/ui?prefer=de,ar-SY,en")).json())["language"] == "ar"
    assert (await (await client.get("/api/ui?prefer=xx")).json())["language"] == "sv"
    assert (await (await client.get("/api/ui")).json())["language"] == "sv"
    arabic = await (await client.get("/api/ui?prefer=ar")).json()
    assert arabic["dir"] == "rtl"
    assert "\u2068Exempelby kommun\u2069" in arabic["strings"]["heading"]  # isolated inside Arabic


async def test_an_allowed_web_site_may_embed_the_widget_and_others_may_not(client):
    allowed = {"Origin": "https://www.exempelby.example"}  # profiles/example.yml widget.allowed_origins
    other = {"Origin": "https://evil.example"}
    response = await client.get("/api/ui/sv", headers=allowed)
    assert response.headers["Access-Control-Allow-Origin"] == "https://www.exempelby.example"
    assert "Origin" in response.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in (await client.get("/api/ui/sv", headers=other)).headers
    ws = await client.ws_connect("/ws/chat", headers=allowed)
    await ws.send_json({"type": "hello"})
    assert (await receive(ws, "welcome"))["language"] == "sv"
    await ws.close()
    own = {"Origin": str(client.make_url("")).rstrip("/")}
    ws = await client.ws_connect("/ws/chat", headers=own)
    await ws.close()
    refused = await client.get(
        "/ws/chat", headers={**other, "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                             "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    )  # fmt: skip
    assert refused.status == 403


async def test_a_message_sent_again_after_a_reconnect_is_stored_once(client, db):
    ws, welcome = await hello(client)
    await ws.send_json({"type": "message", "text": "min gatlampa är trasig", "client_id": "c-42"})
    first = await receive(ws, "ack")
    await ws.close()  # the widget did not see the ack: it sends the message again on its next socket
    again, _ = await hello(client, token=welcome["token"])
    await again.send_json({"type": "message", "text": "min gatlampa är trasig", "client_id": "c-42"})
    second = await receive(again, "ack")
    assert second["id"] == first["id"] and second["client_id"] == "c-42"
    await again.send_json({"type": "hello", "token": welcome["token"]})
    history = (await receive(again, "welcome"))["history"]
    resident = [m for m in history if m["sender"] == "resident"]
    assert [(m["text"], m["client_id"]) for m in resident] == [("min gatlampa är trasig", "c-42")]
    await again.close()


async def test_a_refused_message_names_its_client_id_so_the_widget_stops_resending(client):
    ws, _ = await hello(client)
    await ws.send_json({"type": "message", "text": "x" * 2001, "client_id": "c-long"})
    error = await receive(ws, "error")
    assert error["code"] == "too_long" and error["client_id"] == "c-long"
    await ws.close()


async def test_new_conversation_is_greeted_and_gets_a_token(client):
    ws, welcome = await hello(client, language="en")
    assert len(welcome["token"]) >= 40
    assert welcome["language"] == "en" and welcome["mode"] == "bot"
    greeting = welcome["history"][0]
    assert greeting["sender"] == "bot" and greeting["text"].startswith("Hello!")
    assert [b["title"] for b in greeting["buttons"]][:2] == ["Svenska", "English"]
    await ws.close()


async def test_message_is_kept_and_resident_told_when_rasa_is_not_running(client, db):
    ws, welcome = await hello(client)
    await ws.send_json({"type": "message", "text": "hej", "client_id": "c-1"})
    events = []
    while not any(e.get("sender") == "system" for e in events):
        events.append(await asyncio.wait_for(ws.receive_json(), 5))
    assert {"type": "ack", "client_id": "c-1"}.items() <= next(e for e in events if e["type"] == "ack").items()
    echo = next(e for e in events if e.get("sender") == "resident")
    assert echo["text"] == "hej" and echo["client_id"] == "c-1"
    assert "startar" in events[-1]["text"]
    await asyncio.sleep(0.5)  # the retry loop runs a few times, Rasa is still away
    async with db() as s:
        conversation = await convs.find_by_token(s, welcome["token"])
        pending = await convs.undelivered(s, conversation.id)
        messages = await convs.transcript(s, conversation.id)
    assert [m.text for m in pending] == ["hej"]
    assert [m.sender for m in messages].count("system") == 1  # told once, not on every retry
    await ws.close()


async def test_reload_resumes_the_same_conversation(client):
    ws, welcome = await hello(client, language="en")
    await ws.send_json({"type": "message", "text": "<img src=x onerror=alert(1)>"})
    await receive(ws, "ack")
    await ws.close()
    ws2, again = await hello(client, token=welcome["token"])
    texts = [m["text"] for m in again["history"]]
    assert "<img src=x onerror=alert(1)>" in texts  # kept as text, escaped by the page
    assert again["token"] == welcome["token"] and again["language"] == "en"
    await ws2.close()


async def test_unknown_token_starts_a_new_conversation(client):
    ws, welcome = await hello(client, token="not-a-real-token")
    assert welcome["token"] != "not-a-real-token"
    assert len(welcome["history"]) == 1
    await ws.close()


async def test_bad_input_gets_an_error_and_the_socket_stays_usable(client, settings):
    ws, _ = await hello(client, language="en")
    await ws.send_str("{not json")
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_json({"type": "message", "text": "x" * (settings.max_message_chars + 1)})
    error = await receive(ws, "error")
    assert error["code"] == "too_long" and "2000" in error["message"]
    await ws.send_json({"type": "message", "text": ["not", "text"]})
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_json({"type": "dance"})
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_bytes(b"\x00\x01")
    assert (await receive(ws, "error"))["code"] == "invalid"
    await ws.send_json({"type": "message", "text": "still here"})
    assert (await receive(ws, "ack"))["id"] > 0
    await ws.close()


async def test_message_before_hello_is_refused(client):
    ws = await client.ws_connect("/ws/chat")
    await ws.send_json({"type": "message", "text": "hej"})
    assert (await receive(ws, "error"))["code"] == "no_session"
    await ws.close()


async def test_health_is_503_with_details_while_rasa_is_down(client):
    response = await client.get("/healthz")
    assert response.status == 503
    data = await response.json()
    assert data["database"]["ok"] is True
    assert data["rasa"]["ok"] is False and data["action_server"]["ok"] is False


async def test_first_free_text_message_switches_to_a_confidently_detected_language(client, db):
    ws, welcome = await hello(client, language="sv")
    await ws.send_json({"type": "message", "text": "I want to complain about the snow clearing on my street"})
    switched = await receive(ws, "language")
    assert switched == {"type": "language", "lang": "en", "dir": "ltr"}
    async with db() as s:
        assert (await convs.find_by_token(s, welcome["token"])).language == "en"
    await ws.send_json({"type": "message", "text": "Haluan tehdä valituksen"})  # only the first message decides
    await receive(ws, "ack")
    async with db() as s:
        assert (await convs.find_by_token(s, welcome["token"])).language == "en"
    await ws.send_json({"type": "message", "text": "x" * 2001})
    assert (await receive(ws, "error"))["message"].startswith("The message is too long")  # errors follow
    await ws.close()


async def test_unsure_detection_asks_for_the_language_and_a_plausible_one_is_kept(client, db):
    ws, _ = await hello(client, language="sv")
    await ws.send_json({"type": "message", "text": "hello"})  # English? Finnish? Somali? Unsure.
    asked = await receive(ws, "message")
    while asked["sender"] != "bot":
        asked = await receive(ws, "message")
    assert asked["text"] == "Vilket språk vill du använda?"
    assert [b["title"] for b in asked["buttons"]][:2] == ["Svenska", "English"]
    ws2, welcome2 = await hello(client, language="sv")
    await ws2.send_json({"type": "message", "text": "hej"})  # could be Polish, but Swedish is plausible
    await receive(ws2, "ack")
    async with db() as s:
        assert (await convs.find_by_token(s, welcome2["token"])).language == "sv"
    await ws.close()
    await ws2.close()


async def test_conversation_locks_do_not_pile_up(client):
    from bot.web.keys import DELIVERY

    for n in range(5):
        ws, _ = await hello(client)
        await ws.send_json({"type": "message", "text": "hej", "client_id": f"lock-{n}"})
        await receive(ws, "ack")
        await ws.close()
    delivery = client.app[DELIVERY]
    for _ in range(30):  # the retry loop keeps trying (Rasa is down); between its passes no lock is left
        if not len(delivery._locks):
            break
        await asyncio.sleep(0.1)
    assert len(delivery._locks) == 0
