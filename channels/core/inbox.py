"""Exactly-once intake shared by every replica: nothing acknowledged is lost, even if its replica dies.

A retried delivery is not processed again, and a message is finished by another replica when the one that
acknowledged it dies.

The journal is the `inbound_messages` table of the housing database (`bot.housing.inbound`), which all Rasa
replicas share. A webhook records the parsed message ("received") before it is acknowledged; the provider's id is
unique, so a retry - to this replica or another - is recognised. Processing claims the conversation's earliest
unfinished message with a lease that a heartbeat keeps renewing ("processing"), and marks it "done" at the end.
When a replica dies its leases run out and any other replica (or the restarted one) claims the message and
finishes it, in the conversation's order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from bot.housing import inbound
from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.housing.inbound import Claim, Held
from bot.settings import get_settings
from channels.core import db

logger = logging.getLogger(__name__)


def default_replica() -> str:
    """Return this process's name in the journal: TENANTLINE_REPLICA_ID, else "<host>:<pid>"."""
    configured = get_settings().replica_id
    return configured or f"{socket.gethostname()[:50]}:{os.getpid()}"


class Inbox:
    """One channel's view of the shared inbound journal."""

    def __init__(
        self,
        channel: Channel,
        *,
        session_factory: Callable[[], Session] | None = None,
        replica: str | None = None,
        lease_seconds: float | None = None,
    ) -> None:
        """Create the inbox of `channel` for this replica.

        Args:
            channel: The channel whose messages this inbox handles.
            session_factory: The housing database (default: the channels' configured one).
            replica: This replica's name (default `default_replica()`).
            lease_seconds: How long a claim lasts unless renewed (default TENANTLINE_INBOUND_LEASE_SECONDS).
        """
        self.channel = Channel(channel)
        self._session_factory = session_factory
        self.replica = replica or default_replica()
        self.lease_seconds = lease_seconds or get_settings().inbound_lease_seconds

    def _factory(self) -> Callable[[], Session]:
        return self._session_factory or db.session_factory()

    def _in_session(self, work: Callable[[Session], Any]) -> Any:
        with session_scope(self._factory()) as session:
            return work(session)

    async def _run(self, work: Callable[[Session], Any]) -> Any:
        return await asyncio.to_thread(self._in_session, work)

    async def accept(self, external_id: str, entry: dict[str, Any], conversation: str) -> bool:
        """Record a message before it is acknowledged; return False if it was seen before (a retry).

        Args:
            external_id: The provider's id of the message (Twilio MessageSid, Telegram update_id).
            entry: Everything needed to process the message, on any replica; must be JSON-serialisable.
            conversation: Rasa's sender id; its messages are processed one at a time, in order.

        Returns:
            True if the message is new and must be processed, False if it is a repeat to acknowledge only.

        Raises:
            HousingError: If the id is blank or too long (the caller answers 400).
        """
        return bool(
            await self._run(
                lambda session: inbound.record_if_new(
                    session=session,
                    channel=self.channel,
                    external_id=external_id,
                    conversation=conversation,
                    payload=entry,
                )
            )
        )

    async def claim_next(self, conversation: str, *, reclaim_own: bool = False) -> Claim | Held | None:
        """Claim the conversation's next message for this replica (see `bot.housing.inbound.claim_next`)."""
        result: Claim | Held | None = await self._run(
            lambda session: inbound.claim_next(
                session=session,
                channel=self.channel,
                conversation=conversation,
                replica=self.replica,
                lease_seconds=self.lease_seconds,
                reclaim_own=reclaim_own,
            )
        )
        return result

    @contextlib.asynccontextmanager
    async def heartbeat(self, claim: Claim) -> AsyncIterator[None]:
        """Keep renewing `claim`'s lease while the block runs, so a slow turn is not taken over."""

        async def renew_forever() -> None:
            while True:
                await asyncio.sleep(self.lease_seconds / 3)
                try:
                    held = await self._run(
                        lambda session: inbound.renew(
                            session=session, message_id=claim.id, replica=self.replica, lease_seconds=self.lease_seconds
                        )
                    )
                except Exception:
                    logger.exception("%s inbox: could not renew a lease", self.channel.value)
                    continue
                if not held:
                    logger.warning("%s inbox: lost the claim on a message still in progress", self.channel.value)
                    return

        task = asyncio.get_running_loop().create_task(renew_forever(), name=f"{self.channel.value}-lease")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def done(self, claim: Claim) -> None:
        """Mark a claimed message processed."""
        finished = await self._run(
            lambda session: inbound.finish(session=session, message_id=claim.id, replica=self.replica)
        )
        if not finished:
            logger.warning("%s inbox: finished a message whose claim had run out", self.channel.value)

    async def give_back(self, claim: Claim, retry_after: float = 0.0) -> None:
        """Return a claimed message unprocessed, to be claimed again after `retry_after` seconds."""
        await self._run(
            lambda session: inbound.release(
                session=session, message_id=claim.id, replica=self.replica, retry_after=retry_after
            )
        )

    def give_back_now(self, claim: Claim) -> None:
        """Return a claimed message at once, blocking (for a task being cancelled, which cannot await)."""
        try:
            self._in_session(
                lambda session: inbound.release(session=session, message_id=claim.id, replica=self.replica)
            )
        except Exception:
            logger.exception("%s inbox: could not give a message back; its lease will run out", self.channel.value)

    async def stalled(self, *, grace: float, include_own: bool = False) -> list[str]:
        """Return conversations with a message nobody is working on (received over `grace` seconds ago)."""
        before = datetime.now(timezone.utc) - timedelta(seconds=grace)
        result: list[str] = await self._run(
            lambda session: inbound.stalled_conversations(
                session=session,
                channel=self.channel,
                received_before=before,
                replica=self.replica if include_own else None,
            )
        )
        return result

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        """Return (external id, message) of every message received but not processed, oldest first."""
        result: list[tuple[str, dict[str, Any]]] = self._in_session(
            lambda session: inbound.unfinished(session=session, channel=self.channel)
        )
        return result
