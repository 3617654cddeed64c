"""The production profile running for the scale tests, and tenants who text it or message it by Telegram.

`ScaleStack` holds what `production_services` started (two action servers, two Rasa replicas, nginx, the
console) on free ports of 127.0.0.1, a private PostgreSQL server holding the housing database and the tracker
store, Redis under a key prefix of its own, a fake Twilio the replicas send their SMS replies to, and a fake
Telegram Bot API (able to fail sends, tests/scale/chaos_telegram.py) they send their Telegram replies to.

Tenants text the SMS webhook through nginx with Twilio's signature and a fresh MessageSid per message, or post
Telegram updates (built as Telegram sends them, with the webhook's secret token) with a fresh update_id. Like
the providers, the phone sends a message again with the same id when the webhook gave no answer or a 5xx
(`redelivered` counts those); the inbox de-duplicates by that id, so a redelivery is never a second message.
A `Tenant` names the channel and address; the SMS-only methods (`text`, `replies`, ...) take a phone number.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import requests
from multidict import MultiDict
from sqlalchemy.orm import Session

from bot.runner import Service, stop_services, wait_ready
from bot.scale.profile import ProductionProfile
from bot.scale.stack import service_named
from channels.telegram import SECRET_HEADER
from tests.scale.chaos_telegram import ChaosTelegram
from tests.scale.postgres import PrivatePostgres
from tests.support.fake_telegram import Updates
from tests.support.fake_twilio import SMS_NUMBER, FakeTwilio, message_sid, sms_form, twilio_signature

WEBHOOK = "/webhooks/twilio_sms/webhook"
TELEGRAM_WEBHOOK = "/webhooks/telegram/webhook"
READY_TIMEOUT_S = float(os.environ.get("TENANTLINE_SCALE_START_TIMEOUT", "300"))
"""Seconds each group of processes may take to answer (loading the model twice on a busy machine is slow)."""
TEST_TIMEOUT_S = float(os.environ.get("TENANTLINE_SCALE_TEST_TIMEOUT", "900"))
"""pytest-timeout for each scale test; the first one also waits for the stack to start."""


@dataclass
class Delivery:
    """What happened to one message a tenant sent."""

    sid: str
    text: str
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)
    """HTTP status of each attempt (0: no answer at all)."""


@dataclass(frozen=True)
class Tenant:
    """Someone messaging TenantLine: by SMS from a phone number, or by Telegram from a user id."""

    channel: str
    address: str

    @property
    def sender_id(self) -> str:
        """Return Rasa's sender id of the conversation ("sms:+44...", "telegram:7...")."""
        return f"{self.channel}:{self.address}"


