"""The gate on real models: a deliberately worsened model is refused and an equal one passes.

Models are trained through the real job runner (`rasa train` in a subprocess, progress parsed, model registered,
evaluated on the real held-out and safety sets, judged) from a private copy of the project with a reduced config
(few epochs, tests/model_ops/tiny.py), so the test stays short. The worsened model has one epoch of DIET and
ResponseSelector training, and its intent blend leans on DIET alone.

An NLU-only retrain fine-tuned from the live model, judged by the same gate and activated, is the trainer journey
(tests/console/test_trainer_journey_browser.py): it checks the model's kind, its base model and the gate's verdict,
so it is not trained a second time here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.model_ops.activate import GateRefused, activate
from bot.model_ops.evaluation import EvaluationSets, stored_report
from bot.model_ops.registry import Registry
from tests.model_ops.tiny import live_base_model, make_project

pytestmark = [pytest.mark.model, pytest.mark.timeout(1800)]


def _live_name(registry: Registry) -> str | None:
    pointer = registry.live()
    return pointer.name if pointer is not None else None


def _macro_f1(registry: Registry, name: str) -> float:
    report = stored_report(registry.get(name))
    assert report is not None
    return float(report["macro_f1"])


def test_gate_refuses_worsened_model_and_accepts_an_equal_one(tmp_path: Path) -> None:
    tiny = make_project(tmp_path)
    registry = Registry(tiny.root)
    tests = EvaluationSets.of(tiny.root)
    base = live_base_model(tiny)

    worse = tiny.train("full", tiny.worse_config)
    assert worse.state == "succeeded", (worse.error, worse.log_tail)
    assert worse.gate_passed is False
    assert "A new model may be at most 1 point below the live one." in str(worse.gate_summary)
    with pytest.raises(GateRefused):
        asyncio.run(activate(registry, str(worse.model), rasa=None, by="test", tests=tests))
    assert _live_name(registry) == base

    equal = tiny.train("full")
    assert equal.state == "succeeded" and equal.gate_passed, equal.gate_summary
    asyncio.run(activate(registry, str(equal.model), rasa=None, by="test", tests=tests))
    assert _live_name(registry) == str(equal.model)
    print(
        f"\ntiny models: worse trained in {worse.train_seconds} s (macro-F1 {_macro_f1(registry, str(worse.model)):.3f}"
        f" vs live {_macro_f1(registry, base):.3f}); equal {equal.train_seconds} s (restored: {equal.restored})"
    )
