"""The tenant's record beside a conversation, the changes staff make to it, photos, and the audit trail."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import datetime, timezone
from pathlib import Path

import httpx

from bot.clocks.complaints import stage1_dates
from bot.console.records import day_label
from bot.housing import attachments, audit, complaints, repairs, tenancies, tenants
from bot.housing.db import session_scope
from bot.housing.enums import RepairStatus
from tests.console.conftest import DEMO_SENDER
from tests.console.support import csrf_from

DEMO_REPAIR = "REP-000002L"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


def _take(client: httpx.Client, reference: str) -> str:
    client.post(f"/conversations/{reference}/claim", data={"csrf_token": csrf_from(client.get("/queue").text)})
    return client.get(f"/conversations/{reference}").text


def _audit_actions(housing, subject: str) -> list[str]:
    with session_scope(housing) as session:
        return [entry.action for entry in audit.list(session=session, subject=subject)]


def test_record_shows_tenancy_household_balance_and_open_repairs(client_as, make_handoff) -> None:
    reference = make_handoff()

    page = html.unescape(_take(client_as("agent"), reference))

    assert "Tenancy TN104233" in page and "14 Millbrook Close, Leeds, LS9 7QT" in page
    assert "Sarah Ahmed" in page and "(lead tenant)" in page
    assert "in arrears" in page
    assert f"{DEMO_REPAIR}: extractor fan, bathroom" in page
    assert "Matched by phone number only: not verified" in page


def test_record_shows_vulnerability_flags(client_as, make_handoff, housing) -> None:
    reference = make_handoff()
    with session_scope(housing) as session:
        sarah = tenants.list(session=session, phone="+447700900001")[0]
        tenants.update(session=session, tenant_id=sarah.id, has_medical_need=True, is_elderly=True)

    page = _take(client_as("agent"), reference)

    assert "Vulnerability: Elderly, Medical need" in page
    assert "Vulnerable household" in page


def test_record_is_marked_verified_when_the_tenant_verified_in_the_conversation(
    client_as, make_handoff, fake_rasa
) -> None:
    reference = make_handoff()
    fake_rasa.set_slots(DEMO_SENDER, verified=True, verified_tenancy="TN104233")

    page = _take(client_as("agent"), reference)

    assert "Verified in this conversation" in page


def test_record_is_the_tenancy_the_assistant_linked_to_the_handoff(client_as, make_handoff) -> None:
    reference = make_handoff(tenancy_reference="TN104233")

    page = _take(client_as("agent"), reference)

    assert "Linked by the assistant" in page and "Tenancy TN104233" in page


def test_no_record_is_shown_for_a_sender_nothing_links_to_a_tenancy(client_as, make_handoff) -> None:
    reference = make_handoff("sms:+447700900999")

    page = _take(client_as("agent"), reference)

    assert "Nothing links this conversation to a tenancy" in page
    assert "Log a repair" not in page


def test_opening_a_conversation_audits_who_viewed_it_and_the_tenant_but_live_refreshes_do_not(
    client_as, make_handoff, housing
) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    _take(agent, reference)
    for _ in range(3):
        assert agent.get(f"/conversations/{reference}/live").status_code == 200

    with session_scope(housing) as session:
        viewed = audit.list(session=session, subject="TN104233", actor="staff:agent")
        conversation_views = [
            entry
            for entry in audit.list(session=session, subject=reference)
            if entry.action.startswith("console.viewed")
        ]
    assert [entry.action for entry in viewed] == ["console.viewed_tenant"]
    assert viewed[0].details == {"handoff": reference, "basis": "phone"}
    assert len(conversation_views) == 1


def test_agent_logs_a_repair_for_the_tenancy_and_the_audit_log_names_them(client_as, make_handoff, housing) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)

    response = agent.post(
        f"/conversations/{reference}/repairs",
        data={
            "csrf_token": csrf_from(page),
            "item": "boiler",
            "location": "kitchen",
            "description": "No heating or hot water since last night.",
            "priority": "urgent",
        },
    )

    assert response.status_code == 303
    with session_scope(housing) as session:
        job = repairs.list(session=session, tenancy_reference="TN104233", open_only=True)[0]
        assert (job.item, job.location, job.priority.value, job.channel.value) == ("boiler", "kitchen", "urgent", "sms")
        entry = audit.list(session=session, subject=job.reference)[0]
        assert (entry.action, entry.actor) == ("repair.created", "staff:agent")
    assert f"Repair {job.reference} logged with urgent priority." in agent.get(f"/conversations/{reference}").text


def test_repair_form_with_blank_fields_is_refused_with_each_problem_named_and_the_text_kept(
    client_as, make_handoff, housing
) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)

    response = agent.post(
        f"/conversations/{reference}/repairs",
        data={"csrf_token": csrf_from(page), "item": "window", "location": "", "description": " ", "priority": "soon"},
    )

    assert response.status_code == 422
    assert "Where in the home: this cannot be blank." in response.text
    assert "What is wrong: this cannot be blank." in response.text
    assert "Choose a priority." in response.text
    assert 'value="window"' in response.text
    assert 'aria-invalid="true"' in response.text
    with session_scope(housing) as session:
        assert len(repairs.list(session=session, tenancy_reference="TN104233", open_only=True)) == 1


def test_agent_moves_a_repair_on(client_as, make_handoff, housing) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)

    agent.post(
        f"/conversations/{reference}/repairs/{DEMO_REPAIR}/status",
        data={"csrf_token": csrf_from(page), "status": "in_progress"},
    )

    with session_scope(housing) as session:
        assert repairs.get_or_raise(session=session, reference=DEMO_REPAIR).status is RepairStatus.IN_PROGRESS


def test_a_repair_of_another_tenancy_cannot_be_reached_through_the_conversation(
    client_as, make_handoff, housing
) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)
    with session_scope(housing) as session:
        foreign = _foreign_repair(session)
        before = repairs.get_or_raise(session=session, reference=foreign).status

    changed = agent.post(
        f"/conversations/{reference}/repairs/{foreign}/status",
        data={"csrf_token": csrf_from(page), "status": "cancelled"},
    )
    slots = agent.get(f"/conversations/{reference}/repairs/{foreign}/slots")

    assert changed.status_code == 404 and slots.status_code == 404
    with session_scope(housing) as session:
        assert repairs.get_or_raise(session=session, reference=foreign).status == before


def test_agent_books_a_slot_for_a_new_repair_and_then_moves_it(client_as, make_handoff, housing) -> None:
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)
    agent.post(
        f"/conversations/{reference}/repairs",
        data={
            "csrf_token": csrf_from(page),
            "item": "door",
            "location": "back door",
            "description": "Sticks and will not lock.",
            "priority": "routine",
        },
    )
    with session_scope(housing) as session:
        job = repairs.list(session=session, tenancy_reference="TN104233", open_only=True)[0].reference

    offer = agent.get(f"/conversations/{reference}/repairs/{job}/slots")
    slot_ids = [int(value) for value in re.findall(r'name="slot_id" value="(\d+)"', offer.text)]
    first = agent.post(
        f"/conversations/{reference}/repairs/{job}/book",
        data={"csrf_token": csrf_from(offer.text), "slot_id": slot_ids[0]},
    )
    second = agent.post(
        f"/conversations/{reference}/repairs/{job}/book",
        data={"csrf_token": csrf_from(offer.text), "slot_id": slot_ids[1]},
    )

    assert offer.status_code == 200 and len(slot_ids) >= 2
    assert first.status_code == second.status_code == 303
    with session_scope(housing) as session:
        booked = repairs.get_or_raise(session=session, reference=job)
        assert booked.status is RepairStatus.BOOKED and booked.slot_id == slot_ids[1]
        assert [entry.action for entry in audit.list(session=session, subject=job)][:2] == [
            "repair.rebooked",
            "repair.booked",
        ]


def test_complaint_logged_by_an_agent_gets_the_stage_1_acknowledgement_deadline_of_the_complaint_handling_code(
    client_as, make_handoff, housing
) -> None:
    """DOMAIN.md, Complaint Handling Code: acknowledge within 5 working days of receipt."""
    reference = make_handoff()
    agent = client_as("agent")
    page = _take(agent, reference)

    agent.post(
        f"/conversations/{reference}/complaints",
        data={
            "csrf_token": csrf_from(page),
            "what_happened": "Nobody came to the booked appointment twice.",
            "desired_outcome": "An apology and a firm date.",
        },
    )

    with session_scope(housing) as session:
        complaint = complaints.list(session=session, tenancy_reference="TN104233")[0]
        expected = stage1_dates(complaint.received_at).acknowledge_by
        assert complaint.stage == 1 and complaint.stage1_acknowledge_by == expected
        assert audit.list(session=session, subject=complaint.reference)[0].actor == "staff:agent"
    assert f"acknowledge it by {day_label(expected)}" in agent.get(f"/conversations/{reference}").text


def _photo(housing, media_dir: Path, repair: str, data: bytes = PNG, name: str | None = None) -> int:
    digest = hashlib.sha256(data).hexdigest()
    path = media_dir / (name or f"{digest}.png")
    path.write_bytes(data)
    with session_scope(housing) as session:
        item = attachments.create(
            session=session,
            path=str(path),
            content_type="image/png",
            size_bytes=len(data),
            sha256=digest,
            repair_reference=repair,
            now=datetime.now(timezone.utc),
        )
        return int(item.id)


def test_photos_on_the_tenants_repairs_are_shown_and_served_to_the_holder(
    client_as, make_handoff, housing, media_dir
) -> None:
    reference = make_handoff()
    photo = _photo(housing, media_dir, DEMO_REPAIR)
    agent = client_as("agent")

    page = _take(agent, reference)
    served = agent.get(f"/conversations/{reference}/attachments/{photo}")

    assert f'src="/conversations/{reference}/attachments/{photo}"' in page
    assert 'alt="Photo 1 of 1 for REP-000002L"' in page
    assert served.status_code == 200 and served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert "sandbox" in served.headers["content-security-policy"]


def test_a_photo_of_another_tenancy_or_stored_outside_the_media_folder_is_not_served(
    client_as, make_handoff, housing, media_dir, tmp_path
) -> None:
    reference = make_handoff()
    with session_scope(housing) as session:
        foreign_repair = _foreign_repair(session)
    foreign = _photo(housing, media_dir, foreign_repair, data=PNG + b"1")
    outside_dir = tmp_path / "elsewhere"
    outside_dir.mkdir()
    escaped = _photo(housing, outside_dir, DEMO_REPAIR, data=PNG + b"2")
    agent = client_as("agent")
    _take(agent, reference)

    assert agent.get(f"/conversations/{reference}/attachments/{foreign}").status_code == 404
    assert agent.get(f"/conversations/{reference}/attachments/{escaped}").status_code == 404


def _foreign_repair(session) -> str:
    """Return the reference of an open repair on some other tenancy than the demo tenant's."""
    for tenancy in tenancies.list(session=session):
        if tenancy.reference != "TN104233":
            found = repairs.list(session=session, tenancy_reference=tenancy.reference, open_only=True)
            if found:
                return str(found[0].reference)
    raise AssertionError("the demo data has no other open repair")


def test_audit_log_shows_a_supervisor_who_viewed_which_tenant_and_when(client_as, make_handoff) -> None:
    reference = make_handoff()
    _take(client_as("agent"), reference)

    page = html.unescape(client_as("supervisor").get("/audit?actor=staff:agent&subject=TN104233").text)

    assert "console.viewed_tenant" in page and "staff:agent" in page and "handoff: " + reference in page
    assert "<time datetime=" in page
