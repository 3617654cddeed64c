"""Demo data: a believable small landlord in Leeds, for trying TenantLine end to end.

Everything is fictional: street names are made up (postcodes are valid in format only) and every phone number
is in Ofcom's drama range +447700900000-+447700900999, which is never allocated to a real line.

Determinism and idempotency: the data is generated from a fixed random seed, with every date relative to the
anchor day (`today`, by default the day of the first run in England). The whole seed is one transaction, and
a database that already holds the demo tenancy is left untouched, so running the seed twice leaves exactly the
data of one run; running it on a later day changes nothing either (the rent history then ends on the first
run's day).

Try it as demo tenant 1 (`DEMO_TENANT`): Sarah Ahmed, tenancy TN104233, postcode LS9 7QT, born 14 March 1986,
texting from +447700900001. Staff sign in with the usernames and demo passwords in the returned summary.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bot.clocks.calendar import LONDON, local_date
from bot.housing import (
    appointments,
    complaints,
    hazards,
    homes,
    properties,
    repairs,
    staff,
    tenancies,
    tenants,
)
from bot.housing.db import session_scope
from bot.housing.demo_data import FIRST_NAMES, LAST_NAMES, REPAIR_EXAMPLES, STREETS, TOWN
from bot.housing.enums import (
    HazardExtent,
    HazardSeverity,
    PaymentMethod,
    Priority,
    PropertyType,
    RepairStatus,
    StaffRole,
    TransactionKind,
)
from bot.housing.models import (
    AvailableHome,
    Property,
    RentAccount,
    RentTransaction,
    RepairJob,
    Tenancy,
    Tenant,
)

SEED = 20251121
ACTOR = "seed"


@dataclass(frozen=True)
class DemoTenant:
    """Everything needed to pass identity checks as the demo tenant."""

    first_name: str
    last_name: str
    phone: str
    tenancy_reference: str
    postcode: str
    date_of_birth: date

    @property
    def name(self) -> str:
        """Return the tenant's full name."""
        return f"{self.first_name} {self.last_name}"


DEMO_TENANT = DemoTenant(
    first_name="Sarah",
    last_name="Ahmed",
    phone="+447700900001",
    tenancy_reference="TN104233",
    postcode="LS9 7QT",
    date_of_birth=date(1986, 3, 14),
)
"""Demo tenant 1: a routine repair booked, a completed one, and two weeks of rent arrears."""

DEMO_PROPERTY_ADDRESS = "14 Millbrook Close"


@dataclass(frozen=True)
class DemoLogin:
    """A console login for the demo (never use these passwords anywhere real)."""

    username: str
    password: str
    role: StaffRole
    display_name: str


DEMO_LOGINS = (
    DemoLogin("agent", "tenantline-agent-demo", StaffRole.AGENT, "Amira Patel"),
    DemoLogin("supervisor", "tenantline-supervisor-demo", StaffRole.SUPERVISOR, "David Okafor"),
    DemoLogin("trainer", "tenantline-trainer-demo", StaffRole.TRAINER, "Jo Lister"),
)


@dataclass(frozen=True)
class SeedSummary:
    """What the demo database holds after seeding.

    Attributes:
        created: True if this run created the data, False if it was already there.
        anchor: The day the demo data is anchored to (the first run's day).
        properties: Number of properties.
        tenants: Number of tenants.
        tenancies: Number of tenancies.
        rent_transactions: Number of rent charges and payments.
        open_repairs: Repairs reported, booked or in progress.
        closed_repairs: Repairs completed or cancelled.
        available_homes: Homes advertised.
        logins: Staff usernames and demo passwords.
        demo_tenant: How to sign in as demo tenant 1.

    """

    created: bool
    anchor: date
    properties: int
    tenants: int
    tenancies: int
    rent_transactions: int
    open_repairs: int
    closed_repairs: int
    available_homes: int
    logins: tuple[DemoLogin, ...] = field(default=DEMO_LOGINS)
    demo_tenant: DemoTenant = field(default=DEMO_TENANT)

    def lines(self) -> list[str]:
        """Return the summary as lines of text for a terminal."""
        tenant = self.demo_tenant
        return [
            ("Seeded" if self.created else "Already seeded") + f" demo data anchored on {self.anchor.isoformat()}:",
            f"  {self.properties} properties, {self.tenants} tenants, {self.tenancies} tenancies, "
            f"{self.rent_transactions} rent transactions, {self.open_repairs} open and {self.closed_repairs} "
            f"closed repairs, {self.available_homes} available homes",
            f"  Demo tenant: {tenant.name}, phone {tenant.phone}, tenancy {tenant.tenancy_reference}, "
            f"postcode {tenant.postcode}, born {tenant.date_of_birth.isoformat()}",
            "  Staff logins (demo only):",
            *(f"    {login.username} / {login.password} ({login.role.value})" for login in self.logins),
        ]


