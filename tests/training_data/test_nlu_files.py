import difflib
import os
import threading
from pathlib import Path

import pytest

from bot.training_data.nlu_files import (
    AlreadyPresent,
    ClaimedByOtherIntent,
    NluData,
    TrainingDataError,
    UnknownIntent,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_add_example_changes_exactly_one_line_at_the_end_of_the_intent(nlu: NluData, data_dir: Path) -> None:
    path = data_dir / "nlu" / "conversation.yml"
    before = path.read_text(encoding="utf-8")
    edit = nlu.add("greet", "  ey up   duck ")
    after = path.read_text(encoding="utf-8")
    assert _changed_lines(before, after) == ["+    - ey up duck"]
    greet = [example.text for example in nlu.examples()["greet"]]
    assert greet[-1] == "ey up duck"
    # The new line is the last of greet's block: the next intent starts two lines later, after the blank line.
    lines = after.splitlines()
    assert lines[edit.line - 1] == "    - ey up duck"
    assert lines[edit.line] == "" and lines[edit.line + 1] == "- intent: goodbye"
    assert edit.diff.count("\n+    - ") == 1


def test_add_example_keeps_comments_and_every_other_file_untouched(nlu: NluData, data_dir: Path) -> None:
    originals = {path.name: path.read_bytes() for path in (data_dir / "nlu").glob("*.yml")}
    nlu.add("faq/pets", "am i allowed a [hamster](repair_item) in the flat")
    for path in (data_dir / "nlu").glob("*.yml"):
        if path.name != "faq.yml":
            assert path.read_bytes() == originals[path.name], path.name
    after = (data_dir / "nlu" / "faq.yml").read_text(encoding="utf-8")
    assert "# Frequently asked questions, one retrieval sub-intent each" in after
    assert len(_changed_lines(originals["faq.yml"].decode(), after)) == 1


def test_add_example_with_entity_markup_in_json_form_is_accepted(nlu: NluData) -> None:
    nlu.add("report_repair", 'the [loo]{"entity": "repair_item", "value": "toilet"} is blocked solid')
    texts = [example.text for example in nlu.examples()["report_repair"]]
    assert texts[-1] == 'the [loo]{"entity": "repair_item", "value": "toilet"} is blocked solid'


@pytest.mark.parametrize(
    "text",
    ["howdo pardner", "HOWDO PARDNER!!", "  howdo   pardner ", "Howdo, pardner."],
)
def test_add_refuses_an_example_the_intent_already_has_ignoring_case_and_punctuation(nlu, data_dir, text) -> None:
    nlu.add("greet", "howdo pardner")
    before = (data_dir / "nlu" / "conversation.yml").read_text(encoding="utf-8")
    with pytest.raises(AlreadyPresent, match="greet already has this example"):
        nlu.add("greet", text)
    assert (data_dir / "nlu" / "conversation.yml").read_text(encoding="utf-8") == before


def test_add_refuses_words_that_already_belong_to_another_intent(nlu: NluData, data_dir: Path) -> None:
    existing = nlu.examples()["report_repair"][0]
    before = {path: path.read_bytes() for path in (data_dir / "nlu").glob("*.yml")}
    with pytest.raises(ClaimedByOtherIntent, match="already an example of report_repair"):
        nlu.add("report_emergency", existing.plain.upper())
    assert {path: path.read_bytes() for path in before} == before


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("the [boiler] (repair_item) is broke", "entity markup is broken"),
        ("the [boiler(repair_item) is broke", "entity markup is broken"),
        ("the boiler](repair_item) is broke", "entity markup is broken"),
        ("the [boiler](colour) is broke", "entity 'colour' the assistant does not have"),
        ("the [boiler](repair item) is broke", "does not name an entity"),
        ('the [boiler]{"entity": } is broke', "not valid JSON"),
        ('the [boiler]{"value": "x"} is broke', "must name its entity"),
        ("the [](repair_item) is broke", "marked text"),
        ("bad \x07 bell", "control character"),
        ("x" * 501, "keep it under 500"),
        ("   ", "the example is empty"),
    ],
)
def test_add_refuses_broken_examples_in_plain_words_and_writes_nothing(nlu, data_dir, text, words) -> None:
    before = (data_dir / "nlu" / "repairs.yml").read_bytes()
    with pytest.raises(TrainingDataError, match=words.replace("(", r"\(").replace(")", r"\)")):
        nlu.add("report_repair", text)
    assert (data_dir / "nlu" / "repairs.yml").read_bytes() == before


