"""Render a bench run's figures (results.json) as REPORT.md with PNG plots beside it."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.changes import FIXED, SWITCHABLE
from bench.targets import DEFAULT, FULL_PATH, TENANTLINE, check

CHANGES_DOC = "[docs/bench.md](../../../docs/bench.md)"
"""Where the with/without comparisons of each change from Rasa's defaults are kept (linked from a run's folder)."""
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
    lines += _without_note(results.get("without") or [])
    lines += ["", "## Targets", "", "| figure | target | measured | verdict |", "| --- | --- | --- | --- |"]
    lines += [f"| {t.name} | {t.target} | {t.measured} | {_verdict(t.met)} |" for t in check(results)]
    lines += _understanding_section(results.get("understanding") or [])
    lines += _load_section(results.get("load") or [])
    lines += _training_section(results)
    lines += _changes_section(results)
    lines += _steps_section(results.get("steps") or [], results.get("duration_s"))
    if results.get("skipped"):
        lines += ["", "## Skipped in this run", ""] + [f"- {s}" for s in results["skipped"]]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def _without_note(without: list[str]) -> list[str]:
    if not without:
        return []
    left_out = "; ".join(f"{name} ({SWITCHABLE[name].description})" if name in SWITCHABLE else name for name in without)
    return [f"> TenantLine's server ran WITHOUT these changes from Rasa's defaults, to measure them: {left_out}."]


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


def _seconds(value: float) -> str:
    return f"{value / 60:.1f} min" if value >= 90 else f"{value:.0f} s"


def _slowest(components: list[Any], count: int = 3) -> str:
    from bench.training import slowest

    found = slowest([(str(name), float(seconds)) for name, seconds in components], count)
    # Rasa's log stamps whole seconds: a component under one is not worth naming.
    return ", ".join(f"{name} {seconds:.0f} s" for name, seconds in found if seconds >= 1) or "none over a second"


def _finetune(training: dict[str, Any]) -> str:
    fraction = training.get("finetune_epoch_fraction")
    if fraction is None:  # results from before the bench fine-tuned
        return "trained afresh"
    return f"fine-tuned from the cold model for {fraction:.0%} of the epochs"


def _training_section(results: dict[str, Any]) -> list[str]:
    training = results.get("training")
    baseline = results.get("baseline")
    if not training and not baseline:
        return []
    lines = ["", "## Training", ""]
    if training:
        restored = ", ".join(training.get("restored") or []) or "nothing"
        lines += [
            f"- full training, cold cache: {_seconds(training['full_seconds'])} (target < 3 min); model "
            f"{training['model_mb']:.1f} MB; slowest components: {_slowest(training.get('full_components') or [])}",
            f"- NLU-only retraining after one NLU example was added, as the console's Models page does it "
            f"({_finetune(training)}, same cache): {_seconds(training['nlu_only_seconds'])} (target < 1 min); "
            f"slowest components: {_slowest(training.get('nlu_only_components') or [])}; restored from the cache: "
            f"{restored}",
        ]
        if training.get("adopted"):
            lines.append("- no model for the project's inputs existed, so the cold model is the one this run serves")
    if baseline:
        if baseline.get("train_seconds") is None:
            trained = "reused from the bench's work folder (trained by an earlier run with the same inputs)"
        else:
            trained = (
                f"trained in this run in {_seconds(baseline['train_seconds'])}; slowest components: "
                f"{_slowest(baseline.get('components') or [])}"
            )
        lines.append(f"- Rasa default pipeline model ({baseline['model_mb']:.1f} MB): {trained}")
    return lines


def _system_figures(results: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((s for s in results.get("understanding") or [] if s.get("system") == name), None)


def _pipeline_figures(results: dict[str, Any]) -> str:
    """Return what this run measured that compares TenantLine's pipeline with Rasa's default one."""
    found: list[str] = []
    ours, theirs = _system_figures(results, TENANTLINE), _system_figures(results, DEFAULT)
    if ours and theirs:
        found.append(f"macro-F1 {ours['macro_f1']:.3f} vs {theirs['macro_f1']:.3f}")
        found.append(f"parse {ours['parse_ms']:.1f} vs {theirs['parse_ms']:.1f} ms/message")
    training, baseline = results.get("training"), results.get("baseline")
    if training and baseline:
        found.append(f"model {training['model_mb']:.1f} vs {baseline['model_mb']:.1f} MB")
        if baseline.get("train_seconds") is not None:
            found.append(f"full training {_seconds(training['full_seconds'])} vs {_seconds(baseline['train_seconds'])}")
    return ("TenantLine vs Rasa's default: " + ", ".join(found)) if found else "not measured in this run"


def _changes_section(results: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## What we changed from Rasa's defaults and what it bought",
        "",
        f"Each server-side change is measured by running the load phase with and without it (`python -m bench "
        f"--phases load --without NAME`); those comparisons and the commands behind them are in {CHANGES_DOC}.",
        "",
        "| change | what | where | what it bought |",
        "| --- | --- | --- | --- |",
    ]
    without = set(results.get("without") or [])
    for change in [*SWITCHABLE.values(), *FIXED.values()]:
        if change.name in without:
            measured = "switched off in this run"
        elif change.name == "pipeline":
            measured = _pipeline_figures(results)
        else:
            measured = f"{change.bought} ({CHANGES_DOC})"
        lines.append(f"| {change.name} | {change.description} | {change.where} | {measured} |")
    return lines


def _steps_section(steps: list[dict[str, Any]], duration: float | None) -> list[str]:
    if not steps:
        return []
    lines = ["", "## Where the time went", "", "| step | wall time |", "| --- | --- |"]
    lines += [f"| {step['name']} | {_seconds(step['seconds'])} |" for step in steps]
    if duration is not None:
        lines.append(f"| whole run | {_seconds(duration)} |")
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
