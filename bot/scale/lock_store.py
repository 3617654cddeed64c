"""Rasa lock stores whose ticket lock is safe when several Rasa replicas share one Redis, or threads one process.

Rasa serialises the messages of one conversation with a ticket lock (`rasa.core.lock.TicketLock`): each message
takes the next ticket number and is handled when its number is the lowest live one. Rasa Open Source 3.6 keeps
that lock in Redis as one JSON string and changes it by reading, changing and writing it back
(`rasa/core/lock_store.py`: `issue_ticket` lines 79-83, `update_lock` lines 146-149, `finish_serving` lines
176-179, `cleanup` lines 183-185). Nothing stops two replicas from doing that at the same time, so:

- two replicas issuing a ticket together read the same lock, both append ticket N and both write: one ticket is
  lost and both callers hold "ticket N", which is now being served - two messages of one conversation are
  processed at once (and the later one may finish first);
- a replica finishing its ticket can write back a lock that no longer has a ticket another replica just added;
- `cleanup` deletes the whole lock when it saw nobody waiting, deleting a ticket issued a moment later.

`AtomicRedisLockStore` keeps each conversation's live tickets in a Redis hash (ticket number -> expiry) and its
ticket counter in a separate key, and changes them only inside Lua scripts, which Redis runs one at a time:
numbers come from `INCR`, so no two callers ever get the same one and numbers grow in the order tickets were
issued; expiry uses the Redis server's clock, so replicas whose clocks disagree still agree on which tickets are
alive. A replica that dies holding a ticket stops blocking the conversation once the ticket's lifetime is over.

Configured in endpoints.yml::

    lock_store:
      type: bot.scale.lock_store.AtomicRedisLockStore
      url: 127.0.0.1          # a host name, or a redis:// / rediss:// URL
      port: 6379
      db: 0
      key_prefix: tenantline  # letters, digits and - _ . : only
      lock_lifetime: 60       # seconds a ticket lives (Rasa's TICKET_LOCK_LIFETIME by default)
      poll_interval: 0.05     # seconds between checks while waiting for the lock
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import redis
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "tenantline"
DEFAULT_POLL_INTERVAL = 0.05
DEFAULT_SOCKET_TIMEOUT = 10.0
KEY_MARGIN_MS = 1000
"""How much longer than its longest-lived ticket a conversation's keys are kept, so they never vanish under one."""

_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_SETTINGS = frozenset(
    {
        "port",
        "db",
        "username",
        "password",
        "use_ssl",
        "key_prefix",
        "socket_timeout",
        "lock_lifetime",
        "poll_interval",
    }
)

# Shared by every script: the server's clock in milliseconds, and dropping expired tickets.
_LUA_COMMON = """
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function live_tickets(key, now)
  local flat = redis.call('HGETALL', key)
  local live = {}
  for i = 1, #flat, 2 do
    if tonumber(flat[i + 1]) <= now then
      redis.call('HDEL', key, flat[i])
    else
      live[#live + 1] = flat[i]
      live[#live + 1] = flat[i + 1]
    end
  end
  return live
end
local function keep_for(key, ms)
  if redis.call('PTTL', key) < ms then
    redis.call('PEXPIRE', key, ms)
  end
end
"""

# KEYS: tickets, counter. ARGV: lifetime in ms, key margin in ms. Returns the new ticket's number.
_ISSUE = (
    _LUA_COMMON
    + """
local now = now_ms()
live_tickets(KEYS[1], now)
local number = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], number, now + tonumber(ARGV[1]))
keep_for(KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]))
keep_for(KEYS[2], tonumber(ARGV[1]) + tonumber(ARGV[2]))
return number
"""
)

# KEYS: tickets. Returns {server time in ms as a string, number, expiry, number, expiry, ...} of live tickets.
_SNAPSHOT = (
    _LUA_COMMON
    + """
local now = now_ms()
local live = live_tickets(KEYS[1], now)
table.insert(live, 1, tostring(now))
return live
"""
)

# KEYS: tickets. ARGV: ticket number. Returns how many live tickets remain (an empty hash is no key at all).
# The counter is left to expire on its own, so ticket numbers keep growing while the conversation is busy.
_FINISH = (
    _LUA_COMMON
    + """
redis.call('HDEL', KEYS[1], ARGV[1])
return #live_tickets(KEYS[1], now_ms()) / 2
"""
)