def test_add_refuses_an_intent_the_training_data_does_not_have(nlu: NluData) -> None:
    with pytest.raises(UnknownIntent, match="no intent called 'order_pizza'"):
        nlu.add("order_pizza", "large margherita please")


def test_multi_line_text_becomes_one_line(nlu: NluData, data_dir: Path) -> None:
    before = (data_dir / "nlu" / "conversation.yml").read_text(encoding="utf-8")
    nlu.add("greet", "hello\nthere\u2028friend")
    after = (data_dir / "nlu" / "conversation.yml").read_text(encoding="utf-8")
    assert _changed_lines(before, after) == ["+    - hello there friend"]


def test_replace_changes_one_line_in_place(nlu: NluData, data_dir: Path) -> None:
    path = data_dir / "nlu" / "repairs.yml"
    old = nlu.examples()["report_repair"][2].text
    before = path.read_text(encoding="utf-8")
    nlu.replace("report_repair", old, "[tap](repair_item) drips all night long")
    assert _changed_lines(before, path.read_text(encoding="utf-8")) == [
        f"-    - {old}",
        "+    - [tap](repair_item) drips all night long",
    ]
    assert nlu.examples()["report_repair"][2].text == "[tap](repair_item) drips all night long"


def test_replace_with_a_different_case_of_itself_is_allowed(nlu: NluData) -> None:
    nlu.add("greet", "ey up me duck")
    nlu.replace("greet", "ey up me duck", "Ey up me duck!")
    assert nlu.examples()["greet"][-1].text == "Ey up me duck!"


def test_remove_deletes_one_line_and_refuses_a_missing_example(nlu: NluData, data_dir: Path) -> None:
    path = data_dir / "nlu" / "conversation.yml"
    target = nlu.examples()["thank"][1].text
    before = path.read_text(encoding="utf-8")
    nlu.remove("thank", target)
    assert _changed_lines(before, path.read_text(encoding="utf-8")) == [f"-    - {target}"]
    with pytest.raises(TrainingDataError, match="has no example"):
        nlu.remove("thank", target)


def test_a_file_that_would_be_reformatted_is_left_alone(nlu: NluData, data_dir: Path) -> None:
    path = data_dir / "nlu" / "homes.yml"
    odd = path.read_text(encoding="utf-8").replace('version: "3.1"', 'version:     "3.1"')
    path.write_text(odd, encoding="utf-8")
    with pytest.raises(TrainingDataError, match="cannot keep exactly"):
        nlu.add("ask_available_homes", "any 3 bed houses going in the village")
    assert path.read_text(encoding="utf-8") == odd


def test_concurrent_adds_keep_every_example(nlu: NluData, data_dir: Path) -> None:
    texts = [f"morning from block {number} of the estate" for number in range(8)]
    errors: list[Exception] = []

    def add(text: str) -> None:
        try:
            NluData(data_dir, PROJECT_ROOT / "domain").add("greet", text)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=add, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    greet = {example.text for example in nlu.examples()["greet"]}
    assert set(texts) <= greet
    assert not [name for name in os.listdir(data_dir / "nlu") if name.endswith(".tmp")]


def test_the_real_data_files_round_trip_unchanged(nlu: NluData) -> None:
    # Every file must be editable: the editor only writes files it can reproduce byte for byte.
    from bot.training_data.nlu_files import _round_trip_indent

    for path in nlu.files():
        _round_trip_indent(path.read_text(encoding="utf-8"), path)
