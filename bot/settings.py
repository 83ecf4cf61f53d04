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


SMTP_SECURITY = ("starttls", "tls", "none")
"""``KOMMUN_SMTP_SECURITY``: STARTTLS on port 587 (default), implicit TLS on 465, or none (local relay)."""


def _choice(value: str, allowed: tuple[str, ...], variable: str) -> str:
    if value not in allowed:
        raise ValueError(f"{variable} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _rasa_processes(env: Mapping[str, str], database_url: str) -> int:
    """``KOMMUN_RASA_PROCESSES``; default 1 on SQLite, the CPU count in the production profile."""
    value = env.get("KOMMUN_RASA_PROCESSES", "")
    if value:
        count = int(value)
        if count < 1:
            raise ValueError(f"KOMMUN_RASA_PROCESSES must be at least 1, got {count}")
        return count
    return (os.cpu_count() or 1) if database_url.startswith("postgresql") else 1


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
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    smtp_security: str = "starttls"
    outbox_interval: float = 30.0
    session_secret: str = ""
    cookie_secure: bool = False
    staff_language: str = "sv"
    unclaimed_check_interval: float = 30.0
    metrics_token: str = ""
    redis_url: str = ""
    rasa_processes: int = 1

    @property
    def smtp_configured(self) -> bool:
        """True when e-mail can be sent (``KOMMUN_SMTP_HOST`` and ``KOMMUN_SMTP_FROM`` are set)."""
        return bool(self.smtp_host and self.smtp_from)

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
            smtp_host=env.get("KOMMUN_SMTP_HOST", ""),
            smtp_port=int(env.get("KOMMUN_SMTP_PORT", "587")),
            smtp_username=env.get("KOMMUN_SMTP_USERNAME", ""),
            smtp_password=env.get("KOMMUN_SMTP_PASSWORD", ""),
            smtp_from=env.get("KOMMUN_SMTP_FROM", ""),
            smtp_security=_choice(env.get("KOMMUN_SMTP_SECURITY", "starttls"), SMTP_SECURITY, "KOMMUN_SMTP_SECURITY"),
            outbox_interval=float(env.get("KOMMUN_OUTBOX_INTERVAL", "30")),
            session_secret=env.get("KOMMUN_SESSION_SECRET", ""),
            cookie_secure=env.get("KOMMUN_COOKIE_SECURE", "false").lower() in ("1", "true", "yes"),
            staff_language=env.get("KOMMUN_STAFF_LANGUAGE", "sv"),
            metrics_token=env.get("KOMMUN_METRICS_TOKEN", ""),
            redis_url=env.get("REDIS_URL", ""),
            rasa_processes=_rasa_processes(env, database_url),
        )

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced (used by tests and the supervisor)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def production(self) -> bool:
        """True in the production profile: the case store (and Rasa's tracker store) on PostgreSQL."""
        return self.database_url.startswith("postgresql")

    @property
    def rasa_url(self) -> str:
        """Base URL of the (first) Rasa server (always loopback)."""
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rasa_urls(self) -> list[str]:
        """Base URLs of every Rasa server process: ports ``rasa_port`` … ``rasa_port + rasa_processes - 1``."""
        return [f"http://127.0.0.1:{self.rasa_port + i}" for i in range(self.rasa_processes)]

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
            "KOMMUN_SMTP_HOST": self.smtp_host,
            "KOMMUN_SMTP_PORT": str(self.smtp_port),
            "KOMMUN_SMTP_USERNAME": self.smtp_username,
            "KOMMUN_SMTP_PASSWORD": self.smtp_password,
            "KOMMUN_SMTP_FROM": self.smtp_from,
            "KOMMUN_SMTP_SECURITY": self.smtp_security,
            "KOMMUN_OUTBOX_INTERVAL": str(self.outbox_interval),
            "KOMMUN_SESSION_SECRET": self.session_secret,
            "KOMMUN_COOKIE_SECURE": "true" if self.cookie_secure else "false",
            "KOMMUN_STAFF_LANGUAGE": self.staff_language,
            "KOMMUN_METRICS_TOKEN": self.metrics_token,
            "REDIS_URL": self.redis_url,
            "KOMMUN_RASA_PROCESSES": str(self.rasa_processes),
        }
