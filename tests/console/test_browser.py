"""End to end in real Chromium: an agent signs in, takes a conversation, replies on the tenant's channel and hands
back; hostile tenant text never runs; the pages work with a keyboard and on a tablet.

Screenshots are saved under test-artifacts/console/ (gitignored). Needs Debian's chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.housing import handoffs, outbox, repairs
from bot.housing.db import session_scope
from bot.housing.enums import HandoffStatus
from tests.console.conftest import DEMO_SENDER, PASSWORDS
from tests.support.browser import CHROMIUM
from tests.support.browser import shot as save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium"),
]

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


def shot(page: Any, name: str) -> None:
    save_screenshot(page, "console", name)


def sign_in_with(page: Any, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()


def test_agent_signs_in_claims_sees_the_record_replies_by_sms_and_hands_back(
    page, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff(summary="The tenant asked for a person.\nLatest messages:\n- I need to talk to someone")
    fake_rasa.add_user_message(DEMO_SENDER, "My bathroom fan is still broken", photos=1)
    fake_rasa.add_bot_message(DEMO_SENDER, "I can pass you to a member of staff.", buttons=["Yes", "No"])
    fake_rasa.add_user_message(DEMO_SENDER, "I need to talk to someone")

    page.goto("/queue")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fqueue$"))
    sign_in_with(page, "agent")

    expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
    row = page.locator(f'tr[data-reference="{reference}"]')
    expect(row).to_contain_text("Asked for a person")
    expect(row).to_contain_text("SMS")
    expect(row.locator("time.timer")).to_have_text(re.compile(r"^\d+ min \d\d s$"))
    shot(page, "01-queue.png")

    newcomer = make_handoff("sms:+447700900222", reason="emergency", summary="Gas smell reported")
    expect(page.locator("tbody tr").first).to_have_attribute("data-reference", newcomer, timeout=10_000)
    expect(page.locator("#announcer")).to_contain_text("1 new conversation waiting")
    shot(page, "02-queue-new-arrival.png")

    page.get_by_role("button", name=re.compile(f"^Claim {reference}")).click()
    expect(page).to_have_url(re.compile(f"/conversations/{reference}$"))
    expect(page.get_by_role("status").first).to_contain_text(f"You are handling {reference}")
    record = page.locator("aside.record-column")
    expect(record).to_contain_text("Tenancy TN104233")
    expect(record).to_contain_text("Sarah Ahmed")
    expect(record).to_contain_text("in arrears")
    expect(record).to_contain_text("REP-000002L: extractor fan, bathroom")
    transcript = page.locator("#transcript-list")
    expect(transcript).to_contain_text("My bathroom fan is still broken")
    expect(transcript).to_contain_text("Sent 1 photo")
    expect(transcript).to_contain_text("Options offered: Yes, No")
    assert fake_rasa.is_paused(DEMO_SENDER)

    fake_rasa.add_user_message(DEMO_SENDER, "Hello? Is anyone there?")
    expect(transcript).to_contain_text("Hello? Is anyone there?", timeout=10_000)
    expect(page.locator("#announcer")).to_have_text("New message from the tenant.")
    shot(page, "03-conversation.png")

    page.get_by_label("Message to the tenant").fill("Hello Sarah, it's Amira. I'll book the fan repair for you now.")
    expect(page.locator("#body-count")).to_have_text("62 of 1600 characters")
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status").first).to_contain_text("Reply queued to send by SMS.")
    expect(transcript).to_contain_text("Amira Patel (staff)")
    with session_scope(housing) as session:
        queued = [(m.channel.value, m.to_address, m.body) for m in outbox.list(session=session)]
    assert queued == [("sms", "+447700900001", "Hello Sarah, it's Amira. I'll book the fan repair for you now.")]
    shot(page, "04-replied.png")

    page.get_by_role("button", name="Hand back to the assistant").click()
    expect(page).to_have_url(re.compile("/queue$"))
    expect(page.get_by_role("status").first).to_contain_text(f"{reference} handed back to the assistant")
    assert fake_rasa.event_names(DEMO_SENDER) == ["pause", "bot", "resume"]
    with session_scope(housing) as session:
        assert handoffs.get_or_raise(session=session, reference=reference).status is HandoffStatus.CLOSED
    shot(page, "05-handed-back.png")
    assert page.watch.errors == [] and page.watch.dialogs == []


HOSTILE = [
    "<script>window.__pwned = 'script'; alert('script')</script>",
    "<img src=x onerror=\"window.__pwned = 'img'; alert('img')\">",
    "<a href=\"javascript:window.__pwned = 'link'; alert('link')\">click me</a>",
    "javascript:alert(document.cookie)",
    "<svg onload=\"window.__pwned = 'svg'\"></svg>",
]


def test_hostile_tenant_text_is_shown_as_text_and_nothing_runs_in_the_browser(
    page, make_handoff, fake_rasa, housing
) -> None:
    summary = "Latest messages:\n" + "\n".join(f"- {text}" for text in HOSTILE)
    reference = make_handoff(summary=summary)
    for text in HOSTILE:
        fake_rasa.add_user_message(DEMO_SENDER, text)
    with session_scope(housing) as session:
        repairs.create(
            session=session,
            tenancy_reference="TN104233",
            item="<img src=x onerror=alert('item')>",
            location="<script>alert('where')</script>",
            description=HOSTILE[1],
            priority="routine",
        )

    page.goto("/sign-in")
    sign_in_with(page, "agent")
    expect(page.locator(f'tr[data-reference="{reference}"]')).to_contain_text("<script>window.__pwned")
    page.get_by_role("button", name=re.compile(f"^Claim {reference}")).click()
    page.get_by_text("Why a person was asked for").click()
    for text in HOSTILE:
        expect(page.locator("#transcript-list")).to_contain_text(text)
    expect(page.locator("aside.record-column")).to_contain_text("<img src=x onerror=alert('item')>")
    page.wait_for_timeout(1500)  # let any injected script or image error fire (it must not)
    shot(page, "06-hostile-text.png")

    assert page.evaluate("window.__pwned") is None
    assert page.watch.dialogs == []
    assert page.locator("#main img[src='x'], #main svg, #main script").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    # A CSP refusal would mean the markup reached the DOM unescaped and only the policy stopped it.
    assert not [line for line in page.watch.console if "Content Security Policy" in line]
    assert page.watch.errors == []


def test_keyboard_alone_signs_in_reaches_the_claim_button_and_claims(page, make_handoff) -> None:
    reference = make_handoff()

    page.goto("/sign-in")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("agent")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORDS["agent"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    claim = page.get_by_role("button", name=re.compile(f"^Claim {reference}"))
    for _ in range(12):
        page.keyboard.press("Tab")
        if claim.evaluate("element => element === document.activeElement"):
            break
    expect(claim).to_be_focused()
    outline = claim.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/conversations/{reference}$"))


def test_every_control_has_a_label_and_every_image_a_text_alternative(page, make_handoff) -> None:
    make_handoff()
    page.goto("/sign-in")
    sign_in_with(page, "agent")
    page.get_by_role("button", name=re.compile("^Claim ")).click()
    expect(page.locator("aside.record-column")).to_contain_text("Tenancy TN104233")
    page.get_by_text("Log a repair").click()

    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
                 .filter(control => control.labels.length === 0 && !control.getAttribute('aria-label'))
                 .map(control => control.outerHTML)"""
    )
    missing_alt = page.evaluate("() => Array.from(document.images).filter(image => !image.alt).length")

    assert unlabelled == []
    assert missing_alt == 0
    assert page.locator("html").get_attribute("lang") == "en-GB"
    assert page.locator("h1").count() == 1


