"""A tenant texts, a person answers, the assistant takes over again: the whole handoff in real processes and Chromium.

The Rasa server (trained model, SMS channel), the action server and the staff console run as `make run` starts them,
on free ports, against a private copy of the demo housing database. Twilio is the fake server from tests/support,
reached by the real twilio client through TWILIO_API_BASE_URL; the tenant's messages arrive as signed webhooks.
Screenshots go to test-artifacts/e2e/.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.housing import handoffs
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import HandoffStatus
from bot.housing.seed import DEMO_LOGINS, DEMO_TENANT
from bot.training import model_path
from tests.e2e.conftest import PROJECT_ROOT, _free_port, assistant_commands, running
from tests.support.browser import CHROMIUM, Watch, chromium_browser, shot
from tests.support.fake_twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SMS_NUMBER,
    FakeTwilio,
    ThreadedFakeTwilio,
    sms_form,
    twilio_signature,
)
from tests.support.housing import seeded_database

pytestmark = [
    pytest.mark.model,
    pytest.mark.browser,
    pytest.mark.timeout(900),  # starting three servers and loading the model is most of it
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium"),
]

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

RASA_TOKEN = "e2e-rasa-token-7d2a91"
AGENT = next(login for login in DEMO_LOGINS if login.username == "agent")
TENANT_PHONE = DEMO_TENANT.phone


def wait_for_new(fake: FakeTwilio, to: str, seen: int, timeout: float = 60.0) -> list[str]:
    """Wait until more than `seen` messages to `to` were accepted and no more arrive for a moment; return the new."""
    deadline = time.monotonic() + timeout
    while len(fake.bodies(to)) <= seen:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no new message to {to} within {timeout:.0f} s; got {fake.bodies(to)}")
        time.sleep(0.1)
    settled = len(fake.bodies(to))
    while True:  # the assistant often sends several messages for one turn
        time.sleep(1.0)
        now = len(fake.bodies(to))
        if now == settled:
            return fake.bodies(to)[seen:]
        settled = now


@dataclass
class SmsStack:
    """The running stack: where to text it, the console's address, what the fake Twilio received."""

    rasa_url: str
    console_url: str
    twilio: ThreadedFakeTwilio
    database: Path

    def send(self, body: str) -> None:
        """Send `body` from the demo tenant's phone as a signed Twilio webhook; it must be acknowledged."""
        url = f"{self.rasa_url}/webhooks/twilio_sms/webhook"
        form = sms_form(TENANT_PHONE, body)
        response = requests.post(
            url, data=list(form.items()), headers={"X-Twilio-Signature": twilio_signature(url, form)}, timeout=10
        )
        assert response.status_code == 200, response.text

    def text(self, body: str) -> list[str]:
        """Send `body` as the tenant and return the replies the tenant's phone received."""
        seen = len(self.twilio.fake.bodies(TENANT_PHONE))
        self.send(body)
        return wait_for_new(self.twilio.fake, TENANT_PHONE, seen)


