"""Loading DIET and the ResponseSelector for prediction only: the shortcut is taken only when it is safe.

The comparison on the real model (same answers as Rasa's loader, message for message) is in
tests/nlu/test_lean_load.py; these tests use stand-in model classes to pin down when the shortcut falls back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.utils.tensorflow.models import RasaModel

from bot import rasa_lean_load


class Status:
    """Stands in for the checkpoint restore status TensorFlow returns from `load_weights`."""

    def __init__(self, matched: bool) -> None:
        self.matched = matched

    def expect_partial(self) -> Status:
        return self

    def assert_existing_objects_matched(self) -> None:
        if not self.matched:
            raise AssertionError("Unresolved object in checkpoint: (root).extra_layer.kernel")


def model_class(matched: bool = True, predict_fails: bool = False) -> type:
    class StandIn(RasaModel):  # type: ignore[misc]
        calls: list[str] = []  # on the class: Keras refuses attributes on a model whose __init__ it did not run

        def __init__(self, *args: Any, **kwargs: Any) -> None:  # no TensorFlow model behind it
            pass

        def load_weights(self, path: str) -> Status:
            self.calls.append(f"load_weights {path}")
            return Status(matched)

        def run_inference(self, data: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
            self.calls.append("run_inference")
            if predict_fails:
                raise ValueError("shapes do not match")
            return {}

    return StandIn


@pytest.fixture
def rasa_loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """Install the lean loader with Rasa's own loader replaced by a recorder."""
    calls: list[tuple[Any, ...]] = []

    def rasa_load(cls: type, path: str, example: Any, predict: Any = None, finetune: bool = False, *a: Any, **k: Any):
        calls.append((cls, path, finetune))
        return "loaded by rasa"

    monkeypatch.setattr(rasa_lean_load, "_ORIGINAL_LOAD", rasa_load)
    assert rasa_lean_load.install()
    yield calls
    monkeypatch.undo()  # Rasa's real loader back first, then put in place again
    rasa_lean_load.uninstall()


def test_a_model_loaded_to_predict_skips_the_training_step(rasa_loads: list, caplog: pytest.LogCaptureFixture) -> None:
    cls = model_class()
    model = cls.load("weights.tf_model", "example", "predict example")
    assert model.calls == ["load_weights weights.tf_model", "run_inference"]
    assert rasa_loads == []
    assert "loading it with its training graph" not in caplog.text


def test_a_model_loaded_for_fine_tuning_is_loaded_the_rasa_way(rasa_loads: list) -> None:
    cls = model_class()
    assert cls.load("weights.tf_model", "example", "predict example", True) == "loaded by rasa"
    assert rasa_loads == [(cls, "weights.tf_model", True)]


def test_without_a_prediction_example_rasa_loads_it(rasa_loads: list) -> None:
    cls = model_class()
    assert cls.load("weights.tf_model", "example") == "loaded by rasa"


@pytest.mark.parametrize("kind", [{"matched": False}, {"predict_fails": True}])
def test_a_variable_missing_from_the_checkpoint_or_a_failed_prediction_falls_back_with_a_warning(
    rasa_loads: list, caplog: pytest.LogCaptureFixture, kind: dict[str, bool]
) -> None:
    cls = model_class(**kind)
    with caplog.at_level(logging.WARNING, logger="bot.rasa_lean_load"):
        assert cls.load("weights.tf_model", "example", "predict example") == "loaded by rasa"
    assert rasa_loads == [(cls, "weights.tf_model", False)]
    assert "could not load weights.tf_model for prediction only" in caplog.text


def test_install_is_idempotent_and_reversible() -> None:
    original = RasaModel.load.__func__  # type: ignore[attr-defined]
    assert rasa_lean_load.install() and rasa_lean_load.install()
    assert rasa_lean_load.installed()
    rasa_lean_load.uninstall()
    assert not rasa_lean_load.installed()
    assert RasaModel.load.__func__ is original  # type: ignore[attr-defined]


def test_other_rasa_series_is_left_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    assert rasa_lean_load.install(version="3.7.2") is False
    assert not rasa_lean_load.installed()
    assert "written for Rasa 3.6" in caplog.text
