"""Deterministic safety triage run in front of the ML model on every tenant message."""

from bot.safety.triage import Danger, TriageResult, triage, triage_all

__all__ = ["Danger", "TriageResult", "triage", "triage_all"]
