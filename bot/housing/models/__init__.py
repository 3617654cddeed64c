"""Declarative models of the housing system of record, one module per group of concepts.

Only `bot.housing` may import these; everyone else goes through the service modules.
"""

from bot.housing.models.base import Base, metadata
from bot.housing.models.cases import (
    AsbCase,
    Complaint,
    ContactChangeRequest,
    Feedback,
    IncomeTask,
    TenancyEndRequest,
    WelfareConcern,
)
from bot.housing.models.codes import OneTimeCode
from bot.housing.models.homes import AvailableHome, Property, Tenancy, TenancyTenant
from bot.housing.models.messaging import Conversation, Handoff, InboundMessage, OutboxMessage
from bot.housing.models.people import ChannelIdentity, StaffUser, Tenant, VerificationAttempt
from bot.housing.models.records import AuditEntry, ReferenceCounter
from bot.housing.models.rent import RentAccount, RentTransaction
from bot.housing.models.repairs import AppointmentSlot, Attachment, HazardCase, RepairJob
from bot.housing.models.training import NluInboxCursor, NluInboxItem

__all__ = [
    "AppointmentSlot",
    "AsbCase",
    "Attachment",
    "AuditEntry",
    "AvailableHome",
    "Base",
    "ChannelIdentity",
    "Complaint",
    "ContactChangeRequest",
    "Conversation",
    "Feedback",
    "Handoff",
    "HazardCase",
    "InboundMessage",
    "IncomeTask",
    "NluInboxCursor",
    "NluInboxItem",
    "OneTimeCode",
    "OutboxMessage",
    "Property",
    "ReferenceCounter",
    "RentAccount",
    "RentTransaction",
    "RepairJob",
    "StaffUser",
    "Tenancy",
    "TenancyEndRequest",
    "TenancyTenant",
    "Tenant",
    "VerificationAttempt",
    "WelfareConcern",
    "metadata",
]
