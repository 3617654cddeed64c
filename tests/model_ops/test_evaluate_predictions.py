"""`bot.evaluate.evaluate` keeps every held-out prediction, which the confusion-matrix plot is drawn from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot import evaluate


def test_evaluation_keeps_each_prediction_with_fallback_counted_as_out_of_scope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    heldout = tmp_path / "heldout.yml"
    heldout.write_text(
        'version: "3.1"\nnlu:\n- intent: pay_rent\n  examples: |\n    - pay my rent\n    - pay rent now\n'
        "- intent: out_of_scope\n  examples: |\n    - whats the football score\n",
        encoding="utf-8",
    )
    answers = {"pay my rent": "pay_rent", "pay rent now": "report_repair", "whats the football score": "nlu_fallback"}

    async def parse_all(model: Path, texts: list[str]) -> tuple[list[dict[str, Any]], float]:
        return [{"intent": {"name": answers[t]}} for t in texts], 0.01

    monkeypatch.setattr(evaluate, "_parse_all", parse_all)

    result = evaluate.evaluate(tmp_path / "model.tar.gz", heldout)

    assert sorted(result.predictions) == [
        ("out_of_scope", "out_of_scope"),
        ("pay_rent", "pay_rent"),
        ("pay_rent", "report_repair"),
    ]


def test_an_evaluation_does_not_print_rasas_per_message_debug_lines(capsys: pytest.CaptureFixture[str]) -> None:
    import structlog

    from bot.evaluate import quiet_rasa_debug_logs

    structlog.reset_defaults()
    try:
        quiet_rasa_debug_logs()
        logger = structlog.get_logger()
        logger.debug("processor.message.parse", parse_data_text="my boiler is broken")
        logger.warning("model.warning", detail="kept")
        printed = capsys.readouterr().out
    finally:
        structlog.reset_defaults()
    assert "my boiler is broken" not in printed
    assert "model.warning" in printed
