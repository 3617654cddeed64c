"""Exactly-once intake: a retried delivery is acknowledged, not processed again; nothing acknowledged is lost.

A provider's retried delivery is acknowledged but not processed again, and a message that was acknowledged but
not yet processed when the process died is processed after the restart.

Two records make that work:

- `bot.housing.inbound.record_if_new` (the housing database) remembers every provider message id, across
  restarts and across server processes, so a retry is recognised as one.
- A journal of messages received but not yet processed: one small JSON file per message under
  `var/inbox/<channel>/`, written (and flushed to disk) before the webhook is acknowledged and deleted once the
  message has been processed. On start-up every file left is processed again.

The journal entry is written before the id is recorded, so there is no moment when a message is acknowledged
but recorded nowhere. The order also covers a crash between the two writes: the provider retries (it had no
answer), the retry finds the journal entry and is acknowledged, and the replay processes the message once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from bot.housing import inbound
from bot.housing.db import session_scope
from bot.housing.enums import Channel
from bot.settings import PROJECT_ROOT
from channels.core import db

logger = logging.getLogger(__name__)

DEFAULT_JOURNAL_DIR = PROJECT_ROOT / "var" / "inbox"


class Inbox:
    """The durable de-duplication and journal of one channel's incoming messages."""

    def __init__(
        self,
        channel: Channel,
        *,
        journal_dir: Path | None = None,
        session_factory: Callable[[], Session] | None = None,
    ) -> None:
        """Create the inbox of `channel`, journalling under `journal_dir/<channel>` (default var/inbox)."""
        self.channel = Channel(channel)
        self.directory = (journal_dir or DEFAULT_JOURNAL_DIR) / self.channel.value
        self._session_factory = session_factory
        self._accepting: set[str] = set()

    def _factory(self) -> Callable[[], Session]:
        return self._session_factory or db.session_factory()

    def _path(self, external_id: str) -> Path:
        # Hashed so a provider id can never name a path outside the journal, whatever it contains.
        digest = hashlib.sha256(external_id.encode("utf-8")).hexdigest()[:40]
        return self.directory / f"{digest}.json"

    def _write(self, path: Path, entry: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            json.dump(entry, handle, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    def _record(self, external_id: str) -> bool:
        with session_scope(self._factory()) as session:
            return inbound.record_if_new(session=session, channel=self.channel, external_id=external_id)

    async def accept(self, external_id: str, entry: dict[str, Any]) -> bool:
        """Journal a message and record its provider id; return False if it was seen before (a retry).

        Args:
            external_id: The provider's id of the message (Twilio MessageSid, Telegram update_id).
            entry: Everything needed to process the message later; must be JSON-serialisable.

        Returns:
            True if the message is new and must be processed, False if it is a repeat to acknowledge only.

        Raises:
            HousingError: If the id is blank or too long (the caller answers 400).
        """
        path = self._path(external_id)
        # Checked and claimed with no await in between, so two concurrent deliveries in this process cannot
        # both pass.
        if external_id in self._accepting or path.exists():
            return False  # received earlier and still being processed (or waiting for the replay)
        self._accepting.add(external_id)
        try:
            await asyncio.to_thread(self._write, path, {"external_id": external_id, "entry": entry})
            try:
                new = await asyncio.to_thread(self._record, external_id)
            except BaseException:
                with contextlib.suppress(OSError):
                    path.unlink()
                raise
            if not new:
                with contextlib.suppress(OSError):
                    path.unlink()
            return new
        finally:
            self._accepting.discard(external_id)

    async def ensure_recorded(self, external_id: str) -> None:
        """Record the provider id of a journalled message (a crash may have come between the two writes)."""
        await asyncio.to_thread(self._record, external_id)

    async def done(self, external_id: str) -> None:
        """Remove a processed message from the journal."""
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(self._path(external_id).unlink)

    def pending(self) -> list[tuple[str, dict[str, Any]]]:
        """Return (external id, entry) of every message received but not processed, oldest first.

        Unreadable files (a crash mid-write leaves only a .tmp file, which is ignored) are skipped and logged.
        """
        if not self.directory.is_dir():
            return []
        found: list[tuple[float, str, dict[str, Any]]] = []
        for path in self.directory.glob("*.json"):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                found.append((path.stat().st_mtime, str(record["external_id"]), dict(record["entry"])))
            except (OSError, ValueError, KeyError, TypeError):
                logger.warning("%s inbox: skipping unreadable journal file %s", self.channel.value, path.name)
        found.sort(key=lambda item: item[0])
        return [(external_id, entry) for _, external_id, entry in found]
