"""Read and check the entity markup inside a training example.

The forms Rasa 3 reads from NLU YAML: `[text](entity)`, `[text](entity:value)` and
`[text]{"entity": "name", "value": "..."}`.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

_MARKUP = re.compile(r"\[(?P<text>[^\[\]]*)\](?:\((?P<short>[^()]*)\)|(?P<json>\{[^{}]*\}))")
_SHORT = re.compile(r"^(?P<entity>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<value>[^:]+))?$")
_ALLOWED_FORMAT = {"\u200d", "\u200c"}
"""Zero-width joiners hold emoji and some scripts together; every other invisible format character is refused."""

MAX_EXAMPLE = 500


@dataclass(frozen=True)
class Entity:
    """An entity marked in an example."""

    text: str
    entity: str


@dataclass(frozen=True)
class ParsedExample:
    """An example with its markup read: the plain text a tenant would type, and the entities marked in it."""

    plain: str
    entities: tuple[Entity, ...]
    problems: tuple[str, ...]


def tidy(text: str) -> str:
    """Return an example on one line: surrounding space removed and every run of white space made one space."""
    return " ".join(str(text or "").split())


def _character_problem(text: str) -> str | None:
    for char in text:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn") or (category == "Cf" and char not in _ALLOWED_FORMAT):
            return f"it contains an invisible or control character (U+{ord(char):04X}); retype it"
    return None


def _read_one(match: re.Match[str], known: frozenset[str]) -> tuple[Entity | None, str | None]:
    shown = match.group("text")
    if not shown.strip():
        return None, f"the marked text in {match.group(0)!r} is empty"
    if match.group("short") is not None:
        short = _SHORT.match(match.group("short").strip())
        if short is None:
            return None, f"{match.group(0)!r} does not name an entity the way [text](entity) does"
        name = short.group("entity")
    else:
        try:
            value = json.loads(match.group("json"))
        except json.JSONDecodeError:
            return None, f"{match.group(0)!r} has entity details that are not valid JSON"
        if not isinstance(value, dict) or not isinstance(value.get("entity"), str):
            return None, f'{match.group(0)!r} must name its entity, like [text]{{"entity": "location"}}'
        name = value["entity"]
    if name not in known:
        allowed = ", ".join(sorted(known)) or "none"
        return None, f"{match.group(0)!r} marks an entity {name!r} the assistant does not have (it has: {allowed})"
    return Entity(text=shown, entity=name), None


def parse(text: str, known_entities: frozenset[str]) -> ParsedExample:
    """Read an example's entity markup, and say in plain words what is wrong with it, if anything.

    Args:
        text: The example as it would appear in the YAML file.
        known_entities: The entities the assistant's domain declares.

    Returns:
        The plain text, the entities and the problems (empty when the example can be saved).
    """
    problems: list[str] = []
    entities: list[Entity] = []
    if not text:
        problems.append("the example is empty")
    elif len(text) > MAX_EXAMPLE:
        problems.append(f"the example is {len(text)} characters long; keep it under {MAX_EXAMPLE}")
    character = _character_problem(text)
    if character:
        problems.append(character)

    def plain_text(match: re.Match[str]) -> str:
        entity, problem = _read_one(match, known_entities)
        if problem:
            problems.append(problem)
        if entity:
            entities.append(entity)
        return match.group("text")

    plain = _MARKUP.sub(plain_text, text)
    if any(mark in plain for mark in "[]"):
        problems.append(
            "the entity markup is broken: mark a word as [word](entity), with nothing between ] and (, "
            "or leave out the square brackets"
        )
    return ParsedExample(plain=plain, entities=tuple(entities), problems=tuple(problems))


def normalised(plain: str) -> str:
    """Return the form two examples are compared in: case, punctuation and spacing ignored (emoji count).

    A message of punctuation alone ("?", ",,,,") is compared as it is, since it has nothing else.
    """
    folded = unicodedata.normalize("NFKC", plain).casefold()
    kept = "".join(" " if unicodedata.category(char)[0] in "PZC" else char for char in folded)
    return " ".join(kept.split()) or " ".join(folded.split())
