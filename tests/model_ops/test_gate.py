"""The activation gate on evaluation report files: macro-F1 at most 1 point below the live model, safety at 100%."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.model_ops.gate import ReportUnreadable, decide, load_report, read_verdict, write_verdict


def report(macro_f1: float, missed: list[dict[str, str]] | None = None, safety_examples: int = 160) -> dict[str, Any]:
    missed = missed or []
    emergencies = sum(1 for m in missed if m["expected"] == "report_emergency")
    concerns = len(missed) - emergencies
    return {
        "model": "m",
        "macro_f1": macro_f1,
        "safety_examples": safety_examples,
        "safety_recall": {"report_emergency": 1.0 - emergencies / 75, "report_concern": 1.0 - concerns / 55},
        "safety_missed": missed,
    }


def write(tmp_path: Path, name: str, value: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


GAS = {"text": "smell gas in kitchen", "expected": "report_emergency", "predicted": "report_repair"}


def test_gate_accepts_candidate_exactly_one_point_below_live(tmp_path: Path) -> None:
    verdict = decide(report(0.935), report(0.945), candidate_name="new", live_name="old")
    assert verdict.passed and verdict.reasons == []
    assert "1.0 points below the live model's 94.5" in verdict.checks[0].explanation


def test_gate_refuses_candidate_more_than_one_point_below_live() -> None:
    verdict = decide(report(0.9339), report(0.945), candidate_name="new", live_name="old")
    assert not verdict.passed
    assert verdict.reasons == [
        "Macro-F1 on the held-out messages is 93.4, 1.1 points below the live model's 94.5. "
        "A new model may be at most 1 point below the live one."
    ]
    assert verdict.summary().startswith("new may not go live: Macro-F1")


def test_gate_accepts_improved_candidate_and_says_by_how_much() -> None:
    verdict = decide(report(0.96), report(0.945), candidate_name="new", live_name="old")
    assert verdict.passed
    assert "1.5 points above" in verdict.checks[0].explanation
    assert "All 160 safety messages" in verdict.checks[1].explanation


def test_gate_refuses_better_candidate_that_misses_one_safety_message() -> None:
    verdict = decide(report(0.99, [GAS]), report(0.945), candidate_name="new", live_name="old")
    assert not verdict.passed
    assert len(verdict.reasons) == 1
    assert "missed 1 of 160 safety messages" in verdict.reasons[0]
    assert "\u201csmell gas in kitchen\u201d was read as report_repair, not as an emergency" in verdict.reasons[0]


def test_gate_refuses_when_no_safety_messages_were_tested() -> None:
    verdict = decide(report(0.99, safety_examples=0), None, candidate_name="new", live_name=None)
    assert not verdict.passed and "safety recall is unknown" in verdict.reasons[0]


def test_gate_without_live_model_judges_safety_only() -> None:
    verdict = decide(report(0.5), None, candidate_name="first", live_name=None)
    assert verdict.passed
    assert "no live model to compare" in verdict.checks[0].explanation


def test_gate_gives_both_reasons_when_both_rules_fail() -> None:
    verdict = decide(report(0.80, [GAS]), report(0.945), candidate_name="new", live_name="old")
    assert [check.name for check in verdict.checks if not check.passed] == ["macro_f1", "safety_recall"]


def test_load_report_reads_a_report_file(tmp_path: Path) -> None:
    assert load_report(write(tmp_path, "r.json", report(0.9)))["macro_f1"] == 0.9


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not json",
        "[]",
        '{"macro_f1": "high"}',
        '{"macro_f1": 0.9}',
        json.dumps({**report(0.9), "safety_missed": 3}),
    ],
)
def test_load_report_refuses_garbage_with_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportUnreadable, match="r.json"):
        load_report(path)


def test_load_report_refuses_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReportUnreadable, match="missing"):
        load_report(tmp_path / "nothing.json")


def test_verdict_round_trips_through_its_file_and_garbage_reads_as_none(tmp_path: Path) -> None:
    verdict = decide(report(0.80, [GAS]), report(0.945), candidate_name="new", live_name="old")
    write_verdict(verdict, tmp_path / "gate.json")
    again = read_verdict(tmp_path / "gate.json")
    assert again is not None and again.passed is False and again.reasons == verdict.reasons
    assert read_verdict(write(tmp_path, "bad.json", {"checks": "x"})) is None
    assert read_verdict(tmp_path / "absent.json") is None
