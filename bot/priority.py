"""Assess a repair's priority from what the tenant reported, following DOMAIN.md's "Repair priorities" table.

Emergencies (gas, fire, sparking electrics, flooding...) are caught earlier by the safety triage and logged by the
emergency flow; this assessment decides between urgent and routine for everything else, and still returns
EMERGENCY for the emergency examples of the table that reach the repair form (an only toilet that can't be used,
no power or water at all) so nothing dangerous is logged as routine. The vulnerability uplift is applied by the
housing service when the job is created.
"""

from __future__ import annotations

import re

from bot.clocks.repairs import Priority

# Each pattern is matched against "item location description", lower-cased. Order matters: first match wins.
EMERGENCY_PATTERNS = (
    r"\bonly\s+(?:toilet|loo|wc)\b.*\b(?:block|broken|not\s+work|won'?t\s+flush|unusable|overflow)",
    r"\b(?:toilet|loo|wc)\b.*\bonly\s+(?:one|toilet)\b",
    r"\bno\s+(?:power|electric(?:s|ity)?|lecky)\s+(?:at\s+all|anywhere|in\s+the\s+(?:whole|entire))",
    r"\b(?:all|whole|entire)\s+(?:flat|house|home|property)\b.*\bno\s+(?:power|electric(?:s|ity)?)",
    r"\bno\s+(?:water\s+at\s+all|running\s+water|water\s+supply)\b",
    r"\bcan'?t\s+(?:lock|secure|shut|close)\s+(?:the\s+|my\s+|our\s+)?(?:front|back)\s+door\b",
)
URGENT_PATTERNS = (
    r"\bno\s+(?:heat(?:ing)?|hot\s+water)\b",
    r"\b(?:heating|hot\s+water)\b.*\b(?:not|isn'?t|won'?t|stopped|broke|off|gone|packed\s+up)",
    r"\bboiler\b.*\b(?:not|isn'?t|won'?t|stopped|broke|off|gone|packed\s+up|leak|pressure|error|fault)",
    r"\bboiler\b",
    r"\bblock(?:ed|age)\b.*\b(?:sink|bath|shower|toilet|loo|drain|wc)\b",
    r"\b(?:sink|bath|shower|toilet|loo|drain|wc)\b.*\bblock(?:ed|age)?\b",
    r"\b(?:entry\s*phone|intercom|buzzer|door\s+entry)\b",
    r"\blift\b",
    r"\b(?:some|half|upstairs|downstairs)\b.*\b(?:no\s+)?(?:power|lights?|sockets?)\b.*\b(?:not|off|out|gone|tripp)",
    r"\b(?:sockets?|lights?)\b.*\b(?:tripp|keeps\s+going\s+off|no\s+power)",
    r"\b(?:toilet|loo|wc)\b.*\b(?:won'?t\s+flush|not\s+flush|broken|leak)",
    r"\bleak(?:ing|s)?\b",
    r"\b(?:cooker|oven)\b.*\b(?:not|won'?t|broken)",
)


def assess_priority(item: str, location: str, description: str) -> Priority:
    """Return the priority a report deserves before any vulnerability uplift.

    Args:
        item: What is broken ("boiler").
        location: Where ("kitchen").
        description: The tenant's own words.

    Returns:
        EMERGENCY, URGENT or ROUTINE per DOMAIN.md's table.
    """
    text = " ".join(f"{item} {location} {description}".lower().split())
    if any(re.search(pattern, text) for pattern in EMERGENCY_PATTERNS):
        return Priority.EMERGENCY
    if any(re.search(pattern, text) for pattern in URGENT_PATTERNS):
        return Priority.URGENT
    return Priority.ROUTINE
