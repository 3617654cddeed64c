"""Training time and model size: a cold full train, then a retrain after an NLU-only change, both like CI does.

Both train TenantLine's config, domain and a copy of its data into a temporary folder with a throwaway Rasa
graph cache (RASA_CACHE_DIRECTORY), never into models/ or the project's .rasa/. The second run appends one
training example to the copy's NLU data and trains again with the same cache: what Rasa reuses from the cache
then (the policies, if their inputs are unchanged) is what an NLU-only change costs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import PROJECT_ROOT

NLU_CHANGE_FILE = Path("nlu") / "conversation.yml"
NLU_CHANGE = "hiya there, bench here"


@dataclass(frozen=True)
class TrainingResult:
    """Times and size of the two trainings."""

    full_seconds: float
    nlu_only_seconds: float
    model_mb: float
    restored: list[str] = field(default_factory=list)
    """Components the NLU-only retrain restored from the cache instead of training (from Rasa's log)."""


def add_nlu_example(data_dir: Path, relative: Path = NLU_CHANGE_FILE, example: str = NLU_CHANGE) -> None:
    """Append one example under the first intent of an NLU file in a data copy.

    Raises:
        ValueError: If the file has no `examples: |` block to append to.
    """
    path = data_dir / relative
    text = path.read_text(encoding="utf-8")
    match = re.search(r"examples: \|\n([ \t]+)- .*\n(?:\1- .*\n)*", text)
    if match is None:
        raise ValueError(f"{path} has no examples block")
    line = f"{match.group(1)}- {example}\n"
    path.write_text(text[: match.end()] + line + text[match.end() :], encoding="utf-8")


def _train(work: Path, data: Path, name: str, cache: Path, log: Path) -> float:
    command = [
        sys.executable, "-m", "rasa", "train", "--config", "config.yml", "--domain", "domain",
        "--data", str(data), "--out", str(work / "models"), "--fixed-model-name", name,
    ]  # fmt: skip
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    with log.open("wb") as output:
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, check=False
        )
    elapsed = time.perf_counter() - started
    if result.returncode != 0 or not (work / "models" / f"{name}.tar.gz").exists():
        raise RuntimeError(f"rasa train failed ({result.returncode}); see {log}")
    return elapsed


def restored_components(log_text: str) -> list[str]:
    """Return the components Rasa's training log says it restored from the cache, in order."""
    return re.findall(r"Restored component '(\w+)' from cache", log_text)


def measure(work: Path) -> TrainingResult:
    """Time a cold full train and an NLU-only retrain of TenantLine's model in `work` (emptied first)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    data = work / "data"
    shutil.copytree(PROJECT_ROOT / "data", data)
    cache = work / "cache"
    full = _train(work, data, "cold", cache, work / "train-cold.log")
    model_mb = (work / "models" / "cold.tar.gz").stat().st_size / 1e6
    add_nlu_example(data)
    retrain_log = work / "train-nlu-change.log"
    nlu_only = _train(work, data, "nlu-change", cache, retrain_log)
    return TrainingResult(
        full_seconds=round(full, 1),
        nlu_only_seconds=round(nlu_only, 1),
        model_mb=round(model_mb, 1),
        restored=restored_components(retrain_log.read_text(errors="replace")),
    )