# KEYS: tickets, counter. ARGV: key margin in ms, then number, remaining ms, number, remaining ms, ...
_REPLACE = (
    _LUA_COMMON
    + """
local now = now_ms()
redis.call('DEL', KEYS[1])
local highest = tonumber(redis.call('GET', KEYS[2]) or '0')
for i = 2, #ARGV, 2 do
  local number = tonumber(ARGV[i])
  local remaining = tonumber(ARGV[i + 1])
  if remaining > 0 then
    redis.call('HSET', KEYS[1], number, now + remaining)
    keep_for(KEYS[1], remaining + tonumber(ARGV[1]))
    keep_for(KEYS[2], remaining + tonumber(ARGV[1]))
    if number > highest then
      highest = number
      redis.call('SET', KEYS[2], number, 'KEEPTTL')
    end
  end
end
return redis.call('HLEN', KEYS[1])
"""
)


class LockStoreConfigError(RasaException):
    """Raised when the lock store's settings are unusable or its Redis cannot be reached at start-up."""


def _number(settings: Mapping[str, Any], name: str, default: float, *, minimum: float) -> float:
    raw = settings.get(name, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise LockStoreConfigError(f"lock_store.{name} must be a number, got {raw!r}") from None
    if not value >= minimum:  # also refuses NaN
        raise LockStoreConfigError(f"lock_store.{name} must be at least {minimum}, got {raw!r}")
    return value


def _integer(settings: Mapping[str, Any], name: str, default: int, *, minimum: int, maximum: int) -> int:
    raw = settings.get(name, default)
    if isinstance(raw, bool) or not str(raw).strip().isdigit():
        raise LockStoreConfigError(f"lock_store.{name} must be a whole number, got {raw!r}")
    value = int(str(raw).strip())
    if not minimum <= value <= maximum:
        raise LockStoreConfigError(f"lock_store.{name} must be between {minimum} and {maximum}, got {raw!r}")
    return value


def _prefix(raw: Any) -> str:
    value = DEFAULT_KEY_PREFIX if raw in (None, "") else str(raw)
    if not _PREFIX_PATTERN.fullmatch(value):
        raise LockStoreConfigError(
            f"lock_store.key_prefix may hold only letters, digits and - _ . : (1 to 64 of them), got {raw!r}"
        )
    return value if value.endswith(":") else value + ":"


def _client(url: str | None, settings: Mapping[str, Any]) -> redis.Redis:
    """Build the Redis client from endpoints.yml's `url` (host or redis:// URL) and connection settings."""
    timeout = _number(settings, "socket_timeout", DEFAULT_SOCKET_TIMEOUT, minimum=0.01)
    host = (url or "localhost").strip()
    if "://" in host:
        try:
            return redis.Redis.from_url(host, socket_timeout=timeout, socket_connect_timeout=timeout)
        except ValueError as error:
            raise LockStoreConfigError(f"lock_store.url is not a usable Redis URL: {error}") from None
    if not host or any(character in host for character in "/ @?#"):
        raise LockStoreConfigError(f"lock_store.url must be a host name or a redis:// URL, got {url!r}")
    return redis.Redis(
        host=host,
        port=_integer(settings, "port", 6379, minimum=1, maximum=65535),
        db=_integer(settings, "db", 0, minimum=0, maximum=1023),
        username=settings.get("username") or None,
        password=settings.get("password") or None,
        ssl=bool(settings.get("use_ssl", False)),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
    )


class _PolledTicketLock(LockStore):
    """`lock()` for the stores here: take a ticket, check every `poll_interval` seconds until it is served."""

    lock_lifetime: float = LOCK_LIFETIME
    poll_interval: float = DEFAULT_POLL_INTERVAL

    def _served(self, conversation_id: str, ticket: int) -> TicketLock | None:
        """Return the lock if `ticket` is being served, None while an earlier ticket is live.

        Raises:
            LockError: If the ticket is gone (it expired while waiting).
        """
        lock = self.get_lock(conversation_id)
        if lock is None or all(held.number != ticket for held in lock.tickets):
            raise LockError(f"Ticket {ticket} expired while waiting for the lock of a conversation.")
        return None if lock.is_locked(ticket) else lock

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float | None = None,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock: wait for every earlier ticket to finish or expire, then yield.

        Args:
            conversation_id: Rasa's sender id.
            lock_lifetime: How long the ticket lives, in seconds (the configured lifetime by default).
            wait_time_in_seconds: Wait between checks (the configured poll interval by default).

        Raises:
            LockError: If the store fails, or this ticket expired while waiting.
        """
        ticket = self.issue_ticket(conversation_id, lock_lifetime or self.lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds or self.poll_interval)
        finally:
            self.cleanup(conversation_id, ticket)

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while True:
            lock = self._served(conversation_id, ticket)
            if lock is not None:
                return lock
            await asyncio.sleep(wait_time_in_seconds)


class AtomicRedisLockStore(_PolledTicketLock):
    """Rasa's ticket lock kept in Redis and changed only atomically, safe for many Rasa replicas."""

    def __init__(
        self,
        endpoint_config: EndpointConfig | None = None,
        *,
        client: redis.Redis | None = None,
        key_prefix: str | None = None,
        lock_lifetime: float | None = None,
        poll_interval: float | None = None,
    ) -> None:
        """Connect to Redis, as configured in endpoints.yml or with an existing client.

        Args:
            endpoint_config: Rasa's `lock_store` section (`url`, `port`, `db`, `username`, `password`, `use_ssl`,
                `socket_timeout`, `key_prefix`, `lock_lifetime`, `poll_interval`).
            client: A Redis client to use instead of one built from `endpoint_config` (tests).
            key_prefix: Overrides the configured key prefix.
            lock_lifetime: Overrides the configured ticket lifetime in seconds.
            poll_interval: Overrides the configured wait between checks for the lock, in seconds.

        Raises:
            LockStoreConfigError: If a setting is unknown or invalid, or Redis cannot be reached; the message says
                which.
        """
        settings: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        unknown = sorted(set(settings) - _SETTINGS)
        if unknown:
            raise LockStoreConfigError(f"lock_store has unknown setting(s): {', '.join(unknown)}")
        for name, value in (("key_prefix", key_prefix), ("lock_lifetime", lock_lifetime)):
            if value is not None:
                settings[name] = value
        if poll_interval is not None:
            settings["poll_interval"] = poll_interval
        self.key_prefix = _prefix(settings.get("key_prefix"))
        self.lock_lifetime = _number(settings, "lock_lifetime", LOCK_LIFETIME, minimum=0.01)
        self.poll_interval = _number(settings, "poll_interval", DEFAULT_POLL_INTERVAL, minimum=0.001)
        self.red = client if client is not None else _client(endpoint_config.url if endpoint_config else None, settings)
        try:
            self.red.ping()
        except redis.RedisError as error:
            raise LockStoreConfigError(f"lock_store: cannot reach Redis ({error})") from None
        self._issue = self.red.register_script(_ISSUE)
        self._snapshot = self.red.register_script(_SNAPSHOT)
        self._finish = self.red.register_script(_FINISH)
        self._replace = self.red.register_script(_REPLACE)
        super().__init__()

    # -- keys ----------------------------------------------------------------------------------------------------

    def _keys(self, conversation_id: str) -> list[str]:
        # The braces make both keys hash to one Redis Cluster slot, which a multi-key script needs.
        base = f"{self.key_prefix}lock:{{{conversation_id}}}"
        return [f"{base}:tickets", f"{base}:counter"]

    # -- the atomic operations -----------------------------------------------------------------------------------

    def issue_ticket(self, conversation_id: str, lock_lifetime: float | None = None) -> int:
        """Issue the next ticket of `conversation_id`, living `lock_lifetime` seconds, and return its number.

        Raises:
            LockError: If Redis fails.
        """
        lifetime_ms = max(1, round((lock_lifetime or self.lock_lifetime) * 1000))
        try:
            return int(self._issue(keys=self._keys(conversation_id), args=[lifetime_ms, KEY_MARGIN_MS]))
        except redis.RedisError as error:
            raise LockError(f"Error while issuing a lock ticket: {error}") from error

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        """Return the conversation's live tickets as a `TicketLock`, or None when it has none."""
        reply = self._snapshot(keys=self._keys(conversation_id)[:1])
        server_now_ms = int(reply[0])
        if len(reply) == 1:
            return None
        local_now = time.time()
        pairs = sorted((int(reply[i]), int(reply[i + 1])) for i in range(1, len(reply), 2))
        # Expiry is translated to this process's clock, which `TicketLock` compares it with.
        tickets = [Ticket(number, local_now + (expires_ms - server_now_ms) / 1000) for number, expires_ms in pairs]
        return TicketLock(conversation_id, deque(tickets))

    def update_lock(self, conversation_id: str) -> None:
        """Drop the conversation's expired tickets."""
        self._snapshot(keys=self._keys(conversation_id)[:1])

    def is_someone_waiting(self, conversation_id: str) -> bool:
        """Return whether the conversation has any live ticket."""
        return self.get_lock(conversation_id) is not None

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ticket `ticket_number` in one step; a lock left without tickets disappears with it."""
        self._finish(keys=self._keys(conversation_id)[:1], args=[int(ticket_number)])

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove ticket `ticket_number` (Rasa's two-step "finish, then delete if idle" done as one step).

        Nothing needs deleting afterwards: Redis drops a hash when its last field goes, so a ticket issued a
        moment later is never lost, and the counter expires by itself once no ticket can outlive it.
        """
        self.finish_serving(conversation_id, ticket_number)

    def delete_lock(self, conversation_id: str) -> None:
        """Delete the conversation's lock and ticket counter outright, whoever holds tickets."""
        self._log_deletion(conversation_id, bool(self.red.delete(*self._keys(conversation_id))))

    def save_lock(self, lock: TicketLock) -> None:
        """Replace the conversation's tickets with `lock`'s in one step (the lock protocol itself never does this).

        Last writer wins, as with Rasa's stores; the counter never goes back, so later tickets still come after.
        """
        now = time.time()
        args: list[int] = [KEY_MARGIN_MS]
        for ticket in lock.tickets:
            args.extend([int(ticket.number), round((ticket.expires - now) * 1000)])
        self._replace(keys=self._keys(lock.conversation_id), args=args)

    # -- the lock ------------------------------------------------------------------------------------------------


EMBEDDED_LOCK_STORE = {"type": "bot.scale.lock_store.ThreadSafeInMemoryLockStore"}
"""endpoints.yml's `lock_store` section in the embedded profile; the bench and the tests' stacks write the same."""


class ThreadSafeInMemoryLockStore(_PolledTicketLock, InMemoryLockStore):
    """Rasa's in-memory lock store, safe when turns run on their own thread (the embedded profile's lock store).

    The channels run tenants' turns on a thread of their own (channels/core/turns.py) while Rasa's HTTP API - the
    staff console pausing a conversation or recording a staff reply - runs on the server's loop, and both take the
    same conversation's lock. Rasa's `InMemoryLockStore` reads, changes and writes back a conversation's lock
    without any guard, so two threads issuing tickets together could both be handed the lock (the same races as
    two replicas sharing Rasa's Redis lock store, above). Here every read and change of a lock happens under one
    `threading.Lock`. Waiters check again every `poll_interval` seconds (Rasa's own waits a second).

    Configured in endpoints.yml::

        lock_store:
          type: bot.scale.lock_store.ThreadSafeInMemoryLockStore
          poll_interval: 0.05   # optional
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        """Create an empty store.

        Raises:
            LockStoreConfigError: If the settings hold anything but a valid `poll_interval`.
        """
        settings = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        if endpoint_config is not None and endpoint_config.url:
            settings["url"] = endpoint_config.url  # an in-memory store has nowhere to connect to
        unknown = sorted(set(settings) - {"poll_interval"})
        if unknown:
            raise LockStoreConfigError(f"lock_store has unknown setting(s): {', '.join(unknown)}")
        self.poll_interval = _number(settings, "poll_interval", DEFAULT_POLL_INTERVAL, minimum=0.001)
        self._guard = threading.Lock()
        super().__init__()

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the conversation's next ticket (creating its lock if needed)."""
        with self._guard:
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        """Drop the conversation's expired tickets."""
        with self._guard:
            super().update_lock(conversation_id)

    def is_someone_waiting(self, conversation_id: str) -> bool:
        """Return whether a ticket of the conversation is still live."""
        with self._guard:
            return super().is_someone_waiting(conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket."""
        with self._guard:
            super().finish_serving(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket and, in the same step, the lock if no ticket is left."""
        with self._guard:
            super().finish_serving(conversation_id, ticket_number)
            lock = self.get_lock(conversation_id)
            if lock is not None and not lock.is_someone_waiting():
                self.delete_lock(conversation_id)

    def _served(self, conversation_id: str, ticket: int) -> TicketLock | None:
        with self._guard:
            return super()._served(conversation_id, ticket)
