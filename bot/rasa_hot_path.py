"""Two pieces of per-turn work Rasa 3.6 repeats on every message, done once instead.

A profile of the Rasa server under the bench's SMS load (py-spy, 10 conversations, docs/bench.md) found two costs
that have nothing to do with understanding a message:

- **Checking the action server's answer.** `RemoteAction._validate_action_result` calls `jsonschema.validate` with
  the response schema on every custom action call. `validate` first checks the *schema itself* against the JSON
  Schema meta-schema, then builds a new validator, then validates; the meta-schema check is most of it. It was 11%
  of the server's CPU time. The schema is a constant (`RemoteAction.action_response_format_spec`), so we check it
  once, keep the validator and validate each answer with it: the same errors, with Rasa's hint appended as before.
- **Finding an event's class by its name.** `Event.resolve_by_type` walks every subclass of `Event` (recursively,
  calling `inspect.isabstract` on each) for every event it deserialises, and the tracker store deserialises the
  whole conversation on each turn: 6% of the CPU time. We keep a table from type name to class, built in the order
  Rasa searches (so the same class wins when two share a name) and rebuilt once when a name is missing from it, in
  case an event class was imported after the table was built.

`install()` is called by every messaging channel at start-up next to the NLU patch (`bot.rasa_patches`);
`uninstall()` restores Rasa's methods, which the bench uses to measure what this buys (`--without hot-path`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import rasa
import rasa.shared.utils.common
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event

from bot.rasa_patches import SUPPORTED_RASA  # the Rasa series every replacement of ours was written against

logger = logging.getLogger(__name__)

DOCS_HINT = (
    ". Failed to validate Action server response from API, make sure your response from the Action endpoint is "
    "valid. For more information about the format visit {docs}/custom-actions"
)
"""What Rasa appends to a validation error's message (rasa/core/actions/action.py), kept word for word."""

_ORIGINAL_VALIDATE = RemoteAction._validate_action_result
_ORIGINAL_RESOLVE = Event.resolve_by_type

_lock = threading.Lock()
_validator: Any = None
_event_types: dict[str, type[Event]] = {}


def _response_validator() -> Any:
    """Return the validator for action server answers, the schema checked once on first use."""
    global _validator
    with _lock:
        if _validator is None:
            schema = RemoteAction.action_response_format_spec()
            cls = validator_for(schema)
            cls.check_schema(schema)
            _validator = cls(schema)
        return _validator


def _validate_once_checked(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Validate an action server answer against Rasa's response schema, raising Rasa's error if it is invalid."""
    from rasa.shared.constants import DOCS_BASE_URL

    error = best_match(_response_validator().iter_errors(result))  # the error `jsonschema.validate` would raise
    if error is not None:
        error.message += DOCS_HINT.format(docs=DOCS_BASE_URL)
        raise error
    return True


def _build_event_table() -> dict[str, type[Event]]:
    table: dict[str, type[Event]] = {}
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        table.setdefault(cls.type_name, cls)  # Rasa returns the first match in this order
    return table


def _resolve_from_table(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Return the event class named `type_name`, as `Event.resolve_by_type` does, from a table built once."""
    global _event_types
    found = _event_types.get(type_name)
    if found is None:
        _event_types = _build_event_table()  # a class imported since the table was built, or a real miss
        found = _event_types.get(type_name)
    if found is not None:
        return found
    return _ORIGINAL_RESOLVE(type_name, default)  # Rasa's own answer for unknown names ("topic", default, error)


def installed() -> bool:
    """Return whether both replacements are in place."""
    return RemoteAction._validate_action_result is _validate_once_checked and (
        Event.resolve_by_type is _resolve_from_table
    )


def install(version: str | None = None) -> bool:
    """Put both replacements in place (idempotent).

    Args:
        version: The Rasa version to check (default: the installed one).

    Returns:
        Whether they are in place: for a Rasa outside the 3.6 series nothing is changed and a warning says so.
    """
    version = version or rasa.__version__
    if not version.startswith(SUPPORTED_RASA):
        logger.warning("Rasa %s: hot-path replacements are written for Rasa %sx; left out", version, SUPPORTED_RASA)
        return False
    RemoteAction._validate_action_result = _validate_once_checked
    Event.resolve_by_type = staticmethod(_resolve_from_table)
    return True


def uninstall() -> None:
    """Restore Rasa's own methods."""
    RemoteAction._validate_action_result = _ORIGINAL_VALIDATE
    Event.resolve_by_type = staticmethod(_ORIGINAL_RESOLVE)
