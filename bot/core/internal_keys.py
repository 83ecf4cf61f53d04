"""Shared secrets of the internal endpoints (Rasa's HTTP API and channel, the action server).

Each secret comes from its environment variable when set (several hosts: set the same value on every
one), else from a file in the data directory created on first start (``rasa.token``, ``action.token``,
readable by the owner only). The secrets are never logged; child processes get them in their environment.
Also the file helpers that keep the data directory's databases private (mode 0600), and the sealing of a
case's check code on its way from the action server through Rasa to the gateway (:func:`seal`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bot.core.settings import Settings

SECRET_FILES = {"rasa_token": "rasa.token", "action_token": "action.token"}
"""Settings field → file in the data directory that keeps its generated value."""
PRIVATE_MODE = 0o600
"""Owner read/write only: secrets and database files."""


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 when missing (its directory too), else set its mode to 0600.

    SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file, so creating the database
    file this way before the first connection keeps all three private.

    Raises:
        OSError: the file cannot be created or its mode changed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
    except FileExistsError:
        os.chmod(path, PRIVATE_MODE)
    return path


def _stored_secret(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
        except FileExistsError:  # another process created it at the same moment
            return path.read_text(encoding="ascii").strip()
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(32))
    os.chmod(path, PRIVATE_MODE)
    return path.read_text(encoding="ascii").strip()


def with_internal_secrets(settings: Settings) -> Settings:
    """``settings`` with every internal secret filled: from its variable, else from its file (made if missing).

    Raises:
        OSError: the data directory cannot be written.
    """
    changes = {
        name: _stored_secret(settings.data_dir / filename)
        for name, filename in SECRET_FILES.items()
        if not getattr(settings, name)
    }
    return settings.with_overrides(**changes) if changes else settings


def secret_matches(given: str | None, expected: str) -> bool:
    """True when ``given`` equals ``expected`` (constant time); never true when ``expected`` is empty."""
    return bool(expected) and hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def bearer_matches(authorization: str | None, expected: str) -> bool:
    """True when an ``Authorization`` header is ``Bearer <expected>`` (RFC 6750), compared in constant time."""
    scheme, _, token = (authorization or "").partition(" ")
    return scheme.lower() == "bearer" and secret_matches(token.strip(), expected)


def keyed_digest(secret: str, value: str, length: int = 16) -> str:
    """A short HMAC-SHA-256 of ``value`` under ``secret`` (hex): counts a client address without storing it."""
    return hmac.new(secret.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]


SEAL_TTL_SECONDS = 600
"""A sealed check code older than this is not opened any more (it was meant for one reply, seconds old)."""


def _fernet(secret: str) -> Fernet:
    digest = hmac.new(secret.encode("utf-8"), b"kommun check code seal", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(secret: str, text: str) -> str:
    """``text`` encrypted and authenticated (Fernet) under a key derived from ``secret``.

    The action server seals a new case's check code before it goes through Rasa, whose tracker store
    keeps every event: the tracker holds only the sealed form, and the gateway opens it for the one
    reply the resident sees (:func:`unseal`).

    Raises:
        ValueError: ``secret`` is empty.
    """
    if not secret:
        raise ValueError("sealing needs a secret")
    return _fernet(secret).encrypt(text.encode("utf-8")).decode("ascii")


def unseal(secret: str, token: str, ttl: int = SEAL_TTL_SECONDS) -> str | None:
    """The text :func:`seal` sealed, or ``None``.

    ``None`` when ``token`` is no sealed text, is older than ``ttl`` seconds or was sealed under another secret.
    """
    if not secret or not isinstance(token, str):
        return None
    try:
        return _fernet(secret).decrypt(token.encode("ascii"), ttl=ttl).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        return None