@dataclass
class ScaleStack:
    """The running production profile and the handles the tests need to load it and break it."""

    profile: ProductionProfile
    services: list[Service]
    root: Path
    env: dict[str, str]
    postgres: PrivatePostgres
    twilio: FakeTwilio
    housing: Callable[[], Session]
    rasa_token: str
    logs: Path
    telegram: ChaosTelegram
    telegram_secret: str
    redelivered: int = 0
    updates: Updates = field(default_factory=lambda: Updates(first_update_id=random.randrange(10**8, 9 * 10**8)))
    _user_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(7_000_000_000 + random.randrange(10**8) * 1000)
    )
    extras: list[Service] = field(default_factory=list)
    """Processes a test started besides the profile's (a faulty action server); stopped with the stack."""

    # -- processes -------------------------------------------------------------------------------------------

    def service(self, name: str) -> Service:
        """Return the service called `name` ("rasa-1", "actions-2", "nginx", "console")."""
        return service_named(self.services, name)

    def kill(self, name: str) -> None:
        """SIGKILL a service, as when its machine dies: no clean-up, no goodbye."""
        service = self.service(name)
        assert service.process is not None
        service.process.kill()
        service.process.wait(timeout=30)

    def restart(self, name: str) -> float:
        """Start a stopped service again; return seconds until it answers."""
        service = self.service(name)
        started = time.monotonic()
        service.start(self.root, self.env)
        problem = wait_ready([service], timeout=READY_TIMEOUT_S)
        assert problem is None, problem + "\n" + self.log_tail(name)
        return time.monotonic() - started

    def rss_kib(self, name: str) -> int:
        """Return a service's resident memory in KiB, from /proc."""
        service = self.service(name)
        assert service.process is not None
        status = Path(f"/proc/{service.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])

    def log_tail(self, name: str, chars: int = 3000) -> str:
        """Return the end of a service's log (for assertion messages)."""
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def stop(self) -> None:
        """Stop every process of the stack."""
        stop_services([*self.services, *self.extras], timeout=20)

    def start_faulty_actions(self, name: str, *, die_during: str) -> subprocess.Popen[bytes]:
        """Start, on the port of action server `name` (stopped), one that dies during the first `die_during` call.

        See tests/scale/faulty_actions.py. Returns once it answers its health check; its output goes to
        `<logs>/<name>-faulty.log`.
        """
        service = self.service(name)
        assert not service.running(), f"{name} must be stopped first"
        port = service.ready_url.rsplit(":", 1)[1].split("/", 1)[0]
        faulty = Service(
            name=f"{name}-faulty",
            command=[
                sys.executable,
                "-m",
                "tests.scale.faulty_actions",
                "--actions",
                "actions",
                "--port",
                port,
                "--host",
                self.profile.upstream_host,
                "--die-during",
                die_during,
            ],
            ready_url=service.ready_url,
            env=service.env,
            log=self.logs / f"{name}-faulty.log",
        )
        process = faulty.start(self.root, self.env)
        self.extras.append(faulty)
        problem = wait_ready([faulty], timeout=READY_TIMEOUT_S)
        assert problem is None, f"{problem}\n{self.log_tail(faulty.name)}"
        return process

    # -- the tenant's side -----------------------------------------------------------------------------------

    @property
    def webhook_url(self) -> str:
        """Return the SMS webhook as Twilio calls it (through nginx)."""
        return self.profile.public_url + WEBHOOK

    def form(self, phone: str, text: str, sid: str) -> MultiDict[str]:
        """Return Twilio's fields for an SMS from `phone` to TenantLine's number."""
        return sms_form(phone, text, sid=sid, to=SMS_NUMBER)

    async def text(
        self, client: aiohttp.ClientSession, phone: str, text: str, *, deadline_s: float = 120.0
    ) -> Delivery:
        """Text TenantLine from `phone` and return once the webhook acknowledged it (2xx).

        Redelivers with the same MessageSid after a 5xx or no answer, every second, like a provider would.

        Raises:
            AssertionError: If the webhook answers 4xx, or never acknowledges within `deadline_s`.
        """
        delivery = Delivery(sid=message_sid(), text=text)
        form = self.form(phone, text, delivery.sid)
        headers = {"X-Twilio-Signature": twilio_signature(self.webhook_url, form)}
        return await self._deliver(
            client, self.webhook_url, delivery, data=list(form.items()), headers=headers, deadline_s=deadline_s
        )

    async def message_by_telegram(
        self, client: aiohttp.ClientSession, user_id: str, text: str, *, deadline_s: float = 120.0
    ) -> Delivery:
        """Post a Telegram update with `text` from `user_id` through nginx; return once acknowledged (2xx).

        Redelivers the same update (same update_id) after a 5xx or no answer, as Telegram does.

        Raises:
            AssertionError: If the webhook answers 4xx, or never acknowledges within `deadline_s`.
        """
        update = self.updates.text(text, user_id=int(user_id))
        delivery = Delivery(sid=str(update["update_id"]), text=text)
        return await self._deliver(
            client,
            self.profile.public_url + TELEGRAM_WEBHOOK,
            delivery,
            json=update,
            headers={SECRET_HEADER: self.telegram_secret},
            deadline_s=deadline_s,
        )

    async def send(self, client: aiohttp.ClientSession, tenant: Tenant, text: str) -> Delivery:
        """Send `text` from `tenant` on its channel (see `text` and `message_by_telegram`)."""
        if tenant.channel == "telegram":
            return await self.message_by_telegram(client, tenant.address, text)
        assert tenant.channel == "sms", f"the scale tests message by sms or telegram, not {tenant.channel}"
        return await self.text(client, tenant.address, text)

    async def _deliver(
        self,
        client: aiohttp.ClientSession,
        url: str,
        delivery: Delivery,
        *,
        headers: dict[str, str],
        deadline_s: float,
        data: Any = None,
        json: Any = None,
    ) -> Delivery:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + deadline_s
        while True:
            delivery.attempts += 1
            try:
                async with client.post(
                    url, data=data, json=json, headers=headers, timeout=aiohttp.ClientTimeout(total=30)
                ) as response:
                    await response.read()
                    delivery.statuses.append(response.status)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                delivery.statuses.append(0)
            status = delivery.statuses[-1]
            if 200 <= status < 300:
                return delivery
            assert not 400 <= status < 500, f"{url} refused {delivery.text!r} ({delivery.sid}) with {status}"
            assert loop.time() < deadline, f"{url} never acknowledged {delivery.text!r}: {delivery.statuses}"
            self.redelivered += 1
            await asyncio.sleep(1.0)

    def replies(self, phone: str) -> list[str]:
        """Return the SMS replies Twilio accepted for `phone`, oldest first."""
        return list(self.twilio.by_recipient.get(phone, []))

    def replies_to(self, tenant: Tenant) -> list[str]:
        """Return the replies the provider accepted for `tenant`, oldest first (Telegram: every one it took)."""
        if tenant.channel == "telegram":
            return self.telegram.texts(tenant.address)
        return self.replies(tenant.address)

    def new_tenant(self, channel: str = "sms") -> Tenant:
        """Return a tenant never seen before: a fresh phone number, or a fresh Telegram user id."""
        if channel == "telegram":
            return Tenant("telegram", str(next(self._user_ids)))
        return Tenant(channel, new_phone())

    async def wait_for_replies(self, phone: str, count: int, timeout: float = 120.0) -> list[str]:
        """Wait until `phone` has at least `count` replies; return them.

        Raises:
            TimeoutError: Naming what arrived.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.twilio.by_recipient.get(phone, [])) < count:
            if loop.time() > deadline:
                raise TimeoutError(f"{phone}: expected {count} replies, got {self.replies(phone)}")
            await asyncio.sleep(0.1)
        return self.replies(phone)

    async def wait_for_replies_to(self, tenant: Tenant, count: int, timeout: float = 120.0) -> list[str]:
        """Wait until `tenant` has at least `count` replies on its channel; return them.

        Raises:
            TimeoutError: Naming what arrived.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.replies_to(tenant)) < count:
            if loop.time() > deadline:
                raise TimeoutError(f"{tenant.sender_id}: expected {count} replies, got {self.replies_to(tenant)}")
            await asyncio.sleep(0.1)
        return self.replies_to(tenant)

    def tracker(self, phone: str, *, applied: bool = False) -> dict[str, Any]:
        """Return the tracker of `phone`'s SMS conversation through nginx (any replica answers)."""
        return self.tracker_of(Tenant("sms", phone), applied=applied)

    def tracker_of(self, tenant: Tenant, *, applied: bool = False) -> dict[str, Any]:
        """Return `tenant`'s tracker through nginx (any replica answers).

        Args:
            tenant: Whose conversation.
            applied: Only the events that still count (not undone by a rewind); else all since any restart.
        """
        response = requests.get(
            f"{self.profile.public_url}/conversations/{tenant.sender_id}/tracker",
            params={"token": self.rasa_token, "include_events": "APPLIED" if applied else "AFTER_RESTART"},
            timeout=60,
        )
        response.raise_for_status()
        return dict(response.json())


