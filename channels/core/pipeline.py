"""What happens to a tenant's message after the webhook has checked and parsed it, the same on every channel.

A channel's webhook handler:

1. checks authenticity and parses the provider's payload into an `Incoming` (answering 403/400 itself);
2. calls `await pipeline.receive(incoming, request.app)` and acknowledges at once (a repeat gets the same
   answer: `receive` returns False and nothing is processed).

`receive` records and de-duplicates the message in the journal every replica shares (`Inbox`) and queues the
conversation's work (`ConversationWorkers`). Processing then runs off the request, on the channels' turn thread
when the channel has one (channels/core/turns.py), so the webhooks' loop only checks, records and acknowledges:
the conversation's earliest unfinished message is claimed (on whichever replica it arrived), processed, and marked
done, one at a time. A sweep every few seconds finds messages nobody is working on - their replica died - and
claims them, so they are finished on this replica in order. Processing a message:

- the identity and conversation are noted (`identities.record_inbound`, `conversations.touch`);
- STOP / START / HELP are answered and recorded when the channel honours keywords (SMS, WhatsApp);
- a reply of "1", "2"... becomes the payload of the button it numbers;
- photos are downloaded and stored, other media gets a polite sentence;
- the text goes to Rasa as a `UserMessage` whose metadata always carries {"channel", "address"};
- photos are attached to the case the conversation is about (read from the tracker), or kept until one is logged.

When the action server does not answer its health check, the tenant is told once that we're having trouble and the
message is given back to the journal, to be processed (after the conversation's earlier messages and before its
later ones) once the action server is back. The same happens when the action server stops answering while Rasa
waits on an action (it died mid-call; Rasa itself would carry on as if the action had said nothing): the turn is
undone in Rasa's tracker (`UserUtteranceReverted`), so the retry handles the message afresh, and nothing Rasa
decided after the missing answer is sent (channels/core/action_watch.py).

Every reply, including the channel's own sentences, goes through the channel's `OutboxOutputChannel`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import aiohttp
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, UserUtteranceReverted
from sanic import Sanic
from sqlalchemy.orm import Session

from actions.safety import Assessment, safety_responses
from bot import heap
from bot.housing import conversations, identities
from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.housing.errors import HousingError, OptedOut
from bot.housing.inbound import Claim, Held
from bot.safety.triage import triage
from channels.core import db
from channels.core.action_watch import watch_action_endpoint, watch_turn
from channels.core.buttons import ButtonMemory, buttons_from_events, option_number, payload_for
from channels.core.inbox import Inbox
from channels.core.keywords import Keyword, classify
from channels.core.media import (
    FetchedMedia,
    MediaFetcher,
    MediaItem,
    MediaPolicy,
    MediaRejected,
    PendingMedia,
    StoredMedia,
    attach,
    case_reference,
    store_media,
)
from channels.core.messages import channel_text, media_kind_name, photos_phrase
from channels.core.ordering import ConversationWorkers
from channels.core.output import OutboxOutputChannel, address_hash, reply_key, sender_id_for
from channels.core.turns import TurnThread, run_on, running_loop

logger = logging.getLogger(__name__)

AGENT_WAIT_SECONDS = 300.0
"""How long a message waits for the model to finish loading before it is dropped (logged)."""
SHUTDOWN_GRACE_SECONDS = 10.0
"""How long a stopping server lets messages in progress finish before cancelling them (they are then replayed)."""
SWEEP_SECONDS = 5.0
"""How often a replica looks for messages nobody is working on (their replica died, or a retry is due)."""
SWEEP_GRACE_SECONDS = 2.0
"""How old a never-claimed message must be before a sweep takes it from the replica that received it."""
HELD_POLL_SECONDS = 0.2
"""How often a conversation waiting for another replica to finish its earlier message checks again."""
RETRY_SECONDS = 15.0
"""How long a message waits before it is tried again when the action server was down."""
HEALTH_TIMEOUT_SECONDS = 3.0
"""How long the action server's health check may take before it counts as down."""
HEALTHY_FOR_SECONDS = 1.0
"""How long a passed health check is trusted, so a busy replica does not ask before every message."""


