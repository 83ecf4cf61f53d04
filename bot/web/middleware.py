"""Middleware and logging of the web app: protective headers on every response, an access log without secrets."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)


class AccessLogger(AbstractAccessLogger):
    """Access log without query strings (they can carry tokens) and without client addresses."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Log method, path, status and duration in milliseconds."""
        self.logger.info("%s %s %s %.0f ms", request.method, request.path, response.status, time * 1000)


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """Add CSP and other protective headers to every response."""
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response
