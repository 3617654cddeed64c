"""Model records on disk and the live pointer that `tenantline run` and activation share."""

from __future__ import annotations

import io
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.model_ops.fingerprints import input_fingerprints
from bot.model_ops.registry import (
    LIVE_FILE,
    ModelMeta,
    ModelNotFound,
    Registry,
    RegistryError,
    check_name,
    serving_model,
)


def make_model(
    registry: Registry, name: str, *, created: str = "2026-11-21T10:00:00+00:00", core: str | None = None
) -> Path:
    folder = registry.folder_for(name)
    folder.mkdir(parents=True)
    (folder / f"{name}.tar.gz").write_bytes(b"archive")
    registry.save(folder, ModelMeta(name=name, created_at=created, kind="full", core_fingerprint=core))
    return folder


def test_new_name_is_unique_and_usable_in_urls(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    when = datetime(2026, 11, 21, 14, 2, 3, tzinfo=timezone.utc)
    first = registry.new_name("ABCDEF0123456789ff", when=when)
    assert first == "tenantline-abcdef0123456789-20261121-140203"
    make_model(registry, first)
    assert registry.new_name("abcdef0123456789", when=when) == first + "-2"


@pytest.mark.parametrize("name", ["", "../etc", "a/b", "UPPER", "x" * 81, "-lead", "name.tar.gz", "é"])
def test_impossible_model_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ModelNotFound):
        check_name(name)
    with pytest.raises(ModelNotFound):
        Registry(tmp_path).get(name)


def test_list_is_newest_first_and_skips_damaged_records(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    make_model(registry, "old", created="2026-11-20T10:00:00+00:00")
    make_model(registry, "new", created="2026-11-21T10:00:00+00:00")
    (registry.home / "broken").mkdir()
    (registry.home / "broken" / "meta.json").write_text("{not json", encoding="utf-8")
    archive_gone = make_model(registry, "gone")
    (archive_gone / "gone.tar.gz").unlink()
    assert [r.name for r in registry.list()] == ["new", "old"]


def test_register_archive_copies_it_so_pruning_models_cannot_remove_it(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    source = tmp_path / "models" / "tenantline-0123456789abcdef.tar.gz"
    source.parent.mkdir()
    with tarfile.open(source, "w:gz") as archive:
        archive.addfile(tarfile.TarInfo("metadata.json"), io.BytesIO(b""))
    content = source.read_bytes()
    record = registry.register_archive(source)
    source.unlink()
    assert record.archive.read_bytes() == content
    assert registry.register_archive(record.archive).name == record.name  # registering again changes nothing


@pytest.mark.parametrize("name", ["model.zip", "Bad Name.tar.gz", "missing.tar.gz", "not-a-tar.tar.gz"])
def test_register_archive_refuses_what_is_not_a_model(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name != "missing.tar.gz":
        path.write_bytes(b"x")
    with pytest.raises(RegistryError):
        Registry(tmp_path).register_archive(path)


def test_live_pointer_is_set_read_and_ignored_when_damaged(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    make_model(registry, "cand")
    assert registry.live() is None
    pointer = registry.set_live("cand", by="staff:trainer")
    assert registry.live() == pointer and pointer.activated_by == "staff:trainer"
    (registry.home / LIVE_FILE).write_text("[1, 2]", encoding="utf-8")
    assert registry.live() is None
    with pytest.raises(ModelNotFound):
        registry.set_live("absent", by="cli")


def test_run_serves_activated_model_until_more_than_nlu_data_changes(project: Path) -> None:
    registry = Registry(project)
    core = input_fingerprints(project, project / "data", project / "config.yml").core
    folder = make_model(registry, "cand", core=core)
    assert serving_model(project) is None  # nothing activated: `tenantline run` builds the fingerprinted model
    registry.set_live("cand", by="cli")
    assert serving_model(project) == folder / "cand.tar.gz"
    with (project / "data" / "nlu" / "repairs.yml").open("a", encoding="utf-8") as stream:
        stream.write("\n# a trainer's note\n")
    assert serving_model(project) == folder / "cand.tar.gz"  # NLU-only change: still live
    with (project / "domain" / "repairs.yml").open("a", encoding="utf-8") as stream:
        stream.write("\n# a developer's change\n")
    assert serving_model(project) is None  # the domain changed: the activated model no longer fits
