"""The audit log: who did what to which record, and when.

Actors are strings of the form "tenant:TN104233", "sms:+447700900123", "staff:alice" or "system"; subjects are
record references ("REP-004217K", "TN104233") or "staff:alice". Details are JSON; text in them is masked for
card numbers like every other stored answer.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing._common import SYSTEM_ACTOR, resolve_now
from bot.housing.models import AuditEntry
from bot.housing.validation import mask_card_numbers


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, dict):
        return {str(key): _masked(item) for key, item in value.items()}
    if isinstance(value, (builtins.list, tuple)):
        return [_masked(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def record(
    *,
    session: Session,
    action: str,
    subject: str,
    actor: str = SYSTEM_ACTOR,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an entry to the audit log in the session's transaction.

    Args:
        session: The open session.
        action: What happened, as a dotted verb ("repair.created", "handoff.claimed").
        subject: The record acted on.
        actor: Who did it.
        details: Extra facts; values that are not JSON types are stored as strings.
        now: When it happened; the current time when None.

    """
    entry = AuditEntry(
        at=resolve_now(now),
        actor=actor[:120],
        action=action[:60],
        subject=subject[:60],
        details=_masked(details or {}),
    )
    session.add(entry)
    session.flush()
    return entry


def list(
    *, session: Session, subject: str | None = None, actor: str | None = None, limit: int = 100
) -> builtins.list[AuditEntry]:
    """Return audit entries, newest first, optionally for one subject or actor."""
    statement = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if subject is not None:
        statement = statement.where(AuditEntry.subject == subject)
    if actor is not None:
        statement = statement.where(AuditEntry.actor == actor)
    return builtins.list(session.execute(statement).scalars().all())