def user_events(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the tenant's messages in a tracker, in order."""
    return [event for event in tracker.get("events", []) if event.get("event") == "user"]


def unanswered(tracker: dict[str, Any]) -> list[str]:
    """Return the texts of tenant messages that no bot message followed before the next tenant message."""
    missing: list[str] = []
    pending: str | None = None
    for event in tracker.get("events", []):
        if event.get("event") == "user":
            if pending is not None:
                missing.append(pending)
            pending = str(event.get("text"))
        elif event.get("event") == "bot" and pending is not None:
            pending = None
    if pending is not None:
        missing.append(pending)
    return missing


def new_phone() -> str:
    """Return a fresh UK mobile number in the range Ofcom keeps for drama (07700 900000-900999 and beyond)."""
    return "+4477009" + f"{uuid.uuid4().int % 100000:05d}"


def scale_environment(
    base: dict[str, str],
    profile: ProductionProfile,
    twilio: FakeTwilio,
    *,
    token: str,
    telegram: ChaosTelegram,
    telegram_secret: str,
) -> dict[str, str]:
    """Return the environment of the stack's processes: the profile's URLs, the fake Twilio and Telegram."""
    env = {key: value for key, value in base.items() if not key.startswith(("TWILIO_", "TELEGRAM_"))}
    env.update(
        {
            "TENANTLINE_PROFILE": "production",
            "TENANTLINE_DATABASE_URL": profile.database_url,
            "TENANTLINE_TRACKER_STORE_URL": profile.tracker_store_url,
            "TENANTLINE_REDIS_URL": profile.redis_url,
            "TENANTLINE_RASA_TOKEN": token,
            "TENANTLINE_PUBLIC_URL": profile.public_url,
            "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_AUTH_TOKEN": twilio.auth_token,
            "TWILIO_SMS_FROM": SMS_NUMBER,
            "TWILIO_API_BASE_URL": twilio.base_url,
            "TELEGRAM_BOT_TOKEN": telegram.token,
            "TELEGRAM_WEBHOOK_SECRET": telegram_secret,
            "TELEGRAM_API_BASE_URL": telegram.base_url,
            # A replica's claim on a message it is processing lapses this soon after the replica dies.
            "TENANTLINE_INBOUND_LEASE_SECONDS": "5",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.setdefault("PATH", os.defpath)
    return env
