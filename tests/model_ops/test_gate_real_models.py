"""The gate on real models: a deliberately worsened model is refused, an equal one and an NLU-only retrain pass.

Models are trained through the real job runner (`rasa train` in a subprocess, progress parsed, model registered,
evaluated on the real held-out and safety sets, judged) from a private copy of the project with a reduced config
(few epochs, tests/model_ops/tiny.py), so the test stays short. The worsened model has one epoch of DIET and
ResponseSelector training, and its intent blend leans on DIET alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.model_ops.evaluation import stored_report
from bot.model_ops.registry import Registry
from tests.model_ops.tiny import live_base_model, make_project

pytestmark = [pytest.mark.model, pytest.mark.timeout(1800)]

NEW_EXAMPLE = "    - my bath tap wont stop dripping since the weekend\n"


def _macro_f1(registry: Registry, name: str) -> float:
    report = stored_report(registry.get(name))
    assert report is not None
    return float(report["macro_f1"])


def test_gate_refuses_worsened_model_and_accepts_equal_one_and_nlu_only_retrain(tmp_path: Path) -> None:
    tiny = make_project(tmp_path)
    registry = Registry(tiny.root)
    base = live_base_model(tiny)

    worse = tiny.train("full", tiny.worse_config)
    assert worse.state == "succeeded", (worse.error, worse.log_tail)
    assert worse.gate_passed is False
    assert "A new model may be at most 1 point below the live one." in str(worse.gate_summary)

    equal = tiny.train("full")
    assert equal.state == "succeeded" and equal.gate_passed, equal.gate_summary

    repairs = tiny.root / "data" / "nlu" / "repairs.yml"
    block = "- intent: report_repair\n  examples: |\n"
    repairs.write_text(repairs.read_text(encoding="utf-8").replace(block, block + NEW_EXAMPLE, 1), encoding="utf-8")
    quick = tiny.train("nlu-only")
    assert quick.state == "succeeded", (quick.error, quick.log_tail)
    record = registry.get(str(quick.model))
    assert record.meta.kind == "nlu-only" and record.meta.base_model == base
    assert quick.gate_passed, quick.gate_summary
    print(
        f"\ntiny models: worse trained in {worse.train_seconds} s (macro-F1 {_macro_f1(registry, str(worse.model)):.3f}"
        f" vs live {_macro_f1(registry, base):.3f}); equal {equal.train_seconds} s (restored: {equal.restored}); "
        f"NLU-only fine-tune {quick.train_seconds} s (macro-F1 {_macro_f1(registry, str(quick.model)):.3f})"
    )
