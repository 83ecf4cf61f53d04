"""Settings read from the environment, with defaults that work on a fresh machine.

Every setting has an environment variable (listed in README.md, "Configuration"). Nothing here opens
a file or a connection: :func:`Settings.from_env` only reads variables and builds paths.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The project checkout: where ``config.yml``, ``domain.yml`` and ``data/`` live."""


def _default_cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kommun-assistent"


@dataclass(frozen=True)
class Settings:
    """Runtime settings of every process (web app, supervisor, action server, CLI).

    Ports are TCP ports on ``host``/loopback; times are seconds.
    """

    project_root: Path = PROJECT_ROOT
    profile_path: Path = PROJECT_ROOT / "profiles" / "example.yml"
    data_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_port: int = 5005
    action_port: int = 5055
    rasa_token: str = ""
    model_cache_dir: Path = field(default_factory=lambda: _default_cache_dir(os.environ) / "models")
    default_language: str = "sv"
    max_message_chars: int = 2000
    rasa_timeout: float = 30.0
    retry_interval: float = 3.0
    warm_up_language_detection: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``os.environ`` by default).

        Raises:
            ValueError: a port or number variable is not a number.
        """
        env = os.environ if env is None else env
        root = Path(env.get("KOMMUN_PROJECT_ROOT", str(PROJECT_ROOT)))
        data_dir = Path(env.get("KOMMUN_DATA_DIR", str(root / "var")))
        database_url = env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'kommun.db'}"
        cache_dir = Path(env.get("KOMMUN_CACHE_DIR", str(_default_cache_dir(env))))
        return cls(
            project_root=root,
            profile_path=Path(env.get("KOMMUN_PROFILE", str(root / "profiles" / "example.yml"))),
            data_dir=data_dir,
            database_url=database_url,
            host=env.get("KOMMUN_HOST", "127.0.0.1"),
            port=int(env.get("KOMMUN_PORT", "8080")),
            rasa_port=int(env.get("KOMMUN_RASA_PORT", "5005")),
            action_port=int(env.get("KOMMUN_ACTION_PORT", "5055")),
            rasa_token=env.get("KOMMUN_RASA_TOKEN", ""),
            model_cache_dir=Path(env.get("KOMMUN_MODEL_CACHE", str(cache_dir / "models"))),
            default_language=env.get("KOMMUN_DEFAULT_LANGUAGE", "sv"),
            max_message_chars=int(env.get("KOMMUN_MAX_MESSAGE_CHARS", "2000")),
        )

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced (used by tests and the supervisor)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server (always loopback)."""
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_server_url(self) -> str:
        """Base URL of the action server (always loopback)."""
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def web_url(self) -> str:
        """URL a resident opens in the browser."""
        return f"http://{self.host}:{self.port}"

    def child_env(self) -> dict[str, str]:
        """Environment variables that make a child process see these same settings."""
        return {
            "KOMMUN_PROJECT_ROOT": str(self.project_root),
            "KOMMUN_PROFILE": str(self.profile_path),
            "KOMMUN_DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_url,
            "KOMMUN_HOST": self.host,
            "KOMMUN_PORT": str(self.port),
            "KOMMUN_RASA_PORT": str(self.rasa_port),
            "KOMMUN_ACTION_PORT": str(self.action_port),
            "KOMMUN_RASA_TOKEN": self.rasa_token,
            "KOMMUN_MODEL_CACHE": str(self.model_cache_dir),
            "KOMMUN_DEFAULT_LANGUAGE": self.default_language,
            "KOMMUN_MAX_MESSAGE_CHARS": str(self.max_message_chars),
        }