def _weekly_rent(rng: random.Random, bedrooms: int) -> Decimal:
    base = {0: 72, 1: 84, 2: 97, 3: 109, 4: 123}[bedrooms]
    return Decimal(base) + Decimal(rng.randrange(0, 800)) / 100


def _anchor_moment(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=LONDON)


def _create_properties(session: Session, rng: random.Random, anchor_at: datetime) -> list[Property]:
    created = []
    layout = [
        (PropertyType.FLAT, 1),
        (PropertyType.FLAT, 2),
        (PropertyType.HOUSE, 3),
        (PropertyType.HOUSE, 2),
        (PropertyType.MAISONETTE, 2),
        (PropertyType.BUNGALOW, 1),
        (PropertyType.HOUSE, 4),
        (PropertyType.BEDSIT, 0),
    ]
    demo = properties.create(
        session=session,
        address_line1=DEMO_PROPERTY_ADDRESS,
        town=TOWN,
        postcode=DEMO_TENANT.postcode,
        area="Harehills",
        bedrooms=2,
        property_type=PropertyType.HOUSE,
        now=anchor_at,
    )
    created.append(demo)
    streets = [(area, street, postcode) for area, rows in STREETS.items() for street, postcode in rows]
    while len(created) < 50:
        area, street, postcode = streets[len(created) % len(streets)]
        kind, bedrooms = layout[rng.randrange(len(layout))]
        number = rng.randrange(1, 120)
        if kind in (PropertyType.FLAT, PropertyType.BEDSIT):
            line1 = f"Flat {rng.randrange(1, 24)}, {number} {street}"
        else:
            line1 = f"{number} {street}"
        if any(home.address_line1 == line1 for home in created):
            continue
        created.append(
            properties.create(
                session=session,
                address_line1=line1,
                town=TOWN,
                postcode=postcode,
                area=area,
                bedrooms=bedrooms,
                property_type=kind,
                now=anchor_at,
            )
        )
    return created


def _create_tenants(session: Session, rng: random.Random, anchor: date, anchor_at: datetime) -> list[Tenant]:
    people = [
        tenants.create(
            session=session,
            first_name=DEMO_TENANT.first_name,
            last_name=DEMO_TENANT.last_name,
            date_of_birth=DEMO_TENANT.date_of_birth,
            phone=DEMO_TENANT.phone,
            has_young_children=False,
            actor=ACTOR,
            now=anchor_at,
        )
    ]
    names = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    for index, (first, last) in enumerate(names[:59], start=2):
        born = date(rng.randrange(1938, 2004), rng.randrange(1, 13), rng.randrange(1, 29))
        age = anchor.year - born.year
        people.append(
            tenants.create(
                session=session,
                first_name=first,
                last_name=last,
                date_of_birth=born,
                phone=f"+447700900{index:03d}",
                email=f"{first.lower()}.{last.lower()}@example.org" if rng.random() < 0.5 else None,
                is_elderly=age >= 70,
                has_disability=rng.random() < 0.1,
                has_young_children=age < 45 and rng.random() < 0.3,
                has_medical_need=rng.random() < 0.08,
                actor=ACTOR,
                now=anchor_at,
            )
        )
    return people


