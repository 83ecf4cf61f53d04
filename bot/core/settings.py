"""Settings read from the environment, with defaults that work on a fresh machine.

Every setting has an environment variable (listed in README.md, "Configuration"). Nothing here opens
a file or a connection: :func:`Settings.from_env` only reads variables and builds paths.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.core.profile import DEFAULT_LANGUAGE

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The project checkout: where ``config.yml``, ``domain.yml`` and ``data/`` live."""


def _default_cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kommun-assistent"


SMTP_SECURITY = ("starttls", "tls", "none")
"""``KOMMUN_SMTP_SECURITY``: STARTTLS on port 587 (default), implicit TLS on 465, or none (local relay)."""


def _smtp_security(value: str) -> str:
    if value not in SMTP_SECURITY:
        raise ValueError(f"KOMMUN_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY)}, got {value!r}")
    return value


def _rasa_processes(value: str) -> int:
    count = int(value)
    if count < 1:
        raise ValueError(f"KOMMUN_RASA_PROCESSES must be at least 1, got {count}")
    return count


def _base_url(value: str, name: str) -> str:
    url = value.strip().rstrip("/")
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname or parsed.path or parsed.query:
        raise ValueError(f"{name} must be base URLs like http://10.0.0.5:5005, got {value!r}")
    return url


def _rasa_url_list(value: str) -> tuple[str, ...]:
    urls = tuple(_base_url(part, "KOMMUN_RASA_URLS") for part in value.split(",") if part.strip())
    if not urls or len(set(urls)) != len(urls):
        raise ValueError(f"KOMMUN_RASA_URLS must list one or more different URLs, got {value!r}")
    return urls


WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # noqa: S104 - recognised here, never chosen
"""Bind addresses meaning "every interface": a server bound there is reached on loopback from its own host."""


def reachable_host(host: str) -> str:
    """The address to connect to on this machine for a server bound to ``host`` (wildcards → 127.0.0.1).

    An IPv6 address comes back in brackets, ready for a URL (``[::1]``).
    """
    if host in WILDCARD_HOSTS:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


ProxyNetworks = tuple[IPv4Network | IPv6Network, ...]
"""Addresses and networks of trusted reverse proxies (``KOMMUN_TRUSTED_PROXIES``)."""


def _proxies(value: str) -> ProxyNetworks:
    """``"127.0.0.1, 10.0.0.0/8, ::1"`` → networks (an address is a network of one); ``""`` → none.

    Raises:
        ValueError: an entry is neither an address nor a network.
    """
    try:
        return tuple(ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"KOMMUN_TRUSTED_PROXIES: {exc}") from exc


def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes")


Default = Callable[[dict[str, Any], Mapping[str, str]], Any]
"""A default computed from the values read so far (by field name) and the environment."""


@dataclass(frozen=True)
class Variable:
    """One environment variable: the :class:`Settings` field it sets, how it is read and written back.

    ``default`` computes the value when the variable is unset (``None``: the field's own default);
    with ``blank_is_unset`` an empty value counts as unset.
    """

    name: str
    field: str
    read: Callable[[str], Any] = str
    write: Callable[[Any], str] = str
    default: Default | None = None
    blank_is_unset: bool = False


