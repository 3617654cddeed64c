"""The trainer pages over HTTP: the NLU inbox, the intent browser and staff corrections on transcripts."""

from __future__ import annotations

import difflib
import html
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bot.console.app import create_app
from bot.housing import audit, nlu_inbox
from bot.housing.db import session_scope
from bot.housing.enums import InboxReason, InboxStatus
from tests.console.conftest import DEMO_SENDER, PASSWORDS
from tests.console.support import LiveServer, csrf_from, sign_in


def _seed(housing: Callable[[], Session], text: str, *, predicted: str = "report_repair", key: str = "") -> int:
    with session_scope(housing) as session:
        item, _ = nlu_inbox.create(
            session=session,
            key=key or f"msg:{abs(hash(text))}",
            text=text,
            reason="low_confidence",
            received_at=datetime.now(timezone.utc),
            predicted_intent=predicted,
            confidence=0.37,
        )
        return int(item.id)


def _status(housing: Callable[[], Session], item_id: int) -> InboxStatus:
    with session_scope(housing) as session:
        return nlu_inbox.get_or_raise(session=session, item_id=item_id).status


def _changed(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


@pytest.fixture
def trainer(client_as) -> httpx.Client:
    return client_as("trainer")


def _token(client: httpx.Client) -> str:
    return csrf_from(client.get("/training/inbox").text)


def test_inbox_lists_waiting_messages_with_guess_and_confidence_escaped(trainer, housing) -> None:
    _seed(housing, "<script>alert(1)</script> the boiler thing")

    page = trainer.get("/training/inbox")

    assert page.status_code == 200
    assert "1</strong> waiting" in page.text
    assert "report_repair" in page.text and "(37%)" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; the boiler thing" in page.text


def test_confirming_one_message_writes_one_yaml_line_and_closes_it(trainer, housing, training_data_dir) -> None:
    item_id = _seed(housing, "the extractor in the loo has packed in")
    path = training_data_dir / "nlu" / "repairs.yml"
    before = path.read_text(encoding="utf-8")

    response = trainer.post("/training/inbox/decide", data={"csrf_token": _token(trainer), "one": f"confirm:{item_id}"})

    assert response.status_code == 303
    assert _changed(before, path.read_text(encoding="utf-8")) == ["+    - the extractor in the loo has packed in"]
    assert _status(housing, item_id) is InboxStatus.CONFIRMED
    page = trainer.get("/training/inbox")
    assert "Confirmed: Added to report_repair in repairs.yml" in html.unescape(page.text)
    assert "0</strong> waiting" in page.text


def test_relabelling_one_message_uses_its_own_intent_choice(trainer, housing, training_data_dir) -> None:
    item_id = _seed(housing, "is there a swap list for a bigger place round here")
    path = training_data_dir / "nlu" / "homes.yml"
    before = path.read_text(encoding="utf-8")

    trainer.post(
        "/training/inbox/decide",
        data={
            "csrf_token": _token(trainer),
            "one": f"relabel:{item_id}",
            f"intent-{item_id}": "ask_available_homes",
            "intent": "greet",  # the bulk choice is ignored for a single item
        },
    )

    assert _changed(before, path.read_text(encoding="utf-8")) == [
        "+    - is there a swap list for a bigger place round here"
    ]
    with session_scope(housing) as session:
        item = nlu_inbox.get_or_raise(session=session, item_id=item_id)
        assert (item.status, item.label, item.decided_by) == (
            InboxStatus.RELABELLED,
            "ask_available_homes",
            "staff:trainer",
        )


def test_bulk_discard_and_relabel_act_on_the_ticked_messages_only(trainer, housing, training_data_dir) -> None:
    ids = [_seed(housing, text, key=f"msg:{n}") for n, text in enumerate(["asdf", "qwerty", "zzzz", "keep me"])]
    token = _token(trainer)

    trainer.post("/training/inbox/decide", data={"csrf_token": token, "action": "discard", "item": ids[:3]})

    assert [_status(housing, item_id) for item_id in ids] == [InboxStatus.DISCARDED] * 3 + [InboxStatus.NEW]
    page = trainer.get("/training/inbox")
    assert "Discarded: 3 messages." in page.text


def test_bulk_relabel_files_each_message_under_the_chosen_intent(trainer, housing, training_data_dir) -> None:
    texts = ["cheers for sorting the gate lads", "ta very much for the quick fix yesterday"]
    ids = [_seed(housing, text, predicted="thank", key=f"msg:{n}") for n, text in enumerate(texts)]
    path = training_data_dir / "nlu" / "feedback.yml"
    before = path.read_text(encoding="utf-8")

    trainer.post(
        "/training/inbox/decide",
        data={"csrf_token": _token(trainer), "action": "relabel", "intent": "give_feedback", "item": ids},
    )

    assert _changed(before, path.read_text(encoding="utf-8")) == [f"+    - {text}" for text in texts]


@pytest.mark.parametrize(
    "form",
    [
        {"action": "confirm"},
        {"action": "confirm", "item": ["abc", "-1", "99999999999"]},
        {"action": "explode", "item": ["1"]},
        {"action": "relabel", "item": ["1"]},
        {"one": "confirm:"},
        {"one": "launch:1"},
        {},
    ],
)
def test_inbox_decide_with_garbage_changes_nothing_and_says_why(trainer, housing, training_data_dir, form) -> None:
    item_id = _seed(housing, "hmm the thing")
    before = {path: path.read_bytes() for path in (training_data_dir / "nlu").glob("*.yml")}

    response = trainer.post("/training/inbox/decide", data={"csrf_token": _token(trainer), **form})

    assert response.status_code == 303
    assert _status(housing, item_id) is InboxStatus.NEW
    assert {path: path.read_bytes() for path in before} == before
    page = html.unescape(trainer.get("/training/inbox").text)
    assert "Tick at least one message" in page or "Choose the intent" in page or "was not changed" in page


def test_inbox_decide_without_csrf_token_is_refused(trainer, housing) -> None:
    item_id = _seed(housing, "hmm the thing")
    response = trainer.post("/training/inbox/decide", data={"one": f"discard:{item_id}"})
    assert response.status_code == 403
    assert _status(housing, item_id) is InboxStatus.NEW


@pytest.fixture
def tracker_store(tmp_path: Path) -> Iterator[sa.engine.Engine]:
    """Give the console a tracker store holding one unsure tenant message (the events table Rasa's SQL store uses)."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )
        event = {
            "event": "user",
            "timestamp": 1795000000.25,
            "text": "water coming through the light in the hall, ring 07700 900123",
            "parse_data": {"intent": {"name": "report_repair", "confidence": 0.52}, "intent_ranking": []},
        }
        connection.execute(
            sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (:s, 'user', :t, :d)"),
            {"s": DEMO_SENDER, "t": event["timestamp"], "d": json.dumps(event)},
        )
    yield engine
    engine.dispose()


def _serve_collecting(console_config, tracker_store, housing, every: float, name: str) -> LiveServer:
    url = tracker_store.url.render_as_string(hide_password=False)
    config = replace(console_config, tracker_store_url=url, inbox_collect_seconds=every)
    return LiveServer(create_app(config, session_factory=housing, name=name)).start()


@pytest.fixture
def collecting_console(console_config, tracker_store, housing) -> Iterator[LiveServer]:
    server = _serve_collecting(console_config, tracker_store, housing, 0.0, "console_test_collect")
    yield server
    server.stop()


def test_running_console_collects_new_messages_by_itself(console_config, tracker_store, housing) -> None:
    server = _serve_collecting(console_config, tracker_store, housing, 0.2, "console_test_collect_loop")
    try:
        deadline = time.monotonic() + 15
        waiting = 0
        while time.monotonic() < deadline and not waiting:
            with session_scope(housing) as session:
                waiting = nlu_inbox.count(session=session)
            time.sleep(0.1)
    finally:
        server.stop()
    assert waiting == 1


def test_collect_now_brings_new_unsure_messages_in_redacted(collecting_console, housing) -> None:
    client = sign_in(collecting_console.url, "trainer", PASSWORDS["trainer"])
    try:
        token = csrf_from(client.get("/training/inbox").text)
        client.post("/training/inbox/collect", data={"csrf_token": token})
        page = client.get("/training/inbox").text
    finally:
        client.close()

    assert "Read 1 new tenant messages; 1 added to the inbox." in page
    assert "ring &lt;phone&gt;" in page and "900123" not in page


def test_intents_page_lists_counts_and_finds_examples(trainer) -> None:
    page = trainer.get("/training/intents", params={"q": "extractor fan"})

    assert page.status_code == 200
    assert 'href="/training/examples?intent=faq/pets">faq/pets</a>' in page.text
    assert "report_emergency" in page.text and "<td>60</td>" in page.text
    assert "containing “extractor fan”" in page.text
    assert "[extractor fan](repair_item)" in page.text


def test_examples_page_shows_one_intent_and_unknown_intent_is_404(trainer) -> None:
    assert "Add an example" in trainer.get("/training/examples", params={"intent": "faq/pets"}).text
    missing = trainer.get("/training/examples", params={"intent": "../../etc/passwd"})
    assert missing.status_code == 404
    assert "There is no intent with that name" in missing.text


def test_adding_an_example_writes_one_line_and_is_audited(trainer, housing, training_data_dir) -> None:
    path = training_data_dir / "nlu" / "damp.yml"
    before = path.read_text(encoding="utf-8")
    token = csrf_from(trainer.get("/training/examples", params={"intent": "report_damp_mould"}).text)

    response = trainer.post(
        "/training/examples/add",
        data={
            "csrf_token": token,
            "intent": "report_damp_mould",
            "text": "black bits all over the [bedroom](location) wall",
        },
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/training/examples?intent=report_damp_mould"
    assert _changed(before, path.read_text(encoding="utf-8")) == [
        "+    - black bits all over the [bedroom](location) wall"
    ]
    with session_scope(housing) as session:
        assert [entry.action for entry in audit.list(session=session, subject="report_damp_mould")] == [
            "training_data.add"
        ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the example is empty"),
        ("the [boiler] (repair_item) is broke", "entity markup is broken"),
        ("the [boiler](colour) is broke", "entity 'colour' the assistant does not have"),
        ("x" * 600, "keep it under 500"),
    ],
)
def test_adding_a_broken_example_is_explained_and_writes_nothing(trainer, training_data_dir, text, words) -> None:
    path = training_data_dir / "nlu" / "repairs.yml"
    before = path.read_bytes()
    token = csrf_from(trainer.get("/training/examples", params={"intent": "report_repair"}).text)

    response = trainer.post(
        "/training/examples/add", data={"csrf_token": token, "intent": "report_repair", "text": text}
    )

    assert response.status_code == 422
    assert words in html.unescape(response.text)
    assert path.read_bytes() == before


def test_adding_words_of_another_intent_is_refused_in_plain_words(trainer, training_data_dir) -> None:
    token = csrf_from(trainer.get("/training/examples", params={"intent": "report_emergency"}).text)
    path = training_data_dir / "nlu" / "emergencies.yml"
    before = path.read_bytes()

    response = trainer.post(
        "/training/examples/add", data={"csrf_token": token, "intent": "report_emergency", "text": "BOILER"}
    )

    assert response.status_code == 422
    assert "already an example of report_repair" in html.unescape(response.text)
    assert path.read_bytes() == before


def test_editing_and_removing_an_example_each_change_one_line(trainer, training_data_dir) -> None:
    path = training_data_dir / "nlu" / "conversation.yml"
    token = csrf_from(trainer.get("/training/examples", params={"intent": "greet"}).text)
    trainer.post("/training/examples/add", data={"csrf_token": token, "intent": "greet", "text": "ey up me duck"})
    before = path.read_text(encoding="utf-8")

    trainer.post(
        "/training/examples/edit",
        data={"csrf_token": token, "intent": "greet", "old": "ey up me duck", "text": "ey up me old duck"},
    )
    edited = path.read_text(encoding="utf-8")
    trainer.post(
        "/training/examples/remove", data={"csrf_token": token, "intent": "greet", "text": "ey up me old duck"}
    )

    assert _changed(before, edited) == ["-    - ey up me duck", "+    - ey up me old duck"]
    assert _changed(edited, path.read_text(encoding="utf-8")) == ["-    - ey up me old duck"]


def test_removing_an_example_that_is_not_there_is_explained(trainer, training_data_dir) -> None:
    token = csrf_from(trainer.get("/training/examples", params={"intent": "greet"}).text)
    response = trainer.post(
        "/training/examples/remove", data={"csrf_token": token, "intent": "greet", "text": "never said this"}
    )
    assert response.status_code == 422
    assert "greet has no example" in html.unescape(response.text)


def test_agent_corrects_a_tenant_message_into_the_inbox(client_as, make_handoff, fake_rasa, housing) -> None:
    reference = make_handoff()
    fake_rasa.add_bot_message(DEMO_SENDER, "Hello, how can I help?")
    fake_rasa.add_user_message(DEMO_SENDER, "gas smell by the meter, I'm Sarah Ahmed", intent="greet")
    agent = client_as("agent")
    page = agent.get(f"/conversations/{reference}")
    assert "Understood as greet (100%)" in page.text

    response = agent.post(
        f"/conversations/{reference}/corrections",
        data={"csrf_token": csrf_from(page.text), "key": "1", "intent": "report_emergency"},
    )

    assert response.status_code == 303 and response.headers["location"].endswith("#line-1")
    with session_scope(housing) as session:
        items = nlu_inbox.list(session=session)
        assert [(i.text, i.predicted_intent, i.suggested_intent, i.reason, i.suggested_by) for i in items] == [
            ("gas smell by the meter, I'm <name>", "greet", "report_emergency", InboxReason.CORRECTED, "staff:agent")
        ]
    assert fake_rasa.appended(DEMO_SENDER) == []


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"key": "0", "intent": "greet"}, "Only a tenant's own words"),
        ({"key": "7", "intent": "greet"}, "Only a tenant's own words"),
        ({"key": "banana", "intent": "greet"}, "Choose what the message meant"),
        ({"key": "1", "intent": ""}, "Choose what the message meant"),
        ({"key": "1", "intent": "order_pizza"}, "no intent called"),
    ],
)
def test_correction_with_garbage_is_explained_and_stores_nothing(
    client_as, make_handoff, fake_rasa, housing, form, words
) -> None:
    reference = make_handoff()
    fake_rasa.add_bot_message(DEMO_SENDER, "Hello")
    fake_rasa.add_user_message(DEMO_SENDER, "hello")
    agent = client_as("agent")
    token = csrf_from(agent.get(f"/conversations/{reference}").text)

    agent.post(f"/conversations/{reference}/corrections", data={"csrf_token": token, **form})

    assert words in html.unescape(agent.get(f"/conversations/{reference}").text)
    with session_scope(housing) as session:
        assert nlu_inbox.count(session=session) == 0


def test_correction_on_an_unknown_conversation_is_404(client_as) -> None:
    agent = client_as("agent")
    token = csrf_from(agent.get("/queue").text)
    response = agent.post("/conversations/HND-999999Z/corrections", data={"csrf_token": token, "key": "1"})
    assert response.status_code == 404
