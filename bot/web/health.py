"""``GET /healthz``: whether Rasa, the action server and the database are ready (the supervisor waits for it).

The parts and their details are shown on loopback, or elsewhere with ``Authorization: Bearer
<KOMMUN_METRICS_TOKEN>``; other callers (a load balancer) get only ``{"status"}`` and the status code.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import text

from bot.chat.rasa_client import action_server_status
from bot.core.internal_keys import bearer_matches
from bot.web.keys import ENGINE, HTTP, RASA, SETTINGS
from bot.web.metrics import from_loopback


async def healthz(request: web.Request) -> web.Response:
    """200 with the state of Rasa, the action server and the database when all are ready, else 503."""
    app = request.app
    settings = app[SETTINGS]
    try:
        async with app[ENGINE].connect() as connection:
            await connection.execute(text("SELECT 1"))
        database = {"ok": True, "detail": app[ENGINE].dialect.name}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the type is reported
        database = {"ok": False, "detail": type(exc).__name__}
    *rasa_states, actions = await asyncio.gather(
        *(client.status() for client in app[RASA]), action_server_status(app[HTTP], settings.action_server_url)
    )
    rasa = (
        rasa_states[0]
        if len(rasa_states) == 1
        else {
            "ok": all(state["ok"] for state in rasa_states),
            "detail": "; ".join(f"{i + 1}: {state['detail']}" for i, state in enumerate(rasa_states)),
        }
    )
    parts = {"rasa": rasa, "action_server": actions, "database": database}
    ready = all(part["ok"] for part in parts.values())
    body: dict[str, object] = {"status": "ok" if ready else "unavailable"}
    if from_loopback(request) or bearer_matches(request.headers.get("Authorization"), settings.metrics_token):
        body.update(parts)
    return web.json_response(body, status=200 if ready else 503)
