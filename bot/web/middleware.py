"""Middleware and logging of the web app: protective headers on every response, an access log without secrets.

The headers are set in ``on_response_prepare`` (:func:`protective_headers`), so error responses — a
404 of the router, a 403 raised by a handler, aiohttp's own 500 — get them too. Staff pages and files
(``/staff…``, ``/ws/staff``) are never cached (``Cache-Control: no-store``: they hold personal
data); the ``Server`` header names no versions. Log lines escape control characters
(:func:`log_safe`), so a ``%0a`` in a URL or a username cannot forge a line.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
SERVER = "kommun-assistent"
"""The ``Server`` header: no framework or Python version for scanners to match against."""
STAFF_PREFIXES = ("/staff", "/ws/staff")


def log_safe(text: str, limit: int = 300) -> str:
    r"""``text`` for one log line, cut to ``limit`` characters.

    Control characters and the line/paragraph separators become ``\xNN``/``\uNNNN``, a backslash ``\\``.
    """
    out = []
    for char in text[:limit]:
        code = ord(char)
        if code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in (0x2028, 0x2029):
            out.append(f"\\u{code:04x}")
        elif char == "\\":
            out.append("\\\\")
        else:
            out.append(char)
    return "".join(out) + ("…" if len(text) > limit else "")


class AccessLogger(AbstractAccessLogger):
    """Access log without query strings (they can carry tokens) and without client addresses."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Log method, path (control characters escaped), status and duration in milliseconds."""
        self.logger.info(
            "%s %s %s %.0f ms", log_safe(request.method, 16), log_safe(request.path), response.status, time * 1000
        )


async def protective_headers(request: web.BaseRequest, response: web.StreamResponse) -> None:
    """``on_response_prepare``: CSP and other protective headers on every response, errors included."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers["Server"] = SERVER
    if request.path.startswith(STAFF_PREFIXES):
        response.headers["Cache-Control"] = "no-store"


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """Add the protective headers to a response (also set for errors by :func:`protective_headers`)."""
    response = await handler(request)
    await protective_headers(request, response)
    return response
