"""Collecting uncertain messages from Rasa's real SQL tracker store, and filing trainers' decisions as YAML lines."""

import asyncio
import difflib
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.housing import nlu_inbox
from bot.housing.db import session_scope
from bot.housing.enums import InboxReason, InboxStatus
from bot.training_data import inbox
from bot.training_data.nlu_files import NluData

SENDER = "sms:+447700900123"


def _parse(intent: str, confidence: float, *, fallback: bool = False) -> dict:
    ranking = [{"name": intent, "confidence": confidence}, {"name": "greet", "confidence": 0.05}]
    top = {"name": "nlu_fallback", "confidence": 0.45} if fallback else {"name": intent, "confidence": confidence}
    return {"intent": top, "intent_ranking": ([top] if fallback else []) + ranking, "entities": [], "text": ""}


@pytest.fixture(scope="module")
def rasa_store_types():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa.shared.core.domain import Domain
        from rasa.shared.core.events import ActionExecuted, UserUttered
        from rasa.shared.core.trackers import DialogueStateTracker
    return SQLTrackerStore, Domain, ActionExecuted, UserUttered, DialogueStateTracker


@pytest.fixture
def tracker_store(tmp_path: Path, rasa_store_types):
    """Return (save, engine): save(sender, [(text, parse_data)]) writes a conversation through Rasa's own store."""
    store_cls, domain_cls, action_cls, user_cls, tracker_cls = rasa_store_types
    path = tmp_path / "tracker.db"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store = store_cls(domain_cls.empty(), dialect="sqlite", db=str(path))

    def save(sender: str, messages: list[tuple[str, dict]]) -> list:
        tracker = asyncio.run(store.retrieve(sender)) or tracker_cls(sender, [])
        for text, parse_data in messages:
            tracker.update(user_cls(text, intent=parse_data.get("intent"), parse_data=parse_data))
            tracker.update(action_cls("action_listen"))
        asyncio.run(store.save(tracker))
        return [event.as_dict() for event in tracker.events]

    engine = sa.create_engine(f"sqlite:///{path}", future=True)
    yield save, engine
    engine.dispose()


def test_collect_takes_unsure_and_fallback_messages_redacted_and_skips_confident_ones(session_factory, tracker_store):
    save, engine = tracker_store
    save(
        SENDER,
        [
            ("boiler making a weird noise, ring me on 07700 900123", _parse("report_repair", 0.41)),
            ("my boiler is broken", _parse("report_repair", 0.97)),
            ("whats the deal with the thingy", _parse("faq", 0.2, fallback=True)),
            ("/restart", _parse("restart", 0.1)),
        ],
    )
    result = inbox.collect(session_factory, engine, threshold=0.6)
    assert (result.read, result.added, result.already) == (4, 2, 0)
    with session_scope(session_factory) as session:
        items = sorted(nlu_inbox.list(session=session), key=lambda item: item.id)
        assert [(i.text, i.predicted_intent, i.confidence, i.reason) for i in items] == [
            ("boiler making a weird noise, ring me on <phone>", "report_repair", 0.41, InboxReason.LOW_CONFIDENCE),
            ("whats the deal with the thingy", "faq", 0.2, InboxReason.FALLBACK),
        ]
        assert "+447700900123" not in " ".join(item.key for item in items)


def test_collect_is_idempotent_and_reads_only_new_messages(session_factory, tracker_store):
    save, engine = tracker_store
    save(SENDER, [("erm the thing in the hall", _parse("report_repair", 0.3))])
    assert inbox.collect(session_factory, engine).added == 1
    assert inbox.collect(session_factory, engine) == inbox.CollectResult(0, 0, 0)
    save("telegram:42", [("hmm", _parse("greet", 0.5)), ("another odd one", _parse("thank", 0.2))])
    assert inbox.collect(session_factory, engine, batch=1) == inbox.CollectResult(2, 2, 0)
    # Forgetting the cursor re-reads everything, but stores nothing twice.
    with session_scope(session_factory) as session:
        session.execute(sa.text("DELETE FROM nlu_inbox_cursors"))
    assert inbox.collect(session_factory, engine) == inbox.CollectResult(3, 0, 3)
    with session_scope(session_factory) as session:
        assert nlu_inbox.count(session=session) == 3


def test_collect_without_any_conversations_yet_does_nothing(session_factory, tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}", future=True)
    try:
        assert inbox.collect(session_factory, engine) == inbox.CollectResult(0, 0, 0)
    finally:
        engine.dispose()


def test_collect_skips_unreadable_events_and_carries_on(session_factory, tracker_store):
    save, engine = tracker_store
    save(SENDER, [("first odd one", _parse("greet", 0.2))])
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO events (sender_id, type_name, timestamp, data) VALUES ('x', 'user', 1.0, '{not json')")
        )
    save(SENDER, [("second odd one", _parse("greet", 0.2))])
    assert inbox.collect(session_factory, engine).added == 2


def _seed(session_factory, text: str, predicted: str = "report_repair", key: str = "msg:a") -> int:
    with session_scope(session_factory) as session:
        item, _ = nlu_inbox.create(
            session=session,
            key=key,
            text=text,
            reason="low_confidence",
            received_at=datetime.now(timezone.utc),
            predicted_intent=predicted,
            confidence=0.4,
        )
        return int(item.id)


