"""The production-profile figures file: merged per test, never lost to a bad file, printed readably."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.scale import figures


def test_record_merges_one_entry_per_test_and_replaces_a_tests_earlier_figures(tmp_path: Path) -> None:
    path = tmp_path / "scale" / "figures.json"

    figures.record("test_load", {"messages": 5000, "lost": 0}, path=path)
    figures.record("test_soak", {"max_memory_growth_pct": 1.23456}, path=path)
    figures.record("test_load", {"messages": 4990, "lost": 1}, path=path)
    stored = json.loads(path.read_text())

    assert set(stored) == {"test_load", "test_soak"}
    assert {key: stored["test_load"][key] for key in ("messages", "lost")} == {"messages": 4990, "lost": 1}
    assert stored["test_soak"]["max_memory_growth_pct"] == 1.235
    assert stored["test_load"]["recorded_at"].endswith("+00:00")


def test_record_replaces_a_corrupt_file_instead_of_failing_the_test(tmp_path: Path) -> None:
    path = tmp_path / "figures.json"
    path.write_text("{not json")

    figures.record("test_load", {"messages": 10}, path=path)

    assert figures.read(path)["test_load"]["messages"] == 10


@pytest.mark.parametrize("content", ["", "[]", '"text"', '{"test_load": 3}', "\x00\xff"])
def test_read_gives_nothing_for_a_file_that_holds_no_figures(tmp_path: Path, content: str) -> None:
    path = tmp_path / "figures.json"
    path.write_text(content, encoding="utf-8", errors="surrogateescape")

    assert figures.read(path) == {}


def test_read_of_a_missing_file_gives_nothing(tmp_path: Path) -> None:
    assert figures.read(tmp_path / "absent.json") == {}


@pytest.mark.parametrize(("name", "values"), [("", {"lost": 0}), ("   ", {"lost": 0}), ("test_load", {})])
def test_record_refuses_figures_without_a_test_or_without_figures(
    tmp_path: Path, name: str, values: dict[str, int]
) -> None:
    path = tmp_path / "figures.json"

    with pytest.raises(ValueError):
        figures.record(name, values, path=path)

    assert not path.exists()


def test_values_json_cannot_hold_are_written_as_text(tmp_path: Path) -> None:
    path = tmp_path / "figures.json"

    written = figures.record("test_x", {"p95": math.inf, "ratio": math.nan, "where": Path("/tmp/x")}, path=path)

    assert (written["p95"], written["ratio"], written["where"]) == ("inf", "nan", "/tmp/x")
    json.loads(path.read_text())  # still valid JSON (no bare NaN or Infinity)


def test_summary_shows_the_named_tests_in_order_wrapped_and_says_where_the_file_is(tmp_path: Path) -> None:
    path = tmp_path / "figures.json"
    figures.record("test_load", {f"figure_{index}": index * 1.5 for index in range(20)}, path=path)
    figures.record("test_faults", {"lost": 0, "duplicated": 0}, path=path)

    lines = figures.summary_lines(["test_faults", "test_missing", "test_load"], path=path, width=80)

    assert lines[0] == "test_faults: lost 0, duplicated 0"
    assert lines[1].startswith("test_load: figure_0 0, figure_1 1.5, ")
    assert all(len(line) <= 80 for line in lines[:-1])
    assert all(line.startswith("    ") for line in lines[2:-1])
    assert "recorded_at" not in "".join(lines)
    assert lines[-1] == f"(all figures: {path})"


def test_summary_is_empty_when_no_test_recorded_figures(tmp_path: Path) -> None:
    assert figures.summary_lines([], path=tmp_path / "figures.json") == []


def test_recorded_since_names_the_tests_a_run_recorded_oldest_first_for_the_xdist_controllers_summary(
    tmp_path: Path,
) -> None:
    path = tmp_path / "figures.json"
    path.write_text(
        json.dumps(
            {
                "test_last_week": {"lost": 0, "recorded_at": "2026-11-15T09:00:00+00:00"},
                "test_faults": {"lost": 0, "recorded_at": "2026-11-22T10:05:00+00:00"},
                "test_load": {"lost": 0, "recorded_at": "2026-11-22T10:01:00+00:00"},
                "test_garbled": {"lost": 0, "recorded_at": "yesterday"},
                "test_undated": {"lost": 0},
            }
        )
    )
    run_started = datetime(2026, 11, 22, 11, 0, 30, 500000, tzinfo=timezone(timedelta(hours=1)))

    assert figures.recorded_since(run_started, path=path) == ["test_load", "test_faults"]
    assert figures.recorded_since(run_started, path=tmp_path / "missing.json") == []
