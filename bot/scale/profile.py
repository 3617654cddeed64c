"""The production profile: what `TENANTLINE_PROFILE=production` runs, derived from the settings alone.

The embedded default runs one of each process on SQLite. The production profile runs, on one host or spread by
a container platform:

- the housing database and Rasa's tracker store on PostgreSQL;
- conversation locks in Redis, shared by every Rasa replica;
- `replicas` Rasa servers and `replicas` action servers, each group behind an nginx upstream: the channels'
  webhooks reach the Rasa replicas at `public_port`, the replicas reach the action servers at `actions_port`;
- the staff console, talking to the Rasa replicas through nginx.

`ProductionProfile.from_settings` checks every URL before anything starts and names the setting that is wrong.
The files Rasa and nginx read are rendered from the profile by `endpoints` and `bot.scale.nginx`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.settings import Settings

ATOMIC_LOCK_STORE = "bot.scale.lock_store.AtomicRedisLockStore"
"""Our lock store whose ticket steps are atomic in Redis (Rasa Open Source's `redis` type is not)."""
STOCK_LOCK_STORE = "redis"
TRACKER_STORE = "bot.scale.tracker_store.PostgresTrackerStore"
"""Rasa's SQL tracker store with connections checked before use, so a PostgreSQL restart fails no later message."""
TRACKER_PASSWORD_ENV = "TENANTLINE_TRACKER_STORE_PASSWORD"
"""Rasa reads the tracker store's password from this variable, so the rendered endpoints file holds no secret."""
REDIS_PASSWORD_ENV = "TENANTLINE_REDIS_PASSWORD"
REPLICA_ENV = "TENANTLINE_REPLICA_ID"
"""Each Rasa replica's name ("rasa-1"...), so what it records (leases, logs) says which replica did it."""

DEFAULT_RASA_PORT = 5005
DEFAULT_ACTION_PORT = 5055
DEFAULT_ACTIONS_PROXY_PORT = 5054
DEFAULT_CONSOLE_PORT = 8000


class ProfileError(ValueError):
    """Raised when the settings cannot make a production profile; the message names the setting to fix."""


@dataclass(frozen=True)
class ProductionProfile:
    """Everything the production stack needs to know, checked once.

    Attributes:
        database_url: SQLAlchemy URL of the housing database (PostgreSQL).
        tracker_store_url: SQLAlchemy URL of Rasa's tracker store (PostgreSQL).
        redis_url: URL of the Redis that holds the conversation locks.
        rasa_ports: Port of each Rasa replica.
        action_ports: Port of each action server.
        public_port: nginx's port for the channels' webhooks and Rasa's HTTP API.
        actions_port: nginx's port in front of the action servers.
        console_port: Port of the staff console.
        lock_key_prefix: Prefix of every Redis key the lock store writes.
        upstream_host: Address of every replica and action server, unless `rasa_hosts`/`action_hosts` name them.
        listen_host: Address nginx listens on.
        rasa_hosts: Host of each Rasa replica, when they run on different hosts (containers); empty: all on
            `upstream_host`.
        action_hosts: Host of each action server, likewise.
        proxy_host: Address where the replicas and the console reach nginx; None: `upstream_host`.
    """

    database_url: str
    tracker_store_url: str
    redis_url: str
    rasa_ports: tuple[int, ...]
    action_ports: tuple[int, ...]
    public_port: int
    actions_port: int = DEFAULT_ACTIONS_PROXY_PORT
    console_port: int = DEFAULT_CONSOLE_PORT
    lock_key_prefix: str = "tenantline"
    upstream_host: str = "127.0.0.1"
    listen_host: str = "127.0.0.1"
    rasa_hosts: tuple[str, ...] = ()
    action_hosts: tuple[str, ...] = ()
    proxy_host: str | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        rasa_port: int = DEFAULT_RASA_PORT,
        action_port: int = DEFAULT_ACTION_PORT,
        actions_port: int = DEFAULT_ACTIONS_PROXY_PORT,
        console_port: int = DEFAULT_CONSOLE_PORT,
        lock_key_prefix: str = "tenantline",
    ) -> ProductionProfile:
        """Build the profile from the settings; replica i listens on `rasa_port + i` and `action_port + i`.

        Raises:
            ProfileError: If a URL is missing, unreadable or names the wrong kind of server.
        """
        postgres_url(settings.database_url, "TENANTLINE_DATABASE_URL")
        postgres_url(settings.tracker_store_url, "TENANTLINE_TRACKER_STORE_URL")
        redis_parts(settings.redis_url, "TENANTLINE_REDIS_URL")
        assert settings.redis_url is not None  # checked by redis_parts
        profile = cls(
            database_url=settings.database_url,
            tracker_store_url=settings.tracker_store_url,
            redis_url=settings.redis_url,
            rasa_ports=tuple(rasa_port + i for i in range(settings.replicas)),
            action_ports=tuple(action_port + i for i in range(settings.replicas)),
            public_port=settings.public_port,
            actions_port=actions_port,
            console_port=console_port,
            lock_key_prefix=lock_key_prefix,
        )
        profile.check_ports()
        return profile

    def check_ports(self) -> None:
        """Fail if two parts of the stack would listen on one port.

        Raises:
            ProfileError: Naming the clashing port.
        """
        for hosts, ports, what in (
            (self.rasa_hosts, self.rasa_ports, "Rasa"),
            (self.action_hosts, self.action_ports, "action"),
        ):
            if hosts and len(hosts) != len(ports):
                raise ProfileError(f"{len(hosts)} {what} hosts for {len(ports)} {what} ports")
        proxy = self.proxy_host or self.upstream_host
        addresses = [
            *(self.rasa_servers()),
            *(self.action_servers()),
            f"{proxy}:{self.public_port}",
            f"{proxy}:{self.actions_port}",
            f"{self.upstream_host}:{self.console_port}",
        ]
        seen: set[str] = set()
        for address in addresses:
            port = int(address.rsplit(":", 1)[1])
            if not 0 < port < 65536:
                raise ProfileError(f"port {port} is outside 1-65535")
            if address in seen:
                raise ProfileError(f"port {port} is used twice in the production profile; change the port options")
            seen.add(address)

    def rasa_servers(self) -> tuple[str, ...]:
        """Return "host:port" of every Rasa replica."""
        hosts = self.rasa_hosts or (self.upstream_host,) * len(self.rasa_ports)
        return tuple(f"{host}:{port}" for host, port in zip(hosts, self.rasa_ports, strict=True))

    def action_servers(self) -> tuple[str, ...]:
        """Return "host:port" of every action server."""
        hosts = self.action_hosts or (self.upstream_host,) * len(self.action_ports)
        return tuple(f"{host}:{port}" for host, port in zip(hosts, self.action_ports, strict=True))

    @property
    def public_url(self) -> str:
        """Return the base URL of nginx's public side (webhooks, Rasa's HTTP API)."""
        return f"http://{self.proxy_host or self.upstream_host}:{self.public_port}"

    @property
    def action_endpoint_url(self) -> str:
        """Return the URL the Rasa replicas call to run actions (nginx in front of the action servers)."""
        return f"http://{self.proxy_host or self.upstream_host}:{self.actions_port}/webhook"

    def endpoints(self, *, lock_store_type: str | None = None) -> dict[str, Any]:
        """Return the endpoints.yml content for every Rasa replica.

        Args:
            lock_store_type: Lock store class path; default: the atomic lock store when it is installed.
        """
        return {
            "action_endpoint": {"url": self.action_endpoint_url},
            "tracker_store": tracker_store_config(self.tracker_store_url),
            "lock_store": lock_store_config(self.redis_url, self.lock_key_prefix, lock_store_type),
        }

    def secrets_environment(self) -> dict[str, str]:
        """Return the variables that carry the passwords the rendered endpoints refer to (may be empty)."""
        env: dict[str, str] = {}
        tracker_password = make_url(self.tracker_store_url).password
        if tracker_password:
            env[TRACKER_PASSWORD_ENV] = str(tracker_password)
        redis_password = redis_parts(self.redis_url, "TENANTLINE_REDIS_URL").get("password")
        if redis_password:
            env[REDIS_PASSWORD_ENV] = str(redis_password)
        return env