def _added_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_confirming_an_item_adds_exactly_one_line_to_the_intents_file(session_factory, nlu: NluData, data_dir: Path):
    item_id = _seed(session_factory, "the fan in the bathroom is making a racket")
    path = data_dir / "nlu" / "repairs.yml"
    before = path.read_text(encoding="utf-8")
    outcome = inbox.decide(session_factory, nlu, item_id, action="confirm", actor="staff:tess")
    assert outcome.done, outcome.message
    assert _added_lines(before, path.read_text(encoding="utf-8")) == [
        "+    - the fan in the bathroom is making a racket"
    ]
    with session_scope(session_factory) as session:
        item = nlu_inbox.get_or_raise(session=session, item_id=item_id)
        assert (item.status, item.label, item.decided_by) == (InboxStatus.CONFIRMED, "report_repair", "staff:tess")


def test_relabelling_files_the_example_under_the_new_intent_with_placeholders_filled(session_factory, nlu, data_dir):
    item_id = _seed(session_factory, "my postcode is <postcode>, is there a bigger house going")
    path = data_dir / "nlu" / "homes.yml"
    before = path.read_text(encoding="utf-8")
    outcome = inbox.decide(
        session_factory, nlu, item_id, action="relabel", actor="staff:tess", intent="ask_available_homes"
    )
    assert outcome.done, outcome.message
    added = _added_lines(before, path.read_text(encoding="utf-8"))
    assert len(added) == 1
    assert added[0].startswith("+    - my postcode is [") and added[0].endswith(
        "](postcode), is there a bigger house going"
    )


def test_discarding_writes_no_training_data(session_factory, nlu, data_dir):
    item_id = _seed(session_factory, "asdfgh")
    before = {path: path.read_bytes() for path in (data_dir / "nlu").glob("*.yml")}
    assert inbox.decide(session_factory, nlu, item_id, action="discard", actor="staff:tess").done
    assert {path: path.read_bytes() for path in before} == before


def test_confirming_words_that_belong_to_another_intent_is_refused_and_the_item_stays(session_factory, nlu, data_dir):
    taken = nlu.examples()["greet"][0].text
    item_id = _seed(session_factory, taken, predicted="report_repair")
    outcome = inbox.decide(session_factory, nlu, item_id, action="confirm", actor="staff:tess")
    assert not outcome.done and "already an example of greet" in outcome.message
    with session_scope(session_factory) as session:
        assert nlu_inbox.get_or_raise(session=session, item_id=item_id).status is InboxStatus.NEW


@pytest.mark.parametrize(
    ("action", "intent", "words"),
    [
        ("relabel", "order_pizza", "no intent called 'order_pizza'"),
        ("relabel", None, "relabel it instead"),
        ("shred", None, "Unknown action"),
    ],
)
def test_decide_refuses_bad_requests_in_plain_words(session_factory, nlu, action, intent, words):
    item_id = _seed(session_factory, "hmm")
    outcome = inbox.decide(session_factory, nlu, item_id, action=action, actor="staff:tess", intent=intent)
    assert not outcome.done and words in outcome.message


def test_decide_many_reports_each_item_on_its_own(session_factory, nlu):
    first = _seed(session_factory, "my gate is hanging off", key="msg:1")
    outcomes = inbox.decide_many(session_factory, nlu, [first, 999, first], action="confirm", actor="staff:tess")
    assert [(outcome.item_id, outcome.done) for outcome in outcomes] == [(first, True), (999, False), (first, False)]
    assert "does not exist" in outcomes[1].message and "already confirmed" in outcomes[2].message


def test_staff_correction_puts_the_message_in_the_inbox_once(session_factory, nlu, tracker_store):
    save, engine = tracker_store
    events = save(SENDER, [("water everywhere, Mr Okafor upstairs", _parse("report_repair", 0.55))])
    event = next(e for e in events if e["event"] == "user")
    inbox.collect(session_factory, engine)
    message = inbox.record_correction(
        session_factory, nlu, sender_id=SENDER, event=event, intent="report_emergency", actor="staff:agent"
    )
    assert "Sent to the trainers' inbox as report_emergency" in message
    with session_scope(session_factory) as session:
        items = nlu_inbox.list(session=session)
        assert [(i.text, i.suggested_intent, i.reason) for i in items] == [
            ("water everywhere, <name> upstairs", "report_emergency", InboxReason.CORRECTED)
        ]


@pytest.mark.parametrize(
    ("event", "intent", "words"),
    [
        ({"event": "bot", "text": "hello", "timestamp": 1.0}, "greet", "tenant's own words"),
        ({"event": "user", "text": "hi", "timestamp": 1.0}, "order_pizza", "no intent called"),
        ({"event": "user", "text": "hi", "timestamp": "soon"}, "greet", "has no time"),
        ({"event": "user", "text": "/restart", "timestamp": 1.0}, "greet", "tenant's own words"),
    ],
)
def test_staff_correction_refuses_what_is_not_a_tenant_message(session_factory, nlu, event, intent, words):
    with pytest.raises(inbox.InboxError, match=words):
        inbox.record_correction(session_factory, nlu, sender_id=SENDER, event=event, intent=intent, actor="staff:a")


def test_the_settings_default_inbox_threshold_is_the_one_chosen_in_the_docs(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import Settings
    from bot.training_data.inbox import DEFAULT_THRESHOLD

    monkeypatch.delenv("TENANTLINE_INBOX_THRESHOLD", raising=False)
    documented = (Path(__file__).resolve().parents[2] / "docs" / "nlu-inbox.md").read_text(encoding="utf-8")
    assert Settings().inbox_threshold == DEFAULT_THRESHOLD
    assert f"below {DEFAULT_THRESHOLD:.2f}**" in documented
