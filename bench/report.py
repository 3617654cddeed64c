"""Render a bench run's figures (results.json) as REPORT.md with PNG plots beside it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.targets import FULL_PATH, check

INTENT_PLOT = "per-intent-f1.png"
LATENCY_PLOT = "latency-vs-concurrency.png"
THROUGHPUT_PLOT = "throughput-vs-concurrency.png"


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _verdict(met: bool | None) -> str:
    return "not measured" if met is None else ("met" if met else "**not met**")


def render(results: dict[str, Any], plots: list[str] | None = None) -> str:
    """Return the Markdown report of one run.

    Args:
        results: The run's figures, as `bench.__main__` writes them to results.json.
        plots: File names of the plots written next to the report (shown in that order).

    Returns:
        The Markdown text.
    """
    lines = [
        "# TenantLine benchmark",
        "",
        f"Run started {results.get('started', '?')}, took {_fmt((results.get('duration_s') or 0) / 60)} min on "
        f"{results.get('machine', 'this machine')}.",
        "",
    ]
    lines += [f"> {note}" for note in results.get("notes") or []]
    lines += ["", "## Targets", "", "| figure | target | measured | verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {t.name} | {t.target} | {t.measured} | {_verdict(t.met)} |" for t in check(results)]
    lines += _understanding_section(results.get("understanding") or [])
    lines += _load_section(results.get("load") or [])
    lines += _training_section(results)
    if results.get("skipped"):
        lines += ["", "## Skipped in this run", ""] + [f"- {s}" for s in results["skipped"]]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def _understanding_section(systems: list[dict[str, Any]]) -> list[str]:
    if not systems:
        return []
    first = systems[0]
    lines = [
        "",
        "## Understanding",
        "",
        f"Trained on data/nlu, scored on tests/nlu/heldout.yml ({first['examples']} examples) and, for safety recall, "
        f"every emergency and welfare concern in it and in tests/nlu/safety.yml ({first['safety_examples']}).",
        "",
        "| system | accuracy | macro-F1 | emergency recall | concern recall | out-of-scope handled | parse ms/msg |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {s['system']} | {s['accuracy']:.3f} | {s['macro_f1']:.3f} | {s['emergency_recall']:.3f} | "
        f"{s['concern_recall']:.3f} | {s['out_of_scope_recall']:.3f} | {s['parse_ms']:.1f} |"
        for s in systems
    ]
    intents = sorted({i for s in systems for i in s["per_intent"]})
    lines += ["", "### F1 per intent", "", "| intent | " + " | ".join(s["system"] for s in systems) + " |"]
    lines += ["| --- |" + " --- |" * len(systems)]
    lines += [f"| {i} | " + " | ".join(_fmt(s["per_intent"].get(i), 2) for s in systems) + " |" for i in intents]
    return lines


def _load_section(phases: list[dict[str, Any]]) -> list[str]:
    if not phases:
        return []
    lines = [
        "",
        "## Speed and memory",
        "",
        "| system | conversations | seconds | messages | replies/s | reply p50 / p95 / p99 ms | ack p99 ms | "
        "CPU s/message | peak RSS MB | steps ok / failed |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in phases:
        latency = p["reply_latency"]
        ack = p.get("ack_latency") or {}
        rss = ", ".join(f"{name} {value:.0f}" for name, value in p["peak_rss_mb"].items())
        steps = f"{p['steps_done']} / {p['steps_failed']}" if p["system"] == FULL_PATH else "-"
        lines.append(
            f"| {p['system']} | {p['concurrency']} | {_fmt(p['seconds'])} | {p['messages']} | "
            f"{_fmt(p['replies_per_second'])} | {_fmt(latency['p50_ms'], 0)} / {_fmt(latency['p95_ms'], 0)} / "
            f"{_fmt(latency['p99_ms'], 0)} | {_fmt(ack.get('p99_ms'), 0)} | {_fmt(p['cpu_per_message'], 3)} | {rss} | "
            f"{steps} |"
        )
    notes = sorted({f"{p['system']}: {p['notes']}" for p in phases if p.get("notes")})
    return lines + [""] + [f"- {n}" for n in notes]


def _training_section(results: dict[str, Any]) -> list[str]:
    training = results.get("training")
    lines: list[str] = []
    if training:
        restored = ", ".join(training.get("restored") or []) or "nothing"
        lines += [
            "",
            "## Training",
            "",
            f"- full training, cold cache: {training['full_seconds']:.0f} s; model {training['model_mb']:.1f} MB",
            f"- retraining after one NLU example was added (same cache): {training['nlu_only_seconds']:.0f} s; "
            f"restored from the cache: {restored}",
        ]
    if results.get("baseline_training_s") is not None:
        lines += [f"- Rasa default pipeline model (baseline) trained in {results['baseline_training_s']:.0f} s"]
    return lines


def plot(results: dict[str, Any], folder: Path) -> list[str]:
    """Draw the run's plots into `folder`; return the file names written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[str] = []
    systems = results.get("understanding") or []
    if systems:
        intents = sorted({i for s in systems for i in s["per_intent"]})
        width = 0.8 / len(systems)
        figure, axes = plt.subplots(figsize=(14, 5))
        for index, system in enumerate(systems):
            xs = [n + index * width for n in range(len(intents))]
            axes.bar(xs, [system["per_intent"].get(i, 0.0) for i in intents], width, label=system["system"])
        axes.set_xticks([n + 0.4 - width / 2 for n in range(len(intents))], intents, rotation=75, fontsize=8)
        axes.set_ylim(0.5, 1.02)
        axes.set_ylabel("F1 on held-out")
        axes.legend(loc="lower left")
        figure.tight_layout()
        figure.savefig(folder / INTENT_PLOT, dpi=100)
        plt.close(figure)
        written.append(INTENT_PLOT)
    phases = [p for p in results.get("load") or [] if p["reply_latency"]["count"]]
    if phases:
        by_system: dict[str, list[dict[str, Any]]] = {}
        for phase in phases:
            by_system.setdefault(phase["system"], []).append(phase)
        figure, axes = plt.subplots(figsize=(8, 5))
        for name, runs in by_system.items():
            runs = sorted(runs, key=lambda p: p["concurrency"])
            levels = [p["concurrency"] for p in runs]
            axes.plot(levels, [p["reply_latency"]["p50_ms"] for p in runs], marker="o", label=f"{name} p50")
            axes.plot(levels, [p["reply_latency"]["p95_ms"] for p in runs], marker="x", ls="--", label=f"{name} p95")
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.set_xlabel("concurrent conversations")
        axes.set_ylabel("reply latency (ms)")
        axes.legend(fontsize=7)
        figure.tight_layout()
        figure.savefig(folder / LATENCY_PLOT, dpi=100)
        plt.close(figure)
        figure, axes = plt.subplots(figsize=(8, 5))
        for name, runs in by_system.items():
            runs = sorted(runs, key=lambda p: p["concurrency"])
            axes.plot([p["concurrency"] for p in runs], [p["replies_per_second"] for p in runs], marker="o", label=name)
        axes.axhline(60, color="grey", ls=":", label="target at 50 conversations")
        axes.set_xscale("log")
        axes.set_xlabel("concurrent conversations")
        axes.set_ylabel("replies per second")
        axes.legend(fontsize=7)
        figure.tight_layout()
        figure.savefig(folder / THROUGHPUT_PLOT, dpi=100)
        plt.close(figure)
        written += [LATENCY_PLOT, THROUGHPUT_PLOT]
    return written
