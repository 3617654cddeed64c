"""Fixed vocabularies of the housing records, shared by the models, the services and their callers.

These are plain `str` Enums so callers (actions, channels, the console) can import them without touching
SQLAlchemy. Repair priority and hazard severity belong to the statutory clocks and are re-exported from there.
"""

from __future__ import annotations

from enum import Enum

from bot.clocks.hazards import HazardSeverity
from bot.clocks.repairs import Priority

__all__ = [
    "AsbCategory",
    "CaseStatus",
    "Channel",
    "ComplaintStatus",
    "ContactField",
    "FeedbackKind",
    "HandoffReason",
    "HandoffStatus",
    "HazardExtent",
    "HazardSeverity",
    "HazardStatus",
    "HazardType",
    "HomeStatus",
    "IncomeTaskKind",
    "InboxReason",
    "InboxStatus",
    "OutboxStatus",
    "PaymentMethod",
    "Priority",
    "PropertyType",
    "RepairStatus",
    "RequestStatus",
    "SlotPeriod",
    "StaffRole",
    "TenancyEndReason",
    "TransactionKind",
    "Urgency",
    "VerificationStatus",
]


class Channel(str, Enum):
    """A messaging channel a tenant can reach us on."""

    SMS = "sms"
    WHATSAPP = "whatsapp"
    TELEGRAM = "telegram"


class PropertyType(str, Enum):
    """The kind of home."""

    FLAT = "flat"
    HOUSE = "house"
    BUNGALOW = "bungalow"
    MAISONETTE = "maisonette"
    BEDSIT = "bedsit"


class TransactionKind(str, Enum):
    """What moved a rent account's balance."""

    CHARGE = "charge"
    PAYMENT = "payment"
    ADJUSTMENT = "adjustment"


class PaymentMethod(str, Enum):
    """How a rent payment reached us."""

    CARD = "card"
    DIRECT_DEBIT = "direct_debit"
    STANDING_ORDER = "standing_order"
    BANK_TRANSFER = "bank_transfer"
    HOUSING_BENEFIT = "housing_benefit"
    UNIVERSAL_CREDIT = "universal_credit"
    CASH = "cash"


class RepairStatus(str, Enum):
    """Where a repair job is in its life."""

    REPORTED = "reported"
    BOOKED = "booked"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class SlotPeriod(str, Enum):
    """Half of a working day in which an operative can call."""

    AM = "AM"
    PM = "PM"


class HazardType(str, Enum):
    """The kind of hazard; phase 1 of Awaab's Law covers damp and mould, emergencies cover every kind."""

    DAMP_MOULD = "damp_mould"
    OTHER = "other"


class HazardExtent(str, Enum):
    """How much of the home a hazard affects, as the tenant describes it."""

    SMALL = "small"
    MODERATE = "moderate"
    EXTENSIVE = "extensive"


class HazardStatus(str, Enum):
    """Where a hazard case is in its Awaab's Law life."""

    REPORTED = "reported"
    INVESTIGATED = "investigated"
    MADE_SAFE = "made_safe"
    CLOSED = "closed"


class ComplaintStatus(str, Enum):
    """Where a complaint is within its current stage."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    CLOSED = "closed"


class AsbCategory(str, Enum):
    """Kinds of anti-social behaviour a tenant can report."""

    NOISE = "noise"
    HARASSMENT = "harassment"
    THREATS = "threats"
    HATE = "hate"
    VIOLENCE = "violence"
    DRUGS = "drugs"
    VANDALISM = "vandalism"
    FLY_TIPPING = "fly_tipping"
    DOG_FOULING = "dog_fouling"
    NUISANCE = "nuisance"
    OTHER = "other"


class CaseStatus(str, Enum):
    """Life of a simple case (anti-social behaviour, welfare concern, income task)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Urgency(str, Enum):
    """How fast a person must act, most urgent first."""

    EMERGENCY = "emergency"
    HIGH = "high"
    NORMAL = "normal"


class FeedbackKind(str, Enum):
    """What a piece of feedback is."""

    COMPLIMENT = "compliment"
    SUGGESTION = "suggestion"
    COMMENT = "comment"


class ContactField(str, Enum):
    """A contact detail a tenant can ask to change."""

    PHONE = "phone"
    EMAIL = "email"
    NAME = "name"


class RequestStatus(str, Enum):
    """Life of a request that staff act on (contact change, tenancy end)."""

    PENDING = "pending"
    APPLIED = "applied"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class TenancyEndReason(str, Enum):
    """Why a tenancy is ending."""

    MOVING = "moving"
    TRANSFER = "transfer"
    CARE = "care"
    BEREAVEMENT = "bereavement"
    OTHER = "other"


class HomeStatus(str, Enum):
    """Whether an advertised home can still be applied for."""

    AVAILABLE = "available"
    LET = "let"
    WITHDRAWN = "withdrawn"


class HandoffStatus(str, Enum):
    """Life of a handoff to a person."""

    WAITING = "waiting"
    CLAIMED = "claimed"
    CLOSED = "closed"


class HandoffReason(str, Enum):
    """Why a conversation was handed to a person."""

    REQUEST_HUMAN = "request_human"
    EMERGENCY = "emergency"
    WELFARE = "welfare"
    BEREAVEMENT = "bereavement"
    FALLBACK = "fallback"
    ARREARS_CALLBACK = "arrears_callback"


class IncomeTaskKind(str, Enum):
    """Work for the income (rent) team."""

    PAYMENT_PLAN = "payment_plan"
    MONEY_ADVICE_CALLBACK = "money_advice_callback"


class StaffRole(str, Enum):
    """What a member of staff may do in the console."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"
    ADMIN = "admin"


class VerificationStatus(str, Enum):
    """Outcome of one identity check."""

    VERIFIED = "verified"
    FAILED = "failed"
    LOCKED = "locked"


class InboundStatus(str, Enum):
    """Life of an incoming message: any replica may claim a received one, or one whose lease has run out."""

    RECEIVED = "received"
    PROCESSING = "processing"
    DONE = "done"


class OutboxStatus(str, Enum):
    """Life of an outgoing message."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"


class InboxReason(str, Enum):
    """Why a tenant's message landed in the trainers' NLU inbox."""

    LOW_CONFIDENCE = "low_confidence"
    FALLBACK = "fallback"
    CORRECTED = "corrected"


class InboxStatus(str, Enum):
    """Where an NLU inbox item is: waiting for a trainer, or decided."""

    NEW = "new"
    CONFIRMED = "confirmed"
    RELABELLED = "relabelled"
    DISCARDED = "discarded"
