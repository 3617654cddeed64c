"""What each staff role may do in the console: one table, read by every route.

Agents and supervisors work conversations; only the member of staff holding a conversation replies or changes
the tenant's records through it. Supervisors may also read any conversation's tenant record and the audit log,
and take over a conversation a colleague holds (a claim left stale when someone went home or fell ill).
Trainers read transcripts (to coach staff and improve the assistant) but never see tenants' records; they alone
label the NLU inbox, edit the training data and train and activate models. Anyone who reads transcripts as part of
casework may say which intent a tenant's message really meant, which puts it in the trainers' inbox. Admins look
after accounts and oversight: they read the audit log and do no casework.
"""

from __future__ import annotations

from enum import Enum

from bot.housing.enums import StaffRole


class Capability(str, Enum):
    """Something a route lets a member of staff do."""

    VIEW_QUEUE = "view_queue"
    VIEW_TRANSCRIPT = "view_transcript"
    WORK_CONVERSATIONS = "work_conversations"
    VIEW_ANY_RECORD = "view_any_record"
    VIEW_HELD_RECORD = "view_held_record"
    CHANGE_RECORDS = "change_records"
    VIEW_AUDIT = "view_audit"
    TAKE_OVER = "take_over"
    CORRECT_INTENTS = "correct_intents"
    TRAIN_ASSISTANT = "train_assistant"


ROLE_CAPABILITIES: dict[StaffRole, frozenset[Capability]] = {
    StaffRole.AGENT: frozenset(
        {
            Capability.VIEW_QUEUE,
            Capability.VIEW_TRANSCRIPT,
            Capability.WORK_CONVERSATIONS,
            Capability.VIEW_HELD_RECORD,
            Capability.CHANGE_RECORDS,
            Capability.CORRECT_INTENTS,
        }
    ),
    StaffRole.SUPERVISOR: frozenset(
        {
            Capability.VIEW_QUEUE,
            Capability.VIEW_TRANSCRIPT,
            Capability.WORK_CONVERSATIONS,
            Capability.VIEW_HELD_RECORD,
            Capability.VIEW_ANY_RECORD,
            Capability.CHANGE_RECORDS,
            Capability.VIEW_AUDIT,
            Capability.CORRECT_INTENTS,
            Capability.TAKE_OVER,
        }
    ),
    StaffRole.TRAINER: frozenset(
        {Capability.VIEW_QUEUE, Capability.VIEW_TRANSCRIPT, Capability.CORRECT_INTENTS, Capability.TRAIN_ASSISTANT}
    ),
    StaffRole.ADMIN: frozenset({Capability.VIEW_AUDIT}),
}


def can(role: StaffRole | str, capability: Capability) -> bool:
    """Return whether staff with `role` have `capability`; an unknown role has none."""
    try:
        return capability in ROLE_CAPABILITIES[StaffRole(role)]
    except ValueError:
        return False


def home_path(role: StaffRole | str) -> str:
    """Return the page a member of staff lands on after signing in."""
    if can(role, Capability.VIEW_QUEUE):
        return "/queue"
    if can(role, Capability.VIEW_AUDIT):
        return "/audit"
    return "/queue"
