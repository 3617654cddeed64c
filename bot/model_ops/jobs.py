"""Training jobs: one at a time, `rasa train` in a subprocess, progress in a status file the console polls.

A job lives in `var/training/jobs/<id>/`: `job.json` (what to train: its spec, written once), `status.json`
(rewritten atomically as the output arrives), `train.log` (Rasa's output). `var/training/current` holds the id of
the running job and is created exclusively, so a second job is refused while one runs; a holder whose process
died (machine restart, kill) is recognised and cleared. The console starts jobs in a detached process
(`python -m bot.model_ops.worker`), so signing out or restarting the console does not stop a training.

Two kinds:
- "full": `rasa train` into the new model's folder. Rasa's graph cache (`.rasa/cache`) reuses every component
  whose inputs did not change, so after an NLU-only change the dialogue policies are restored, not retrained.
- "nlu-only": the fast path when only `data/nlu` changed since the live model: `rasa train --finetune <live>
  --epoch-fraction` continues from the live model's weights with a fraction of the epochs. Rasa fine-tunes every
  trainable component this way (measured: DIET, ResponseSelector and TEDPolicy ran a quarter of their epochs; Rule
  and Memoization policies came from the cache). It is refused when the config, domain, stories or rules changed
  (fine-tuning needs the same labels).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.model_ops.activate import current_live, judge
from bot.model_ops.evaluation import EvaluationSets
from bot.model_ops.fingerprints import input_fingerprints
from bot.model_ops.progress import LineSplitter, Progress
from bot.model_ops.registry import ModelMeta, Registry, now_iso, read_json, write_json_atomic
from bot.training import rasa_train_command

TRAINING_DIR = Path("var") / "training"
JOBS_DIR = TRAINING_DIR / "jobs"
CURRENT_FILE = TRAINING_DIR / "current"
FINETUNE_EPOCH_FRACTION = 0.25
"""Share of the configured epochs an NLU-only fine-tune runs (docs/model-operations.md has the measurements)."""
STATUS_EVERY_SECONDS = 0.5
LOG_TAIL_LINES = 12
KINDS = ("full", "nlu-only")


class JobRunning(Exception):
    """Raised when a training is started while another one runs."""


class JobRefused(Exception):
    """Raised when a training cannot be started as asked (e.g. NLU-only after a change to the domain)."""


class JobNotFound(Exception):
    """Raised when no job has the given id."""


@dataclass
class JobSpec:
    """What a job trains: written once when it starts."""

    id: str
    kind: str
    started_by: str
    data_dir: str
    config: str
    base_model: str | None = None
    epoch_fraction: float = 1.0


@dataclass
class JobStatus:
    """How a job is doing: what the console's progress region shows."""

    id: str
    kind: str
    state: str
    """"running", "succeeded" or "failed"."""
    started_at: str
    started_by: str
    step: str = "Starting"
    epoch: int | None = None
    epochs: int | None = None
    trained: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    finished_at: str | None = None
    train_seconds: float | None = None
    train_cpu_seconds: float | None = None
    """CPU time `rasa train` used: unlike the wall time, hardly inflated when other work shares the machine."""
    total_seconds: float | None = None
    model: str | None = None
    gate_passed: bool | None = None
    gate_summary: str | None = None
    error: str | None = None
    log_tail: list[str] = field(default_factory=list)
    pid: int | None = None

    @property
    def running(self) -> bool:
        """Return whether the job is still going."""
        return self.state == "running"


