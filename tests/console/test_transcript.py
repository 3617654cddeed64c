from bot.console.rasa_api import STAFF_KEY
from bot.console.transcript import Speaker, is_paused, transcript_lines


def _user(text, *, at=1_763_800_000.0, photos=0, intent="greet", channel="sms"):
    metadata = {"channel": channel}
    if photos:
        metadata["photos"] = photos
    return {
        "event": "user",
        "text": text,
        "timestamp": at,
        "metadata": metadata,
        "parse_data": {"intent": {"name": intent}},
    }


def test_transcript_shows_tenant_assistant_and_staff_lines_in_order_with_times_and_channel() -> None:
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": 1.0},
        _user("My boiler is broken", at=1_763_800_000.0),
        {"event": "bot", "text": "Sorry to hear that.", "timestamp": 1_763_800_001.0, "data": {}},
        {"event": "slot", "name": "verified", "value": True},
        {
            "event": "bot",
            "text": "Hi, it's Amira from the housing team.",
            "timestamp": 1_763_800_060.0,
            "metadata": {STAFF_KEY: {"username": "agent", "name": "Amira Patel", "channel": "sms", "outbox_id": 4}},
        },
    ]

    lines = transcript_lines(events)

    assert [line.speaker for line in lines] == [Speaker.TENANT, Speaker.ASSISTANT, Speaker.STAFF]
    assert lines[0].text == "My boiler is broken"
    assert lines[0].channel == "sms"
    assert lines[0].at is not None and lines[0].at.timestamp() == 1_763_800_000.0
    assert lines[2].author == "Amira Patel"
    assert lines[2].channel == "sms"


def test_transcript_keeps_tenant_text_exactly_as_sent_for_the_template_to_escape() -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> javascript:alert(1)'

    (line,) = transcript_lines([_user(hostile)])

    assert line.text == hostile


def test_transcript_flags_a_tenant_message_the_safety_triage_marked_as_an_emergency() -> None:
    (line,) = transcript_lines([_user("I can smell gas", intent="report_emergency")])

    assert line.safety == "Possible emergency"


def test_transcript_counts_photos_sent_with_a_message() -> None:
    (line,) = transcript_lines([_user("here is the damp", photos=2)])

    assert line.photos == 2


def test_transcript_shows_pause_and_resume_as_markers_and_collapses_repeated_session_starts() -> None:
    events = [
        {"event": "session_started", "timestamp": 1.0},
        {"event": "session_started", "timestamp": 2.0},
        _user("hello"),
        {"event": "pause", "timestamp": 3.0},
        {"event": "resume", "timestamp": 4.0},
    ]

    lines = transcript_lines(events)

    assert [line.speaker for line in lines] == [Speaker.MARKER, Speaker.TENANT, Speaker.MARKER, Speaker.MARKER]
    assert "paused" in lines[2].text and "resumed" in lines[3].text


def test_transcript_lists_the_options_the_assistant_offered() -> None:
    event = {"event": "bot", "text": "Is it leaking?", "data": {"buttons": [{"title": "Yes"}, {"title": "No"}]}}

    (line,) = transcript_lines([event])

    assert line.options == ("Yes", "No")


def test_transcript_skips_malformed_events_instead_of_failing() -> None:
    events = ["nonsense", {"event": "user", "text": None, "timestamp": "yesterday"}, None, {"event": "bot"}]

    lines = transcript_lines(events)

    assert len(lines) == 1
    assert lines[0].text == "" and lines[0].at is None


def test_is_paused_reads_rasas_paused_flag() -> None:
    assert is_paused({"paused": True})
    assert not is_paused({"paused": False})
    assert not is_paused({})
