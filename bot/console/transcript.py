"""Turn a Rasa tracker (the HTTP API's JSON) into the lines of a transcript staff can read.

Tenant messages are Rasa "user" events, the assistant's are "bot" events, and staff replies are "bot" events the
console appended with `rasa_api.STAFF_KEY` in their metadata. Pauses and resumptions are shown as markers, so the
reader sees when a person held the conversation. Everything here is pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from bot.console.rasa_api import STAFF_KEY

SAFETY_INTENTS = {
    "report_emergency": "Possible emergency",
    "report_concern": "Someone may be at risk",
}
"""Intents the safety triage forces; a tenant message with one is flagged for staff."""


class Speaker(str, Enum):
    """Who a transcript line is from."""

    TENANT = "tenant"
    ASSISTANT = "assistant"
    STAFF = "staff"
    MARKER = "marker"


@dataclass(frozen=True)
class TranscriptLine:
    """One line of a transcript.

    Attributes:
        speaker: Who it is from (or a marker such as "assistant paused").
        text: The words, exactly as sent (the template escapes them).
        at: When, or None if Rasa gave no time.
        channel: The channel the line came in or went out on, if known.
        author: The member of staff who wrote a staff line.
        photos: How many photos came with a tenant message.
        safety: Why a tenant message is flagged for safety, if it is.
        options: The titles of buttons the assistant offered.
        key: A stable id for the line (its position), used to spot new lines.
        intent: What the assistant took a tenant message to mean.
        confidence: How sure it was, from 0 to 1.
    """

    speaker: Speaker
    text: str
    at: datetime | None
    channel: str | None = None
    author: str | None = None
    photos: int = 0
    safety: str | None = None
    options: tuple[str, ...] = ()
    key: int = 0
    intent: str | None = None
    confidence: float | None = None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _score(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _user_line(event: Mapping[str, Any], key: int) -> TranscriptLine:
    metadata = _mapping(event.get("metadata"))
    parsed = _mapping(_mapping(event.get("parse_data")).get("intent"))
    intent = _text(parsed.get("name"))
    confidence = parsed.get("confidence")
    return TranscriptLine(
        speaker=Speaker.TENANT,
        text=_text(event.get("text")),
        at=_moment(event.get("timestamp")),
        channel=_text(metadata.get("channel")) or _text(event.get("input_channel")) or None,
        photos=_count(metadata.get("photos")),
        safety=SAFETY_INTENTS.get(intent),
        key=key,
        intent=intent or None,
        confidence=_score(confidence),
    )


def _bot_line(event: Mapping[str, Any], key: int) -> TranscriptLine:
    metadata = _mapping(event.get("metadata"))
    staff = _mapping(metadata.get(STAFF_KEY))
    at = _moment(event.get("timestamp"))
    if staff:
        return TranscriptLine(
            speaker=Speaker.STAFF,
            text=_text(event.get("text")),
            at=at,
            channel=_text(staff.get("channel")) or None,
            author=_text(staff.get("name")) or _text(staff.get("username")) or "Staff",
            key=key,
        )
    buttons = _mapping(event.get("data")).get("buttons")
    titles = tuple(
        _text(button.get("title")) for button in buttons or [] if isinstance(button, Mapping) and button.get("title")
    )
    return TranscriptLine(speaker=Speaker.ASSISTANT, text=_text(event.get("text")), at=at, options=titles, key=key)


_MARKERS = {
    "pause": "The assistant was paused: a member of staff has the conversation.",
    "resume": "The assistant was resumed.",
    "session_started": "New conversation session.",
    "restart": "The conversation was restarted.",
}


def transcript_lines(events: Iterable[Any]) -> list[TranscriptLine]:
    """Return the transcript of a tracker's events, oldest first.

    Events that are not messages or markers (actions, slots, loops) are left out; malformed ones are skipped
    rather than failing the page.
    """
    lines: list[TranscriptLine] = []
    for key, event in enumerate(events):
        if not isinstance(event, Mapping):
            continue
        kind = event.get("event")
        if kind == "user":
            lines.append(_user_line(event, key))
        elif kind == "bot":
            line = _bot_line(event, key)
            if line.text or line.options:
                lines.append(line)
        elif kind in _MARKERS:
            lines.append(
                TranscriptLine(
                    speaker=Speaker.MARKER, text=_MARKERS[str(kind)], at=_moment(event.get("timestamp")), key=key
                )
            )
    # Session starts come in bursts (Rasa writes one per session); keep only the first of a run.
    tidy: list[TranscriptLine] = []
    for line in lines:
        if (
            line.speaker is Speaker.MARKER
            and tidy
            and tidy[-1].speaker is Speaker.MARKER
            and tidy[-1].text == line.text
        ):
            continue
        tidy.append(line)
    return tidy


def is_paused(state: Mapping[str, Any]) -> bool:
    """Return whether Rasa reports the conversation as paused."""
    return state.get("paused") is True
