"""The tenant's record beside a conversation, and the changes staff make to it, through the housing services.

Which tenancy a conversation is about is decided here, most certain first:

1. the tenancy the assistant linked to the handoff (the tenant verified, or it was an emergency);
2. the tenancy the tenant verified in this conversation (Rasa's `verified_tenancy` slot);
3. the current tenancy of a tenant whose number (or verified Telegram account) the message came from, shown as
   not verified, so staff check the caller's identity before discussing the account.

Every view is copied into plain dataclasses inside the session, so templates never touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from bot.clocks.calendar import to_london
from bot.housing import (
    appointments,
    asb,
    attachments,
    complaints,
    hazards,
    identities,
    income,
    rent,
    repairs,
    tenancies,
    tenants,
    welfare,
)
from bot.housing.enums import Channel, Priority, RepairStatus
from bot.housing.errors import HousingError, RentAccountNotFound, RepairNotFound

BASIS_LINKED = "linked"
BASIS_VERIFIED = "verified"
BASIS_PHONE = "phone"

BASIS_LABELS = {
    BASIS_LINKED: "Linked by the assistant",
    BASIS_VERIFIED: "Verified in this conversation",
    BASIS_PHONE: "Matched by phone number only: not verified",
}

REPAIR_MOVES: dict[RepairStatus, tuple[RepairStatus, ...]] = {
    RepairStatus.REPORTED: (RepairStatus.IN_PROGRESS, RepairStatus.COMPLETED, RepairStatus.CANCELLED),
    RepairStatus.BOOKED: (RepairStatus.IN_PROGRESS, RepairStatus.COMPLETED, RepairStatus.CANCELLED),
    RepairStatus.IN_PROGRESS: (RepairStatus.COMPLETED, RepairStatus.CANCELLED),
}
"""Status changes the console offers for an open repair (booking is a separate action)."""

PRIORITIES = tuple(Priority)


@dataclass(frozen=True)
class TenancyMatch:
    """The tenancy a conversation is about, and how sure we are."""

    reference: str
    basis: str

    @property
    def label(self) -> str:
        """Return how the tenancy was found, in words."""
        return BASIS_LABELS[self.basis]

    @property
    def verified(self) -> bool:
        """Return whether the sender has proved they hold the tenancy."""
        return self.basis != BASIS_PHONE


@dataclass(frozen=True)
class Person:
    """Someone named on the tenancy."""

    name: str
    date_of_birth: date
    phone: str | None
    lead: bool
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Photo:
    """A photo or file attached to a repair or hazard case."""

    id: int
    content_type: str
    is_image: bool


@dataclass(frozen=True)
class RepairView:
    """An open repair job."""

    reference: str
    item: str
    location: str
    description: str
    priority: str
    status: str
    reported_at: datetime
    target_at: datetime
    appointment: str | None
    photos: tuple[Photo, ...]
    moves: tuple[str, ...]
    bookable: bool
    booked: bool


@dataclass(frozen=True)
class CaseView:
    """An open case of any kind (complaint, hazard, anti-social behaviour, welfare, income task)."""

    kind: str
    reference: str
    summary: str
    status: str
    due: str | None = None
    photos: tuple[Photo, ...] = ()


@dataclass(frozen=True)
class RentView:
    """The rent account at a glance."""

    weekly_rent: Decimal
    balance: Decimal
    arrears: Decimal
    credit: Decimal
    next_due_date: date
    last_payment_amount: Decimal | None
    last_payment_on: date | None


@dataclass(frozen=True)
class TenantRecord:
    """What staff see about a tenancy beside the conversation."""

    match: TenancyMatch
    address: str
    area: str
    start_date: date
    end_date: date | None
    payment_reference: str
    household: tuple[Person, ...]
    rent: RentView | None
    repairs: tuple[RepairView, ...]
    complaints: tuple[CaseView, ...]
    cases: tuple[CaseView, ...]

    @property
    def vulnerable(self) -> bool:
        """Return whether anyone in the household has a vulnerability flag."""
        return any(person.flags for person in self.household)

    @property
    def photo_ids(self) -> frozenset[int]:
        """Return the ids of every attachment shown, which are the only ones staff may open from here."""
        found = {photo.id for repair in self.repairs for photo in repair.photos}
        found |= {photo.id for case in self.cases for photo in case.photos}
        return frozenset(found)


@dataclass(frozen=True)
class SlotView:
    """A free appointment slot."""

    id: int
    label: str


def _flags(person: Any) -> tuple[str, ...]:
    names = (
        (person.is_elderly, "Elderly"),
        (person.has_disability, "Disability"),
        (person.has_young_children, "Young children"),
        (person.has_medical_need, "Medical need"),
    )
    return tuple(label for flagged, label in names if flagged)


def day_label(day: date) -> str:
    """Return a date as staff read it: "Monday 24 November 2025"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _period(period: Any) -> str:
    return "morning, 8am to 12pm" if str(getattr(period, "value", period)) == "AM" else "afternoon, 12pm to 4pm"


