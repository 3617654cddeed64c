"""The trainer pages in real Chromium: label inbox messages one at a time and in bulk, and add an example through the
intent browser, seeing the plain-words refusal for a duplicate. Screenshots go to test-artifacts/console/.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.housing import nlu_inbox
from bot.housing.db import session_scope
from bot.housing.enums import InboxStatus
from tests.console.conftest import PASSWORDS
from tests.support.browser import CHROMIUM
from tests.support.browser import shot as save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium"),
]

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

MESSAGES = [
    ("the thingy on the wall by the front door wont beep anymore", "report_repair", 0.44),
    ("who do i speak to about swapping to a smaller flat", "ask_available_homes", 0.51),
    ("<b>bold</b> my neighbours dog barks all night <script>alert('x')</script>", "report_antisocial_behaviour", 0.39),
    ("asdfghjkl", "greet", 0.12),
]


def _seed(housing) -> list[int]:
    ids = []
    now = datetime.now(timezone.utc)
    with session_scope(housing) as session:
        for number, (text, intent, confidence) in enumerate(MESSAGES):
            item, _ = nlu_inbox.create(
                session=session,
                key=f"msg:browser-{number}",
                text=text,
                reason="low_confidence",
                received_at=now - timedelta(minutes=len(MESSAGES) - number),
                predicted_intent=intent,
                confidence=confidence,
            )
            ids.append(int(item.id))
    return ids


def _sign_in(page: Any) -> None:
    page.goto("/training/inbox")
    page.get_by_label("Username").fill("trainer")
    page.get_by_label("Password").fill(PASSWORDS["trainer"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="NLU inbox")).to_be_visible()


def _added(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_trainer_labels_inbox_messages_one_by_one_and_in_bulk(page, housing, training_data_dir) -> None:
    ids = _seed(housing)
    nlu = training_data_dir / "nlu"
    before = {path.name: path.read_text(encoding="utf-8") for path in nlu.glob("*.yml")}

    _sign_in(page)
    expect(page.locator(".status-line")).to_contain_text("4 waiting")
    expect(page.locator(f"#item-{ids[2]}")).to_contain_text("<script>alert('x')</script>")
    expect(page.locator(f"#item-{ids[0]}")).to_contain_text("report_repair (44%)")
    save_screenshot(page, "console", "trainer-01-inbox.png")

    page.locator(f"#confirm-{ids[0]}").click()
    expect(page.get_by_role("status")).to_contain_text("Confirmed: Added to report_repair in repairs.yml")
    expect(page.locator(f"#item-{ids[0]}")).to_have_count(0)

    page.locator(f"#intent-{ids[2]}").select_option("report_antisocial_behaviour")
    page.locator(f"#relabel-{ids[2]}").click()
    expect(page.get_by_role("status")).to_contain_text("Relabelled")

    page.get_by_label(re.compile(f"Select message {ids[1]}$")).check()
    page.get_by_label(re.compile(f"Select message {ids[3]}$")).check()
    page.locator("#bulk-discard").click()
    expect(page.get_by_role("status")).to_contain_text("Discarded: 2 messages.")
    expect(page.get_by_text("Nothing is waiting.")).to_be_visible()
    save_screenshot(page, "console", "trainer-02-inbox-done.png")

    page.get_by_role("link", name="Confirmed").click()
    expect(page.locator(f"#item-{ids[0]}")).to_contain_text("Confirmed as report_repair by trainer")

    assert page.watch.dialogs == [] and page.watch.errors == []
    after = {path.name: path.read_text(encoding="utf-8") for path in nlu.glob("*.yml")}
    changed = {name: _added(before[name], after[name]) for name in after if after[name] != before[name]}
    assert changed == {
        "repairs.yml": [f"+    - {MESSAGES[0][0]}"],
        "asb.yml": [f"+    - {MESSAGES[2][0]}"],
    }
    with session_scope(housing) as session:
        statuses = [nlu_inbox.get_or_raise(session=session, item_id=item_id).status for item_id in ids]
    assert statuses == [InboxStatus.CONFIRMED, InboxStatus.DISCARDED, InboxStatus.CONFIRMED, InboxStatus.DISCARDED]


def test_trainer_adds_an_example_and_sees_a_duplicate_explained(page, training_data_dir) -> None:
    _sign_in(page)
    page.get_by_role("link", name="Intents").click()
    expect(page.get_by_role("heading", name="Intents", exact=True)).to_be_visible()
    page.get_by_label("Search every example").fill("gas")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(".examples-found li").first).to_be_visible()
    save_screenshot(page, "console", "trainer-03-intents-search.png")

    page.get_by_role("link", name="faq/pets", exact=True).first.click()
    expect(page.get_by_role("heading", name="faq/pets")).to_be_visible()
    page.get_by_label("Example message").fill("can i have a tortoise in a 2nd floor flat")
    page.get_by_role("button", name="Add example").click()
    expect(page.get_by_role("status")).to_contain_text("Added in faq.yml, line")

    page.get_by_label("Example message").fill("Can I have a tortoise in a 2nd floor flat?")
    page.get_by_role("button", name="Add example").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("faq/pets already has this example")
    save_screenshot(page, "console", "trainer-04-duplicate-refused.png")
    assert (training_data_dir / "nlu" / "faq.yml").read_text(encoding="utf-8").count("tortoise in a 2nd floor") == 1
