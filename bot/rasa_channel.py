"""Rasa input channel of the gateway: Rasa's REST channel that answers only requests carrying the shared secret.

Loaded by the Rasa server (``credentials.yml`` names :class:`GatewayInput`). Rasa's built-in ``rest``
channel accepts a message for any sender from anyone who can reach the port, which would skip the
gateway (its transcript, modes and limits); this one refuses a request without
``Authorization: Bearer <KOMMUN_RASA_TOKEN>`` with 401 and reads nothing of it. The webhook is
``/webhooks/gateway/webhook``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.core.internal_keys import bearer_matches
from bot.core.settings import Settings


class GatewayInput(RestInput):
    """Rasa's REST channel behind the shared secret of Rasa and the gateway (``KOMMUN_RASA_TOKEN``).

    ``token`` defaults to the variable in Rasa's environment (the supervisor passes it); an empty
    token refuses every request.
    """

    def __init__(self, token: str | None = None) -> None:
        self.token = Settings.from_env().rasa_token if token is None else token

    @classmethod
    def name(cls) -> str:
        """The channel's name in Rasa (``/webhooks/gateway/…``, ``input_channel`` of the messages)."""
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GatewayInput:
        """The channel from ``credentials.yml``: it needs no entry there; the secret comes from the environment."""
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's REST blueprint with a check of the ``Authorization`` header before every request."""
        blueprint = super().blueprint(on_new_message)

        @blueprint.middleware("request")
        async def require_secret(request: Request) -> Any:
            if not bearer_matches(request.headers.get("Authorization"), self.token):
                return response.json({"error": "unauthorized"}, status=401)
            return None

        return blueprint