VARIABLES = (
    Variable("KOMMUN_PROJECT_ROOT", "project_root", Path, default=lambda _, __: PROJECT_ROOT),
    Variable("KOMMUN_PROFILE", "profile_path", Path, default=lambda v, _: v["project_root"] / "profiles/example.yml"),
    Variable("KOMMUN_DATA_DIR", "data_dir", Path, default=lambda v, _: v["project_root"] / "var"),
    Variable(
        "DATABASE_URL",
        "database_url",
        default=lambda v, _: f"sqlite+aiosqlite:///{v['data_dir'] / 'kommun.db'}",
        blank_is_unset=True,
    ),
    Variable("KOMMUN_HOST", "host"),
    Variable("KOMMUN_PORT", "port", int),
    Variable("KOMMUN_RASA_HOST", "rasa_host"),
    Variable("KOMMUN_RASA_PORT", "rasa_port", int),
    Variable("KOMMUN_ACTION_HOST", "action_host"),
    Variable("KOMMUN_ACTION_PORT", "action_port", int),
    # Where the web app (gateway) reaches Rasa and Rasa reaches the action server, when on other hosts.
    Variable("KOMMUN_RASA_URLS", "rasa_url_list", _rasa_url_list, ",".join, blank_is_unset=True),
    Variable(
        "KOMMUN_ACTION_URL", "action_url", lambda value: _base_url(value, "KOMMUN_ACTION_URL"), blank_is_unset=True
    ),
    Variable("KOMMUN_RASA_TOKEN", "rasa_token"),
    Variable("KOMMUN_ACTION_TOKEN", "action_token"),
    Variable("KOMMUN_TRUSTED_PROXIES", "trusted_proxies", _proxies, lambda nets: ",".join(map(str, nets))),
    Variable("KOMMUN_CLIENT_ADDRESS_HEADER", "client_address_header", blank_is_unset=True),
    Variable(
        "KOMMUN_MODEL_CACHE",
        "model_cache_dir",
        Path,
        default=lambda _, env: Path(env.get("KOMMUN_CACHE_DIR", str(_default_cache_dir(env)))) / "models",
    ),
    Variable("KOMMUN_DEFAULT_LANGUAGE", "default_language"),
    Variable("KOMMUN_MAX_MESSAGE_CHARS", "max_message_chars", int),
    Variable("KOMMUN_SMTP_HOST", "smtp_host"),
    Variable("KOMMUN_SMTP_PORT", "smtp_port", int),
    Variable("KOMMUN_SMTP_USERNAME", "smtp_username"),
    Variable("KOMMUN_SMTP_PASSWORD", "smtp_password"),
    Variable("KOMMUN_SMTP_FROM", "smtp_from"),
    Variable("KOMMUN_SMTP_SECURITY", "smtp_security", _smtp_security),
    Variable("KOMMUN_OUTBOX_INTERVAL", "outbox_interval", float),
    Variable("KOMMUN_SESSION_SECRET", "session_secret"),
    Variable("KOMMUN_COOKIE_SECURE", "cookie_secure", _flag, lambda on: "true" if on else "false"),
    Variable("KOMMUN_STAFF_LANGUAGE", "staff_language"),
    Variable("KOMMUN_METRICS_TOKEN", "metrics_token"),
    Variable("REDIS_URL", "redis_url"),
    Variable("KOMMUN_PUBLIC_URL", "public_url"),
    # Default 1 on SQLite, the CPU count in the production profile (PostgreSQL).
    Variable(
        "KOMMUN_RASA_PROCESSES",
        "rasa_processes",
        _rasa_processes,
        default=lambda v, _: (os.cpu_count() or 1) if v["database_url"].startswith("postgresql") else 1,
        blank_is_unset=True,
    ),
)
"""Every environment variable of the settings (README.md, "Configuration"), in the order they are read:
:meth:`Settings.from_env` reads them and :meth:`Settings.child_env` writes them for child processes.
``KOMMUN_CACHE_DIR`` only moves the default of ``KOMMUN_MODEL_CACHE``."""


