"""The evaluation's two pictures, drawn with matplotlib's Agg backend (no display needed).

- the confusion matrix: rows are the intents the examples belong to, columns what the model said, each row
  normalised to the share of that intent's examples so small and large intents read alike;
- per-intent precision, recall and F1 as horizontal bars, worst first, so the intents to work on are at the top.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from bot.evaluate import IntentScore  # noqa: E402

CONFUSION_PNG = "confusion-matrix.png"
PER_INTENT_PNG = "per-intent.png"


def confusion_labels(pairs: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Return the row labels (expected intents) and column labels (also any intent predicted but never expected)."""
    rows = sorted({expected for expected, _ in pairs})
    extra = sorted({predicted for _, predicted in pairs} - set(rows))
    return rows, rows + extra


def confusion_matrix(pairs: list[tuple[str, str]]) -> tuple[list[str], list[str], list[list[int]]]:
    """Return rows, columns and counts: counts[i][j] examples of rows[i] predicted as columns[j]."""
    rows, columns = confusion_labels(pairs)
    counts = Counter(pairs)
    return rows, columns, [[counts[(row, column)] for column in columns] for row in rows]


def plot_confusion(pairs: list[tuple[str, str]], path: Path, *, title: str) -> Path:
    """Draw the row-normalised confusion matrix into a PNG file; return its path."""
    rows, columns, counts = confusion_matrix(pairs)
    shares = [[n / max(sum(row), 1) for n in row] for row in counts]
    size = max(6.0, 0.28 * len(columns) + 3)
    figure, axes = plt.subplots(figsize=(size, max(5.0, 0.28 * len(rows) + 2.5)), dpi=100)
    try:
        image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
        axes.set_xticks(range(len(columns)))
        axes.set_xticklabels(columns, rotation=90, fontsize=7)
        axes.set_yticks(range(len(rows)))
        axes.set_yticklabels(rows, fontsize=7)
        axes.set_xlabel("What the model said")
        axes.set_ylabel("What the message meant")
        axes.set_title(title, fontsize=9)
        for i, row in enumerate(counts):
            for j, count in enumerate(row):
                if count and i != j:
                    axes.text(j, i, str(count), ha="center", va="center", fontsize=6, color="#b00020")
        figure.colorbar(image, ax=axes, fraction=0.03, label="share of the intent's examples")
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return path


def plot_per_intent(scores: list[IntentScore], path: Path, *, title: str) -> Path:
    """Draw precision, recall and F1 per intent as grouped horizontal bars, worst F1 at the top; return the path."""
    ordered = sorted(scores, key=lambda s: (s.f1, s.intent), reverse=True)
    height = max(4.0, 0.32 * len(ordered) + 1.5)
    figure, axes = plt.subplots(figsize=(8.0, height), dpi=100)
    try:
        positions = list(range(len(ordered)))
        bar = 0.27
        axes.barh([p - bar for p in positions], [s.precision for s in ordered], height=bar, label="precision")
        axes.barh(positions, [s.recall for s in ordered], height=bar, label="recall")
        axes.barh([p + bar for p in positions], [s.f1 for s in ordered], height=bar, label="F1")
        axes.set_yticks(positions)
        axes.set_yticklabels([f"{s.intent} ({s.support})" for s in ordered], fontsize=7)
        axes.set_xlim(0.0, 1.0)
        axes.set_xlabel("score on held-out messages (examples in brackets)")
        axes.set_title(title, fontsize=9)
        axes.legend(loc="lower right", fontsize=7)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
    return path
