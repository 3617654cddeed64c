"""The production profile running for the scale tests, and a tenant's phone that texts it through nginx.

`ScaleStack` holds what `production_services` started (two action servers, two Rasa replicas, nginx, the
console) on free ports of 127.0.0.1, a private PostgreSQL server holding the housing database and the tracker
store, Redis under a key prefix of its own, and a fake Twilio the replicas send their SMS replies to.

Tenants text the SMS webhook through nginx with Twilio's signature and a fresh MessageSid per message. Like
Twilio, the phone sends a message again with the same MessageSid when the webhook gave no answer or a 5xx
(`redelivered` counts those); the inbox de-duplicates by MessageSid, so a redelivery is never a second message.
"""

from __future__ import annotations

import asyncio
import os
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
from tests.scale.postgres import PrivatePostgres
from tests.support.fake_twilio import SMS_NUMBER, FakeTwilio, message_sid, sms_form, twilio_signature

WEBHOOK = "/webhooks/twilio_sms/webhook"
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
    redelivered: int = 0

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
        stop_services(self.services, timeout=20)

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
        loop = asyncio.get_running_loop()
        deadline = loop.time() + deadline_s
        while True:
            delivery.attempts += 1
            try:
                async with client.post(
                    self.webhook_url, data=list(form.items()), headers=headers, timeout=aiohttp.ClientTimeout(total=30)
                ) as response:
                    await response.read()
                    delivery.statuses.append(response.status)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                delivery.statuses.append(0)
            status = delivery.statuses[-1]
            if 200 <= status < 300:
                return delivery
            assert not 400 <= status < 500, f"webhook refused {text!r} from {phone} with {status}"
            assert loop.time() < deadline, f"webhook never acknowledged {text!r} from {phone}: {delivery.statuses}"
            self.redelivered += 1
            await asyncio.sleep(1.0)

    def replies(self, phone: str) -> list[str]:
        """Return the SMS replies Twilio accepted for `phone`, oldest first."""
        return list(self.twilio.by_recipient.get(phone, []))

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

    def tracker(self, phone: str) -> dict[str, Any]:
        """Return the tracker of `phone`'s SMS conversation through nginx (any replica answers)."""
        response = requests.get(
            f"{self.profile.public_url}/conversations/sms:{phone}/tracker",
            params={"token": self.rasa_token},
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
    base: dict[str, str], profile: ProductionProfile, twilio: FakeTwilio, *, token: str
) -> dict[str, str]:
    """Return the environment of the stack's processes: the profile's URLs, the fake Twilio, no Telegram."""
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
            # A replica's claim on a message it is processing lapses this soon after the replica dies.
            "TENANTLINE_INBOUND_LEASE_SECONDS": "5",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.setdefault("PATH", os.defpath)
    return env
