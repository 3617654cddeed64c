"""Digests of what a model is trained from, split so that a change to NLU data alone can be recognised.

`bot.training.model_fingerprint` names the project's model after all of its inputs; here the inputs are split in
two: "core" (the pipeline config, the domain, stories and rules) and "nlu" (`<data>/nlu`). A candidate whose core
digest equals the live model's differs from it in NLU examples only, which is what makes fine-tuning safe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

NLU_DIR = "nlu"
SUFFIXES = {".yml", ".yaml", ".json"}


@dataclass(frozen=True)
class Fingerprints:
    """The two digests of a model's inputs."""

    core: str
    nlu: str


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in SUFFIXES)


def _digest(files: Iterable[Path], base: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(base)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def input_fingerprints(root: Path, data_dir: Path, config: Path) -> Fingerprints:
    """Return the digests of the inputs a model trained from `data_dir` and `config` would have.

    Args:
        root: The project root (its `domain/` is part of the core).
        data_dir: The training data folder.
        config: The pipeline config file.

    Returns:
        The core digest (config, domain, everything in `data_dir` outside `nlu/`) and the NLU digest.
    """
    nlu_dir = data_dir / NLU_DIR
    core = hashlib.sha256(config.read_bytes())
    core.update(_digest(_yaml_files(root / "domain"), root).encode())
    core.update(_digest([p for p in _yaml_files(data_dir) if nlu_dir not in p.parents], data_dir).encode())
    return Fingerprints(core=core.hexdigest()[:16], nlu=_digest(_yaml_files(nlu_dir), data_dir))