@dataclass(frozen=True)
class Settings:
    """Runtime settings of every process (web app, supervisor, action server, CLI).

    Each part listens on its own address and port: the web app on ``host``:``port``, Rasa process
    ``i`` on ``rasa_host``:``rasa_port + i``, the action server on ``action_host``:``action_port``
    (all 127.0.0.1 by default: listening beyond loopback is an explicit choice). Where the parts reach
    each other: :attr:`rasa_urls` and :attr:`action_server_url`. Times are seconds.
    """

    project_root: Path = PROJECT_ROOT
    profile_path: Path = PROJECT_ROOT / "profiles" / "example.yml"
    data_dir: Path = PROJECT_ROOT / "var"
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    rasa_url_list: tuple[str, ...] = ()
    action_url: str = ""
    rasa_token: str = ""
    action_token: str = ""
    trusted_proxies: ProxyNetworks = ()
    client_address_header: str = "X-Forwarded-For"
    model_cache_dir: Path = field(default_factory=lambda: _default_cache_dir(os.environ) / "models")
    default_language: str = DEFAULT_LANGUAGE
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
    staff_language: str = DEFAULT_LANGUAGE
    unclaimed_check_interval: float = 30.0
    metrics_token: str = ""
    redis_url: str = ""
    rasa_processes: int = 1
    public_url: str = ""

    @property
    def smtp_configured(self) -> bool:
        """True when e-mail can be sent (``KOMMUN_SMTP_HOST`` and ``KOMMUN_SMTP_FROM`` are set)."""
        return bool(self.smtp_host and self.smtp_from)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (``os.environ`` by default; see :data:`VARIABLES`).

        Raises:
            ValueError: a port or number variable is not a number, or a choice is not one of its values.
        """
        env = os.environ if env is None else env
        defaults = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
        values: dict[str, Any] = {}
        for variable in VARIABLES:
            raw = env.get(variable.name)
            if raw is not None and not (variable.blank_is_unset and not raw):
                values[variable.field] = variable.read(raw)
            elif variable.default is not None:
                values[variable.field] = variable.default(values, env)
            else:
                values[variable.field] = defaults[variable.field]
        return cls(**values)

    def with_overrides(self, **changes: object) -> Settings:
        """Return a copy with some fields replaced (used by tests and the supervisor)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def production(self) -> bool:
        """True in the production profile: the case store (and Rasa's tracker store) on PostgreSQL."""
        return self.database_url.startswith("postgresql")

    @property
    def local_rasa_urls(self) -> list[str]:
        """Base URLs of the Rasa processes this host runs: ``rasa_host``, ports ``rasa_port`` and up, one each."""
        host = reachable_host(self.rasa_host)
        return [f"http://{host}:{self.rasa_port + i}" for i in range(self.rasa_processes)]

    @property
    def rasa_urls(self) -> list[str]:
        """Base URLs of every Rasa server the gateway sends conversations to (no trailing slash).

        ``KOMMUN_RASA_URLS`` when set (Rasa on other hosts), else :attr:`local_rasa_urls`. The gateway
        picks one per conversation by the CRC-32 of its id, so every web app must list the same URLs
        in the same order.
        """
        return list(self.rasa_url_list) or self.local_rasa_urls

    @property
    def local_action_url(self) -> str:
        """Base URL of the action server when this host runs it (``action_host``:``action_port``)."""
        return f"http://{reachable_host(self.action_host)}:{self.action_port}"

    @property
    def action_server_url(self) -> str:
        """Base URL of the action server as Rasa and the web app reach it: ``KOMMUN_ACTION_URL``, else local."""
        return self.action_url or self.local_action_url

    @property
    def web_url(self) -> str:
        """URL a resident opens in the browser (on this host: a wildcard ``host`` shows as 127.0.0.1)."""
        return f"http://{reachable_host(self.host)}:{self.port}"

    @property
    def public_base_url(self) -> str:
        """The web app's address as staff reach it (``KOMMUN_PUBLIC_URL``, else :attr:`web_url`), no trailing slash.

        Links in e-mails to staff (a case page) start with it.
        """
        return (self.public_url or self.web_url).rstrip("/")

    def child_env(self) -> dict[str, str]:
        """Environment variables that make a child process see these same settings (:data:`VARIABLES`)."""
        return {variable.name: variable.write(getattr(self, variable.field)) for variable in VARIABLES}
