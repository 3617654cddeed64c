"""`tenantline model ...` on a private project: listing, and clear errors for garbage input that change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.model_ops import cli
from bot.model_ops.registry import Registry
from tests.model_ops.support import GOOD_PAIRS, add_model

runner = CliRunner(mix_stderr=False)


@pytest.fixture
def root(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(cli, "ROOT", project)
    return project


def test_list_without_models_says_how_to_make_one(root: Path) -> None:
    result = runner.invoke(cli.app, ["list"])

    assert result.exit_code == 0
    assert "no models yet: `tenantline model train` makes one" in result.stdout


def test_list_marks_the_live_model_and_shows_scores_and_verdicts(root: Path) -> None:
    add_model(root, "old", pairs=GOOD_PAIRS, created="2026-11-20T09:00:00+00:00")
    add_model(root, "new", pairs=None, kind="nlu-only", train_seconds=37.6)
    Registry(root).set_live("old", by="cli")

    result = runner.invoke(cli.app, ["list"])

    assert result.stdout.splitlines() == [
        "  new  nlu-only, trained in 38 s  not evaluated",
        "* old  full, trained in 42 s  macro-F1 0.963",
    ]


@pytest.mark.parametrize("name", ["absent", "../../etc/passwd", "", "UPPER"])
def test_activate_unknown_model_fails_clearly_and_changes_nothing(root: Path, name: str) -> None:
    result = runner.invoke(cli.app, ["activate", name, "--no-server"])

    assert result.exit_code == 1
    assert "error: there is no model called" in result.stderr
    assert "tenantline model list" in result.stderr
    assert Registry(root).live() is None


def test_activate_refused_by_gate_prints_the_reasons(root: Path) -> None:
    add_model(root, "live", pairs=GOOD_PAIRS)
    Registry(root).set_live("live", by="cli")
    worse = [(e, "pay_rent") for e, _ in GOOD_PAIRS]
    add_model(root, "worse", pairs=worse)

    result = runner.invoke(cli.app, ["activate", "worse", "--no-server"])

    assert result.exit_code == 1
    assert "refused: Macro-F1 on the held-out messages is" in result.stderr
    pointer = Registry(root).live()
    assert pointer is not None and pointer.name == "live"


def test_activate_without_server_sets_the_model_for_the_next_start(root: Path) -> None:
    add_model(root, "live", pairs=GOOD_PAIRS)
    Registry(root).set_live("live", by="cli")
    add_model(root, "same", pairs=GOOD_PAIRS)

    result = runner.invoke(cli.app, ["activate", "same", "--no-server"])

    assert result.exit_code == 0, result.stderr
    assert "same is live: the next `make run` will serve it." in result.stdout
    pointer = Registry(root).live()
    assert pointer is not None and pointer.name == "same" and pointer.activated_by == "cli"


def test_activate_with_no_assistant_running_fails_and_keeps_the_live_model(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENANTLINE_RASA_URL", "http://127.0.0.1:9")  # nothing listens on the discard port
    cli.get_settings.cache_clear()
    add_model(root, "live", pairs=GOOD_PAIRS)
    Registry(root).set_live("live", by="cli")
    add_model(root, "same", pairs=GOOD_PAIRS)

    result = runner.invoke(cli.app, ["activate", "same"])
    cli.get_settings.cache_clear()

    assert result.exit_code == 1
    assert "The live model is unchanged. (Use --no-server if no assistant is running.)" in result.stderr
    pointer = Registry(root).live()
    assert pointer is not None and pointer.name == "live"


@pytest.mark.parametrize("path", ["missing.tar.gz", "notes.txt.tar.gz", "garbage.tar.gz"])
def test_evaluate_a_path_that_is_not_a_model_fails_clearly(root: Path, tmp_path: Path, path: str) -> None:
    if path != "missing.tar.gz":
        (tmp_path / path).write_text("not a model", encoding="utf-8")
    result = runner.invoke(cli.app, ["evaluate", str(tmp_path / path)])

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert Registry(root).list() == []


def test_train_with_a_missing_data_folder_fails_before_starting(root: Path) -> None:
    result = runner.invoke(cli.app, ["train", "--data", "/nonexistent/data"])

    assert result.exit_code == 1
    assert "error: no training data folder at /nonexistent/data" in result.stderr


def test_train_nlu_only_without_a_live_model_explains(root: Path) -> None:
    result = runner.invoke(cli.app, ["train", "--nlu-only"])

    assert result.exit_code == 1
    assert "there is no live model to fine-tune yet; train a full model first" in result.stderr
