"""Every route, without a session and with every role that lacks its capability; and the holder-only rules."""

from __future__ import annotations

import html
from dataclasses import dataclass

import httpx
import pytest
from sanic import Sanic

from bot.console.permissions import ROLE_CAPABILITIES, Capability, can, home_path
from bot.console.web import GUARDED, PUBLIC_ROUTES
from bot.housing import handoffs
from bot.housing.db import session_scope
from bot.housing.enums import HandoffStatus, StaffRole
from tests.console.conftest import DEMO_SENDER, ROLE_USERS
from tests.console.support import csrf_from


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    capability: str
    fragment: bool = False


ROUTES = [
    Route("GET", "/", "signed_in"),
    Route("POST", "/sign-out", "signed_in"),
    Route("GET", "/queue", Capability.VIEW_QUEUE.value),
    Route("GET", "/queue/live", Capability.VIEW_QUEUE.value, fragment=True),
    Route("GET", "/audit", Capability.VIEW_AUDIT.value),
    Route("GET", "/conversations/{ref}", Capability.VIEW_TRANSCRIPT.value),
    Route("GET", "/conversations/{ref}/live", Capability.VIEW_TRANSCRIPT.value, fragment=True),
    Route("POST", "/conversations/{ref}/claim", Capability.WORK_CONVERSATIONS.value),
    Route("POST", "/conversations/{ref}/release", Capability.WORK_CONVERSATIONS.value),
    Route("POST", "/conversations/{ref}/take-over", Capability.TAKE_OVER.value),
    Route("POST", "/conversations/{ref}/reply", Capability.WORK_CONVERSATIONS.value),
    Route("POST", "/conversations/{ref}/notes", Capability.WORK_CONVERSATIONS.value),
    Route("POST", "/conversations/{ref}/hand-back", Capability.WORK_CONVERSATIONS.value),
    Route("POST", "/conversations/{ref}/close", Capability.WORK_CONVERSATIONS.value),
    Route("POST", "/conversations/{ref}/repairs", Capability.CHANGE_RECORDS.value),
    Route("POST", "/conversations/{ref}/repairs/{rep}/status", Capability.CHANGE_RECORDS.value),
    Route("GET", "/conversations/{ref}/repairs/{rep}/slots", Capability.CHANGE_RECORDS.value),
    Route("POST", "/conversations/{ref}/repairs/{rep}/book", Capability.CHANGE_RECORDS.value),
    Route("POST", "/conversations/{ref}/complaints", Capability.CHANGE_RECORDS.value),
    Route("GET", "/conversations/{ref}/attachments/1", Capability.VIEW_HELD_RECORD.value),
    Route("GET", "/models", Capability.TRAIN_ASSISTANT.value),
    Route("GET", "/models/progress", Capability.TRAIN_ASSISTANT.value, fragment=True),
    Route("POST", "/models/train", Capability.TRAIN_ASSISTANT.value),
    Route("GET", "/models/{model}", Capability.TRAIN_ASSISTANT.value),
    Route("GET", "/models/{model}/files/{file}", Capability.TRAIN_ASSISTANT.value),
    Route("POST", "/models/{model}/evaluate", Capability.TRAIN_ASSISTANT.value),
    Route("POST", "/models/{model}/activate", Capability.TRAIN_ASSISTANT.value),
    Route("GET", "/training/inbox", Capability.TRAIN_ASSISTANT.value),
    Route("POST", "/training/inbox/decide", Capability.TRAIN_ASSISTANT.value),
    Route("POST", "/training/inbox/collect", Capability.TRAIN_ASSISTANT.value),
    Route("GET", "/training/intents", Capability.TRAIN_ASSISTANT.value),
    Route("GET", "/training/examples", Capability.TRAIN_ASSISTANT.value),
    Route("POST", "/training/examples/add", Capability.TRAIN_ASSISTANT.value),
    Route("POST", "/training/examples/edit", Capability.TRAIN_ASSISTANT.value),
    Route("POST", "/training/examples/remove", Capability.TRAIN_ASSISTANT.value),
    Route("POST", "/conversations/{ref}/corrections", Capability.CORRECT_INTENTS.value),
]
GUARDED_ROUTES = [route for route in ROUTES if route.capability != "signed_in"]
DEMO_REPAIR = "REP-000002L"  # the demo tenant's booked extractor-fan repair


