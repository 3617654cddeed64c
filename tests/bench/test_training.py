import pytest

from bench.training import add_nlu_example, restored_components

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
