from pathlib import Path

import pytest

from bench.training import add_nlu_example, component_seconds, restored_components, slowest

NLU = """version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hello
      - hiya
  - intent: goodbye
    examples: |
      - bye
"""


def test_add_nlu_example_appends_to_the_first_intent_only(tmp_path):
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "conversation.yml").write_text(NLU)
    add_nlu_example(tmp_path)
    text = (tmp_path / "nlu" / "conversation.yml").read_text()
    greet, goodbye = text.split("- intent: goodbye")
    assert "hiya there, bench here" in greet and "bench" not in goodbye


def test_add_nlu_example_to_a_file_without_examples_is_a_clear_error(tmp_path):
    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "conversation.yml").write_text("version: '3.1'\n")
    with pytest.raises(ValueError, match="no examples block"):
        add_nlu_example(tmp_path)


def test_restored_components_are_read_from_rasas_training_log():
    log = (
        "INFO rasa.engine.training.hooks - Restored component 'TEDPolicy' from cache.\n"
        "INFO rasa.engine.training.hooks - Starting to train component 'DIETClassifier'.\n"
        "INFO rasa.engine.training.hooks - Restored component 'RulePolicy' from cache.\n"
    )
    assert restored_components(log) == ["TEDPolicy", "RulePolicy"]
    assert restored_components("garbage") == []


TRAINING_LOG = """\
2026-11-21 20:30:05 INFO     rasa.engine.training.hooks  - Starting to train component 'CountVectorsFeaturizer'.
2026-11-21 20:30:07 INFO     rasa.engine.training.hooks  - Finished training component 'CountVectorsFeaturizer'.
2026-11-21 20:30:07 INFO     rasa.engine.training.hooks  - Starting to train component 'CountVectorsFeaturizer'.
2026-11-21 20:30:10 INFO     rasa.engine.training.hooks  - Finished training component 'CountVectorsFeaturizer'.
2026-11-21 20:30:10 INFO     rasa.engine.training.hooks  - Starting to train component 'DIETClassifier'.
Epochs: 100%|##########| 30/30 [02:05<00:00]
2026-11-21 20:32:19 INFO     rasa.engine.training.hooks  - Finished training component 'DIETClassifier'.
2026-11-21 20:32:19 INFO     rasa.engine.training.hooks  - Starting to train component 'LinearIntentBlend'.
2026-11-21 20:32:31 INFO     rasa.engine.training.hooks  - Finished training component 'LinearIntentBlend'.
2026-11-21 20:32:31 INFO     rasa.engine.training.hooks  - Starting to train component 'ResponseSelector'.
"""


def test_component_seconds_are_read_from_rasas_log_leaving_out_a_training_that_never_finished():
    assert component_seconds(TRAINING_LOG) == [
        ("CountVectorsFeaturizer", 2.0),
        ("CountVectorsFeaturizer", 3.0),
        ("DIETClassifier", 129.0),
        ("LinearIntentBlend", 12.0),
    ]
    assert component_seconds("no timestamps here") == []


def test_slowest_components_sum_a_component_trained_twice_and_come_slowest_first():
    found = slowest(component_seconds(TRAINING_LOG), count=2)
    assert found == [("DIETClassifier", 129.0), ("LinearIntentBlend", 12.0)]
    assert slowest(component_seconds(TRAINING_LOG))[-1] == ("CountVectorsFeaturizer", 5.0)


def test_nlu_only_retrain_fine_tunes_the_cold_model_like_the_consoles_models_page(tmp_path, monkeypatch):
    import subprocess

    from bench import training
    from bot.model_ops.jobs import FINETUNE_EPOCH_FRACTION

    commands = []

    def fake_rasa_train(command, **_kwargs):
        commands.append(command)
        out = Path(command[command.index("--out") + 1])
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{command[command.index('--fixed-model-name') + 1]}.tar.gz").write_bytes(b"model" * 1000)
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(training.subprocess, "run", fake_rasa_train)
    result = training.measure(tmp_path / "work", adopt_as=tmp_path / "models" / "served.tar.gz")

    cold, retrain = commands
    assert "--finetune" not in cold
    base = retrain[retrain.index("--finetune") + 1]
    assert base == str(tmp_path / "work" / "models" / "cold.tar.gz")
    assert retrain[retrain.index("--epoch-fraction") + 1] == str(FINETUNE_EPOCH_FRACTION)
    assert result.finetune_epoch_fraction == FINETUNE_EPOCH_FRACTION
    # No model for the project's inputs existed: the cold one is served, not trained a third time.
    assert result.adopted and (tmp_path / "models" / "served.tar.gz").exists()
