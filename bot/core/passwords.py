"""Argon2id hashes of secrets (staff passwords, the check codes residents get with a case), one profile each.

Profiles (memory is held for the whole computation of one hash or verification, then freed):

- :data:`STAFF_PASSWORD` — t=3, m=64 MiB, p=4: RFC 9106 §4's second recommended option ("if much less
  memory is available"), argon2-cffi's ``profiles.RFC_9106_LOW_MEMORY`` and its ``PasswordHasher()``
  default, so every staff hash stored so far keeps its parameters. 64 MiB per hash. A password is
  chosen by a person and may be weak: it gets the strong profile.
- :data:`CHECK_CODE` — t=5, m=7 MiB, p=1: the OWASP Password Storage Cheat Sheet's argon2id minimum in
  its least-memory form (the sheet lists m=47 MiB/t=1, 19 MiB/t=2, 12 MiB/t=3, 9 MiB/t=4, 7 MiB/t=5,
  all p=1, as equally strong). 7 MiB per hash. A check code is random: 8 characters of a 31-letter
  alphabet, log2(31**8) ≈ 39.6 bits (:func:`bot.store.cases.new_check_code`); online guessing is
  stopped by the lookup pauses (5 failures), and whoever holds a copy of the database to guess
  offline already holds the case the code would unlock. No profile would make 40 bits safe against
  a determined offline attacker; the hash only keeps the code itself out of the database.

Argon2 writes its parameters into each hash (a PHC string), so hashes made with older parameters —
check codes hashed with the 64 MiB default before issue 18 — still verify; :func:`needs_rehash`
says when a hash should be replaced by one of its profile.

At most :data:`HASH_WORKERS` hashes or verifications run at once in a process (:data:`GATE`, a
semaphore around the argon2 call, whatever thread calls it): a burst of 20 case filings holds at most
2 × 7 MiB (check codes) or 2 × 64 MiB (staff logins) instead of one allocation per executor thread.
Async code calls :func:`run_hashing`, which queues the work on a pool of that many threads, so
waiting hashes do not occupy the event loop's default executor (language detection, photos).
One hash takes ~16 ms (check code) or ~220 ms (staff password) of CPU (``python -m tools.bench.hashing``).

:func:`verify` checks a dummy hash of the same profile when there is no stored hash (an unknown user
or reference), so that "unknown" and "wrong" take the same time and cannot be told apart.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from typing import TypeVar

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

HASH_WORKERS = 2
"""Argon2 computations that may run at once in one process (the action server, the web app, each
Sanic worker); with 2 cores per host, more would only queue for the CPU while holding their memory."""


@dataclass(frozen=True)
class HashProfile:
    """Argon2id parameters of one use; ``memory_kib`` in KiB (the memory one hash holds), ``source`` the guidance."""

    name: str
    time_cost: int
    memory_kib: int
    parallelism: int
    source: str

    @property
    def memory_mib(self) -> float:
        """Memory held by one hash or verification, in MiB."""
        return self.memory_kib / 1024

    def parameters(self) -> Parameters:
        """The argon2-cffi parameters (argon2id, version 19, 16-byte salt, 32-byte hash)."""
        return Parameters(
            type=Type.ID,
            version=19,
            salt_len=16,
            hash_len=32,
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
        )


STAFF_PASSWORD = HashProfile("staff_password", 3, 64 * 1024, 4, "RFC 9106 §4, second recommended option")
CHECK_CODE = HashProfile("check_code", 5, 7 * 1024, 1, "OWASP Password Storage Cheat Sheet, argon2id minimum")


class HashingGate:
    """At most ``workers`` argon2 computations at once; counts those running and the most seen at once."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the ``workers`` slots (waiting for one to be free) for the duration of the block."""
        with self._slots:
            with self._lock:
                self.running += 1
                self.peak = max(self.peak, self.running)
            try:
                yield
            finally:
                with self._lock:
                    self.running -= 1

    def reset_peak(self) -> None:
        """Start counting :attr:`peak` anew (benchmarks and tests)."""
        with self._lock:
            self.peak = self.running


GATE = HashingGate(HASH_WORKERS)
"""The gate every hash and verification of this process passes."""


@cache
def _hasher(profile: HashProfile) -> PasswordHasher:
    return PasswordHasher.from_parameters(profile.parameters())


def hash_secret(secret: str, profile: HashProfile) -> str:
    """The argon2id hash of ``secret`` under ``profile`` (a PHC string with its own salt and parameters).

    CPU-bound and holding ``profile.memory_kib`` KiB: call it through :func:`run_hashing` from async code.
    """
    with GATE.slot():
        return _hasher(profile).hash(secret)


@cache
def _dummy_hash(profile: HashProfile) -> str:
    return hash_secret("not-a-secret-of-anybody", profile)


def verify(secret_hash: str | None, secret: str, profile: HashProfile) -> bool:
    """True when ``secret`` matches ``secret_hash``; always False (in the same time) when it is ``None``.

    ``secret_hash`` is verified with the parameters written in it; ``profile`` gives the dummy hash
    checked in its place when it is ``None``.
    """
    checked = secret_hash or _dummy_hash(profile)
    try:
        with GATE.slot():
            return _hasher(profile).verify(checked, secret) and secret_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(secret_hash: str, profile: HashProfile) -> bool:
    """True when ``secret_hash`` was made with other parameters than ``profile``'s (replace it after a match)."""
    try:
        return _hasher(profile).check_needs_rehash(secret_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=HASH_WORKERS, thread_name_prefix="argon2")


async def run_hashing(func: Callable[..., T], *args: object) -> T:
    """``func(*args)`` (a hash or verification) on the hashing pool of :data:`HASH_WORKERS` threads."""
    return await asyncio.get_running_loop().run_in_executor(_pool(), partial(func, *args))
