"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for the outbox tests (tests only)."""

from __future__ import annotations

import email
from collections.abc import Iterator
from contextlib import contextmanager
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.helpers.ports import free_port


class Inbox:
    """aiosmtpd handler that keeps every message it receives (parsed) and its envelope (sender, recipients)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the message; answer ``250 OK``."""
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on 127.0.0.1 and a free port: ``(inbox, port)``, stopped on leaving."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
