"""Who the simulated tenants are: the demo landlord's tenants, and more of them added to the bench's own database.

A tenant texts about one thing and goes; the next conversation is another tenant, or the same one days later, in
a new Rasa session. Replaying every conversation of a run as one tenant, in one session that never ends, measures
something else: Rasa loads, featurises and sends to the action server the whole session on every turn, so each
message costs more than the one before (docs/bench.md, "Conversations and sessions"). So every conversation of
a run is held by a tenant who has not texted in this run yet, drawn in turn from a `TenantPool`.

The demo landlord has 60 tenants with phones; the bench adds `BENCH_TENANTS` more to its private copy of the
housing database (never to a real one), each with a home, a tenancy and a rent account, so that a run at the
default levels and length never needs to hand a tenant a second conversation.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from bot.housing import properties, tenancies, tenants
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import PropertyType

BENCH_TENANTS = 400
"""How many tenants the bench adds; a 20 s run at 1, 10 and 50 conversations holds about 150 conversations."""
FIRST_BENCH_NUMBER = 100
"""Bench tenants text from +447700900100 up: Ofcom keeps 07700 900000-900999 for fiction, demo tenants use 001-060."""
LAST_BENCH_NUMBER = 999
BENCH_ACTOR = "bench"
BENCH_SEED = 7


def bench_phone(index: int) -> str:
    """Return the phone number of bench tenant `index` (from 0).

    Raises:
        ValueError: If the index is outside the numbers kept for the bench.
    """
    number = FIRST_BENCH_NUMBER + index
    if index < 0 or number > LAST_BENCH_NUMBER:
        raise ValueError(f"bench tenant {index} has no number: at most {LAST_BENCH_NUMBER - FIRST_BENCH_NUMBER + 1}")
    return f"+447700900{number:03d}"


def add_tenants(database: Path, count: int = BENCH_TENANTS) -> None:
    """Add `count` tenants to the SQLite housing database at `database`, each renting a flat of their own.

    Raises:
        ValueError: If `count` is negative or more than the numbers kept for the bench.
    """
    if count < 0:
        raise ValueError(f"cannot add {count} tenants")
    if count:
        bench_phone(count - 1)  # refuses a count beyond the numbers kept for the bench
    rng = random.Random(BENCH_SEED)
    now = datetime.now(timezone.utc)
    engine = create_engine_for(f"sqlite:///{database}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            for index in range(count):
                home = properties.create(
                    session=session,
                    address_line1=f"Flat {index + 1}, Bench House",
                    town="Leeds",
                    postcode="LS9 7QT",
                    area="Harehills",
                    bedrooms=1,
                    property_type=PropertyType.FLAT,
                    now=now,
                )
                person = tenants.create(
                    session=session,
                    first_name="Bench",
                    last_name=f"Tenant {index + 1}",
                    date_of_birth=date(rng.randrange(1940, 2004), rng.randrange(1, 13), rng.randrange(1, 29)),
                    phone=bench_phone(index),
                    actor=BENCH_ACTOR,
                    now=now,
                )
                tenancies.create(
                    session=session,
                    reference=f"TN{900000 + index}",
                    property_id=home.id,
                    tenant_ids=[person.id],
                    start_date=now.date() - timedelta(days=rng.randrange(100, 3000)),
                    weekly_rent=Decimal(95) + rng.randrange(0, 40),
                    actor=BENCH_ACTOR,
                    now=now,
                )
    finally:
        engine.dispose()


class TenantPool:
    """Hands each new conversation a tenant who has not texted yet in this run; starts over only when all have."""

    def __init__(self, people: list[tuple[str, date]]) -> None:
        """Create the pool of (phone, date of birth) pairs, handed out in this order.

        Raises:
            ValueError: If `people` is empty or names a phone twice.
        """
        if not people:
            raise ValueError("the tenant pool needs at least one tenant")
        if len({phone for phone, _ in people}) != len(people):
            raise ValueError("the tenant pool names a phone twice")
        self._people = list(people)
        self.size = len(people)
        self.handed_out = 0

    def next(self) -> tuple[str, date]:
        """Return the next tenant; after the last one, the first again (their session then carries on)."""
        person = self._people[self.handed_out % self.size]
        self.handed_out += 1
        return person

    @property
    def reused(self) -> int:
        """How many conversations went to a tenant who had already held one in this run."""
        return max(0, self.handed_out - self.size)
