"""Feedback: compliments, suggestions and comments about the service, with an optional 1-5 rating.

Feedback is kept as given, so there is no `update`.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import audit, references
from bot.housing._common import SYSTEM_ACTOR, choice, find_by_reference, find_tenancy, resolve_now
from bot.housing.enums import FeedbackKind
from bot.housing.errors import FeedbackNotFound, InvalidInput
from bot.housing.models import Feedback
from bot.housing.validation import require_text


def get(*, session: Session, reference: str) -> Feedback | None:
    """Return the feedback with FBK reference `reference`, or None.

    Raises:
        InvalidReference: If the reference is malformed.

    """
    found: Feedback | None = find_by_reference(session, Feedback, references.FEEDBACK, reference)
    return found


def get_or_raise(*, session: Session, reference: str) -> Feedback:
    """Return the feedback with FBK reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        FeedbackNotFound: If there is none.

    """
    found = get(session=session, reference=reference)
    if found is None:
        raise FeedbackNotFound(f"no feedback {reference}")
    return found


def list(*, session: Session, kind: FeedbackKind | str | None = None, limit: int = 50) -> builtins.list[Feedback]:
    """Return feedback, newest first, optionally of one kind.

    Raises:
        InvalidChoice: For an unknown kind.

    """
    statement = select(Feedback).order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(limit)
    if kind is not None:
        statement = statement.where(Feedback.kind == choice(FeedbackKind, kind, "kind"))
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    kind: FeedbackKind | str,
    text: str,
    rating: int | None = None,
    tenancy_reference: str | None = None,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> Feedback:
    """Record feedback.

    Raises:
        InvalidChoice: For an unknown kind.
        EmptyDescription, TextTooLong: For blank or over-long text.
        InvalidInput: If `rating` is not a whole number from 1 to 5.
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy.

    """
    at = resolve_now(now)
    what = choice(FeedbackKind, kind, "kind")
    words = require_text(text, field="text")
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
        raise InvalidInput(f"rating must be a whole number from 1 to 5, got {rating!r}")
    tenancy_id = find_tenancy(session, tenancy_reference).id if tenancy_reference is not None else None
    record = Feedback(
        reference=references.next_reference(session, references.FEEDBACK),
        tenancy_id=tenancy_id,
        kind=what,
        text=words,
        rating=rating,
        created_at=at,
    )
    session.add(record)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="feedback.created",
        subject=record.reference,
        details={"kind": what.value, "rating": rating},
        now=at,
    )
    return record