def _url(route: Route, reference: str) -> str:
    return route.path.format(ref=reference, rep=DEMO_REPAIR, model="tenantline-0123456789abcdef", file="per-intent.png")


def _sanic_path(route: Route) -> str:
    path = route.path.replace("{ref}", "<reference:str>").replace("{rep}", "<repair:str>")
    path = path.replace("{model}", "<name:str>").replace("{file}", "<filename:str>")
    return path.replace("/attachments/1", "/attachments/<attachment_id:int>").lstrip("/")


def test_role_matrix_gives_each_role_only_its_work() -> None:
    assert ROLE_CAPABILITIES[StaffRole.AGENT] == {
        Capability.VIEW_QUEUE,
        Capability.VIEW_TRANSCRIPT,
        Capability.WORK_CONVERSATIONS,
        Capability.VIEW_HELD_RECORD,
        Capability.CHANGE_RECORDS,
        Capability.CORRECT_INTENTS,
    }
    assert ROLE_CAPABILITIES[StaffRole.SUPERVISOR] == ROLE_CAPABILITIES[StaffRole.AGENT] | {
        Capability.VIEW_ANY_RECORD,
        Capability.VIEW_AUDIT,
        Capability.TAKE_OVER,
    }
    assert ROLE_CAPABILITIES[StaffRole.TRAINER] == {
        Capability.VIEW_QUEUE,
        Capability.VIEW_TRANSCRIPT,
        Capability.CORRECT_INTENTS,
        Capability.TRAIN_ASSISTANT,
    }
    assert ROLE_CAPABILITIES[StaffRole.ADMIN] == {Capability.VIEW_AUDIT}
    assert not can("superuser", Capability.VIEW_QUEUE)
    assert home_path(StaffRole.ADMIN) == "/audit" and home_path(StaffRole.TRAINER) == "/queue"


def test_every_route_is_guarded_or_deliberately_public_and_listed_here(console_app: Sanic) -> None:
    console_app.router.finalize()
    found = set()
    for route in console_app.router.routes:
        name = route.name.split(".", 1)[1]
        capability = getattr(route.handler, GUARDED, None)
        if name in PUBLIC_ROUTES:
            assert capability is None, name
            continue
        assert capability is not None, f"route {name} has no guard"
        for method in route.methods:
            found.add((method, route.path, capability))
    assert found == {(route.method, _sanic_path(route), route.capability) for route in ROUTES}


