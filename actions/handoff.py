"""Passing a conversation to a member of staff, and telling the tenant how long they will wait.

Staff answer in the office's opening hours (landlord.yml, Europe/London; closed on England & Wales bank holidays).
Outside them the tenant is told when the office reopens and given the out-of-hours number for emergency repairs.
The opening-hours arithmetic is kept in pure functions so it can be tested at any instant.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta, timezone

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import latest_text, sender_identity, session_factory
from actions.dissatisfaction import expresses_dissatisfaction
from actions.formatting import time_in_words
from actions.identity import identify
from bot.clocks.calendar import LONDON, WorkingCalendar, resolve, to_london
from bot.housing import handoffs
from bot.housing.db import session_scope
from bot.housing.enums import Channel, HandoffReason, Urgency
from bot.housing.errors import HousingError
from bot.landlord import WEEKDAYS, get_landlord

logger = logging.getLogger(__name__)

WAIT_MINUTES = 30
"""The typical wait for a reply from staff while the office is open, as promised to the tenant."""

RECENT_MESSAGES = 3
"""How many of the tenant's latest messages go into a handoff's summary, so staff see why they were called."""

MAX_SUMMARY_CHARS = 4000
"""The longest summary the handoff service accepts."""

MAX_QUOTED_CHARS = 1000
"""The most of any one message quoted in a summary; a pasted essay must not crowd out the rest."""

SEARCH_DAYS = 28
"""How far ahead to look for the office reopening (a long Christmas closure is well inside this)."""

SUPPORTED_CHANNELS = frozenset(channel.value for channel in Channel)

_HOURS = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*(?:to|until|till|-|\u2013)\s*(\d{1,2})[:.](\d{2})\s*$", re.IGNORECASE)

OpeningHours = dict[int, tuple[time, time]]
"""Opening and closing time by weekday (Monday is 0); a weekday that is absent is closed all day."""


# -- opening hours (pure) -------------------------------------------------------------------------------------


def parse_opening_hours(hours: Mapping[str, str]) -> OpeningHours:
    """Read landlord.yml's opening hours ("09:00 to 17:00", "closed") into times per weekday.

    A day that is "closed", missing, malformed, or closes before it opens counts as closed: it is safer to tell a
    tenant the office is shut (and give the out-of-hours number) than to promise a reply that will not come.

    Args:
        hours: Weekday name ("monday") to its hours, as in landlord.yml.

    Returns:
        The open days, each with its opening and closing time.
    """
    parsed: OpeningHours = {}
    for index, day in enumerate(WEEKDAYS):
        found = _HOURS.match(str(hours.get(day) or ""))
        if found is None:
            continue
        try:
            opens = time(int(found.group(1)), int(found.group(2)))
            closes = time(int(found.group(3)), int(found.group(4)))
        except ValueError:
            logger.warning("opening hours for %s are not valid times: %r", day, hours.get(day))
            continue
        if opens < closes:
            parsed[index] = (opens, closes)
    return parsed


def opening_window(
    day: date, hours: OpeningHours, calendar: WorkingCalendar | None = None
) -> tuple[datetime, datetime] | None:
    """Return when the office opens and closes on `day` (London time), or None when it is closed all day.

    Args:
        day: The date in England.
        hours: The weekly opening hours.
        calendar: The bank holiday calendar; England & Wales by default.
    """
    if resolve(calendar).bank_holiday_name(day) is not None:
        return None
    times = hours.get(day.weekday())
    if times is None:
        return None
    opens, closes = times
    return datetime.combine(day, opens, tzinfo=LONDON), datetime.combine(day, closes, tzinfo=LONDON)


def is_open(now: datetime, hours: OpeningHours, calendar: WorkingCalendar | None = None) -> bool:
    """Return whether the office is open at the instant `now` (open at opening time, shut at closing time).

    Raises:
        ValueError: If `now` has no timezone.
    """
    local = to_london(now)
    window = opening_window(local.date(), hours, calendar)
    return window is not None and window[0] <= local < window[1]


def next_opening(now: datetime, hours: OpeningHours, calendar: WorkingCalendar | None = None) -> datetime | None:
    """Return the next time the office opens after `now`, in London time.

    Args:
        now: A timezone-aware instant.
        hours: The weekly opening hours.
        calendar: The bank holiday calendar; England & Wales by default.

    Returns:
        The opening time, or None when the office does not open within `SEARCH_DAYS` days.

    Raises:
        ValueError: If `now` has no timezone.
    """
    local = to_london(now)
    for offset in range(SEARCH_DAYS + 1):
        window = opening_window(local.date() + timedelta(days=offset), hours, calendar)
        if window is not None and window[0] > local:
            return window[0]
    return None


def reopens_in_words(now: datetime, opening: datetime) -> str:
    """Return when the office reopens as a tenant would say it: "today from 10am", "on Monday from 9am".

    Days within the coming week are named by weekday alone; later ones also get the date, so a reopening after
    a long holiday is not mistaken for the coming week.

    Raises:
        ValueError: If either instant has no timezone.
    """
    today = to_london(now).date()
    day = to_london(opening).date()
    at = time_in_words(opening)
    gap = (day - today).days
    if gap <= 0:
        return f"today from {at}"
    if gap == 1:
        return f"tomorrow from {at}"
    if gap < 7:
        return f"on {day:%A} from {at}"
    when = f"{day:%A} {day.day} {day:%B}"
    if day.year != today.year:
        when += f" {day.year}"
    return f"on {when} from {at}"


def current_time() -> datetime:
    """Return the current instant (tests replace this to check the wait at any hour)."""
    return datetime.now(timezone.utc)


# -- handoffs ----------------------------------------------------------------------------------------------


def recent_messages(tracker: Tracker, count: int = RECENT_MESSAGES) -> list[str]:
    """Return the tenant's latest `count` typed messages, oldest first (button payloads such as "/affirm" left out)."""
    texts = [str(event.get("text") or "") for event in tracker.events if event.get("event") == "user"]
    latest = latest_text(tracker)
    if latest and (not texts or texts[-1] != latest):
        texts.append(latest)
    typed = [" ".join(text.split()) for text in texts if text.strip() and not text.strip().startswith("/")]
    return [text[:MAX_QUOTED_CHARS] for text in typed[-count:]]


