"""The `rasa train` command every TenantLine training runs, and why it turns Rasa's story augmentation off."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot.training import STORY_AUGMENTATION, rasa_train_command, trained_augmentation

PROJECT_ROOT = Path(__file__).resolve().parents[1]

POLICIES_THAT_DROP_AUGMENTED_TRACKERS = {"MemoizationPolicy", "RulePolicy"}
"""Rasa 3.6 policies that train on original trackers only (memoization.py and rule_policy.py filter `is_augmented`)."""


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_a_full_training_turns_augmentation_off_and_names_every_input() -> None:
    command = rasa_train_command(
        config="config.yml", domain="domain", data="data", out="models", name="tenantline-x", epoch_fraction=0.25
    )

    assert command[1:4] == ["-m", "rasa", "train"]
    assert _option(command, "--augmentation") == "0" == str(STORY_AUGMENTATION)
    assert [_option(command, flag) for flag in ("--config", "--domain", "--data", "--out", "--fixed-model-name")] == [
        "config.yml",
        "domain",
        "data",
        "models",
        "tenantline-x",
    ]
    assert "--finetune" not in command and "--epoch-fraction" not in command and "--force" not in command


def test_a_fine_tune_names_its_base_model_and_epoch_share_and_force_is_passed_on(tmp_path: Path) -> None:
    base = tmp_path / "live.tar.gz"
    command = rasa_train_command(
        config=tmp_path / "c.yml", domain="d", data="x", out=tmp_path, name="n", finetune=base, epoch_fraction=0.25
    )
    forced = rasa_train_command(config="c", domain="d", data="x", out="o", name="n", force=True)

    assert (_option(command, "--finetune"), _option(command, "--epoch-fraction")) == (str(base), "0.25")
    assert _option(command, "--augmentation") == "0"
    assert forced[-1] == "--force"


def test_the_configured_policies_all_ignore_augmented_trackers() -> None:
    """Augmentation off changes no model only while no policy learns from augmented trackers (TEDPolicy would)."""
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text(encoding="utf-8"))
    names = {str(policy["name"]).rsplit(".", 1)[-1] for policy in config["policies"]}

    assert names <= POLICIES_THAT_DROP_AUGMENTED_TRACKERS, (
        f"{sorted(names - POLICIES_THAT_DROP_AUGMENTED_TRACKERS)} may learn from augmented stories: "
        "measure the model with Rasa's default augmentation before keeping STORY_AUGMENTATION at 0"
    )


def _original_trackers(trackers: list[DialogueStateTracker]) -> list[list[dict]]:
    """Each original tracker's events (what the policies train on) without their timestamps, in a stable order."""
    originals = [tracker for tracker in trackers if not getattr(tracker, "is_augmented", False)]
    events = (
        [{key: value for key, value in event.as_dict().items() if key != "timestamp"} for event in tracker.events]
        for tracker in originals
    )
    return sorted(events, key=repr)


@pytest.mark.filterwarnings("ignore")
def test_without_augmentation_the_policies_get_the_same_trackers_and_none_of_the_augmented_ones() -> None:
    importer = TrainingDataImporter.load_from_config(
        str(PROJECT_ROOT / "config.yml"), str(PROJECT_ROOT / "domain"), [str(PROJECT_ROOT / "data")]
    )
    domain, stories = importer.get_domain(), importer.get_stories()

    with_default = TrainingDataGenerator(stories, domain, augmentation_factor=50).generate()
    without = TrainingDataGenerator(stories, domain, augmentation_factor=STORY_AUGMENTATION).generate()

    augmented = [tracker for tracker in with_default if getattr(tracker, "is_augmented", False)]
    assert len(augmented) > len(without)  # most of what the default generates is thrown away by the policies
    assert without and not any(getattr(tracker, "is_augmented", False) for tracker in without)
    assert _original_trackers(without) == _original_trackers(with_default)


TRACKER_PROVIDER = "rasa.graph_components.providers.training_tracker_provider.TrainingTrackerProvider"


def _archive(path: Path, members: dict[str, bytes]) -> Path:
    """Write a gzipped tar with these members, the way Rasa packs a model (components first, metadata last)."""
    with tarfile.open(path, "w:gz") as tar:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def _metadata(factor: object) -> bytes:
    nodes = {
        "domain_provider": {"uses": "rasa.graph_components.providers.domain_provider.DomainProvider", "config": {}},
        "training_tracker_provider": {"uses": TRACKER_PROVIDER, "config": {"augmentation_factor": factor}},
    }
    return json.dumps({"train_schema": {"nodes": nodes}}).encode()


def test_a_fine_tune_keeps_the_augmentation_its_base_model_was_trained_with(tmp_path: Path) -> None:
    """Rasa refuses to fine-tune across any change but epochs: a model from before this setting keeps its 50."""
    old = _archive(tmp_path / "old.tar.gz", {"components/x/weights": b"\0" * 64, "./metadata.json": _metadata(50)})
    new = _archive(tmp_path / "new.tar.gz", {"metadata.json": _metadata(0)})

    assert trained_augmentation(old) == 50 and trained_augmentation(new) == 0
    assert (
        _option(rasa_train_command(config="c", domain="d", data="x", out="o", name="n", finetune=old), "--augmentation")
        == "50"
    )
    assert (
        _option(rasa_train_command(config="c", domain="d", data="x", out="o", name="n", finetune=new), "--augmentation")
        == "0"
    )


@pytest.mark.parametrize(
    "members",
    [
        {},
        {"components/metadata.json": _metadata(50)},
        {"metadata.json": b"{not json"},
        {"metadata.json": b"[1, 2]"},
        {"metadata.json": json.dumps({"train_schema": {"nodes": []}}).encode()},
        {"metadata.json": _metadata("fifty")},
        {"metadata.json": _metadata(-3)},
        {"metadata.json": _metadata(True)},
        {"metadata.json": _metadata(50).replace(b'{"augmentation_factor": 50}', b'"augmentation_factor=50"')},
    ],
    ids=[
        "empty",
        "nested-metadata",
        "bad-json",
        "json-list",
        "nodes-list",
        "text-factor",
        "negative",
        "boolean",
        "config-not-a-mapping",
    ],
)
def test_an_archive_that_does_not_say_gives_none_and_the_default_is_used(tmp_path: Path, members: dict) -> None:
    archive = _archive(tmp_path / "odd.tar.gz", members)

    assert trained_augmentation(archive) is None
    command = rasa_train_command(config="c", domain="d", data="x", out="o", name="n", finetune=archive)
    assert _option(command, "--augmentation") == str(STORY_AUGMENTATION)


@pytest.mark.parametrize("content", [b"", b"not a tar file at all", b"\x1f\x8b\x08\x00truncated gzip"])
def test_garbage_or_missing_files_give_none(tmp_path: Path, content: bytes) -> None:
    garbage = tmp_path / "model.tar.gz"
    garbage.write_bytes(content)

    assert trained_augmentation(garbage) is None
    assert trained_augmentation(tmp_path / "absent.tar.gz") is None
    assert trained_augmentation(tmp_path) is None  # a folder
