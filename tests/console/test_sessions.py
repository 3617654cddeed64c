"""Sessions, cookies, CSRF, sign-in and sign-out, lock-out."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.console.sessions import SessionStore, SignInThrottle, tokens_match
from bot.console.web import safe_next
from bot.housing import audit, staff
from bot.housing.db import session_scope
from tests.console.conftest import PASSWORDS
from tests.console.support import csrf_from


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_session_store_ends_a_session_after_the_idle_timeout() -> None:
    clock = Clock()
    store = SessionStore(idle=60, lifetime=3600, clock=clock)
    token, _session = store.create("agent")

    clock.now += 59
    assert store.get(token) is not None
    clock.now += 61

    assert store.get(token) is None


def test_session_store_background_refreshes_do_not_keep_an_idle_session_alive() -> None:
    clock = Clock()
    store = SessionStore(idle=60, lifetime=3600, clock=clock)
    token, _session = store.create("agent")

    for _ in range(2):
        clock.now += 25
        assert store.get(token, touch=False) is not None
    clock.now += 15

    assert store.get(token) is None


def test_console_signs_out_a_tablet_left_open_on_the_queue(client_as, console_app) -> None:
    clock = Clock()
    console_app.ctx.console.sessions._clock = clock
    client = client_as("agent")

    for _ in range(10):
        clock.now += 5 * 60
        client.get("/queue/live", headers={"X-Console-Fetch": "1"})

    assert client.get("/queue/live", headers={"X-Console-Fetch": "1"}).status_code == 401
    assert client.get("/queue").status_code == 303


def test_session_store_ends_a_busy_session_at_its_lifetime() -> None:
    clock = Clock()
    store = SessionStore(idle=60, lifetime=300, clock=clock)
    token, _session = store.create("agent")

    for _ in range(6):
        clock.now += 55
        store.get(token)

    assert store.get(token) is None


def test_session_store_forgets_a_deleted_session_and_every_session_of_a_disabled_user() -> None:
    store = SessionStore(idle=60, lifetime=300)
    first, _ = store.create("agent")
    second, _ = store.create("agent")
    other, _ = store.create("dave")

    store.delete(first)
    assert store.get(first) is None
    assert store.delete_user("agent") == 1

    assert store.get(second) is None
    assert store.get(other) is not None


def test_session_tokens_are_unguessable_and_compared_safely() -> None:
    store = SessionStore(idle=60, lifetime=300)
    token, session = store.create("agent")

    assert len(token) >= 40 and token != session.csrf_token
    assert store.get(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert not tokens_match(session.csrf_token, None)
    assert not tokens_match(None, None)
    assert tokens_match(session.csrf_token, session.csrf_token)


def test_sign_in_throttle_blocks_a_device_after_too_many_failures_across_accounts() -> None:
    clock = Clock()
    throttle = SignInThrottle(limit=3, window=60, clock=clock)
    for _ in range(3):
        throttle.failed("10.0.0.9")

    assert throttle.blocked("10.0.0.9")
    assert not throttle.blocked("10.0.0.10")
    clock.now += 61
    assert not throttle.blocked("10.0.0.9")


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "queue", ""]
)
def test_safe_next_refuses_anything_but_a_path_on_this_site(target: str) -> None:
    assert safe_next(target, "/queue") == "/queue"


def test_safe_next_keeps_a_path_on_this_site() -> None:
    assert safe_next("/conversations/HND-000001W?x=1", "/queue") == "/conversations/HND-000001W?x=1"


def _set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_sign_in_sets_an_httponly_samesite_session_cookie_and_lands_on_the_queue(anonymous: httpx.Client) -> None:
    form = anonymous.get("/sign-in")
    response = anonymous.post(
        "/sign-in", data={"username": "agent", "password": PASSWORDS["agent"], "csrf_token": csrf_from(form.text)}
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/queue"
    session_cookie = next(cookie for cookie in _set_cookies(response) if cookie.startswith("tenantline_console="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Strict" in session_cookie
    assert "Path=/" in session_cookie
    assert "Secure" not in session_cookie  # plain HTTP on 127.0.0.1
    assert anonymous.get("/queue").status_code == 200


def test_sign_in_over_https_behind_a_trusted_proxy_sets_a_secure_host_prefixed_cookie(console_config, housing) -> None:
    from dataclasses import replace

    from bot.console.app import create_app
    from tests.console.support import running

    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    app = create_app(replace(console_config, proxies_count=1), session_factory=housing, name="console_https_test")
    with running(app) as server, httpx.Client(base_url=server.url, headers=proxied) as client:
        form = client.get("/sign-in")
        form_cookie = next(c for c in _set_cookies(form) if c.startswith("__Host-tenantline_sign_in="))
        # httpx, like a browser, never sends a Secure cookie over plain HTTP: hand it over as the proxy would.
        value = form_cookie.split(";", 1)[0]
        response = client.post(
            "/sign-in",
            data={"username": "agent", "password": PASSWORDS["agent"], "csrf_token": csrf_from(form.text)},
            headers={"Cookie": value},
            follow_redirects=False,
        )

    assert "Secure" in form_cookie
    assert response.status_code == 303
    session_cookie = next(c for c in _set_cookies(response) if c.startswith("__Host-tenantline_console="))
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
    assert "Strict-Transport-Security" in response.headers


def test_sign_in_with_a_wrong_password_says_so_without_saying_which_part_was_wrong(anonymous: httpx.Client) -> None:
    form = anonymous.get("/sign-in")
    wrong_password = anonymous.post(
        "/sign-in", data={"username": "agent", "password": "not it at all", "csrf_token": csrf_from(form.text)}
    )
    form = anonymous.get("/sign-in")
    unknown_user = anonymous.post(
        "/sign-in", data={"username": "nobody", "password": "not it at all", "csrf_token": csrf_from(form.text)}
    )

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert "Wrong username or password." in wrong_password.text
    assert "Wrong username or password." in unknown_user.text
    assert "tenantline_console=" not in " ".join(_set_cookies(wrong_password))


def test_sign_in_locks_the_account_after_five_wrong_passwords_even_for_the_right_one(
    anonymous: httpx.Client, housing
) -> None:
    for _ in range(4):
        form = anonymous.get("/sign-in")
        anonymous.post(
            "/sign-in", data={"username": "agent", "password": "wrong guess", "csrf_token": csrf_from(form.text)}
        )
    form = anonymous.get("/sign-in")
    fifth = anonymous.post(
        "/sign-in", data={"username": "agent", "password": "wrong guess", "csrf_token": csrf_from(form.text)}
    )
    form = anonymous.get("/sign-in")
    right = anonymous.post(
        "/sign-in", data={"username": "agent", "password": PASSWORDS["agent"], "csrf_token": csrf_from(form.text)}
    )

    assert fifth.status_code == 403 and "locked" in fifth.text
    assert right.status_code == 403
    assert re.search(r"Try again after \d\d:\d\d", right.text)
    with session_scope(housing) as session:
        assert staff.get(session=session, username="agent").locked_until is not None


def test_sign_in_refuses_a_form_without_its_anti_forgery_token(anonymous: httpx.Client) -> None:
    anonymous.get("/sign-in")
    response = anonymous.post("/sign-in", data={"username": "agent", "password": PASSWORDS["agent"], "csrf_token": "x"})

    assert response.status_code == 400
    assert anonymous.get("/queue").status_code == 303  # still signed out


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(anonymous: httpx.Client) -> None:
    page = anonymous.get("/audit")
    assert page.status_code == 303 and page.headers["location"] == "/sign-in?next=%2Faudit"
    form = anonymous.get("/sign-in?next=https://evil.example/")
    response = anonymous.post(
        "/sign-in",
        data={
            "username": "supervisor",
            "password": PASSWORDS["supervisor"],
            "csrf_token": csrf_from(form.text),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["location"] == "/queue"


def test_sign_out_ends_the_session_so_a_copied_cookie_stops_working(client_as, live_console, housing) -> None:
    client = client_as("agent")
    copied = dict(client.cookies)
    page = client.get("/queue")

    response = client.post("/sign-out", data={"csrf_token": csrf_from(page.text)})

    assert response.status_code == 303 and response.headers["location"] == "/sign-in?signed_out=1"
    with httpx.Client(base_url=live_console.url, cookies=copied) as thief:
        assert thief.get("/queue", follow_redirects=False).status_code == 303
    with session_scope(housing) as session:
        assert [entry.action for entry in audit.list(session=session, actor="staff:agent", limit=1)] == [
            "staff.signed_out"
        ]


def test_post_without_the_session_csrf_token_is_refused_and_changes_nothing(client_as, make_handoff, fake_rasa) -> None:
    reference = make_handoff()
    client = client_as("agent")

    missing = client.post(f"/conversations/{reference}/claim", data={})
    forged = client.post(f"/conversations/{reference}/claim", data={"csrf_token": "forged-token"})

    assert missing.status_code == forged.status_code == 403
    assert "Form expired" in forged.text
    assert fake_rasa.event_names("sms:+447700900001") == []
    assert "Claim<span" in client.get("/queue").text


def test_post_from_another_origin_is_refused_even_with_a_valid_token(client_as, make_handoff, fake_rasa) -> None:
    reference = make_handoff()
    client = client_as("agent")
    token = csrf_from(client.get("/queue").text)

    response = client.post(
        f"/conversations/{reference}/claim", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
    )

    assert response.status_code == 403
    assert fake_rasa.event_names("sms:+447700900001") == []


def test_a_disabled_account_loses_its_session_at_once(client_as, housing) -> None:
    client = client_as("agent")
    assert client.get("/queue").status_code == 200
    with session_scope(housing) as session:
        staff.update(session=session, username="agent", is_active=False)

    assert client.get("/queue").status_code == 303


def test_pages_carry_a_strict_content_security_policy_and_are_never_cached(client_as) -> None:
    response = client_as("agent").get("/queue")

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_signed_in_member_of_staff_posting_a_stale_sign_in_form_gets_a_fresh_form(client_as) -> None:
    client = client_as("agent")

    response = client.post("/sign-in", data={"username": "agent", "password": "x", "csrf_token": "stale"})

    assert response.status_code == 400
    assert "The sign-in form had expired" in response.text


def test_a_background_refresh_does_not_swallow_the_message_meant_for_the_next_page(client_as, make_handoff) -> None:
    reference = make_handoff()
    client = client_as("agent")
    client.post(f"/conversations/{reference}/claim", data={"csrf_token": csrf_from(client.get("/queue").text)})

    client.get("/queue/live", headers={"X-Console-Fetch": "1"})
    page = client.get(f"/conversations/{reference}")

    assert f"You are handling {reference}." in page.text