class JobStore:
    """The jobs under one project root."""

    def __init__(self, root: Path) -> None:
        """Use `root/var/training`."""
        self.root = root
        self.jobs_dir = root / JOBS_DIR
        self.current_file = root / CURRENT_FILE

    def folder(self, job_id: str) -> Path:
        """Return the folder of a job.

        Raises:
            JobNotFound: If `job_id` is not an id this store makes.
        """
        if len(job_id) != 32 or any(c not in "0123456789abcdef" for c in job_id):
            raise JobNotFound(f"there is no training job {job_id[:40]!r}")
        return self.jobs_dir / job_id

    def spec(self, job_id: str) -> JobSpec:
        """Return a job's spec.

        Raises:
            JobNotFound: If there is no such job.
        """
        data = read_json(self.folder(job_id) / "job.json")
        if not isinstance(data, dict):
            raise JobNotFound(f"there is no training job {job_id!r}")
        return JobSpec(**{key: data[key] for key in JobSpec.__dataclass_fields__ if key in data})

    def status(self, job_id: str) -> JobStatus:
        """Return a job's latest status.

        Raises:
            JobNotFound: If there is no such job.
        """
        data = read_json(self.folder(job_id) / "status.json")
        if not isinstance(data, dict):
            raise JobNotFound(f"there is no training job {job_id!r}")
        status = JobStatus(**{key: data[key] for key in JobStatus.__dataclass_fields__ if key in data})
        if status.running and status.pid is not None and not _alive(status.pid):
            status.state = "failed"
            status.error = "The training stopped unexpectedly (its process is gone)."
        return status

    def save_status(self, status: JobStatus) -> None:
        """Write a job's status atomically."""
        write_json_atomic(self.folder(status.id) / "status.json", asdict(status))

    def history(self, limit: int = 20) -> list[JobStatus]:
        """Return the latest jobs, newest first (damaged ones skipped)."""
        if not self.jobs_dir.is_dir():
            return []
        found = []
        for folder in self.jobs_dir.iterdir():
            try:
                found.append(self.status(folder.name))
            except JobNotFound:
                continue
        return sorted(found, key=lambda s: (s.started_at, s.id), reverse=True)[:limit]

    def current(self) -> JobStatus | None:
        """Return the running job, clearing the marker of one whose process died."""
        try:
            job_id = self.current_file.read_text(encoding="utf-8").strip()
        except OSError:
            return None
        try:
            status = self.status(job_id)
        except JobNotFound:
            status = None
        if status is None or not status.running:
            self.current_file.unlink(missing_ok=True)
            return None
        return status

    def claim(self, job_id: str) -> None:
        """Mark `job_id` as the running job.

        Raises:
            JobRunning: If another job runs.
        """
        self.current_file.parent.mkdir(parents=True, exist_ok=True)
        for _attempt in range(2):
            try:
                descriptor = os.open(self.current_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                running = self.current()
                if running is not None:
                    raise JobRunning(f"a training started by {running.started_by} is still running") from None
                continue  # the marker was stale and has been cleared
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(job_id)
            return
        raise JobRunning("another training is starting")

    def release(self, job_id: str) -> None:
        """Clear the running-job marker if it is `job_id`'s."""
        try:
            if self.current_file.read_text(encoding="utf-8").strip() == job_id:
                self.current_file.unlink(missing_ok=True)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare(
    root: Path,
    *,
    kind: str,
    by: str,
    data_dir: Path | None = None,
    config: Path | None = None,
) -> JobSpec:
    """Check a training can start, claim the one running slot and write the job's spec and first status.

    Args:
        root: The project root.
        kind: "full" or "nlu-only".
        by: Who starts it ("staff:trainer", "cli").
        data_dir: The training data (the project's `data/` unless given).
        config: The pipeline config (the project's `config.yml` unless given).

    Returns:
        The job's spec.

    Raises:
        JobRefused: If the kind is unknown, or NLU-only is asked for but something besides NLU data changed.
        JobRunning: If another job runs.
    """
    if kind not in KINDS:
        raise JobRefused(f"unknown kind of training {kind[:20]!r}: use full or nlu-only")
    data = (data_dir or root / "data").resolve()
    pipeline = (config or root / "config.yml").resolve()
    base_model: str | None = None
    fraction = 1.0
    if kind == "nlu-only":
        base_model = _finetune_base(root, data, pipeline)
        fraction = FINETUNE_EPOCH_FRACTION
    store = JobStore(root)
    job_id = uuid.uuid4().hex
    store.claim(job_id)
    try:
        spec = JobSpec(
            id=job_id,
            kind=kind,
            started_by=by,
            data_dir=str(data),
            config=str(pipeline),
            base_model=base_model,
            epoch_fraction=fraction,
        )
        write_json_atomic(store.folder(job_id) / "job.json", asdict(spec))
        store.save_status(JobStatus(id=job_id, kind=kind, state="running", started_at=now_iso(), started_by=by))
    except BaseException:
        store.release(job_id)
        raise
    return spec


def _finetune_base(root: Path, data_dir: Path, config: Path) -> str:
    live = current_live(Registry(root))
    if live is None:
        raise JobRefused("there is no live model to fine-tune yet; train a full model first")
    if live.meta.core_fingerprint is None:
        raise JobRefused(
            "it is not known what the live model was trained from, so an NLU-only retrain cannot be trusted; "
            "train a full model once"
        )
    if input_fingerprints(root, data_dir, config).core != live.meta.core_fingerprint:
        raise JobRefused(
            "the pipeline config, domain, stories or rules changed since the live model, so only a full "
            "retrain is possible"
        )
    return str(live.archive)


def start_background(spec: JobSpec, root: Path) -> int:
    """Run a prepared job in a detached worker process; return its process id.

    The pid goes into the status at once, so a worker that dies before it starts work is recognised as gone; a
    thread waits for the process so it never lingers as a zombie that would still look alive.
    """
    store = JobStore(root)
    log = store.folder(spec.id) / "worker.log"
    with log.open("ab") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.model_ops.worker", str(root), spec.id],
            cwd=root,
            stdout=stream,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    threading.Thread(target=process.wait, name=f"training-{spec.id[:8]}", daemon=True).start()
    status = store.status(spec.id)
    if status.running and status.pid is None:
        status.pid = process.pid
        store.save_status(status)
    return process.pid


def train_command(spec: JobSpec, root: Path, out: Path, name: str) -> list[str]:
    """Return the `rasa train` command for a job."""
    return rasa_train_command(
        config=spec.config,
        domain=root / "domain",
        data=spec.data_dir,
        out=out,
        name=name,
        finetune=spec.base_model or None,
        epoch_fraction=spec.epoch_fraction,
    )


def run(
    root: Path,
    job_id: str,
    *,
    tests: EvaluationSets | None = None,
    on_status: Callable[[JobStatus], None] | None = None,
) -> JobStatus:
    """Run a prepared job to the end: train, register, evaluate, judge; always release the running slot.

    Args:
        root: The project root.
        job_id: The job prepared by `prepare`.
        tests: Test sets for the evaluation (the project's unless given).
        on_status: Called with every status written (the CLI prints progress with it).

    Returns:
        The final status.
    """
    store = JobStore(root)
    spec = store.spec(job_id)
    status = store.status(job_id)
    status.pid = os.getpid()
    registry = Registry(root)
    tests = tests or EvaluationSets.of(root)

    def publish() -> None:
        store.save_status(status)
        if on_status is not None:
            on_status(status)

    started = time.monotonic()
    try:
        fingerprints = input_fingerprints(root, Path(spec.data_dir), Path(spec.config))
        name = registry.new_name(fingerprints.nlu if spec.kind == "nlu-only" else fingerprints.core)
        folder = registry.folder_for(name)
        folder.mkdir(parents=True, exist_ok=True)
        status.step = "Starting rasa train"
        publish()
        code = _train(spec, root, folder, name, store.folder(job_id) / "train.log", status, publish)
        status.train_seconds = round(time.monotonic() - started, 1)
        if code != 0:
            shutil.rmtree(folder, ignore_errors=True)
            status.state = "failed"
            status.error = f"rasa train failed (exit code {code}); the last lines of its output are below."
            return status
        record = registry.save(
            folder,
            ModelMeta(
                name=name,
                created_at=now_iso(),
                kind=spec.kind,
                train_seconds=status.train_seconds,
                job_id=job_id,
                base_model=Path(spec.base_model).name.removesuffix(".tar.gz") if spec.base_model else None,
                trained_by=spec.started_by,
                core_fingerprint=fingerprints.core,
                nlu_fingerprint=fingerprints.nlu,
            ),
        )
        status.model = name
        status.step = "Evaluating on the held-out and safety test sets"
        publish()
        verdict = judge(registry, record, tests)
        status.gate_passed = verdict.passed
        status.gate_summary = verdict.summary()
        status.state = "succeeded"
        status.step = "Done"
        return status
    except Exception as error:  # a failed job must say why and free the slot, whatever went wrong
        status.state = "failed"
        status.error = f"{type(error).__name__}: {error}"[:500]
        return status
    finally:
        status.finished_at = now_iso()
        status.total_seconds = round(time.monotonic() - started, 1)
        publish()
        store.release(job_id)


def _train(
    spec: JobSpec,
    root: Path,
    out: Path,
    name: str,
    log_path: Path,
    status: JobStatus,
    publish: Callable[[], None],
) -> int:
    progress = Progress()
    splitter = LineSplitter()
    tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
    last = 0.0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            train_command(spec, root, out, name),
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        assert process.stdout is not None
        reader = process.stdout
        while chunk := reader.read1(4096):  # type: ignore[attr-defined]
            text = chunk.decode("utf-8", errors="replace")
            log.write(text)
            changed = False
            for line in splitter.push(text):
                changed = progress.feed(line) or changed
                if not line.startswith("Epochs:"):
                    tail.append(line[:300])
            now = time.monotonic()
            if changed and now - last >= STATUS_EVERY_SECONDS:
                _copy(progress, tail, status)
                publish()
                last = now
        for line in splitter.flush():
            progress.feed(line)
            tail.append(line[:300])
        code = process.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Children's usage counts every child reaped meanwhile; a job's process has only this one.
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    status.train_cpu_seconds = round(used, 1)
    _copy(progress, tail, status)
    return code


def _copy(progress: Progress, tail: deque[str], status: JobStatus) -> None:
    status.step = progress.describe()
    status.epoch, status.epochs = progress.epoch, progress.epochs
    status.trained = list(progress.trained)
    status.restored = list(progress.restored)
    status.log_tail = list(tail)


def status_dict(status: JobStatus) -> dict[str, Any]:
    """Return a status as plain data (for JSON)."""
    return asdict(status)
