"""Read `rasa train`'s output as it arrives and turn it into progress a trainer can follow.

Rasa 3.6 logs "Starting to train component 'X'.", "Restored component 'X' from cache." and "Finished training
component 'X'." for every graph node that trains (`rasa.engine.training.hooks.LoggingHook`), and the TensorFlow
components draw a tqdm bar "Epochs:  45%|...| 27/60 [...]" redrawn with carriage returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_STARTED = re.compile(r"Starting to train component '(?P<name>[\w.]+)'")
_RESTORED = re.compile(r"Restored component '(?P<name>[\w.]+)' from cache")
_FINISHED = re.compile(r"Finished training component '(?P<name>[\w.]+)'")
_EPOCHS = re.compile(r"Epochs:\s*\d+%\|[^|]*\|\s*(?P<done>\d+)/(?P<total>\d+)")
_SAVED = re.compile(r"Your Rasa model is trained and saved at")
_LINE_BREAK = re.compile(r"[\r\n]+")

MAX_LINE = 2000
"""A line longer than this is cut before parsing: tqdm lines are short; anything longer is not progress."""


@dataclass
class Progress:
    """What the training output has said so far."""

    component: str | None = None
    epoch: int | None = None
    epochs: int | None = None
    trained: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    saved: bool = False

    def feed(self, line: str) -> bool:
        """Update from one line of output; return whether anything changed."""
        line = line[:MAX_LINE]
        if match := _EPOCHS.search(line):
            done, total = int(match["done"]), int(match["total"])
            changed = (done, total) != (self.epoch, self.epochs)
            self.epoch, self.epochs = done, total
            return changed
        if match := _STARTED.search(line):
            self.component = match["name"]
            self.trained.append(match["name"])
            self.epoch = self.epochs = None
            return True
        if match := _RESTORED.search(line):
            self.restored.append(match["name"])
            return True
        if match := _FINISHED.search(line):
            self.finished.append(match["name"])
            self.epoch = self.epochs = None
            return True
        if _SAVED.search(line):
            self.saved = True
            return True
        return False

    def describe(self) -> str:
        """Return the current step in plain words, e.g. "Training DIETClassifier: epoch 27 of 60"."""
        if self.saved:
            return "Model trained and saved"
        if self.component is None:
            return "Reading the training data and checking what changed"
        if self.component in self.finished:
            return f"Finished {self.component}"
        if self.epoch is not None and self.epochs:
            return f"Training {self.component}: epoch {self.epoch} of {self.epochs}"
        return f"Training {self.component}"


class LineSplitter:
    """Split a byte stream into lines on either newline or carriage return (tqdm redraws with the latter)."""

    def __init__(self) -> None:
        """Start with nothing buffered."""
        self._rest = ""

    def push(self, chunk: str) -> list[str]:
        """Add text and return the complete lines it finished."""
        parts = _LINE_BREAK.split(self._rest + chunk)
        self._rest = parts.pop()
        if len(self._rest) > MAX_LINE * 4:
            # Output without line breaks for this long is not progress; keep memory bounded.
            self._rest = self._rest[-MAX_LINE:]
        return [part for part in parts if part]

    def flush(self) -> list[str]:
        """Return whatever is left as a last line."""
        rest, self._rest = self._rest, ""
        return [rest] if rest else []
