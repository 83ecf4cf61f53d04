"""Client for the Rasa server's gateway channel and HTTP API, and the action server's health check.

Every request carries the shared secret (``KOMMUN_RASA_TOKEN``): the channel (:mod:`bot.rasa_channel`)
as ``Authorization: Bearer``, Rasa's HTTP API as its ``?token=``.
"""

from __future__ import annotations

from typing import Any

import aiohttp


class RasaUnavailable(Exception):
    """Rasa did not answer (not started yet, restarting, or failed); the message should be retried."""


class RasaClient:
    """Talks to one Rasa server over loopback.

    ``base_url`` like ``http://127.0.0.1:5005``; ``token`` is Rasa's ``--auth-token``; ``timeout``
    in seconds for one turn.
    """

    def __init__(self, http: aiohttp.ClientSession, base_url: str, token: str, timeout: float = 30.0) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    WEBHOOK = "/webhooks/gateway/webhook"
    """The webhook of :class:`bot.rasa_channel.GatewayInput`."""

    async def _post(self, path: str, body: Any, params: dict[str, str] | None = None) -> Any:
        """POST JSON to Rasa and return its JSON answer.

        Raises:
            RasaUnavailable: connection refused, time-out or a non-200 answer.
        """
        try:
            async with self._http.post(
                f"{self._base}{path}",
                params=params,
                json=body,
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                return await response.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Send one resident message; returns Rasa's replies (``text``/``buttons``/``custom`` dicts).

        Raises:
            RasaUnavailable: connection refused, time-out or a non-200 answer.
        """
        replies = await self._post(self.WEBHOOK, {"sender": sender, "message": text, "metadata": metadata})
        if not isinstance(replies, list):
            raise RasaUnavailable("Rasa answered something other than a list")
        return replies

    async def parse(self, text: str) -> dict[str, float]:
        """Rasa's NLU reading of ``text`` without a conversation turn: intent name → confidence (ranking).

        Raises:
            RasaUnavailable: connection refused, time-out or a non-200 answer.
        """
        data = await self._post("/model/parse", {"text": text}, {"token": self._token})
        ranking = {str(i.get("name")): float(i.get("confidence") or 0.0) for i in data.get("intent_ranking") or []}
        top = data.get("intent") or {}
        if top.get("name") and top["name"] not in ranking:
            ranking[str(top["name"])] = float(top.get("confidence") or 0.0)
        return ranking

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Append events to a conversation's tracker (Rasa's tracker events API), e.g. ``{"event": "resume"}``.

        Raises:
            RasaUnavailable: connection refused, time-out or a non-200 answer.
        """
        await self._post(
            f"/conversations/{conversation_id}/tracker/events", events, {"token": self._token, "include_events": "NONE"}
        )

    async def status(self) -> dict[str, Any]:
        """``{"ok": bool, "detail": str}``: ready means the server answers and has a model loaded."""
        try:
            async with self._http.get(
                f"{self._base}/status", params={"token": self._token}, timeout=aiohttp.ClientTimeout(total=3)
            ) as response:
                if response.status != 200:
                    return {"ok": False, "detail": f"HTTP {response.status}"}
                data = await response.json()
        except (aiohttp.ClientError, TimeoutError) as exc:
            return {"ok": False, "detail": str(exc) or type(exc).__name__}
        loaded = bool(data.get("model_file") or data.get("model_id"))
        return {"ok": loaded, "detail": "model loaded" if loaded else "no model loaded"}


async def action_server_status(http: aiohttp.ClientSession, base_url: str) -> dict[str, Any]:
    """``{"ok": bool, "detail": str}`` from the action server's ``/health``."""
    try:
        async with http.get(f"{base_url.rstrip('/')}/health", timeout=aiohttp.ClientTimeout(total=3)) as response:
            return {"ok": response.status == 200, "detail": f"HTTP {response.status}"}
    except (aiohttp.ClientError, TimeoutError) as exc:
        return {"ok": False, "detail": str(exc) or type(exc).__name__}
