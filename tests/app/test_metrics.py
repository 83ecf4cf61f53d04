"""/metrics in Prometheus' text format, counting what the gateway does (Rasa not running)."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.web.app import create_app


def samples(text: str) -> dict[str, float]:
    return {s.name: s.value for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_count_failed_turns_and_waiting_chats(settings):
    async with TestClient(TestServer(create_app(settings.with_overrides(retry_interval=30)))) as client:
        before = samples(await (await client.get("/metrics")).text())
        assert before["kommun_turns_total"] == 0 and before["kommun_chats_waiting"] == 0
        ws = await client.ws_connect("/ws/chat")
        await ws.send_json({"type": "hello", "language": "sv"})
        await ws.send_json({"type": "message", "text": "hej", "client_id": "1"})
        for _ in range(50):  # Rasa is down: the turn fails and is counted
            await asyncio.sleep(0.1)
            after = samples(await (await client.get("/metrics")).text())
            if after["kommun_rasa_errors_total"] >= 1:
                break
        assert after["kommun_rasa_errors_total"] >= 1 and after["kommun_turns_total"] == 0
        assert "kommun_turn_seconds_bucket" in after
        await ws.close()


async def test_metrics_need_the_token_when_one_is_set(settings):
    app = create_app(settings.with_overrides(metrics_token="s3cret"))
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/metrics")).status == 403
        ok = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert ok.status == 200 and "kommun_handoffs_total" in await ok.text()
