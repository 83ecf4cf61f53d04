"""Shared secrets of the internal endpoints, private database files, the sealed check code, the rate limits."""

from __future__ import annotations

import stat

from bot.chat.limits import ConversationLimits, TokenBucket
from bot.chat.reveal import reveal_text, reveals
from bot.core.internal_keys import bearer_matches, seal, unseal, with_internal_secrets
from bot.core.settings import Settings
from bot.store.cases import mask_check_code
from bot.store.db import create_engine, sync_url


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secrets_are_made_once_private_and_an_environment_value_wins(tmp_path):
    settings = with_internal_secrets(Settings.from_env({"KOMMUN_DATA_DIR": str(tmp_path)}))
    assert len(settings.rasa_token) >= 32 and len(settings.action_token) >= 32
    assert settings.rasa_token != settings.action_token
    assert mode(tmp_path / "rasa.token") == mode(tmp_path / "action.token") == 0o600
    again = with_internal_secrets(Settings.from_env({"KOMMUN_DATA_DIR": str(tmp_path)}))
    assert (again.rasa_token, again.action_token) == (settings.rasa_token, settings.action_token)
    shared = Settings.from_env({"KOMMUN_DATA_DIR": str(tmp_path), "KOMMUN_ACTION_TOKEN": "set-by-the-admin"})
    assert with_internal_secrets(shared).action_token == "set-by-the-admin"


def test_bearer_secret_is_required_and_an_empty_one_never_matches():
    assert bearer_matches("Bearer s3cret", "s3cret") and bearer_matches("bearer s3cret", "s3cret")
    assert not bearer_matches(None, "s3cret") and not bearer_matches("Bearer other", "s3cret")
    assert not bearer_matches("s3cret", "s3cret") and not bearer_matches("Bearer ", "")


def test_sqlite_files_are_created_readable_by_their_owner_only(tmp_path):
    create_engine(f"sqlite+aiosqlite:///{tmp_path / 'cases.db'}")
    sync_url(f"sqlite+aiosqlite:///{tmp_path / 'other' / 'migrated.db'}")
    assert mode(tmp_path / "cases.db") == mode(tmp_path / "other" / "migrated.db") == 0o600
    (tmp_path / "old.db").write_bytes(b"")
    (tmp_path / "old.db").chmod(0o644)
    create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    assert mode(tmp_path / "old.db") == 0o600


def test_the_check_code_is_masked_and_only_the_gateway_opens_the_sealed_one():
    assert mask_check_code("K7PQ-4XZ9") == "••••-••Z9"
    sealed = seal("secret", "K7PQ-4XZ9")
    assert "K7PQ" not in sealed and unseal("secret", sealed) == "K7PQ-4XZ9"
    assert unseal("other", sealed) is None and unseal("secret", sealed[:-4] + "AAAA") is None
    shown = "••••-••Z9 (dold)"
    reveal = {"shown": shown, "sealed": sealed}
    replies = [{"text": f"Din kod är {shown}."}, {"custom": {"gateway": {"reveal": reveal}}}]
    assert reveal_text(replies[0]["text"], reveals(replies, "secret")) == "Din kod är K7PQ-4XZ9."
    assert reveal_text(replies[0]["text"], reveals(replies, "other")) == replies[0]["text"]  # masked, no error


async def test_a_token_bucket_lets_a_burst_through_then_the_sustained_rate():
    bucket = TokenBucket(rate=2.0, burst=5.0, updated=0.0)
    assert [bucket.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert bucket.take(0.5) and not bucket.take(0.5)  # one more every half second
    limits = ConversationLimits(rate=1.0, burst=2.0)
    assert [await limits.take("a", 0.0) for _ in range(3)] == [True, True, False]
    assert await limits.take("b", 0.0)  # each conversation has its own bucket
