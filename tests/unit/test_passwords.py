"""Argon2 profiles per use, hashes made before issue 18 still verifying, and the bound on hashes at once."""

from __future__ import annotations

import asyncio
import math
import threading

from argon2 import PasswordHasher, extract_parameters, profiles

from bot.core import passwords
from bot.core.passwords import CHECK_CODE, GATE, HASH_WORKERS, STAFF_PASSWORD
from bot.store.cases import (
    CHECK_CODE_ALPHABET,
    CHECK_CODE_LENGTH,
    check_code_needs_rehash,
    hash_check_code,
    new_check_code,
    verify_check_code,
)
from bot.store.staff import hash_password, verify_password


def test_staff_passwords_keep_the_rfc_9106_profile_they_had():
    params = extract_parameters(hash_password("a long enough password"))
    assert params == profiles.RFC_9106_LOW_MEMORY
    assert (STAFF_PASSWORD.time_cost, STAFF_PASSWORD.memory_mib, STAFF_PASSWORD.parallelism) == (3, 64, 4)


def test_check_codes_use_owasps_least_memory_argon2id_minimum():
    params = extract_parameters(hash_check_code(new_check_code()))
    assert (params.type.name, params.time_cost, params.memory_cost, params.parallelism) == ("ID", 5, 7168, 1)
    assert CHECK_CODE.memory_mib == 7


def test_a_check_code_has_about_forty_bits():
    assert math.log2(len(CHECK_CODE_ALPHABET) ** CHECK_CODE_LENGTH) > 39.5
    assert len(set(CHECK_CODE_ALPHABET)) == len(CHECK_CODE_ALPHABET) == 31


def test_hashes_made_with_the_old_default_still_verify_and_are_marked_for_rehash():
    old_code_hash = PasswordHasher().hash("K7PQ-4XZ9")  # how check codes were hashed before issue 18
    assert verify_check_code(old_code_hash, "K7PQ-4XZ9")
    assert not verify_check_code(old_code_hash, "K7PQ-4XZ8")
    assert check_code_needs_rehash(old_code_hash)
    assert not check_code_needs_rehash(hash_check_code("K7PQ-4XZ9"))
    old_password_hash = PasswordHasher().hash("a long enough password")
    assert verify_password(old_password_hash, "a long enough password")
    assert not passwords.needs_rehash(old_password_hash, STAFF_PASSWORD)


def test_unknown_and_wrong_are_both_false_for_each_profile():
    for profile in (CHECK_CODE, STAFF_PASSWORD):
        assert not passwords.verify(None, "anything", profile)
        assert not passwords.verify("not a hash", "anything", profile)
        assert passwords.needs_rehash("not a hash", profile)


def test_twenty_hashes_at_once_never_run_more_than_the_workers():
    GATE.reset_peak()
    start = threading.Barrier(20)
    hashes: list[str] = []

    def file_one(index: int) -> None:
        start.wait()
        hashes.append(hash_check_code(f"CODE-{index:04d}"))

    threads = [threading.Thread(target=file_one, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(hashes) == 20
    assert 1 <= GATE.peak <= HASH_WORKERS == 2
    assert GATE.running == 0


async def test_the_async_pool_is_bounded_too():
    GATE.reset_peak()
    found = await asyncio.gather(*(passwords.run_hashing(verify_check_code, None, "AAAA-BBBB") for _ in range(12)))
    assert found == [False] * 12
    assert 1 <= GATE.peak <= HASH_WORKERS
