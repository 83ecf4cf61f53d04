"""The counting proxy of ``tools.bench.action_calls`` between Rasa and the action server (no stack started)."""

from __future__ import annotations

import json

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from tools.bench.action_calls import Call, CountingProxy, Turn, table


async def test_the_proxy_forwards_each_call_with_its_secret_and_records_name_size_and_domain():
    seen: list[tuple[str, str]] = []

    async def action_server(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((body["next_action"], request.headers["Authorization"]))
        return web.json_response({"events": [], "responses": [{"response": "utter_hello"}]})

    upstream_app = web.Application()
    upstream_app.router.add_post("/webhook", action_server)
    async with TestServer(upstream_app) as upstream:
        proxy = CountingProxy(str(upstream.make_url("")).rstrip("/"))
        async with TestServer(proxy.app()) as server, aiohttp.ClientSession() as http:
            proxy.http = http
            tracker = {"events": [{"event": "action", "name": "action_listen"}] * 3}
            bodies = [
                {"next_action": "validate_complaint_form", "tracker": tracker, "domain": {"slots": {}}},
                {"next_action": "action_ask_complaint_area", "tracker": tracker},
            ]
            for body in bodies:
                raw = json.dumps(body).encode()
                headers = {"Authorization": "Bearer s3cret", "Content-Type": "application/json"}
                async with http.post(server.make_url("/webhook"), data=raw, headers=headers) as reply:
                    assert reply.status == 200
                    assert (await reply.json())["responses"] == [{"response": "utter_hello"}]
    assert seen == [("validate_complaint_form", "Bearer s3cret"), ("action_ask_complaint_area", "Bearer s3cret")]
    assert [c.action for c in proxy.calls] == ["validate_complaint_form", "action_ask_complaint_area"]
    assert proxy.calls[0].domain_bytes == len(b'{"slots": {}}') and proxy.calls[1].domain_bytes == 0
    assert proxy.calls[0].events == 3 and proxy.calls[1].body_bytes == len(json.dumps(bodies[1]).encode())


def test_the_table_has_a_row_per_turn_and_the_totals():
    fresh = [Turn("faq", [Call("action_session_start", 2048, 0, 4)]), Turn("handoff", [])]
    padded = [Turn("faq", []), Turn("handoff", [Call("action_handoff", 10240, 0, 90)])]
    text = table(fresh, padded)
    assert "| faq | 1 | action_session_start | 2 | — |" in text
    assert "| handoff | 0 | — | — | 10 |" in text
    assert "**all 2 turns** | **1**" in text and "in 0 of the 1 bodies" in text