def _candidates(
    session: Session, channel: Channel, address: str | None, verified_reference: str | None, now: datetime
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if verified_reference:
        found.append((verified_reference, BASIS_VERIFIED))
    if not address:
        return found
    tenant_ids: list[int] = []
    try:
        if channel in (Channel.SMS, Channel.WHATSAPP):
            tenant_ids = [int(person.id) for person in tenants.list(session=session, phone=address, limit=5)]
        identity = identities.get(session=session, channel=channel, address=address)
        if identity is not None and identity.tenant_id is not None and identity.verified_at is not None:
            tenant_ids.append(int(identity.tenant_id))
    except HousingError:
        return found  # a malformed address identifies nobody
    for tenant_id in dict.fromkeys(tenant_ids):
        for tenancy in tenancies.list(session=session, tenant_id=tenant_id, current_only=True, now=now, limit=3):
            found.append((str(tenancy.reference), BASIS_PHONE))
    return found


def find_tenancy(
    session: Session,
    *,
    linked_tenancy_id: int | None,
    channel: Channel,
    address: str | None,
    verified_reference: str | None,
    now: datetime,
) -> TenancyMatch | None:
    """Return the tenancy a conversation is about, or None when nothing identifies the sender.

    Args:
        session: An open housing session.
        linked_tenancy_id: The tenancy the assistant linked to the handoff, if any.
        channel: The conversation's channel.
        address: The sender's number or Telegram id.
        verified_reference: The tenancy the sender verified in the conversation (from Rasa), if known.
        now: The current time.
    """
    seen: set[str] = set()
    for reference, basis in _candidates(session, channel, address, verified_reference, now):
        if reference in seen:
            continue
        seen.add(reference)
        try:
            tenancy = tenancies.get(session=session, reference=reference)
        except HousingError:
            continue
        if tenancy is None:
            continue
        if linked_tenancy_id is None:
            return TenancyMatch(str(tenancy.reference), basis)
        if tenancy.id == linked_tenancy_id:
            return TenancyMatch(str(tenancy.reference), BASIS_LINKED)
    return None


def _photos(
    session: Session, *, repair_reference: str | None = None, hazard_reference: str | None = None
) -> tuple[Photo, ...]:
    found = attachments.list(session=session, repair_reference=repair_reference, hazard_reference=hazard_reference)
    return tuple(
        Photo(
            id=int(item.id), content_type=str(item.content_type), is_image=str(item.content_type).startswith("image/")
        )
        for item in found
    )


def _appointment(job: Any) -> str | None:
    slot = job.slot
    if slot is None:
        return None
    return f"{day_label(slot.slot_date)}, {_period(slot.period)}"


def _repair_view(session: Session, job: Any) -> RepairView:
    status = RepairStatus(job.status)
    reference = str(job.reference)
    return RepairView(
        reference=reference,
        item=str(job.item),
        location=str(job.location),
        description=str(job.description),
        priority=Priority(job.priority).value,
        status=status.value,
        reported_at=job.reported_at,
        target_at=job.target_at,
        appointment=_appointment(job),
        photos=_photos(session, repair_reference=reference),
        moves=tuple(move.value for move in REPAIR_MOVES.get(status, ())),
        bookable=status in (RepairStatus.REPORTED, RepairStatus.BOOKED),
        booked=status is RepairStatus.BOOKED,
    )


def _case_views(session: Session, reference: str) -> list[CaseView]:
    cases: list[CaseView] = []
    for hazard in hazards.list(session=session, tenancy_reference=reference, open_only=True):
        due = f"make safe by {to_london(hazard.make_safe_by):%d/%m/%Y %H:%M}" if hazard.make_safe_by else None
        if due is None and hazard.investigate_by is not None:
            due = f"investigate by {hazard.investigate_by:%d/%m/%Y}"
        cases.append(
            CaseView(
                kind=f"Hazard ({hazard.severity.value})",
                reference=str(hazard.reference),
                summary=str(hazard.description),
                status=hazard.status.value,
                due=due,
                photos=_photos(session, hazard_reference=str(hazard.reference)),
            )
        )
    for case in asb.list(session=session, tenancy_reference=reference, open_only=True):
        cases.append(
            CaseView(
                kind=f"Anti-social behaviour ({case.category.value.replace('_', ' ')})",
                reference=str(case.reference),
                summary=str(case.description),
                status=case.status.value,
                due=f"{case.urgency.value} urgency",
            )
        )
    for concern in welfare.list(session=session, tenancy_reference=reference, open_only=True):
        cases.append(
            CaseView(
                kind="Welfare concern",
                reference=str(concern.reference),
                summary=f"{concern.subject}: {concern.concern}",
                status=concern.status.value,
                due=f"{concern.urgency.value} urgency",
            )
        )
    for task in income.list(session=session, tenancy_reference=reference, open_only=True):
        cases.append(
            CaseView(
                kind=f"Income team ({task.kind.value.replace('_', ' ')})",
                reference=str(task.reference),
                summary=str(task.details or ""),
                status=task.status.value,
                due=f"due by {task.due_by:%d/%m/%Y}",
            )
        )
    return cases


def load_record(session: Session, match: TenancyMatch, *, now: datetime) -> TenantRecord:
    """Return the tenant record for a tenancy.

    Raises:
        InvalidTenancyReference, TenancyNotFound: If the tenancy has gone.
    """
    tenancy = tenancies.get_or_raise(session=session, reference=match.reference)
    household = tuple(
        Person(
            name=person.full_name,
            date_of_birth=person.date_of_birth,
            phone=person.phone,
            lead=index == 0,
            flags=_flags(person),
        )
        for index, person in enumerate(tenancies.household(session=session, reference=match.reference))
    )
    try:
        money = rent.summary(session=session, tenancy_reference=match.reference, now=now)
        rent_view: RentView | None = RentView(
            weekly_rent=money.weekly_rent,
            balance=money.balance,
            arrears=money.arrears,
            credit=money.credit,
            next_due_date=money.next_due_date,
            last_payment_amount=money.last_payment_amount,
            last_payment_on=money.last_payment_on,
        )
    except RentAccountNotFound:
        rent_view = None
    jobs = repairs.list(session=session, tenancy_reference=match.reference, open_only=True)
    open_complaints = [
        CaseView(
            kind=f"Complaint, stage {complaint.stage}",
            reference=str(complaint.reference),
            summary=str(complaint.what_happened),
            status=complaint.status.value,
            due=f"acknowledge by {complaint.acknowledge_by:%d/%m/%Y}, respond by {complaint.respond_by:%d/%m/%Y}",
        )
        for complaint in complaints.list(session=session, tenancy_reference=match.reference, open_only=True)
    ]
    home = tenancy.property
    return TenantRecord(
        match=match,
        address=str(home.one_line_address),
        area=str(home.area),
        start_date=tenancy.start_date,
        end_date=tenancy.end_date,
        payment_reference=str(tenancy.payment_reference),
        household=household,
        rent=rent_view,
        repairs=tuple(_repair_view(session, job) for job in jobs),
        complaints=tuple(open_complaints),
        cases=tuple(_case_views(session, match.reference)),
    )


def repair_of_tenancy(session: Session, *, tenancy_reference: str, repair_reference: str) -> Any:
    """Return a repair, refusing one that belongs to another tenancy (as if it did not exist).

    Raises:
        InvalidReference, RepairNotFound: For a bad reference or another tenancy's repair.
    """
    job = repairs.get_or_raise(session=session, reference=repair_reference)
    tenancy = tenancies.get_or_raise(session=session, reference=tenancy_reference)
    if job.tenancy_id != tenancy.id:
        raise RepairNotFound(f"no repair {repair_reference} on {tenancy_reference}")
    return job


def free_slots(session: Session, *, tenancy_reference: str, now: datetime, count: int = 6) -> list[SlotView]:
    """Return the next free appointment slots in the area of a tenancy's home.

    Raises:
        InvalidTenancyReference, TenancyNotFound, TenancyEnded: For a bad tenancy.
    """
    offered = appointments.next_free_slots(session=session, tenancy_reference=tenancy_reference, count=count, now=now)
    return [SlotView(id=int(slot.id), label=f"{day_label(slot.slot_date)}, {_period(slot.period)}") for slot in offered]
