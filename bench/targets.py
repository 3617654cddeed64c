"""The issue's targets, checked against a run's figures: each figure next to its target, met or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TENANTLINE = "TenantLine"
DEFAULT = "Rasa default pipeline"
TFIDF = "TF-IDF + logistic regression"
FULL_PATH = "TenantLine (SMS, full path)"
RASA_SERVER = "rasa server"
RASA_RSS_MB = 1200.0
OTHER_RSS_MB = 300.0


@dataclass(frozen=True)
class Target:
    """One target: what it asks, what was measured, and whether it was met (None: not measured in this run)."""

    name: str
    target: str
    measured: str
    met: bool | None


def _system(results: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((s for s in results.get("understanding") or [] if s.get("system") == name), None)


def _phase(results: dict[str, Any], concurrency: int) -> dict[str, Any] | None:
    return next(
        (p for p in results.get("load") or [] if p.get("system") == FULL_PATH and p.get("concurrency") == concurrency),
        None,
    )


def _missing(name: str, target: str) -> Target:
    return Target(name, target, "not measured", None)


def _understanding(results: dict[str, Any]) -> list[Target]:
    ours = _system(results, TENANTLINE)
    if ours is None:
        return [
            _missing("held-out macro-F1", ">= 0.95"),
            _missing("emergency and welfare-concern recall", "1.00"),
            _missing("macro-F1 ahead of both baselines", "ahead"),
        ]
    rivals = [s for s in (_system(results, DEFAULT), _system(results, TFIDF)) if s is not None]
    best_rival = max((s["macro_f1"] for s in rivals), default=None)
    recall = min(ours["emergency_recall"], ours["concern_recall"])
    return [
        Target("held-out macro-F1", ">= 0.95", f"{ours['macro_f1']:.3f}", ours["macro_f1"] >= 0.95),
        Target(
            "emergency and welfare-concern recall",
            "1.00",
            f"{ours['emergency_recall']:.3f} / {ours['concern_recall']:.3f}",
            recall >= 1.0,
        ),
        Target(
            "macro-F1 ahead of both baselines",
            "ahead",
            ", ".join(f"{s['system']} {s['macro_f1']:.3f}" for s in rivals) or "no baseline measured",
            None if best_rival is None else ours["macro_f1"] > best_rival,
        ),
    ]


def _speed(results: dict[str, Any]) -> list[Target]:
    found: list[Target] = []
    at50, at1 = _phase(results, 50), _phase(results, 1)
    if at50 is None:
        found += [
            _missing("replies/s at 50 conversations", ">= 60"),
            _missing("p95 reply latency at 50 conversations", "< 500 ms"),
        ]
    else:
        rate, p95 = at50["replies_per_second"], at50["reply_latency"]["p95_ms"]
        found.append(Target("replies/s at 50 conversations", ">= 60", f"{rate:.1f}", rate >= 60))
        found.append(Target("p95 reply latency at 50 conversations", "< 500 ms", f"{p95:.0f} ms", p95 < 500))
    if at1 is None:
        found.append(_missing("p50 reply latency at 1 conversation", "< 60 ms"))
    else:
        p50 = at1["reply_latency"]["p50_ms"]
        found.append(Target("p50 reply latency at 1 conversation", "< 60 ms", f"{p50:.0f} ms", p50 < 60))
    phases = [p for p in results.get("load") or [] if p.get("system") == FULL_PATH and p.get("ack_latency")]
    if phases:
        worst = max(p["ack_latency"]["p99_ms"] for p in phases)
        levels = ", ".join(f"{p['concurrency']}: {p['ack_latency']['p99_ms']:.0f} ms" for p in phases)
        found.append(Target("webhook acknowledgement p99, every load", "< 50 ms", levels, worst < 50))
    else:
        found.append(_missing("webhook acknowledgement p99, every load", "< 50 ms"))
    rss: dict[str, float] = {}
    for phase in phases:
        for name, value in phase["peak_rss_mb"].items():
            rss[name] = max(rss.get(name, 0.0), value)
    if rss:
        rasa = rss.get(RASA_SERVER)
        others = {k: v for k, v in rss.items() if k != RASA_SERVER}
        if rasa is not None:
            found.append(Target("Rasa server peak RSS", "< 1200 MB", f"{rasa:.0f} MB", rasa < RASA_RSS_MB))
        for name, value in sorted(others.items()):
            found.append(Target(f"{name} peak RSS", "< 300 MB", f"{value:.0f} MB", value < OTHER_RSS_MB))
    else:
        found.append(_missing("peak RSS of each process", "Rasa < 1200 MB, others < 300 MB"))
    return found


def _training(results: dict[str, Any]) -> list[Target]:
    training = results.get("training")
    if not training:
        return [
            _missing("full training (cold cache)", "< 3 min"),
            _missing("retraining after an NLU-only change", "< 1 min"),
        ]
    full, nlu = training["full_seconds"], training["nlu_only_seconds"]
    return [
        Target("full training (cold cache)", "< 3 min", f"{full:.0f} s", full < 180),
        Target("retraining after an NLU-only change", "< 1 min", f"{nlu:.0f} s", nlu < 60),
    ]


def check(results: dict[str, Any]) -> list[Target]:
    """Return every target of the issue with this run's figure and verdict."""
    found = _understanding(results) + _speed(results) + _training(results)
    seconds = results.get("duration_s")
    if results.get("skipped"):
        found.append(Target("whole `make bench`", "< 15 min", "partial run: does not count", None))
    elif isinstance(seconds, (int, float)):
        found.append(Target("whole `make bench`", "< 15 min", f"{seconds / 60:.1f} min", seconds < 900))
    return found
