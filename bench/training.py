"""Training time and model size: a cold full train, then the NLU-only retrain a trainer starts from the console.

Both train TenantLine's config, domain and a copy of its data into a scratch folder (var/bench/training) with a
throwaway Rasa graph cache (RASA_CACHE_DIRECTORY), never into the project's .rasa/. The second run appends one
training example to the copy's NLU data and retrains the way `tenantline model train --nlu-only` and the console's
Models page do (bot/model_ops/jobs.py): `rasa train --finetune <the cold model> --epoch-fraction 0.25` with the
same cache, so DIET and the ResponseSelector continue from the cold model's weights for a quarter of their epochs
and the policies come from the cache. Each component's share of the time is read from Rasa's training log.

On a fresh clone there is no model in models/ yet: the cold model, trained from the project's own inputs, is
copied there, so the bench does not train TenantLine a third time before serving it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.model_ops.jobs import FINETUNE_EPOCH_FRACTION
from bot.settings import PROJECT_ROOT
from bot.training import rasa_train_command

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
    finetune_epoch_fraction: float = FINETUNE_EPOCH_FRACTION
    """The share of each component's epochs the NLU-only retrain ran, continuing from the cold model's weights."""
    full_components: list[tuple[str, float]] = field(default_factory=list)
    """Seconds each component took in the cold training (from Rasa's log)."""
    nlu_only_components: list[tuple[str, float]] = field(default_factory=list)
    """Seconds each component took in the NLU-only retrain."""
    adopted: bool = False
    """The cold model became the project's served model (none existed for these inputs)."""


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


def _train(work: Path, data: Path, name: str, cache: Path, log: Path, finetune: Path | None = None) -> float:
    command = rasa_train_command(
        config="config.yml",
        domain="domain",
        data=data,
        out=work / "models",
        name=name,
        finetune=finetune,
        epoch_fraction=FINETUNE_EPOCH_FRACTION,
    )
    env = {
        **os.environ,
        "RASA_CACHE_DIRECTORY": str(cache),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
    }
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
    return re.findall(r"Restored component '([\w.]+)' from cache", log_text)


_COMPONENT_LINE = re.compile(
    r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\s+INFO\s+rasa\.engine\.training\.hooks\s+-\s+"
    r"(Starting to train|Finished training) component '([\w.]+)'",
    re.MULTILINE,
)


def component_seconds(log_text: str) -> list[tuple[str, float]]:
    """Return how long each component took to train, in training order, from Rasa's training log.

    Rasa logs "Starting to train component 'X'" and "Finished training component 'X'" with a timestamp to the
    second; a component named twice (two CountVectorsFeaturizers) is listed twice. A start without a finish
    (a failed training) is left out.
    """
    found: list[tuple[str, float]] = []
    started: dict[str, datetime] = {}
    for stamp, what, name in _COMPONENT_LINE.findall(log_text):
        moment = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S")
        if what.startswith("Starting"):
            started[name] = moment
        elif name in started:
            found.append((name, (moment - started.pop(name)).total_seconds()))
    return found


def slowest(components: list[tuple[str, float]], count: int = 3) -> list[tuple[str, float]]:
    """Return the `count` components that took longest, slowest first (a name seen twice is summed)."""
    totals: dict[str, float] = {}
    for name, seconds in components:
        totals[name] = totals.get(name, 0.0) + seconds
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)[:count]


def measure(work: Path, adopt_as: Path | None = None) -> TrainingResult:
    """Time a cold full train and an NLU-only retrain of TenantLine's model in `work` (emptied first).

    Args:
        work: A scratch folder for the data copy, the cache, the models and the logs.
        adopt_as: Where the project keeps the model for its current inputs (`bot.training.model_path()`). If
            no model is there yet (a fresh clone), the cold model is moved there: it was trained from the same
            config, domain and data, so `make bench` on a fresh clone trains TenantLine's model once, not twice.
    """
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    data = work / "data"
    shutil.copytree(PROJECT_ROOT / "data", data)
    cache = work / "cache"
    cold_log = work / "train-cold.log"
    full = _train(work, data, "cold", cache, cold_log)
    cold_model = work / "models" / "cold.tar.gz"
    model_mb = cold_model.stat().st_size / 1e6
    add_nlu_example(data)
    retrain_log = work / "train-nlu-change.log"
    nlu_only = _train(work, data, "nlu-change", cache, retrain_log, finetune=cold_model)
    adopted = False
    if adopt_as is not None and not adopt_as.exists():
        adopt_as.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(cold_model, adopt_as)
        adopted = True
    retrain_text = retrain_log.read_text(errors="replace")
    return TrainingResult(
        full_seconds=round(full, 1),
        nlu_only_seconds=round(nlu_only, 1),
        model_mb=round(model_mb, 1),
        restored=restored_components(retrain_text),
        full_components=component_seconds(cold_log.read_text(errors="replace")),
        nlu_only_components=component_seconds(retrain_text),
        adopted=adopted,
    )