def test_console_fits_a_tablet_screen_without_sideways_scrolling(chromium, live_console, make_handoff) -> None:
    reference = make_handoff()
    context = chromium.new_context(base_url=live_console.url, viewport={"width": 768, "height": 1024}, has_touch=True)
    tablet = context.new_page()
    try:
        tablet.goto("/sign-in")
        sign_in_with(tablet, "agent")
        expect(tablet.locator(f'tr[data-reference="{reference}"]')).to_be_visible()
        tablet.get_by_role("button", name=re.compile(f"^Claim {reference}")).tap()
        expect(tablet.locator("aside.record-column")).to_contain_text("Tenancy TN104233")
        shot(tablet, "07-tablet-conversation.png")

        overflow = tablet.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        small_targets = tablet.evaluate(
            """() => Array.from(document.querySelectorAll('button, select, input:not([type=hidden]):not([type=radio])'))
                     .filter(element => element.getBoundingClientRect().height < 44).length"""
        )
        assert overflow <= 0
        assert small_targets == 0
    finally:
        context.close()


def test_a_possible_emergency_arriving_while_the_assistant_is_paused_is_flagged_and_announced(
    page, make_handoff, fake_rasa
) -> None:
    reference = make_handoff()
    page.goto("/sign-in")
    sign_in_with(page, "agent")
    page.get_by_role("button", name=re.compile(f"^Claim {reference}")).click()
    expect(page.locator(".assistant-state")).to_have_text("The assistant is paused: only staff reply.")

    fake_rasa.add_user_message(DEMO_SENDER, "I can smell gas in the kitchen", intent="report_emergency")

    flagged = page.locator(".line-tenant .safety")
    expect(flagged).to_contain_text("Safety: Possible emergency.", timeout=10_000)
    expect(flagged).to_contain_text("it has not given safety advice: act on this now")
    expect(page.locator("#announcer")).to_have_text("New message from the tenant. Safety: Possible emergency.")