def postgres_url(url: str | None, setting: str) -> URL:
    """Parse a PostgreSQL SQLAlchemy URL.

    Raises:
        ProfileError: If it is missing, unreadable or not PostgreSQL; the message names `setting`.
    """
    if not url:
        raise ProfileError(f"the production profile needs {setting} (a postgresql+psycopg2:// URL)")
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ProfileError(f"{setting} is not a database URL: {error}") from error
    if parsed.get_backend_name() != "postgresql":
        raise ProfileError(f"{setting} must name a PostgreSQL database in production, not {parsed.get_backend_name()}")
    if not parsed.database:
        raise ProfileError(f"{setting} names no database")
    return parsed


def redis_parts(url: str | None, setting: str) -> dict[str, Any]:
    """Split a redis:// URL into the host, port, db and password a lock store takes.

    Raises:
        ProfileError: If it is missing or unreadable; the message names `setting`.
    """
    from urllib.parse import urlsplit

    if not url:
        raise ProfileError(f"the production profile needs {setting} (e.g. redis://127.0.0.1:6379/0)")
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ProfileError(f"{setting} must look like redis://host:port/db, got {url!r}")
    try:
        port = parts.port or 6379
        db_text = parts.path.strip("/") or "0"
        db = int(db_text)
    except ValueError as error:
        raise ProfileError(f"{setting} has an unreadable port or database number: {url!r}") from error
    if db < 0:
        raise ProfileError(f"{setting} has a negative database number: {url!r}")
    found: dict[str, Any] = {"host": parts.hostname, "port": port, "db": db, "use_ssl": parts.scheme == "rediss"}
    if parts.password:
        found["password"] = parts.password
    return found


