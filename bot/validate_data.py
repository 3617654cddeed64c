"""Run `rasa data validate` and fail on every warning that points at a real problem.

Rasa warns that a response "is not used in any story or rule" even when a custom action sends it by name, and
warns of a "duplicated" retrieval intent when the domain is split into several files. Both are noise here, but a
blanket `--fail-on-warnings` cannot be used because of them. This check keeps them out only when they really are
noise: an unused response passes only if an action in `actions/` names it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

UNUSED_RESPONSE = re.compile(r"The utterance '([^']+)' is not used in any story or rule")
RETRIEVAL_DUPLICATE = re.compile(
    r"duplicated intents have been found across multiple domain files: faq(?:\s+More info|\s*$)"
)
WARNING_START = re.compile(r"UserWarning: (.*)")


def names_used_by_actions(root: Path) -> set[str]:
    """Return every quoted `utter_...` name in the action code."""
    names: set[str] = set()
    for path in (root / "actions").rglob("*.py"):
        names.update(re.findall(r"[\"'](utter_[A-Za-z0-9_/]+)[\"']", path.read_text(encoding="utf-8")))
    return names


def domain_slot_names(root: Path) -> set[str]:
    """Return every slot name declared in the domain directory."""
    import yaml

    names: set[str] = set()
    for path in (root / "domain").rglob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names.update((data.get("slots") or {}).keys())
    return names


def known_senders(root: Path) -> set[str]:
    """Return response names that something other than a story or rule sends.

    Custom actions send responses by name; forms ask for slot X with `utter_ask_X`; the ResponseSelector's
    `utter_faq` action sends the `utter_faq/...` answers.
    """
    return names_used_by_actions(root) | {f"utter_ask_{slot}" for slot in domain_slot_names(root)} | {"utter_faq"}


def real_problems(output: str, used_by_actions: set[str]) -> list[str]:
    """Return the warnings in `output` that are not known noise.

    Args:
        output: Combined stdout and stderr of `rasa data validate`.
        used_by_actions: Response names that custom actions send.

    Returns:
        One line per warning that needs fixing.
    """
    problems = []
    for line in output.splitlines():
        match = WARNING_START.search(line)
        if not match:
            continue
        message = match.group(1).strip()
        unused = UNUSED_RESPONSE.search(message)
        if unused and (unused.group(1) in used_by_actions or unused.group(1).startswith("utter_faq/")):
            continue
        if RETRIEVAL_DUPLICATE.search(message):
            continue
        problems.append(message)
    return problems


def main(root: Path) -> int:
    """Validate the project's data and domain; return the process exit code."""
    command = [sys.executable, "-m", "rasa", "data", "validate", "--domain", "domain", "--data", "data"]
    command += ["--config", "config.yml"]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    # Rasa prints a warning's continuation lines separately; join them so each warning is one line.
    output = re.sub(r"\n(?!\S*\d{4}-\d\d-\d\d|\S*\x1b|/)", " ", output)
    problems = real_problems(output, known_senders(root))
    for problem in problems:
        print(f"validate: {problem}", file=sys.stderr)
    if result.returncode != 0:
        print(output, file=sys.stderr)
        print(f"validate: rasa data validate failed with exit code {result.returncode}", file=sys.stderr)
        return result.returncode
    if problems:
        print(f"validate: {len(problems)} problem(s) in the domain or training data", file=sys.stderr)
        return 1
    print("validate: domain, rules, stories and NLU data are consistent")
    return 0
