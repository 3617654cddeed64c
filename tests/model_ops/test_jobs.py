"""Training jobs: one at a time, progress from the trainer's output into status files, failures explained."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from bot.model_ops import jobs
from bot.model_ops.gate import Check, Verdict
from bot.model_ops.jobs import JobNotFound, JobRefused, JobRunning, JobSpec, JobStore, prepare, run
from bot.model_ops.registry import ModelMeta, Registry

FAKE_RASA = r"""
import pathlib, sys, time
out, name, fail = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "fail"
print("INFO rasa.engine.training.hooks - Restored component 'TEDPolicy' from cache.", flush=True)
print("INFO rasa.engine.training.hooks - Starting to train component 'DIETClassifier'.", flush=True)
for epoch in range(1, 4):
    sys.stdout.write(f"Epochs:  {epoch * 33}%|###   | {epoch}/3 [00:01<00:01]\r")
    sys.stdout.flush()
    time.sleep(0.05)
if fail:
    print("\nValueError: the data is broken", flush=True)
    sys.exit(3)
print("\nINFO rasa.engine.training.hooks - Finished training component 'DIETClassifier'.", flush=True)
(out / f"{name}.tar.gz").write_bytes(b"model")
print(f"Your Rasa model is trained and saved at '{out}/{name}.tar.gz'.", flush=True)
"""


@pytest.fixture
def fake_trainer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Replace `rasa train` by a script printing what Rasa prints; record the real command it would have run."""
    script = tmp_path / "fake_rasa.py"
    script.write_text(FAKE_RASA, encoding="utf-8")
    commands: list[list[str]] = []
    real = jobs.train_command

    def command(spec: JobSpec, root: Path, out: Path, name: str) -> list[str]:
        commands.append(real(spec, root, out, name))
        outcome = "fail" if "broken" in spec.data_dir else "ok"
        return [sys.executable, str(script), str(out), name, outcome]

    def judge(registry: Registry, record: object, tests: object) -> Verdict:
        return Verdict(candidate="x", live=None, passed=True, checks=[Check("macro_f1", True, "fine")])

    monkeypatch.setattr(jobs, "train_command", command)
    monkeypatch.setattr(jobs, "judge", judge)
    return commands


def test_full_job_trains_registers_and_reports_cached_and_trained_components(
    project: Path, fake_trainer: list[list[str]]
) -> None:
    spec = prepare(project, kind="full", by="staff:trainer")
    seen: list[str] = []
    status = run(project, spec.id, on_status=lambda s: seen.append(s.step))
    assert status.state == "succeeded", status.error
    assert status.restored == ["TEDPolicy"] and status.trained == ["DIETClassifier"]
    assert seen[0] == "Starting rasa train" and seen[-1] == "Done"
    record = Registry(project).get(str(status.model))
    assert record.meta.kind == "full" and record.meta.trained_by == "staff:trainer"
    assert record.meta.train_seconds is not None and record.meta.train_seconds > 0
    assert "--finetune" not in fake_trainer[0]
    store = JobStore(project)
    assert store.current() is None and store.history()[0].id == spec.id
    assert "Finished training component" in (store.folder(spec.id) / "train.log").read_text(encoding="utf-8")


def test_failed_training_says_why_keeps_no_model_and_frees_the_slot(
    project: Path, fake_trainer: list[list[str]]
) -> None:
    broken = project / "broken-data"
    (project / "data").rename(broken)
    spec = prepare(project, kind="full", by="cli", data_dir=broken)
    status = run(project, spec.id)
    assert status.state == "failed"
    assert "exit code 3" in str(status.error)
    assert any("the data is broken" in line for line in status.log_tail)
    assert Registry(project).list() == []
    assert JobStore(project).current() is None
    prepare(project, kind="full", by="cli", data_dir=broken)  # another job may start


def test_second_job_is_refused_while_one_runs(project: Path) -> None:
    prepare(project, kind="full", by="staff:trainer")
    with pytest.raises(JobRunning, match="staff:trainer"):
        prepare(project, kind="full", by="cli")


def test_job_whose_process_died_no_longer_blocks_training(project: Path) -> None:
    spec = prepare(project, kind="full", by="staff:trainer")
    store = JobStore(project)
    status = store.status(spec.id)
    status.pid = 2**22 + 7  # above Linux's default pid_max: no such process
    store.save_status(status)
    assert store.status(spec.id).state == "failed"
    assert "stopped unexpectedly" in str(store.status(spec.id).error)
    prepare(project, kind="full", by="cli")


@pytest.mark.parametrize("kind", ["", "fast", "full; rm -rf /", "nlu"])
def test_unknown_kind_is_refused(project: Path, kind: str) -> None:
    with pytest.raises(JobRefused, match="unknown kind"):
        prepare(project, kind=kind, by="cli")
    assert JobStore(project).current() is None


def test_nlu_only_without_live_model_is_refused(project: Path) -> None:
    with pytest.raises(JobRefused, match="no live model"):
        prepare(project, kind="nlu-only", by="cli")


def _live_model(project: Path, core: str | None) -> None:
    registry = Registry(project)
    folder = registry.folder_for("live-model")
    folder.mkdir(parents=True)
    (folder / "live-model.tar.gz").write_bytes(b"m")
    registry.save(
        folder, ModelMeta(name="live-model", created_at="2026-11-21T10:00:00+00:00", kind="full", core_fingerprint=core)
    )
    registry.set_live("live-model", by="cli")


def test_nlu_only_after_domain_change_is_refused(project: Path) -> None:
    from bot.model_ops.fingerprints import input_fingerprints

    _live_model(project, input_fingerprints(project, project / "data", project / "config.yml").core)
    with (project / "domain" / "repairs.yml").open("a", encoding="utf-8") as stream:
        stream.write("\n# changed\n")
    with pytest.raises(JobRefused, match="only a full retrain"):
        prepare(project, kind="nlu-only", by="cli")


def test_nlu_only_after_nlu_change_fine_tunes_the_live_model(project: Path, fake_trainer: list[list[str]]) -> None:
    from bot.model_ops.fingerprints import input_fingerprints

    _live_model(project, input_fingerprints(project, project / "data", project / "config.yml").core)
    with (project / "data" / "nlu" / "repairs.yml").open("a", encoding="utf-8") as stream:
        stream.write("\n# new example would go here\n")
    spec = prepare(project, kind="nlu-only", by="cli")
    status = run(project, spec.id)
    assert status.state == "succeeded"
    command = fake_trainer[0]
    assert command[command.index("--finetune") + 1].endswith("live-model.tar.gz")
    assert command[command.index("--epoch-fraction") + 1] == str(jobs.FINETUNE_EPOCH_FRACTION)
    assert Registry(project).get(str(status.model)).meta.base_model == "live-model"


@pytest.mark.parametrize("job_id", ["", "../../etc/passwd", "0" * 31, "Z" * 32])
def test_job_ids_that_are_not_ours_are_not_found(project: Path, job_id: str) -> None:
    with pytest.raises(JobNotFound):
        JobStore(project).status(job_id)


def test_damaged_status_files_are_skipped_in_history(project: Path) -> None:
    folder = project / "var" / "training" / "jobs" / ("a" * 32)
    folder.mkdir(parents=True)
    (folder / "status.json").write_text("garbage", encoding="utf-8")
    assert JobStore(project).history() == []
    assert os.path.isdir(folder)  # nothing is deleted
