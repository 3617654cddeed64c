"""How a staff reply reaches the tenant: the outbox, on the tenant's channel, within the channel's rules.

WhatsApp allows a free-form message only within 24 hours of the tenant's last message (DOMAIN.md, "Messaging
channel rules"; Twilio error 63016 otherwise). When that window has closed the console offers the two ways that
still work, and staff choose: the landlord's approved WhatsApp template, whose variable {{1}} carries the message
(the convention of `channels.whatsapp`, which sends a row's `template_name` with its `template_variables`), or an
SMS to the same number. A channel the tenant opted out of (SMS STOP) is never offered.

The reply is queued with `bot.housing.outbox.create` under a key made from the form's one-off id, so a double
click or a resubmitted form queues it once; the outbox dispatcher in the Rasa process sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy.orm import Session

from bot.housing import audit, identities, outbox
from bot.housing.enums import Channel
from bot.housing.errors import HousingError, OptedOut

MAX_LENGTH = {Channel.SMS: 1600, Channel.WHATSAPP: 1600, Channel.TELEGRAM: 4096}
"""Longest reply per channel: Twilio joins SMS up to 1,600 characters and caps WhatsApp bodies there too."""

_REPLY_ID = re.compile(r"^[0-9a-f]{32}$")


class ReplyRoute(str, Enum):
    """How a reply can go out."""

    CHANNEL = "channel"
    TEMPLATE = "template"
    SMS = "sms"


class ReplyRefused(Exception):
    """Raised when a reply cannot be queued; the message says why, in words for staff."""


@dataclass(frozen=True)
class ReplyPlan:
    """The ways a reply can reach the tenant right now.

    Attributes:
        channel: The conversation's channel.
        address: The tenant's number or Telegram id.
        routes: The routes open now, best first; empty when none is.
        window_open: For WhatsApp, whether the 24-hour window is open; True on other channels.
        window_closed_at: When the WhatsApp window closed (or closes), if known.
        problem: Why the tenant's own channel cannot be used, if it cannot.
    """

    channel: Channel
    address: str
    routes: tuple[ReplyRoute, ...]
    window_open: bool = True
    window_closed_at: datetime | None = None
    problem: str | None = None

    def max_length(self, route: ReplyRoute) -> int:
        """Return the longest reply the route accepts."""
        return MAX_LENGTH[Channel.SMS if route is ReplyRoute.SMS else self.channel]


def address_of(sender_id: str, channel: Channel, fallback: str | None = None) -> str | None:
    """Return the tenant's address from a channel sender id ("sms:+447700900001"), else `fallback`."""
    prefix, separator, address = sender_id.partition(":")
    if separator and address and prefix == channel.value:
        return address
    return fallback


def _opted_out(session: Session, channel: Channel, address: str) -> bool:
    try:
        identity = identities.get(session=session, channel=channel, address=address)
    except HousingError:
        return False
    return identity is not None and identity.opted_out_at is not None


def plan_reply(session: Session, *, channel: Channel, address: str, template: str | None, now: datetime) -> ReplyPlan:
    """Return how a reply to `address` on `channel` can be sent now.

    Args:
        session: An open housing session.
        channel: The conversation's channel.
        address: The tenant's number or Telegram id.
        template: The approved WhatsApp template, if the landlord has one.
        now: The current time.
    """
    if channel is not Channel.WHATSAPP:
        if _opted_out(session, channel, address):
            return ReplyPlan(channel, address, (), problem=f"The tenant has opted out of {channel.value} messages.")
        return ReplyPlan(channel, address, (ReplyRoute.CHANNEL,))
    identity = identities.get(session=session, channel=channel, address=address)
    last = identity.last_inbound_at if identity is not None else None
    closes = last + timedelta(hours=identities.WHATSAPP_SESSION_HOURS) if last is not None else None
    is_open = identity is not None and identities.within_session_window(identity, now)
    if is_open and identity is not None and identity.opted_out_at is None:
        return ReplyPlan(channel, address, (ReplyRoute.CHANNEL,), window_closed_at=closes)
    routes: list[ReplyRoute] = []
    if template and (identity is None or identity.opted_out_at is None):
        routes.append(ReplyRoute.TEMPLATE)
    if not _opted_out(session, Channel.SMS, address):
        routes.append(ReplyRoute.SMS)
    problem = "WhatsApp's 24-hour window has closed: a free-form message would be refused."
    if identity is not None and identity.opted_out_at is not None:
        problem = "The tenant has opted out of WhatsApp messages."
    return ReplyPlan(channel, address, tuple(routes), window_open=False, window_closed_at=closes, problem=problem)


def reply_key(handoff_reference: str, reply_id: str) -> str:
    """Return the outbox idempotency key of a reply written in one form.

    Raises:
        ReplyRefused: If the form's id is not 32 hexadecimal characters (the page was not ours).
    """
    if not _REPLY_ID.match(reply_id or ""):
        raise ReplyRefused("This form is out of date. Reload the page and send the reply again.")
    return f"console:{handoff_reference}:{reply_id}"


@dataclass(frozen=True)
class QueuedReply:
    """A reply in the outbox.

    Attributes:
        outbox_id: The outbox message's id.
        channel: The channel it goes out on.
        route: How it goes out.
        fresh: False when the same form was submitted before and this is the message queued then.
    """

    outbox_id: int
    channel: Channel
    route: ReplyRoute
    fresh: bool


def queue_reply(
    session: Session,
    *,
    plan: ReplyPlan,
    route: ReplyRoute,
    body: str,
    key: str,
    handoff_reference: str,
    actor: str,
    template: str | None,
    now: datetime,
) -> QueuedReply:
    """Queue a staff reply in the outbox and note it in the audit log.

    Raises:
        ReplyRefused: If the route is not open now, the text is blank or too long, or the tenant opted out.
    """
    text = body.strip()
    if not text:
        raise ReplyRefused("Write a reply before sending it.")
    if route not in plan.routes:
        raise ReplyRefused(plan.problem or "That way of replying is not available for this conversation.")
    limit = plan.max_length(route)
    if len(text) > limit:
        raise ReplyRefused(f"The reply is {len(text)} characters long; this channel takes at most {limit}.")
    channel = Channel.SMS if route is ReplyRoute.SMS else plan.channel
    try:
        message = outbox.create(
            session=session,
            channel=channel,
            to=plan.address,
            body=text,
            idempotency_key=key,
            template_name=template if route is ReplyRoute.TEMPLATE else None,
            template_variables={"1": text} if route is ReplyRoute.TEMPLATE else None,
            now=now,
        )
    except OptedOut:
        raise ReplyRefused(f"The tenant has opted out of {channel.value} messages.") from None
    except HousingError as error:
        raise ReplyRefused(f"The reply could not be queued: {error}.") from None
    # The outbox hands back the earlier message for a repeated key; only a new one is audited and recorded.
    fresh = message.created_at == now
    if fresh:
        audit.record(
            session=session,
            actor=actor,
            action="console.reply_queued",
            subject=handoff_reference,
            details={"channel": channel.value, "route": route.value, "outbox_id": int(message.id)},
            now=now,
        )
    return QueuedReply(outbox_id=int(message.id), channel=channel, route=route, fresh=fresh)
