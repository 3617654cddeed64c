from pathlib import Path

from bot.training_data.nlu_files import NluData
from bot.training_data.validation import check, minimum_for


def test_the_project_training_data_has_no_problems(nlu: NluData) -> None:
    assert check(nlu) == []


def test_minimum_examples_are_60_for_high_stakes_intents_and_30_otherwise() -> None:
    assert minimum_for("report_emergency") == 60
    assert minimum_for("rent_arrears_help") == 60
    assert minimum_for("greet") == 30
    assert minimum_for("faq/pets") == 30


def _append_to_block(path: Path, intent: str, line: str) -> None:
    text = path.read_text(encoding="utf-8")
    marker = f"- intent: {intent}\n  examples: |\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + f"    - {line}\n"), encoding="utf-8")


def test_check_explains_an_example_in_two_intents(nlu: NluData, data_dir: Path) -> None:
    _append_to_block(data_dir / "nlu" / "conversation.yml", "thank", "Boiler Broken!")
    _append_to_block(data_dir / "nlu" / "repairs.yml", "report_repair", "boiler broken")
    messages = [problem.message for problem in check(nlu)]
    assert len(messages) == 1
    assert "one message cannot teach two intents" in messages[0]
    assert "thank" in messages[0] and "report_repair" in messages[0]


def test_check_explains_an_intent_with_too_few_examples(nlu: NluData, data_dir: Path) -> None:
    path = data_dir / "nlu" / "contact.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("    - ")][:] + [
        line for line in lines if line.startswith("    - ")
    ][:12]
    path.write_text("".join(kept), encoding="utf-8")
    problems = [problem for problem in check(nlu) if problem.intent == "ask_contact_info"]
    assert [problem.message for problem in problems] == [
        "ask_contact_info has 12 examples; it needs at least 30 to be learnt reliably. "
        "Add 18 more, in the words tenants really use."
    ]


def test_check_explains_broken_markup_already_in_a_file(nlu: NluData, data_dir: Path) -> None:
    _append_to_block(data_dir / "nlu" / "repairs.yml", "report_repair", "the [sink] (repair_item) is blocked")
    messages = [problem.message for problem in check(nlu)]
    assert messages == [
        "The example 'the [sink] (repair_item) is blocked' cannot be used: the entity markup is broken: mark a word "
        "as [word](entity), with nothing between ] and (, or leave out the square brackets."
    ]