def _rent_history(
    rng: random.Random, account_id: int, weekly: Decimal, pattern: str, anchor: date, anchor_at: datetime
) -> list[dict[str, object]]:
    """Return a year of weekly charges (Mondays) and payments for one account, with running balances."""
    rows: list[dict[str, object]] = []
    balance = Decimal("0.00")
    last_monday = anchor - timedelta(days=anchor.weekday())

    def post(kind: TransactionKind, amount: Decimal, day: date, description: str, method: str | None) -> None:
        nonlocal balance
        balance += amount
        posted = datetime.combine(day, time(6, 0), tzinfo=LONDON)
        rows.append(
            {
                "account_id": account_id,
                "kind": kind,
                "amount": amount,
                "balance_after": balance,
                "effective_on": day,
                "description": description,
                "method": method,
                "external_id": None,
                "posted_at": min(posted, anchor_at),
            }
        )

    method = {
        "steady": PaymentMethod.DIRECT_DEBIT,
        "credit": PaymentMethod.UNIVERSAL_CREDIT,
        "arrears": PaymentMethod.CARD,
        "demo": PaymentMethod.CARD,
    }[pattern]
    missed = set(rng.sample(range(52), k=rng.randrange(3, 7))) if pattern == "arrears" else set()
    if pattern == "demo":
        missed = {3, 1}  # the last two weeks before this one, so the arrears are recent and explainable
    for weeks_ago in range(51, -1, -1):
        monday = last_monday - timedelta(weeks=weeks_ago)
        post(TransactionKind.CHARGE, weekly, monday, "Rent", None)
        if weeks_ago in missed:
            continue
        paid_on = monday + timedelta(days=rng.randrange(0, 3))
        if paid_on > anchor:
            continue
        amount = weekly
        if pattern == "credit":
            amount = weekly + Decimal(rng.randrange(100, 400)) / 100
        elif pattern == "arrears" and rng.random() < 0.3:
            amount = (weekly * Decimal("0.5")).quantize(Decimal("0.01"))
        post(
            TransactionKind.PAYMENT,
            -amount,
            paid_on,
            f"Payment by {method.value.replace('_', ' ')}",
            method.value,
        )
    return rows


def _book_next(session: Session, repair: RepairJob, tenancy_reference: str, at: datetime) -> None:
    offered = appointments.next_free_slots(session=session, tenancy_reference=tenancy_reference, count=1, now=at)
    if offered:
        repairs.book_appointment(
            session=session, reference=repair.reference, slot_id=offered[0].id, actor=ACTOR, now=at
        )


def _create_repairs(session: Session, rng: random.Random, lettings: list[Tenancy], anchor_at: datetime) -> None:
    demo, others = lettings[0], lettings[1:]
    # Demo tenant: one completed repair from the spring, one routine repair booked for next week.
    reported = anchor_at - timedelta(days=190)
    done = repairs.create(
        session=session,
        tenancy_reference=demo.reference,
        item="tap",
        location="kitchen",
        description="Kitchen cold tap dripping constantly.",
        priority=Priority.ROUTINE,
        actor=ACTOR,
        now=reported,
    )
    repairs.update(
        session=session,
        reference=done.reference,
        status=RepairStatus.COMPLETED,
        actor=ACTOR,
        now=reported + timedelta(days=9),
    )
    fan = repairs.create(
        session=session,
        tenancy_reference=demo.reference,
        item="extractor fan",
        location="bathroom",
        description="Bathroom extractor fan has stopped working.",
        priority=Priority.ROUTINE,
        actor=ACTOR,
        now=anchor_at - timedelta(days=2),
    )
    _book_next(session, fan, demo.reference, anchor_at)

    # Twelve open repairs from the last three weeks (some booked, some started), eighteen closed older ones.
    for index, tenancy in enumerate(others[:30]):
        item, location, description, priority = REPAIR_EXAMPLES[rng.randrange(len(REPAIR_EXAMPLES))]
        still_open = index < 12
        days_ago = rng.randrange(1, 21) if still_open else rng.randrange(30, 330)
        at = anchor_at - timedelta(days=days_ago, hours=rng.randrange(0, 8))
        job = repairs.create(
            session=session,
            tenancy_reference=tenancy.reference,
            item=item,
            location=location,
            description=description,
            priority=priority,
            actor=ACTOR,
            now=at,
        )
        if not still_open:
            final = RepairStatus.CANCELLED if index % 6 == 0 else RepairStatus.COMPLETED
            closed_at = at + timedelta(days=rng.randrange(1, 20))
            repairs.update(session=session, reference=job.reference, status=final, actor=ACTOR, now=closed_at)
        elif index % 3 == 0:
            _book_next(session, job, tenancy.reference, anchor_at)
        elif index % 3 == 1:
            repairs.update(
                session=session,
                reference=job.reference,
                status=RepairStatus.IN_PROGRESS,
                actor=ACTOR,
                now=anchor_at,
            )


def _create_casework(session: Session, lettings: list[Tenancy], anchor_at: datetime) -> None:
    hazards.create(
        session=session,
        tenancy_reference=lettings[5].reference,
        severity=HazardSeverity.SIGNIFICANT,
        description="Black mould spreading on the bedroom ceiling and behind the wardrobe.",
        rooms=["bedroom", "bathroom"],
        extent=HazardExtent.MODERATE,
        occupants="Two adults and a baby aged 8 months",
        health_effects="Baby has a persistent cough",
        actor=ACTOR,
        now=anchor_at - timedelta(days=3),
    )
    complaints.create(
        session=session,
        tenancy_reference=lettings[7].reference,
        what_happened="The operative did not turn up for two booked appointments and nobody rang me.",
        desired_outcome="An apology and the repair done on a day I am told in advance.",
        actor=ACTOR,
        now=anchor_at - timedelta(days=1),
    )


