"""Train the Rasa model only when its inputs changed.

A model is named after a fingerprint of everything that shapes it (pipeline config, domain, training data, the
project's spaCy pipeline and its custom NLU components), so "is there a model for these inputs?" is a file lookup and
a run that changed nothing trains nothing. Rasa's own graph cache in `.rasa/` then makes a retrain after an NLU-only
change reuse the dialogue policies.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterable
from pathlib import Path

from bot.settings import PROJECT_ROOT

MODEL_PREFIX = "tenantline-"
SPACY_MODEL_DIR = Path("var") / "spacy" / "en_tenantline"

# What the trained model depends on, relative to the project root. Directories are walked recursively. Code of
# custom components (bot/nlp/safety.py) is not here: it is loaded at run time and trains nothing.
FINGERPRINT_INPUTS = (
    "config.yml",
    "domain",
    "data",
    str(SPACY_MODEL_DIR / "meta.json"),
    str(SPACY_MODEL_DIR / "entity_ruler"),
)
FINGERPRINT_SUFFIXES = {".yml", ".yaml", ".json", ".jsonl"}


def _input_files(root: Path) -> Iterable[Path]:
    for name in FINGERPRINT_INPUTS:
        path = root / name
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix in FINGERPRINT_SUFFIXES and "__pycache__" not in p.parts
            )


def model_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """Return a hex digest of every file the model is trained from.

    Args:
        root: The project root.

    Returns:
        The first 16 hex characters of a SHA-256 over the files' relative paths and contents.
    """
    digest = hashlib.sha256()
    for path in _input_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


STORY_AUGMENTATION = 0
"""Rasa's `--augmentation` for every TenantLine training (Rasa's default: 50).

Augmentation glues stories together into extra training trackers, and only TEDPolicy learns from those: the
MemoizationPolicy and the RulePolicy, the only policies in config.yml, drop every augmented tracker before training.
Generating them (500 of 669 trackers here) made the dialogue part of a full training take 57 s instead of 37 s on
this project's 2-core machine, for the same memorised turns and rules (tests/test_training.py, docs/bench.md).

A fine-tune keeps the augmentation its base model was trained with: Rasa refuses to fine-tune when anything but the
epochs changed in the training graph, so a model trained before this setting is still fine-tuned with 50.
"""

METADATA_FILE = "metadata.json"
"""The file in a Rasa model archive that holds the training graph it was built with."""


def trained_augmentation(archive: Path) -> int | None:
    """Return the story augmentation `archive` was trained with, or None when the archive does not say.

    Reads the archive's `metadata.json` (Rasa writes it after the components; reading stops there). A missing,
    damaged or foreign archive gives None rather than an error: the caller falls back to `STORY_AUGMENTATION`.
    """
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.name.removeprefix("./") != METADATA_FILE:
                    continue
                stream = tar.extractfile(member)
                metadata = json.load(stream) if stream is not None else None
                break
            else:
                return None
    except (OSError, tarfile.TarError, EOFError, ValueError):
        return None
    nodes = metadata.get("train_schema", {}).get("nodes", {}) if isinstance(metadata, dict) else {}
    for node in nodes.values() if isinstance(nodes, dict) else ():
        if isinstance(node, dict) and str(node.get("uses", "")).endswith(".TrainingTrackerProvider"):
            config = node.get("config")
            factor = config.get("augmentation_factor") if isinstance(config, dict) else None
            return factor if isinstance(factor, int) and not isinstance(factor, bool) and factor >= 0 else None
    return None


def rasa_train_command(
    *,
    config: str | Path,
    domain: str | Path,
    data: str | Path,
    out: str | Path,
    name: str,
    finetune: str | Path | None = None,
    epoch_fraction: float | None = None,
    force: bool = False,
) -> list[str]:
    """Return the `rasa train` command of every TenantLine training (`make train`, trainers' jobs, the bench).

    Args:
        config: The pipeline and policies file.
        domain: The domain folder or file.
        data: The training data folder.
        out: Where the model archive goes.
        name: The archive's name without `.tar.gz`.
        finetune: A model to fine-tune from (an NLU-only retrain), or None; its story augmentation is kept.
        epoch_fraction: The share of each component's epochs when fine-tuning (ignored otherwise).
        force: Retrain every component, ignoring Rasa's training cache.
    """
    augmentation = STORY_AUGMENTATION
    if finetune is not None:
        augmentation = trained_augmentation(Path(finetune)) or STORY_AUGMENTATION
    command = [
        sys.executable, "-m", "rasa", "train",
        "--config", str(config), "--domain", str(domain), "--data", str(data),
        "--out", str(out), "--fixed-model-name", name,
        "--augmentation", str(augmentation),
    ]  # fmt: skip
    if finetune is not None:
        command += ["--finetune", str(finetune)]
        if epoch_fraction is not None:
            command += ["--epoch-fraction", str(epoch_fraction)]
    if force:
        command.append("--force")
    return command


def model_path(root: Path = PROJECT_ROOT) -> Path:
    """Return where the model for the current inputs is (or will be) stored."""
    return root / "models" / f"{MODEL_PREFIX}{model_fingerprint(root)}.tar.gz"


def ensure_model(root: Path = PROJECT_ROOT, *, force: bool = False) -> Path:
    """Train a model unless one already exists for the current inputs.

    Args:
        root: The project root.
        force: Train even when a model for these inputs exists.

    Returns:
        The path of the model matching the current inputs.

    Raises:
        RuntimeError: If the project's spaCy pipeline has not been built or `rasa train` fails.
    """
    if not (root / SPACY_MODEL_DIR / "meta.json").exists():
        raise RuntimeError(f"the spaCy pipeline is missing at {SPACY_MODEL_DIR}; run `make install` to build it")
    target = model_path(root)
    if target.exists() and not force:
        print(f"model up to date: {target.relative_to(root)}")
        return target
    print(f"training {target.relative_to(root)} (config, domain or data changed)")
    command = rasa_train_command(
        config="config.yml",
        domain="domain",
        data="data",
        out="models",
        name=target.name.removesuffix(".tar.gz"),
        force=force,
    )
    result = subprocess.run(command, cwd=root, check=False)
    if result.returncode != 0 or not target.exists():
        raise RuntimeError(f"rasa train failed with exit code {result.returncode}")
    prune_models(root / "models", keep=KEEP_MODELS)
    return target


KEEP_MODELS = 3
"""How many trained models to keep: the newest, and a couple to go back to."""


def prune_models(folder: Path, *, keep: int) -> list[Path]:
    """Delete all but the `keep` newest TenantLine models in `folder`; return what was deleted."""
    models = sorted(folder.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[keep:]:
        old.unlink(missing_ok=True)
    return models[keep:]
