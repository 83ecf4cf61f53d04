"""The action server (``python -m bot.action_server --port 5055``): rasa-sdk's app behind the shared secret.

rasa-sdk's Sanic app runs any action for whoever reaches its port, which would skip the gateway (a
status lookup without its pauses). Here the same app (``rasa_sdk.endpoint.create_app`` with the
``actions`` package) gets a request middleware: every request except ``GET /health`` needs
``Authorization: Bearer <KOMMUN_ACTION_TOKEN>``, which Rasa sends from ``endpoints.yml``
(``action_endpoint.headers``); others get 401 and nothing runs. An empty secret refuses everything.
"""

from __future__ import annotations

import argparse
import logging
import os
from typing import Any

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from bot.core.internal_keys import bearer_matches
from bot.core.settings import Settings

OPEN_PATHS = ("/health",)
"""Paths answered without the secret (the supervisor's and the web app's health checks; no details)."""


def protect(app: Sanic, token: str) -> Sanic:
    """Add the check of ``Authorization: Bearer <token>`` before every request to ``app`` except :data:`OPEN_PATHS`."""

    @app.middleware("request")
    async def require_secret(request: Request) -> Any:
        if request.path in OPEN_PATHS or bearer_matches(request.headers.get("Authorization"), token):
            return None
        return response.json({"error": "unauthorized"}, status=401)

    return app


def main(argv: list[str] | None = None) -> None:
    """Run the action server on ``SANIC_HOST`` (else ``KOMMUN_ACTION_HOST``, 127.0.0.1) and ``--port``.

    ``ACTION_SERVER_SANIC_WORKERS`` Sanic workers (rasa-sdk's variable).
    """
    parser = argparse.ArgumentParser(description="the assistant's action server (rasa-sdk, actions/)")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    utils.configure_colored_logging("INFO")
    logging.getLogger("matplotlib").setLevel(logging.WARN)
    utils.update_sanic_log_level()
    settings = Settings.from_env()
    app = protect(create_app(args.actions, cors_origins=None), settings.action_token)
    host = os.environ.get("SANIC_HOST") or settings.action_host
    app.run(host, args.port, workers=utils.number_of_sanic_workers(), access_log=False)


if __name__ == "__main__":
    main()
