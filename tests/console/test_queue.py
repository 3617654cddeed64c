"""The queue: order, reasons, channels, live refresh and escaping."""

from __future__ import annotations

import html
import re
import time

from tests.console.support import csrf_from


def _waiting_order(page: str) -> list[str]:
    section = page.split('id="waiting-heading"')[1].split("</section>")[0]
    return re.findall(r'<tr data-reference="([^"]+)"', section)


def test_queue_lists_the_most_urgent_first_then_the_longest_waiting(client_as, make_handoff) -> None:
    first_normal = make_handoff("sms:+447700900101", reason="request_human")
    time.sleep(0.01)
    second_normal = make_handoff("sms:+447700900102", reason="fallback")
    welfare = make_handoff("whatsapp:+447700900103", channel="whatsapp", reason="welfare")
    emergency = make_handoff("telegram:555000111", channel="telegram", reason="emergency")

    page = html.unescape(client_as("agent").get("/queue").text)

    assert _waiting_order(page) == [emergency, welfare, first_normal, second_normal]
    assert "Waiting for a person (4)" in page
    for label in ("Emergency", "Welfare concern", "Asked for a person", "Assistant did not understand twice"):
        assert label in page
    for channel in ("SMS", "WhatsApp", "Telegram"):
        assert f"<td>{channel}</td>" in page
    assert page.count("data-since=") == 4


def test_queue_shows_arrears_callbacks_and_bereavements(client_as, make_handoff) -> None:
    make_handoff("sms:+447700900104", reason="arrears_callback")
    make_handoff("sms:+447700900105", reason="bereavement")

    page = client_as("agent").get("/queue").text

    assert "Arrears callback" in page and "Bereavement" in page


def test_queue_refresh_answers_not_modified_until_someone_new_is_waiting(client_as, make_handoff) -> None:
    make_handoff("sms:+447700900106")
    agent = client_as("agent")
    headers = {"X-Console-Fetch": "1"}

    first = agent.get("/queue/live", headers=headers)
    unchanged = agent.get("/queue/live", headers={**headers, "If-None-Match": first.headers["ETag"]})
    newcomer = make_handoff("sms:+447700900107", reason="emergency")
    changed = agent.get("/queue/live", headers={**headers, "If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200 and "<html" not in first.text
    assert unchanged.status_code == 304
    assert changed.status_code == 200 and newcomer in changed.text


def test_queue_separates_conversations_held_by_you_and_by_colleagues(client_as, make_handoff) -> None:
    mine = make_handoff("sms:+447700900108")
    theirs = make_handoff("sms:+447700900109")
    agent, dave = client_as("agent"), client_as("dave")
    agent.post(f"/conversations/{mine}/claim", data={"csrf_token": csrf_from(agent.get("/queue").text)})
    dave.post(f"/conversations/{theirs}/claim", data={"csrf_token": csrf_from(dave.get("/queue").text)})

    page = agent.get("/queue").text

    assert _waiting_order(page) == []
    assert mine in page.split('id="mine-heading"')[1].split("</section>")[0]
    assert "Dave Second" in page.split('id="colleagues-heading"')[1].split("</section>")[0]


def test_queue_escapes_the_summary_the_tenant_wrote(client_as, make_handoff) -> None:
    make_handoff(summary='Latest messages:\n- <script>alert("queue")</script><img src=x onerror=alert(2)>')

    page = client_as("agent").get("/queue").text

    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;queue&#34;)&lt;/script&gt;" in page
