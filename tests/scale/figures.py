"""The production profile's figures: recorded by the fault, load and soak tests, shown at the end of the run.

Each test calls `record(name, {...})` with what it measured (messages, losses, duplicates, reorderings,
recovery times, outbox drain time, memory growth). The figures are merged, one entry per test, into
test-artifacts/scale/figures.json (CI keeps the folder as an artifact; a later run replaces a test's entry and
keeps the others), and `summary_lines()` gives the short block `pytest_terminal_summary` prints
(tests/conftest.py), so a CI log run with `pytest -q` shows them.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIGURES_FILE = Path(
    os.environ.get("TENANTLINE_SCALE_FIGURES", PROJECT_ROOT / "test-artifacts" / "scale" / "figures.json")
)
"""Where the figures go (TENANTLINE_SCALE_FIGURES moves it, e.g. for the figures' own tests)."""

_recorded_here: list[str] = []
"""The tests that recorded figures in this pytest process, in order (the summary shows only these)."""

Figure = float | int | str | bool | None


def _clean(value: Any) -> Figure:
    """Return a value JSON can hold and a reader can trust: finite numbers rounded, anything else as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return round(value, 3) if math.isfinite(value) else str(value)
    return str(value)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside `path` (several pytest processes may record at once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def read(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """Return every test's figures from the file; an absent or unreadable file gives none (never raises)."""
    target = path or FIGURES_FILE
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(name): entry for name, entry in data.items() if isinstance(entry, dict)}


def record(test: str, figures: Mapping[str, Any], *, path: Path | None = None) -> dict[str, Figure]:
    """Merge `test`'s figures into the file (replacing its earlier entry) and return what was written.

    Raises:
        ValueError: If `test` is blank or `figures` is empty.
    """
    name = test.strip()
    if not name:
        raise ValueError("figures need the name of the test that measured them")
    if not figures:
        raise ValueError(f"{name}: no figures to record")
    target = path or FIGURES_FILE
    entry: dict[str, Figure] = {str(key): _clean(value) for key, value in figures.items()}
    entry["recorded_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    with _locked(target):
        merged = read(target)  # a corrupt file is replaced, not fatal: the figures of this run matter most
        merged[name] = entry
        with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, encoding="utf-8") as out:
            json.dump(merged, out, indent=2)
            out.write("\n")
        os.replace(out.name, target)
    if name not in _recorded_here:
        _recorded_here.append(name)
    return entry


def recorded_here() -> list[str]:
    """Return the tests that recorded figures in this process, in order."""
    return list(_recorded_here)


def recorded_since(moment: datetime, *, path: Path | None = None) -> list[str]:
    """Return the tests whose figures were recorded at or after `moment` (to the second), oldest first.

    What a pytest-xdist controller shows: its workers recorded the figures, in processes of their own.
    """
    since = moment.astimezone(timezone.utc).replace(microsecond=0)
    found: list[tuple[datetime, str]] = []
    for name, entry in read(path).items():
        try:
            stamp = datetime.fromisoformat(str(entry.get("recorded_at")))
        except ValueError:
            continue
        if stamp.tzinfo is not None and stamp >= since:
            found.append((stamp, name))
    return [name for _, name in sorted(found)]


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def summary_lines(names: list[str] | None = None, *, path: Path | None = None, width: int = 120) -> list[str]:
    """Return the figures block: one line per test (wrapped within `width`), then where the file is.

    Args:
        names: The tests to show (default: those recorded in this process).
        path: The figures file (default `FIGURES_FILE`).
        width: The widest line.
    """
    wanted = recorded_here() if names is None else names
    target = path or FIGURES_FILE
    stored = read(target)
    lines: list[str] = []
    for name in wanted:
        entry = stored.get(name)
        if entry is None:
            continue
        parts = [f"{key} {_format(value)}" for key, value in entry.items() if key != "recorded_at"]
        line = f"{name}: "
        indent = " " * 4
        for index, part in enumerate(parts):
            piece = part + (", " if index < len(parts) - 1 else "")
            if len(line) + len(piece.rstrip()) > width and line.strip():
                lines.append(line.rstrip())
                line = indent
            line += piece
        lines.append(line.rstrip())
    if lines:
        lines.append(f"(all figures: {target})")
    return lines
