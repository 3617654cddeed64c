"""Errors raised by the housing services; the edges translate them (to a response, a 404, a status code).

Every class says when it is raised. Catch the broad classes (`NotFound`, `InvalidInput`, `Conflict`,
`AccessDenied`) at an edge that only needs the category, and the specific ones where the reply differs.
"""

from __future__ import annotations

from datetime import datetime


class HousingError(Exception):
    """Raised when a housing service cannot do what it was asked; the base of every error here."""


# --- not found ---


class NotFound(HousingError):
    """Raised when a record asked for by reference or id does not exist."""


class TenancyNotFound(NotFound):
    """Raised when no tenancy has the given TN reference or id."""


class TenantNotFound(NotFound):
    """Raised when no tenant has the given id."""


class PropertyNotFound(NotFound):
    """Raised when no property has the given id."""


class RentAccountNotFound(NotFound):
    """Raised when a tenancy has no rent account."""


class RepairNotFound(NotFound):
    """Raised when no repair job has the given REP reference."""


class SlotNotFound(NotFound):
    """Raised when no appointment slot has the given id."""


class AttachmentNotFound(NotFound):
    """Raised when no attachment has the given id."""


class HazardCaseNotFound(NotFound):
    """Raised when no hazard case has the given HAZ reference."""


class ComplaintNotFound(NotFound):
    """Raised when no complaint has the given CMP reference."""


class AsbCaseNotFound(NotFound):
    """Raised when no anti-social behaviour case has the given ASB reference."""


class WelfareConcernNotFound(NotFound):
    """Raised when no welfare concern has the given WEL reference."""


class FeedbackNotFound(NotFound):
    """Raised when no feedback has the given FBK reference."""


class ContactChangeNotFound(NotFound):
    """Raised when no contact-detail change request has the given CON reference."""


class TenancyEndNotFound(NotFound):
    """Raised when no tenancy-end request has the given END reference."""


class IncomeTaskNotFound(NotFound):
    """Raised when no income-team task has the given INC reference."""


class AvailableHomeNotFound(NotFound):
    """Raised when no advertised home has the given id."""


class ConversationNotFound(NotFound):
    """Raised when no conversation has the given sender id."""


class HandoffNotFound(NotFound):
    """Raised when no handoff has the given HND reference."""


class StaffUserNotFound(NotFound):
    """Raised when no member of staff has the given username or id."""


class ChannelIdentityNotFound(NotFound):
    """Raised when no channel identity exists for the given channel and address."""


class OutboxMessageNotFound(NotFound):
    """Raised when no outbox message has the given id or provider id."""


class InboxItemNotFound(NotFound):
    """Raised when no NLU inbox item has the given id."""


# --- invalid input ---


class InvalidInput(HousingError):
    """Raised when a value given to a service is malformed, missing or out of range; nothing is written."""


class InvalidPostcode(InvalidInput):
    """Raised when a postcode is not in a valid UK format."""


class InvalidTenancyReference(InvalidInput):
    """Raised when a tenancy reference is not TN followed by six digits."""


class InvalidReference(InvalidInput):
    """Raised when a case reference (REP-004217K) is malformed, or its prefix or check letter is wrong."""


class InvalidPhoneNumber(InvalidInput):
    """Raised when a phone number cannot be read as a valid E.164 (or UK national) number."""


class InvalidEmail(InvalidInput):
    """Raised when an email address is not plausibly deliverable (no @, no domain, spaces)."""


class InvalidName(InvalidInput):
    """Raised when a person's name is blank or too long."""


class EmptyDescription(InvalidInput):
    """Raised when a required description or other free-text answer is blank."""


class TextTooLong(InvalidInput):
    """Raised when a free-text answer is longer than its field allows."""


class DateInPast(InvalidInput):
    """Raised when a date or time that must be today or later (an end date, an appointment) is in the past."""


class InvalidDate(InvalidInput):
    """Raised when dates contradict each other or are implausible (an end before its start)."""


class InvalidAmount(InvalidInput):
    """Raised when a sum of money is not positive where it must be, is a float, or is not whole pence."""


class InvalidChoice(InvalidInput):
    """Raised when a value is not one of a field's allowed choices (e.g. an unknown priority)."""


class InvalidAttachment(InvalidInput):
    """Raised when an attachment has an unsupported type, an impossible size or a malformed checksum."""


class WeakPassword(InvalidInput):
    """Raised when a new staff password is too short or too common."""


# --- conflicts with the current state ---


class Conflict(HousingError):
    """Raised when a request is well-formed but conflicts with the record's current state."""


class SlotUnavailable(Conflict):
    """Raised when an appointment slot is full, closed or in the past at the moment of booking."""


class AlreadyClaimed(Conflict):
    """Raised when a member of staff claims a handoff that someone already holds or that is closed."""


class InvalidStatusTransition(Conflict):
    """Raised when a record cannot move from its current status to the one requested."""


class AlreadyEscalated(Conflict):
    """Raised when escalating a complaint that is already at stage 2, the last stage."""


class ExtensionLimitExceeded(Conflict):
    """Raised when a complaint extension would take the stage past the Code's 10 working days."""


class DuplicateRecord(Conflict):
    """Raised when creating a record whose unique key (a username, a payment id) already exists."""


class TenancyEnded(Conflict):
    """Raised when a request needs a current tenancy but the tenancy has ended."""


class NotBooked(Conflict):
    """Raised when cancelling or moving an appointment on a repair that has none."""


# --- access ---


class AccessDenied(HousingError):
    """Raised when a caller is not allowed to do what they asked."""


class InvalidCredentials(AccessDenied):
    """Raised when a staff username or password is wrong (the message never says which)."""


class AccountLocked(AccessDenied):
    """Raised when a staff account is locked after repeated failed sign-ins, or disabled."""

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        """Keep when the lock ends so the console can say so."""
        super().__init__(message)
        self.locked_until = locked_until


class OptedOut(AccessDenied):
    """Raised when queueing a message to an address that has opted out (SMS STOP)."""