def fit_summary(summary: str) -> str:
    """Trim a summary to what the handoff service stores, keeping its beginning (the most important part)."""
    return summary if len(summary) <= MAX_SUMMARY_CHARS else summary[: MAX_SUMMARY_CHARS - 1] + "\u2026"


def open_handoff(
    tracker: Tracker,
    *,
    reason: HandoffReason,
    summary: str,
    urgency: Urgency | None = None,
    link_tenancy: bool = False,
) -> str | None:
    """Queue the conversation for a person, or reuse the sender's open handoff; never raise.

    Args:
        tracker: The conversation.
        reason: Why a person is needed.
        summary: What staff should read first.
        urgency: How urgent; the service's default for the reason when None.
        link_tenancy: Whether to attach the tenancy the sender's number belongs to. Only for an emergency, or
            for a sender who has verified in this session.

    Returns:
        The handoff's reference, or None when it could not be created (database down, or a channel no member
        of staff can answer on); the caller must then tell the tenant to phone.
    """
    channel, address = sender_identity(tracker)
    if channel not in SUPPORTED_CHANNELS:
        logger.warning("no handoff for %s: staff cannot reply on channel %r", tracker.sender_id, channel)
        return None
    try:
        with session_scope(session_factory()) as session:
            tenancy = identify(session, channel, address).tenancy_reference if link_tenancy else None
            # The service hands back the sender's open handoff, if any, rather than queueing them twice.
            handoff = handoffs.create(
                session=session,
                sender_id=tracker.sender_id,
                channel=channel,
                reason=reason,
                urgency=urgency,
                summary=fit_summary(summary),
                tenancy_reference=tenancy,
            )
            return str(handoff.reference)
    except (HousingError, SQLAlchemyError):
        logger.exception("could not create a handoff (%s) for %s", reason.value, tracker.sender_id)
        return None


def offer_complaint_if_unhappy(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Offer a complaint when the latest message expresses dissatisfaction (Complaint Handling Code 1.3).

    Returns:
        `offer` set to "complaint" when the offer was made, otherwise cleared.
    """
    if expresses_dissatisfaction(latest_text(tracker)):
        dispatcher.utter_message(response="utter_offer_complaint")
        return [SlotSet("offer", "complaint")]
    return [SlotSet("offer", None)]


class ActionHandoff(Action):
    """Pass the conversation to a member of staff and say when they will reply."""

    def name(self) -> str:
        """Return the action's name in the domain."""
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Open (or reuse) a handoff, then give its reference and the expected wait."""
        landlord = get_landlord()
        after_fallback = tracker.get_slot("offer") == "person"
        reason = HandoffReason.FALLBACK if after_fallback else HandoffReason.REQUEST_HUMAN
        heading = (
            "The assistant could not understand the tenant, who accepted the offer of a person."
            if after_fallback
            else "The tenant asked for a person."
        )
        quoted = "\n".join(f"- {text}" for text in recent_messages(tracker))
        summary = f"{heading}\nLatest messages:\n{quoted}" if quoted else heading
        reference = open_handoff(
            tracker, reason=reason, summary=summary, link_tenancy=bool(tracker.get_slot("verified"))
        )
        if reference is None:
            dispatcher.utter_message(response="utter_error_try_later", landlord_phone=landlord.phone)
            return [SlotSet("offer", None)]
        now = current_time()
        hours = parse_opening_hours(landlord.opening_hours)
        if is_open(now, hours):
            dispatcher.utter_message(response="utter_handoff_wait_open", reference=reference, wait_minutes=WAIT_MINUTES)
        else:
            opening = next_opening(now, hours)
            if opening is None:
                logger.error("landlord.yml opening_hours never open within %s days", SEARCH_DAYS)
                dispatcher.utter_message(
                    response="utter_handoff_wait_closed_no_hours",
                    reference=reference,
                    out_of_hours_phone=landlord.out_of_hours_phone,
                )
            else:
                dispatcher.utter_message(
                    response="utter_handoff_wait_closed",
                    reference=reference,
                    reopens=reopens_in_words(now, opening),
                    out_of_hours_phone=landlord.out_of_hours_phone,
                )
        return offer_complaint_if_unhappy(dispatcher, tracker)