def _request(client: httpx.Client, route: Route, reference: str, token: str | None = None) -> httpx.Response:
    url = _url(route, reference)
    if route.method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token or "", "body": "hello", "note": "x", "outcome": "x"})


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_route_without_a_session_sends_pages_to_sign_in_and_refuses_everything_else(
    route: Route, anonymous: httpx.Client, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff()

    response = _request(anonymous, route, reference)

    if route.method == "GET" and not route.fragment:
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in?next=%2F")
    else:
        assert response.status_code == 401
    assert "Sarah" not in response.text and "TN104233" not in response.text
    assert fake_rasa.appended(DEMO_SENDER) == []
    with session_scope(housing) as session:
        assert handoffs.get_or_raise(session=session, reference=reference).status is HandoffStatus.WAITING


WRONG_ROLES = [
    pytest.param(route, role, id=f"{route.method} {route.path} as {role}")
    for route in GUARDED_ROUTES
    for role in ROLE_USERS
    if not can(role, Capability(route.capability))
]


@pytest.mark.parametrize(("route", "role"), WRONG_ROLES)
def test_route_with_a_role_that_lacks_its_capability_is_forbidden_and_changes_nothing(
    route: Route, role: str, client_as, make_handoff, fake_rasa, housing
) -> None:
    reference = make_handoff()
    client = client_as(ROLE_USERS[role])
    token = csrf_from(_any_page(client))

    response = _request(client, route, reference, token)

    assert response.status_code == 403
    assert "Your role does not allow" in response.text
    assert "Sarah" not in response.text
    assert fake_rasa.appended(DEMO_SENDER) == []
    with session_scope(housing) as session:
        assert handoffs.get_or_raise(session=session, reference=reference).status is HandoffStatus.WAITING


def _any_page(client: httpx.Client) -> str:
    """Return a page of the console that carries the session's CSRF token (every role can load one)."""
    for path in ("/queue", "/audit"):
        response = client.get(path)
        if response.status_code == 200:
            return response.text
    raise AssertionError("no page for this role")


def test_trainer_reads_the_transcript_but_never_the_tenant_record(client_as, make_handoff, fake_rasa) -> None:
    reference = make_handoff()
    fake_rasa.add_user_message(DEMO_SENDER, "Please call me back")

    page = client_as("trainer").get(f"/conversations/{reference}")

    assert page.status_code == 200
    assert "Please call me back" in page.text
    assert "Tenant records are not shown to your role." in page.text
    assert "TN104233" not in page.text and " in arrears" not in page.text and "Sarah Ahmed" not in page.text
    assert "/claim" not in page.text


def test_agent_sees_the_tenant_record_only_while_holding_the_conversation(client_as, make_handoff) -> None:
    reference = make_handoff()
    agent = client_as("agent")

    before = agent.get(f"/conversations/{reference}")
    agent.post(f"/conversations/{reference}/claim", data={"csrf_token": csrf_from(before.text)})
    during = agent.get(f"/conversations/{reference}")

    assert "Claim the conversation to see the tenant's record." in html.unescape(before.text)
    assert "TN104233" not in before.text
    assert "TN104233" in during.text and "Sarah Ahmed" in during.text


def test_agent_cannot_see_or_change_a_record_through_a_colleagues_conversation(client_as, make_handoff) -> None:
    reference = make_handoff()
    dave = client_as("dave")
    dave.post(f"/conversations/{reference}/claim", data={"csrf_token": csrf_from(dave.get("/queue").text)})
    agent = client_as("agent")
    token = csrf_from(agent.get("/queue").text)

    page = agent.get(f"/conversations/{reference}")
    repair = agent.post(
        f"/conversations/{reference}/repairs",
        data={"csrf_token": token, "item": "door", "location": "front", "description": "broken", "priority": "routine"},
    )
    reply = agent.post(
        f"/conversations/{reference}/reply", data={"csrf_token": token, "body": "hi", "reply_id": "0" * 32}
    )
    photo = agent.get(f"/conversations/{reference}/attachments/1")

    assert "Dave Second is handling this conversation." in page.text and "TN104233" not in page.text
    assert repair.status_code == 403
    assert reply.status_code == 422 and "You are not handling" in reply.text
    assert photo.status_code == 403


def test_supervisor_sees_any_record_but_changes_records_only_in_a_conversation_they_hold(
    client_as, make_handoff
) -> None:
    reference = make_handoff()
    supervisor = client_as("supervisor")
    token = csrf_from(supervisor.get("/queue").text)

    page = supervisor.get(f"/conversations/{reference}")
    repair = supervisor.post(
        f"/conversations/{reference}/repairs",
        data={"csrf_token": token, "item": "door", "location": "front", "description": "broken", "priority": "routine"},
    )

    assert "TN104233" in page.text
    assert repair.status_code == 403


def test_admin_lands_on_the_audit_log(client_as) -> None:
    admin = client_as("admin")

    assert admin.get("/").headers["location"] == "/audit"
    assert admin.get("/audit").status_code == 200


def test_public_routes_reveal_nothing_about_tenants(anonymous: httpx.Client, make_handoff) -> None:
    make_handoff()

    for path in ("/sign-in", "/healthz", "/static/console.css", "/static/console.js"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert "HND-" not in response.text and "Sarah" not in response.text
