"""The client's address behind a reverse proxy (issue 17): believed only from trusted proxies, rightmost first.

The test client connects from 127.0.0.1, which plays the reverse proxy when ``KOMMUN_TRUSTED_PROXIES``
names it.
"""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.core.internal_keys import keyed_digest
from bot.core.settings import Settings
from bot.store import throttle
from bot.store.models import LoginThrottle, Message
from bot.web.app import create_app
from bot.web.client_address import forwarded_client
from tests.app.test_app import receive
from tests.app.test_staff_web import csrf_of

PROXIES = (ip_network("10.0.0.0/8"), ip_network("127.0.0.1/32"), ip_network("2001:db8::/32"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("198.51.100.7", ["203.0.113.5"], "198.51.100.7"),  # not through a trusted proxy: the header is anyone's
        ("127.0.0.1", [], "127.0.0.1"),  # the proxy itself (a health check on loopback)
        ("127.0.0.1", ["203.0.113.5"], "203.0.113.5"),
        ("127.0.0.1", ["6.6.6.6, 203.0.113.5, 10.0.0.2"], "203.0.113.5"),  # what the client wrote on the left
        ("127.0.0.1", ["6.6.6.6", "203.0.113.5"], "203.0.113.5"),  # two header lines are one list
        ("127.0.0.1", ["10.1.1.1, 10.0.0.2"], "10.1.1.1"),  # all trusted: the leftmost
        ("127.0.0.1", ["203.0.113.5, bogus, 10.0.0.2"], "10.0.0.2"),  # nothing left of a non-address
        ("127.0.0.1", ["2001:DB8::1, 2001:0db8::2"], "2001:db8::1"),
        ("127.0.0.1", ["[::1]:80"], "127.0.0.1"),
    ],
)
def test_the_client_is_the_rightmost_address_that_is_no_trusted_proxy(peer, forwarded, client):
    assert forwarded_client(peer, forwarded, PROXIES) == client
    assert forwarded_client(peer, forwarded, ()) == peer  # no trusted proxies: never the header


def test_trusted_proxies_are_read_from_the_environment_and_passed_on():
    settings = Settings.from_env({"KOMMUN_TRUSTED_PROXIES": " 127.0.0.1, 10.0.0.0/8 ,::1"})
    assert settings.trusted_proxies == (ip_network("127.0.0.1/32"), ip_network("10.0.0.0/8"), ip_network("::1"))
    assert settings.client_address_header == "X-Forwarded-For"
    assert Settings.from_env(settings.child_env()).trusted_proxies == settings.trusted_proxies
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(ValueError, match="KOMMUN_TRUSTED_PROXIES"):
        Settings.from_env({"KOMMUN_TRUSTED_PROXIES": "proxy.example"})


async def _failed_login(http, forwarded: str) -> None:
    page = await http.get("/staff/login")
    data = {"csrf": csrf_of(await page.text()), "username": "nobody", "password": "wrong password!"}
    response = await http.post("/staff/login", data=data, headers={"X-Forwarded-For": forwarded})
    assert response.status == 401


@pytest.mark.parametrize("trusted", [True, False])
async def test_the_login_back_off_counts_the_forwarded_client_only_behind_a_trusted_proxy(settings, db, trusted):
    proxies = (ip_network("127.0.0.1/32"),) if trusted else ()
    app = create_app(settings.with_overrides(trusted_proxies=proxies))
    async with TestClient(TestServer(app)) as http:
        await _failed_login(http, "203.0.113.5")
        await _failed_login(http, "6.6.6.6, 198.51.100.7")
    async with db() as s:
        keys = set((await s.execute(select(LoginThrottle.key))).scalars())
    if trusted:
        assert {throttle.ADDRESS.key("203.0.113.5"), throttle.ADDRESS.key("198.51.100.7")} <= keys
        assert throttle.ADDRESS.key("127.0.0.1") not in keys and throttle.ADDRESS.key("6.6.6.6") not in keys
    else:
        assert throttle.ADDRESS.key("127.0.0.1") in keys and throttle.ADDRESS.key("203.0.113.5") not in keys


async def test_the_status_lookups_client_digest_and_metrics_use_the_forwarded_client(settings, db):
    settings = settings.with_overrides(trusted_proxies=(ip_network("127.0.0.1/32"),))
    async with TestClient(TestServer(create_app(settings))) as http:
        ws = await http.ws_connect("/ws/chat", headers={"X-Forwarded-For": "203.0.113.5"})
        await ws.send_json({"type": "hello", "language": "sv"})
        await receive(ws, "welcome")
        await ws.send_json({"type": "message", "text": "hej", "client_id": "c-1"})
        await receive(ws, "ack")
        await ws.close()
        assert (await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"})).status == 403
        assert (await http.get("/metrics")).status == 200  # from the proxy's own machine
    async with db() as s:
        message = (await s.execute(select(Message).where(Message.sender == "resident"))).scalar_one()
    assert message.payload["client"] == keyed_digest(settings.rasa_token, "203.0.113.5")
