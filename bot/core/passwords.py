"""Argon2 hashes of secrets: staff passwords and the check codes residents get with a case.

Hashing and verifying take ~0.05–0.4 s of CPU (argon2-cffi's defaults): the web app calls them off
the event loop. :func:`verify` checks a dummy hash when there is no stored hash (an unknown user or
reference), so that "unknown" and "wrong" take the same time and cannot be told apart.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_secret(secret: str) -> str:
    """The argon2 hash of ``secret`` (a PHC string with its own salt)."""
    return _hasher().hash(secret)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_secret("not-a-secret-of-anybody")


def verify(secret_hash: str | None, secret: str) -> bool:
    """True when ``secret`` matches ``secret_hash``; always False (in the same time) when it is ``None``."""
    try:
        return _hasher().verify(secret_hash or _dummy_hash(), secret) and secret_hash is not None
    except (VerificationError, InvalidHashError):
        return False