def _summary(session: Session, created: bool) -> SeedSummary:
    def count(model: Any, *criteria: Any) -> int:
        return int(session.execute(select(func.count()).select_from(model).where(*criteria)).scalar_one())

    open_statuses = (RepairStatus.REPORTED, RepairStatus.BOOKED, RepairStatus.IN_PROGRESS)
    demo = tenancies.get_or_raise(session=session, reference=DEMO_TENANT.tenancy_reference)
    return SeedSummary(
        created=created,
        anchor=local_date(demo.created_at),
        properties=count(Property),
        tenants=count(Tenant),
        tenancies=count(Tenancy),
        rent_transactions=count(RentTransaction),
        open_repairs=count(RepairJob, RepairJob.status.in_(open_statuses)),
        closed_repairs=count(RepairJob, RepairJob.status.not_in(open_statuses)),
        available_homes=count(AvailableHome),
    )


def seed_demo(session_factory: Callable[[], Session], *, today: date | None = None) -> SeedSummary:
    """Fill the database with the demo landlord, once; later runs change nothing and report what is there.

    Args:
        session_factory: A factory from `bot.housing.db.make_session_factory` for a migrated database.
        today: The anchor day for all dates; today in England when None.

    Returns:
        Counts of what the database holds, the staff logins and the demo tenant.

    """
    with session_scope(session_factory) as session:
        if tenancies.get(session=session, reference=DEMO_TENANT.tenancy_reference) is not None:
            return _summary(session, created=False)
        anchor = today or local_date(datetime.now(LONDON))
        anchor_at = _anchor_moment(anchor)
        rng = random.Random(SEED)

        for login in DEMO_LOGINS:
            if staff.get(session=session, username=login.username) is None:
                staff.create(
                    session=session,
                    username=login.username,
                    display_name=login.display_name,
                    role=login.role,
                    password=login.password,
                    actor=ACTOR,
                    now=anchor_at,
                )

        homes_built = _create_properties(session, rng, anchor_at)
        people = _create_tenants(session, rng, anchor, anchor_at)
        taken: set[str] = set()
        lettings: list[Tenancy] = []
        person = 0
        # 45 homes let (15 of them jointly, so 60 tenants), 5 empty and advertised.
        for index, home in enumerate(homes_built[:45]):
            household = [people[person].id]
            person += 1
            if index % 3 == 2 and person < len(people):
                household.append(people[person].id)
                person += 1
            reference = DEMO_TENANT.tenancy_reference if index == 0 else ""
            while not reference or reference in taken:
                reference = f"TN{rng.randrange(100000, 200000)}"
            taken.add(reference)
            start = anchor - timedelta(days=rng.randrange(400, 6000))
            lettings.append(
                tenancies.create(
                    session=session,
                    reference=reference,
                    property_id=home.id,
                    tenant_ids=household,
                    start_date=start,
                    weekly_rent=_weekly_rent(rng, home.bedrooms),
                    actor=ACTOR,
                    now=anchor_at,
                )
            )

        patterns = ["steady", "steady", "credit", "arrears"]
        for index, tenancy in enumerate(lettings):
            account = session.execute(select(RentAccount).where(RentAccount.tenancy_id == tenancy.id)).scalar_one()
            pattern = "demo" if index == 0 else patterns[rng.randrange(len(patterns))]
            rows = _rent_history(rng, account.id, tenancy.weekly_rent, pattern, anchor, anchor_at)
            session.execute(insert(RentTransaction.__table__), rows)
            account.balance = rows[-1]["balance_after"]

        for home in homes_built[45:]:
            homes.create(
                session=session,
                area=home.area,
                bedrooms=home.bedrooms,
                property_type=home.property_type,
                weekly_rent=_weekly_rent(rng, home.bedrooms),
                available_from=anchor + timedelta(days=rng.randrange(7, 42)),
                summary=f"{home.bedrooms}-bedroom {home.property_type.value} in {home.area}",
                property_id=home.id,
                now=anchor_at,
            )

        _create_repairs(session, rng, lettings, anchor_at)
        _create_casework(session, lettings, anchor_at)
        session.flush()
        return _summary(session, created=True)