def tracker_store_config(url: str) -> dict[str, Any]:
    """Return the `tracker_store` section: Rasa's SQL tracker store (pre-pinging) on the PostgreSQL at `url`.

    The password is not written: Rasa substitutes `${TENANTLINE_TRACKER_STORE_PASSWORD}` from the environment.
    URL query options (e.g. `options=-csearch_path=...`) are passed on to the driver.
    """
    parsed = postgres_url(url, "TENANTLINE_TRACKER_STORE_URL")
    config: dict[str, Any] = {
        "type": TRACKER_STORE,
        "dialect": parsed.get_backend_name(),
        "url": parsed.host or "127.0.0.1",
        "port": parsed.port or 5432,
        "db": parsed.database,
    }
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = "${" + TRACKER_PASSWORD_ENV + "}"
    if parsed.query:
        config["query"] = {key: value for key, value in parsed.query.items()}
    return config


def atomic_lock_store_available() -> bool:
    """Return whether the atomic lock store module is installed (it arrives separately from this profile)."""
    try:
        return importlib.util.find_spec("bot.scale.lock_store") is not None
    except ModuleNotFoundError:
        return False


def lock_store_config(redis_url: str, key_prefix: str, lock_store_type: str | None = None) -> dict[str, Any]:
    """Return the `lock_store` section: Redis at `redis_url`, keys under `key_prefix`.

    Args:
        redis_url: The Redis URL (TENANTLINE_REDIS_URL).
        key_prefix: Prefix of the lock keys (tests give each run its own).
        lock_store_type: Class path or Rasa type name; default: the atomic lock store when installed, otherwise
            Rasa's stock `redis` type (not safe across replicas; see `bot.scale.lock_store`).
    """
    parts = redis_parts(redis_url, "TENANTLINE_REDIS_URL")
    kind = lock_store_type or (ATOMIC_LOCK_STORE if atomic_lock_store_available() else STOCK_LOCK_STORE)
    config: dict[str, Any] = {
        "type": kind,
        "url": parts["host"],
        "port": parts["port"],
        "db": parts["db"],
        "key_prefix": key_prefix,
    }
    if parts["use_ssl"]:
        config["use_ssl"] = True
    if "password" in parts:
        config["password"] = "${" + REDIS_PASSWORD_ENV + "}"
    return config
