"""Anti-social behaviour cases: what happened, when, where, and whether it is ongoing.

Threats, hate incidents and violence make a case urgent (high), so staff see it first.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.housing import audit, references
from bot.housing._common import (
    SYSTEM_ACTOR,
    change_case_status,
    choice,
    find_by_reference,
    find_current_tenancy,
    find_tenancy,
    resolve_now,
)
from bot.housing.enums import AsbCategory, CaseStatus, Urgency
from bot.housing.errors import AsbCaseNotFound
from bot.housing.models import AsbCase
from bot.housing.validation import require_text

URGENT_CATEGORIES = frozenset({AsbCategory.THREATS, AsbCategory.HATE, AsbCategory.VIOLENCE})


def urgency_for(category: AsbCategory, *, involves_threats: bool, hate_related: bool) -> Urgency:
    """Return how urgently staff should act: high for threats, hate or violence, normal otherwise."""
    if involves_threats or hate_related or category in URGENT_CATEGORIES:
        return Urgency.HIGH
    return Urgency.NORMAL


def get(*, session: Session, reference: str) -> AsbCase | None:
    """Return the case with ASB reference `reference`, or None.

    Raises:
        InvalidReference: If the reference is malformed.

    """
    found: AsbCase | None = find_by_reference(session, AsbCase, references.ASB, reference)
    return found


def get_or_raise(*, session: Session, reference: str) -> AsbCase:
    """Return the case with ASB reference `reference`.

    Raises:
        InvalidReference: If the reference is malformed.
        AsbCaseNotFound: If there is none.

    """
    case = get(session=session, reference=reference)
    if case is None:
        raise AsbCaseNotFound(f"no anti-social behaviour case {reference}")
    return case


def list(
    *, session: Session, tenancy_reference: str, open_only: bool = False, limit: int = 20
) -> builtins.list[AsbCase]:
    """Return a tenancy's cases, newest first.

    Raises:
        InvalidTenancyReference, TenancyNotFound: For a bad tenancy.

    """
    tenancy = find_tenancy(session, tenancy_reference)
    statement = (
        select(AsbCase)
        .where(AsbCase.tenancy_id == tenancy.id)
        .order_by(AsbCase.reported_at.desc(), AsbCase.id.desc())
        .limit(limit)
    )
    if open_only:
        statement = statement.where(AsbCase.status != CaseStatus.CLOSED)
    return builtins.list(session.execute(statement).scalars().all())


def create(
    *,
    session: Session,
    tenancy_reference: str,
    category: AsbCategory | str,
    description: str,
    occurred: str,
    location: str,
    ongoing: bool = False,
    involves_threats: bool = False,
    hate_related: bool = False,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> AsbCase:
    """Open an anti-social behaviour case.

    Args:
        session: The open session.
        tenancy_reference: The reporting tenant's tenancy.
        category: The kind of behaviour.
        description: What happened, in the tenant's words.
        occurred: When, as the tenant put it ("every night after 11pm").
        location: Where ("flat above", "stairwell").
        ongoing: Whether it is still happening.
        involves_threats: Whether anyone was threatened.
        hate_related: Whether it targets someone for who they are.
        actor: Who reported it, for the audit log.
        now: The current time; the real clock when None.

    Raises:
        InvalidTenancyReference, TenancyNotFound, TenancyEnded: For a bad tenancy.
        InvalidChoice: For an unknown category.
        EmptyDescription, TextTooLong: For blank or over-long answers.

    """
    at = resolve_now(now)
    kind = choice(AsbCategory, category, "category")
    words = require_text(description, field="description")
    when = require_text(occurred, field="occurred", max_length=200)
    where = require_text(location, field="location", max_length=200)
    threats = bool(involves_threats) or kind is AsbCategory.THREATS
    hate = bool(hate_related) or kind is AsbCategory.HATE
    tenancy = find_current_tenancy(session, tenancy_reference, at)
    case = AsbCase(
        reference=references.next_reference(session, references.ASB),
        tenancy_id=tenancy.id,
        category=kind,
        description=words,
        occurred=when,
        location=where,
        ongoing=bool(ongoing),
        involves_threats=threats,
        hate_related=hate,
        urgency=urgency_for(kind, involves_threats=threats, hate_related=hate),
        status=CaseStatus.OPEN,
        reported_at=at,
        created_at=at,
        updated_at=at,
    )
    session.add(case)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="asb.created",
        subject=case.reference,
        details={"tenancy": tenancy.reference, "category": kind.value, "urgency": case.urgency.value},
        now=at,
    )
    return case


def update(
    *,
    session: Session,
    reference: str,
    status: CaseStatus | str,
    actor: str = SYSTEM_ACTOR,
    now: datetime | None = None,
) -> AsbCase:
    """Change a case's status (open, in progress, closed).

    Raises:
        InvalidReference, AsbCaseNotFound: For a bad reference.
        InvalidChoice: For an unknown status.
        InvalidStatusTransition: If the case already has that status.

    """
    case = get_or_raise(session=session, reference=reference)
    return change_case_status(session, case, status, noun="case", audit_action="asb", actor=actor, now=resolve_now(now))