class Outcome(str, Enum):
    """What became of a message after `InboundPipeline.process`."""

    DONE = "done"
    RETRY = "retry"  # the assistant could not handle it now; keep it and try again later


@dataclass(frozen=True)
class Incoming:
    """A tenant's message as a channel parsed it.

    Attributes:
        channel: The housing channel (sms, whatsapp, telegram).
        address: The canonical address: E.164 number or Telegram user id.
        external_id: The provider's id of the message (MessageSid, update_id), for de-duplication.
        text: The text, already through `channels.intake.prepare_text`; "" when there is none.
        media: Photos and other media, in the order sent.
        metadata: Extra metadata for Rasa (e.g. {"profile_name": ...}); "channel" and "address" are added.
    """

    channel: Channel
    address: str
    external_id: str
    text: str = ""
    media: tuple[MediaItem, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def sender_id(self) -> str:
        """Return the Rasa sender id, "<channel>:<address>"."""
        return sender_id_for(self.channel, self.address)

    def to_dict(self) -> dict[str, Any]:
        """Return the message as JSON-ready data (for the inbox journal)."""
        return {
            "channel": self.channel.value,
            "address": self.address,
            "external_id": self.external_id,
            "text": self.text,
            "media": [item.to_dict() for item in self.media],
            "metadata": dict(self.metadata),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Incoming:
        """Rebuild a message from `to_dict` output."""
        return cls(
            channel=Channel(data["channel"]),
            address=str(data["address"]),
            external_id=str(data["external_id"]),
            text=str(data.get("text") or ""),
            media=tuple(MediaItem.from_dict(item) for item in data.get("media") or []),
            metadata=dict(data.get("metadata") or {}),
        )


OutputFactory = Callable[[str | None], OutboxOutputChannel]
"""Makes the channel's output channel for a turn's key prefix (None for a proactive send)."""


@dataclass
class _TrackerView:
    events: list[dict[str, Any]]
    slots: dict[str, Any]


def handled_message_ids(events: list[dict[str, Any]]) -> list[str]:
    """Return the provider ids of the tenant messages a tracker's events hold and have not undone, in order.

    A `rewind` event (UserUtteranceReverted) undoes the latest message not yet undone, as in Rasa's
    `applied_events`; a message from before a restart of the conversation stays handled (it reached Rasa), and a
    rewind cannot reach back past the restart.
    """
    handled: list[str | None] = []
    floor = 0
    for event in events:
        kind = event.get("event")
        if kind == "user":
            message_id = event.get("message_id")
            handled.append(str(message_id) if message_id is not None else None)
        elif kind == "rewind" and len(handled) > floor:
            handled.pop()
        elif kind in ("restart", "session_started"):
            floor = len(handled)
    return [message_id for message_id in handled if message_id is not None]


class InboundPipeline:
    """One channel's intake: de-duplicate, order, and process messages off the request."""

    def __init__(
        self,
        *,
        input_channel: str,
        channel: Channel,
        output_factory: OutputFactory,
        fetch_media: MediaFetcher | None = None,
        honour_keywords: bool = False,
        media_policy: MediaPolicy | None = None,
        buttons: ButtonMemory | None = None,
        media_dir: Path | None = None,
        session_factory: Callable[[], Session] | None = None,
        replica: str | None = None,
        turns: TurnThread | None = None,
    ) -> None:
        """Create a channel's pipeline.

        Args:
            input_channel: Rasa's name of the input channel ("twilio_sms"), recorded on every user event.
            channel: The housing channel its addresses belong to.
            output_factory: Makes the channel's output channel (`OutputFactory`).
            fetch_media: Downloads one photo; None if the channel receives no media.
            honour_keywords: Answer STOP / START / HELP (SMS and WhatsApp).
            media_policy: Size and type limits for photos.
            buttons: The channel's memory of buttons shown, shared with its output channels.
            media_dir: Where photos are stored (default var/media).
            session_factory: The housing database (default: the channels' configured one).
            replica: This replica's name in the shared journal (default: TENANTLINE_REPLICA_ID or host:pid).
            turns: The thread whose event loop runs the turns (None: the loop the webhooks come in on).
        """
        self.input_channel = input_channel
        self.channel = Channel(channel)
        self.output_factory = output_factory
        self.fetch_media = fetch_media
        self.honour_keywords = honour_keywords
        self.media_policy = media_policy or MediaPolicy()
        self.buttons = buttons or ButtonMemory()
        self.media_dir = media_dir
        self.pending_media = PendingMedia(media_dir) if media_dir else PendingMedia()
        self._session_factory = session_factory
        self.inbox = Inbox(self.channel, session_factory=session_factory, replica=replica)
        self.workers = ConversationWorkers(input_channel, turns=turns)
        self._on_new_message: Callable[[UserMessage], Awaitable[Any]] | None = None
        self._app: Sanic | None = None
        self._home_loop: asyncio.AbstractEventLoop | None = None
        self.shutdown_grace = SHUTDOWN_GRACE_SECONDS
        self.sweep_interval = SWEEP_SECONDS
        self.sweep_grace = SWEEP_GRACE_SECONDS
        self.retry_after = RETRY_SECONDS
        self._sweeper: asyncio.Task[None] | None = None
        self._healthy_until = 0.0

    # -- wiring ------------------------------------------------------------------------------------------------

    def bind(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Remember Rasa's message handler (call from the input channel's `blueprint`)."""
        self._on_new_message = on_new_message

    def _factory(self) -> Callable[[], Session]:
        return self._session_factory or db.session_factory()

    async def receive(self, incoming: Incoming, app: Sanic) -> bool:
        """Accept a parsed message for processing; return False if it is a repeat (acknowledge it, do nothing).

        Returns within milliseconds: processing continues in the conversation's worker task.

        Raises:
            HousingError: If the provider id is blank or too long (answer 400).
        """
        self._app = app
        self._home_loop = running_loop()
        if not await self.inbox.accept(incoming.external_id, incoming.to_dict(), incoming.sender_id):
            return False
        sender_id, external_id = incoming.sender_id, incoming.external_id
        self.workers.submit(sender_id, lambda: self._work(sender_id, fresh=external_id))
        return True

    async def replay(self, app: Sanic) -> int:
        """Take up every message left unfinished (this replica's from before a restart too) and start sweeping.

        Returns:
            How many conversations had work waiting.
        """
        self._app = app
        self._home_loop = running_loop()
        count = await self.sweep(grace=0.0, include_own=True)
        if count:
            logger.info("%s: taking up unfinished messages of %d conversation(s)", self.input_channel, count)
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(
                self._sweep_forever(), name=f"{self.input_channel}-sweep"
            )
        return count

    async def sweep(self, *, grace: float | None = None, include_own: bool = False) -> int:
        """Queue the conversations with a message nobody is working on; return how many were queued."""
        conversations = await self.inbox.stalled(
            grace=self.sweep_grace if grace is None else grace, include_own=include_own
        )
        queued = 0
        for conversation in conversations:
            if self.workers.is_busy(conversation):
                continue  # its worker here takes the message up when it gets to it
            self.workers.submit(
                conversation,
                lambda conversation=conversation: self._work(conversation, reclaim_own=include_own),  # type: ignore[misc]
            )
            queued += 1
        return queued

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                await self.sweep()
            except Exception:
                logger.exception("%s: looking for unfinished messages failed", self.input_channel)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every accepted message has been processed (tests, graceful shutdown)."""
        await self.workers.drain(timeout)

    async def shutdown(self) -> None:
        """Let messages in progress finish (up to `shutdown_grace` seconds), then stop.

        Messages still unprocessed are given back to the journal, for this or another replica to process.
        """
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        with contextlib.suppress(TimeoutError):
            await self.workers.drain(self.shutdown_grace)
        await self.workers.cancel()

    # -- processing --------------------------------------------------------------------------------------------

    async def _work(self, conversation: str, *, fresh: str | None = None, reclaim_own: bool = False) -> None:
        """Process the conversation's unfinished messages in order until none is left for this replica.

        Args:
            conversation: Rasa's sender id.
            fresh: The provider id of the message whose arrival queued this work (any other one is a recovery).
            reclaim_own: Also take messages this replica held before a restart.
        """
        while True:
            result = await self.inbox.claim_next(conversation, reclaim_own=reclaim_own)
            if result is None:
                return
            if isinstance(result, Held):
                if result.replica == self.inbox.replica:
                    reclaim_own = True  # only this worker runs the conversation here: the claim is a dead one
                    continue
                if not result.replica:
                    return  # given back to wait for a retry; a sweep takes it up when it is due
                await asyncio.sleep(HELD_POLL_SECONDS)  # another replica is on an earlier message
                continue
            if await self._run(result, recovered=result.attempts > 1 or result.external_id != fresh) is Outcome.RETRY:
                return

    async def _run(self, claim: Claim, *, recovered: bool) -> Outcome:
        try:
            incoming = Incoming.from_dict(claim.payload)
        except (KeyError, ValueError, TypeError):
            logger.warning("%s: dropping an unreadable journal entry", self.input_channel)
            await self.inbox.done(claim)
            return Outcome.DONE
        outcome = Outcome.DONE
        try:
            async with self.inbox.heartbeat(claim):
                outcome = await self.process(incoming, recovered=recovered)
        except asyncio.CancelledError:
            self.inbox.give_back_now(claim)  # shutting down: another replica, or this one restarted, takes it
            raise
        except Exception:
            logger.exception("%s: processing a message failed", self.input_channel)
        if outcome is Outcome.RETRY:
            await self.inbox.give_back(claim, retry_after=self.retry_after)
        else:
            await self.inbox.done(claim)
        return outcome

    async def _agent(self) -> Any | None:
        """Return the loaded Rasa agent, waiting while the model is still loading."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + AGENT_WAIT_SECONDS
        while True:
            agent = getattr(self._app.ctx, "agent", None) if self._app is not None else None
            if agent is not None and agent.is_ready():
                watch_action_endpoint(agent)  # a newly loaded model brings a new processor
                heap.settle(agent)  # once per model: later full collections skip the model's objects
                return agent
            if loop.time() > deadline:
                return None
            await asyncio.sleep(0.5)

    async def _tracker(self, agent: Any | None, sender_id: str) -> _TrackerView | None:
        if agent is None or agent.tracker_store is None:
            return None
        try:
            tracker = await agent.tracker_store.retrieve(sender_id)
        except Exception:
            logger.exception("%s: could not read a tracker", self.input_channel)
            return None
        if tracker is None:
            return None
        return _TrackerView(
            events=[event.as_dict() for event in tracker.events], slots=dict(tracker.current_slot_values())
        )

    def _note_contact(self, incoming: Incoming) -> bool:
        """Record the identity and conversation; return whether the sender had opted out."""
        with session_scope(self._factory()) as session:
            identity = identities.record_inbound(session=session, channel=incoming.channel, address=incoming.address)
            conversations.touch(
                session=session,
                sender_id=incoming.sender_id,
                channel=incoming.channel,
                channel_identity_id=identity.id,
            )
            return identity.opted_out_at is not None

    def _set_opted_out(self, incoming: Incoming, opted_out: bool) -> None:
        with session_scope(self._factory()) as session:
            identities.update(
                session=session,
                channel=incoming.channel,
                address=incoming.address,
                opted_out=opted_out,
                actor=f"tenant:{incoming.sender_id}",
            )

    def _opt_out_with_confirmation(self, incoming: Incoming, output: OutboxOutputChannel) -> None:
        # One transaction: the confirmation is queued before the opt-out is recorded (the outbox refuses
        # opted-out recipients), and neither happens without the other.
        with session_scope(self._factory()) as session:
            try:
                output.create_rows(session, incoming.address, output.render(channel_text("opt_out_confirmed"), []))
            except OptedOut:
                return  # a repeated STOP: the opt-out stands and nothing may be sent
            identities.update(
                session=session,
                channel=incoming.channel,
                address=incoming.address,
                opted_out=True,
                actor=f"tenant:{incoming.sender_id}",
            )

    async def _keyword(self, keyword: Keyword, incoming: Incoming, output: OutboxOutputChannel) -> None:
        logger.info("%s: %s keyword from %s", self.input_channel, keyword.value, address_hash(incoming.address))
        if keyword is Keyword.STOP:
            await asyncio.to_thread(self._opt_out_with_confirmation, incoming, output)
            output.queued()
        elif keyword is Keyword.START:
            await asyncio.to_thread(self._set_opted_out, incoming, False)
            await output.send_text_message(incoming.sender_id, channel_text("opt_in_confirmed"))
        else:
            await output.send_text_message(incoming.sender_id, channel_text("help"))

    async def _resolve_option(self, sender_id: str, text: str, agent: Any | None) -> str:
        """Turn a numbered reply into the payload of the button it picks; any other text is returned as is."""
        if option_number(text) is None:
            return text
        if self.buttons.known(sender_id):
            payload = self.buttons.resolve(sender_id, text)
        else:
            view = await self._tracker(agent, sender_id)
            payload = payload_for(text, buttons_from_events(view.events)) if view else None
        return payload or text

    async def _fetch_one(self, item: MediaItem) -> FetchedMedia:
        """Download one photo on the loop the webhooks come in on, where the channel's HTTP client lives."""
        fetch = self.fetch_media
        assert fetch is not None

        async def download() -> FetchedMedia:
            return await fetch(item, self.media_policy)

        home = self._home_loop
        if home is None or home.is_closed():
            return await download()
        return await run_on(home, download())

    async def _fetch(self, items: tuple[MediaItem, ...]) -> tuple[list[StoredMedia], list[str]]:
        """Download and store the photos; return them and the sentences to send about the rest."""
        stored: list[StoredMedia] = []
        notices: list[str] = []
        unreadable: list[str] = []
        for item in items:
            if item.kind != "image" or self.fetch_media is None:
                unreadable.append(item.kind)
                continue
            try:
                fetched = await self._fetch_one(item)
                stored.append(await asyncio.to_thread(store_media, fetched, self.media_dir))
            except MediaRejected as rejected:
                logger.info("%s: media rejected (%s)", self.input_channel, rejected)
                if rejected.reason == "too_large":
                    notices.append(channel_text("media_too_large", limit_mb=self.media_policy.limit_mb))
                elif rejected.reason == "unsupported":
                    unreadable.append("document" if (item.content_type or "").startswith("application/") else "other")
                else:
                    notices.append(channel_text("media_failed"))
        for kind in dict.fromkeys(unreadable):  # one sentence per kind, in order
            notices.append(channel_text("media_unsupported", kind=media_kind_name(kind)))
        return stored, list(dict.fromkeys(notices))

    async def _settle_media(
        self, sender_id: str, stored: list[StoredMedia], output: OutboxOutputChannel, agent: Any | None
    ) -> None:
        """Attach new and waiting photos to the conversation's case, or keep them until one is logged."""
        waiting = await asyncio.to_thread(self.pending_media.peek, sender_id)
        if not stored and not waiting:
            return
        view = await self._tracker(agent, sender_id)
        case = case_reference(view.events, view.slots) if view else None
        if case is not None:
            kind, reference = case
            try:
                count = await asyncio.to_thread(attach, self._factory(), [*waiting, *stored], kind, reference)
            except HousingError:
                logger.exception("%s: could not attach photos to a case", self.input_channel)
            else:
                await asyncio.to_thread(self.pending_media.clear, sender_id)
                await output.send_text_message(
                    sender_id, channel_text("media_attached", photos=photos_phrase(count), reference=reference)
                )
                return
        if stored:
            await asyncio.to_thread(self.pending_media.add, sender_id, stored)
            await output.send_text_message(sender_id, channel_text("media_received"))

    def metadata_for(self, incoming: Incoming, stored: list[StoredMedia]) -> dict[str, Any]:
        """Return the Rasa message metadata: the channel's extras, then channel and address (always present)."""
        metadata = dict(incoming.metadata)
        if stored:
            metadata["photos"] = len(stored)
        metadata["channel"] = incoming.channel.value
        metadata["address"] = incoming.address
        return metadata

    async def _already_handled(self, agent: Any, incoming: Incoming) -> bool:
        """Return whether Rasa's tracker holds this message, not undone (it was handled before a crash)."""
        view = await self._tracker(agent, incoming.sender_id)
        return view is not None and incoming.external_id in handled_message_ids(view.events)

    async def _revert_turn(self, agent: Any, incoming: Incoming) -> bool:
        """Undo the turn of `incoming` in Rasa's tracker, so that a retry handles it afresh; return whether done.

        Appends what Rasa's own "undo" appends (`UserUtteranceReverted`, then `action_listen`): the message and
        everything after it stop counting for predictions and slots, while the history keeps them. Only the
        conversation's latest message is undone, under the conversation's lock, like a turn.
        """
        tracker_store = getattr(agent, "tracker_store", None)
        lock_store = getattr(agent, "lock_store", None)
        if tracker_store is None:
            return False
        lock = lock_store.lock(incoming.sender_id) if lock_store is not None else contextlib.nullcontext()
        try:
            async with lock:
                tracker = await tracker_store.retrieve(incoming.sender_id)
                if tracker is None:
                    return False
                latest = handled_message_ids([event.as_dict() for event in tracker.events])
                if not latest or latest[-1] != incoming.external_id:
                    return False  # Rasa never recorded it, or later messages followed: nothing to undo
                tracker.update(UserUtteranceReverted())
                tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
                await tracker_store.save(tracker)
        except Exception:
            logger.exception("%s: could not undo a turn whose action went unanswered", self.input_channel)
            return False
        return True

    async def _safety_while_paused(self, agent: Any, sender_id: str, text: str, output: OutboxOutputChannel) -> None:
        """Send the safety message for danger in a message that reaches a conversation a person has taken over.

        While staff hold a conversation Rasa stays silent (ConversationPaused), but a gas smell or a person at risk
        still gets the safety advice at once (DOMAIN.md, "Safety messages"); the console flags it to the agent.
        """
        found = triage(text)  # first: a few regular expressions, where loading the conversation is a query
        if found is None:
            return
        try:
            tracker = await agent.tracker_store.retrieve(sender_id) if agent.tracker_store is not None else None
        except Exception:
            logger.exception("%s: could not read a tracker to check for a paused conversation", self.input_channel)
            return
        if tracker is None or not tracker.is_paused():
            return
        for name in safety_responses(Assessment(found.danger, found.immediate_danger)):
            variants = agent.domain.responses.get(name) or []
            if variants and variants[0].get("text"):
                await output.send_text_message(sender_id, str(variants[0]["text"]))

    async def _assistant_available(self, agent: Any) -> bool:
        """Return whether the action server answers its health check (True when there is none to ask)."""
        endpoint = getattr(agent, "action_endpoint", None)
        url = getattr(endpoint, "url", None)
        if not url:
            return True
        loop = asyncio.get_running_loop()
        if loop.time() < self._healthy_until:
            return True
        health = url.rsplit("/", 1)[0] + "/health"
        try:
            timeout = aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_SECONDS)
            async with aiohttp.ClientSession(timeout=timeout) as client, client.get(health) as response:
                healthy = response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            healthy = False
        self._healthy_until = loop.time() + HEALTHY_FOR_SECONDS if healthy else 0.0
        return healthy

    async def _tell_trouble(self, incoming: Incoming) -> None:
        """Tell the tenant once per message that we're having trouble (a retry does not repeat it)."""
        output = self.output_factory(f"{reply_key(incoming.sender_id, incoming.external_id)}:trouble")
        await output.send_text_message(incoming.sender_id, channel_text("assistant_trouble"))

    async def process(self, incoming: Incoming, *, recovered: bool = False) -> Outcome:
        """Process one message in full (normally called by the conversation's worker, not directly).

        Args:
            incoming: The message.
            recovered: It was taken up after a restart or from another replica: if Rasa's tracker already
                records it, it is not handed to Rasa again.

        Returns:
            `Outcome.RETRY` if the action server is down (the tenant has been told), else `Outcome.DONE`.
        """
        sender_id = incoming.sender_id
        output = self.output_factory(reply_key(sender_id, incoming.external_id))
        was_opted_out = await asyncio.to_thread(self._note_contact, incoming)
        text = incoming.text.strip()
        if self.honour_keywords and not incoming.media:
            keyword = classify(text)
            if keyword is not None:
                await self._keyword(keyword, incoming, output)
                return Outcome.DONE
        if was_opted_out:
            # Writing to us again asks for replies, which the outbox refuses while the opt-out stands.
            await asyncio.to_thread(self._set_opted_out, incoming, False)
        agent = await self._agent()
        if agent is None:
            logger.error("%s: no model loaded after %.0f s; message dropped", self.input_channel, AGENT_WAIT_SECONDS)
            return Outcome.DONE
        if text and not await self._assistant_available(agent):
            logger.warning("%s: the action server is down; keeping a message to try again", self.input_channel)
            await self._tell_trouble(incoming)
            return Outcome.RETRY
        text = await self._resolve_option(sender_id, text, agent)
        self.buttons.forget(sender_id)
        stored, notices = await self._fetch(incoming.media)
        replayed = recovered
        if text and replayed and await self._already_handled(agent, incoming):
            logger.info("%s: a replayed message was already handled; not sending it to Rasa again", self.input_channel)
            text = ""
        if text and not replayed:
            await self._safety_while_paused(agent, sender_id, text, output)
        if text:
            if self._on_new_message is None:
                raise RuntimeError(f"{self.input_channel}: pipeline used before its blueprint was built")
            with watch_turn() as turn:
                await self._on_new_message(
                    UserMessage(
                        text,
                        output,
                        sender_id,
                        input_channel=self.input_channel,
                        message_id=incoming.external_id,
                        metadata=self.metadata_for(incoming, stored),
                    )
                )
            if turn.failed:
                # The action server died while Rasa waited on it: what the tenant got so far stands (a retry
                # queues the same outbox keys, so it is not sent twice), the rest comes with the retry.
                reverted = await self._revert_turn(agent, incoming)
                logger.warning(
                    "%s: the action server stopped answering mid-turn (%s); turn %s, message kept to try again",
                    self.input_channel,
                    "; ".join(turn.failures),
                    "undone" if reverted else "not undone",
                )
                self._healthy_until = 0.0
                await self._tell_trouble(incoming)
                return Outcome.RETRY
        await self._settle_media(sender_id, stored, output, agent)
        for notice in notices:
            await output.send_text_message(sender_id, notice)
        return Outcome.DONE