@pytest.fixture(scope="module")
def sms_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmsStack]:
    """Start the action server, Rasa with the SMS channel and the console, as `make run` does, on free ports."""
    model = model_path()
    if not model.exists():
        pytest.skip(f"no trained model at {model.relative_to(PROJECT_ROOT)}: run `make train` first")
    workdir = tmp_path_factory.mktemp("sms-handoff")
    database = seeded_database(workdir / "housing.db")
    console_port = _free_port()
    commands, rasa_port = assistant_commands(workdir, model, rasa_args=("--auth-token", RASA_TOKEN))
    commands["console"] = (
        [sys.executable, "-m", "bot.console", "--port", str(console_port)],
        f"http://127.0.0.1:{console_port}/healthz",
    )
    with ThreadedFakeTwilio() as twilio:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("TWILIO_", "TELEGRAM_"))} | {
            "TENANTLINE_DATABASE_URL": f"sqlite:///{database}",
            "TENANTLINE_RASA_URL": f"http://127.0.0.1:{rasa_port}",
            "TENANTLINE_RASA_TOKEN": RASA_TOKEN,
            "TENANTLINE_PUBLIC_URL": f"http://127.0.0.1:{rasa_port}",
            "TENANTLINE_MEDIA_DIR": str(workdir / "media"),
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_SMS_FROM": SMS_NUMBER,
            "TWILIO_API_BASE_URL": twilio.fake.base_url,
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
        with running(commands, env, workdir):
            yield SmsStack(f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{console_port}", twilio, database)


def _open_handoff(database: Path) -> Any:
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            return handoffs.get_open(session=session, sender_id=f"sms:{TENANT_PHONE}")
    finally:
        engine.dispose()


def test_tenant_asks_for_a_person_by_sms_agent_replies_from_the_console_and_hands_back(sms_stack: SmsStack) -> None:
    replies = sms_stack.text("can i talk to a real person please")
    reference_match = re.search(r"\bHND-\w+", " ".join(replies))
    assert reference_match, f"the tenant was not given a handoff reference: {replies}"
    reference = reference_match.group(0)

    with chromium_browser() as browser:
        context = browser.new_context(base_url=sms_stack.console_url, viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch = Watch(page)

        page.goto("/queue")
        page.get_by_label("Username").fill(AGENT.username)
        page.get_by_label("Password").fill(AGENT.password)
        page.get_by_role("button", name="Sign in").click()
        row = page.locator(f'tr[data-reference="{reference}"]')
        expect(row).to_contain_text("Asked for a person")
        expect(row).to_contain_text("SMS")
        shot(page, "e2e", "01-queue.png")

        page.get_by_role("button", name=re.compile(f"^Claim {reference}")).click()
        expect(page).to_have_url(re.compile(f"/conversations/{reference}$"))
        record = page.locator("aside.record-column")
        expect(record).to_contain_text(f"Tenancy {DEMO_TENANT.tenancy_reference}")
        expect(record).to_contain_text(DEMO_TENANT.name)
        transcript = page.locator("#transcript-list")
        expect(transcript).to_contain_text("can i talk to a real person please")
        expect(page.locator(".assistant-state")).to_have_text("The assistant is paused: only staff reply.")
        shot(page, "e2e", "02-claimed.png")

        # While a person holds the conversation the assistant says nothing; the message appears live for the agent.
        seen = len(sms_stack.twilio.fake.bodies(TENANT_PHONE))
        sms_stack.send("its about my rent, I got a letter")
        expect(transcript).to_contain_text("its about my rent, I got a letter", timeout=20_000)
        time.sleep(2)
        assert len(sms_stack.twilio.fake.bodies(TENANT_PHONE)) == seen, "the assistant answered while paused"

        reply = "Hello Sarah, this is Amira from the income team. I can see the letter, let's sort it out together."
        page.get_by_label("Message to the tenant").fill(reply)
        page.get_by_role("button", name="Send reply").click()
        expect(page.get_by_role("status").first).to_contain_text("Reply queued to send by SMS.")
        assert wait_for_new(sms_stack.twilio.fake, TENANT_PHONE, seen) == [reply]
        sent = sms_stack.twilio.fake.sent(TENANT_PHONE)[-1]
        assert sent.get("From") == SMS_NUMBER
        shot(page, "e2e", "03-replied.png")

        page.get_by_role("button", name="Hand back to the assistant").click()
        expect(page).to_have_url(re.compile("/queue$"))
        expect(page.get_by_role("status").first).to_contain_text(f"{reference} handed back to the assistant")
        shot(page, "e2e", "04-handed-back.png")
        assert watch.errors == [] and watch.dialogs == []
        context.close()

    handoff = _open_handoff(sms_stack.database)
    assert handoff is None or handoff.status is HandoffStatus.CLOSED
    answer = " ".join(sms_stack.text("what are your opening hours")).lower()
    assert re.search(r"\d{1,2}(:\d\d)?\s*(am|pm)|\d\d:\d\d", answer), f"the assistant did not answer: {answer}"
