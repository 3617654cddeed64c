"""The kinds of danger the safety triage recognises, and the shape of a vocabulary rule.

Order of seriousness (used when one message names several dangers): a danger flagged as immediate
always outranks one that is not; among equals the order is the order of `RANK` below.

1. FIRE: spreads in minutes and threatens everyone in the building.
2. GAS: explosion risk for the whole building.
3. CARBON_MONOXIDE: kills silently; it has no smell, so the report itself is the only warning.
4. SELF_HARM, PERSON_AT_RISK, CHILD_AT_RISK, DOMESTIC_ABUSE: a named person's life or safety.
   Children come before domestic abuse because a report that mentions both ("he hits the kids") must
   lead with the child.
5. ELECTRICAL: shock and fire risk, usually contained to one home.
6. FLOOD, then SEWAGE: damage and health hazard; electrics in water are caught as FLOOD by design.
7. INSECURE_HOME: the home cannot be secured; dangerous, but rarely to life within the hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Danger(str, Enum):
    """A kind of danger to a tenant, their household or their home."""

    GAS = "gas"
    CARBON_MONOXIDE = "carbon_monoxide"
    FIRE = "fire"
    ELECTRICAL = "electrical"
    FLOOD = "flood"
    SEWAGE = "sewage"
    INSECURE_HOME = "insecure_home"
    DOMESTIC_ABUSE = "domestic_abuse"
    SELF_HARM = "self_harm"
    CHILD_AT_RISK = "child_at_risk"
    PERSON_AT_RISK = "person_at_risk"

    @property
    def category(self) -> str:
        """Return "welfare" for risks to a person and "emergency" for hazards in or to the home."""
        return "welfare" if self in _WELFARE else "emergency"

    @property
    def rank(self) -> int:
        """Return the position in the order of seriousness; 0 is the most serious."""
        return RANK.index(self)


_WELFARE = frozenset({Danger.DOMESTIC_ABUSE, Danger.SELF_HARM, Danger.CHILD_AT_RISK, Danger.PERSON_AT_RISK})

RANK: tuple[Danger, ...] = (
    Danger.FIRE,
    Danger.GAS,
    Danger.CARBON_MONOXIDE,
    Danger.SELF_HARM,
    Danger.PERSON_AT_RISK,
    Danger.CHILD_AT_RISK,
    Danger.DOMESTIC_ABUSE,
    Danger.ELECTRICAL,
    Danger.FLOOD,
    Danger.SEWAGE,
    Danger.INSECURE_HOME,
)


@dataclass(frozen=True)
class Rule:
    """One way a danger can be described, written in the phrase language of `bot.safety.patterns`.

    A rule fires when every pattern in `all_of` is found and the found words lie within `window`
    words of each other (in any order), unless one of the vetoes below applies.

    Attributes:
        danger: What the rule detects.
        name: Short label for reviews and test failures.
        all_of: Patterns that must all be present.
        window: Largest number of words the found patterns may span together.
        not_part_of: Phrases that void a hit when they overlap a found word ("gas bill", "fire door"):
            the word is part of a harmless compound. Other occurrences of the word still count.
        not_near: Context that voids a hit when it is within `reach` words ("low battery", "fixed").
        unless_also: Context that cancels `not_near` ("going off", "still"): recall wins.
        alone_with: When set, the rule fires only if every other word of a short message (six words at
            most) matches this pattern: "GAS!!", "gas help pls".
        negatable: Whether "no"/"not"/"never" just before a found pattern voids the hit.
        immediate: Whether a hit means danger to life right now (999 first).
        calm_near: Context within `reach` words that makes an immediate hit not immediate
            ("there was a fire last week").
        reach: How far `not_near` and `calm_near` look, in words, either side of the hit.
        yields_to: Dangers that take over this hit when the same message shows them too: a burning
            smell next to a socket is reported as electrical, not as a fire.
    """

    danger: Danger
    name: str
    all_of: tuple[str, ...]
    window: int = 8
    not_part_of: tuple[str, ...] = ()
    not_near: tuple[str, ...] = ()
    unless_also: tuple[str, ...] = ()
    alone_with: str = ""
    negatable: bool = True
    immediate: bool = False
    calm_near: tuple[str, ...] = ()
    reach: int = 8
    yields_to: tuple[Danger, ...] = ()
