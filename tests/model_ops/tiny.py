"""Tiny real models for tests: a private copy of the project with a reduced config (few epochs), trained once.

`make_project` copies the domain, data and test sets into a folder with a config whose components and seeds are
the real ones but with few epochs; `live_base_model` trains a full model there through the real job runner the
first time it is called in a test session and copies that model into any later project, then makes it live.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.model_ops import jobs
from bot.model_ops.evaluation import EvaluationSets
from bot.model_ops.registry import Registry

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPACY = PROJECT_ROOT / "var" / "spacy" / "en_tenantline"
NLU_EPOCHS = 12
CORE_EPOCHS = 3
_trained: dict[str, Path] = {}
"""The record folder of the base model once trained in this test session."""


BLEND = "bot.nlp.blend.LinearIntentBlend"


def reduced_config(source: Path, target: Path, *, nlu_epochs: int, core_epochs: int, diet_only: bool = False) -> Path:
    """Write `source` with fewer epochs everywhere (same components, same seeds).

    With `diet_only` the intent blend gives all its weight to DIET, so the linear model cannot make up for an
    under-trained DIET.
    """
    config = yaml.safe_load(source.read_text(encoding="utf-8"))
    for part in ("pipeline", "policies"):
        for component in config[part]:
            if "epochs" in component:
                component["epochs"] = core_epochs if part == "policies" else nlu_epochs
            if diet_only and component.get("name") == BLEND:
                component["alpha"] = 1.0
    target.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return target


@dataclass
class TinyProject:
    """A project copy with a reduced config (`config.yml`) and a worse one (one NLU epoch, DIET alone)."""

    root: Path
    config: Path
    worse_config: Path

    def train(self, kind: str, config: Path | None = None) -> jobs.JobStatus:
        """Train through the real job runner (in this process) and return the final status.

        The job runs in a thread of its own: a browser test has Playwright's event loop running in this one, and the
        job's evaluation starts an event loop of its own.
        """
        spec = jobs.prepare(self.root, kind=kind, by="test", config=config or self.config)
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(jobs.run, self.root, spec.id, tests=EvaluationSets.of(self.root)).result()


def make_project(root: Path) -> TinyProject:
    """Create a tiny project in `root` (skipping the test when the spaCy pipeline is not built)."""
    if not (SPACY / "meta.json").exists():
        pytest.skip("the spaCy pipeline is missing: run `make install`")
    for folder in ("domain", "data"):
        shutil.copytree(PROJECT_ROOT / folder, root / folder)
    shutil.copytree(PROJECT_ROOT / "tests" / "nlu", root / "tests" / "nlu", ignore=shutil.ignore_patterns("*.py"))
    (root / "var" / "spacy").mkdir(parents=True)
    (root / "var" / "spacy" / "en_tenantline").symlink_to(SPACY)
    source = PROJECT_ROOT / "config.yml"
    config = reduced_config(source, root / "config.yml", nlu_epochs=NLU_EPOCHS, core_epochs=CORE_EPOCHS)
    worse = reduced_config(source, root / "config-worse.yml", nlu_epochs=1, core_epochs=CORE_EPOCHS, diet_only=True)
    return TinyProject(root=root, config=config, worse_config=worse)


def live_base_model(project: TinyProject) -> str:
    """Make a full tiny model live in `project` (trained once per session, copied afterwards); return its name."""
    registry = Registry(project.root)
    folder = _trained.get("base")
    if folder is None:
        status = project.train("full")
        assert status.state == "succeeded", (status.error, status.log_tail)
        assert status.gate_passed, status.gate_summary  # the first model is judged on safety alone
        folder = registry.get(str(status.model)).folder
        _trained["base"] = folder
    elif not folder.is_relative_to(registry.home):
        shutil.copytree(folder, registry.home / folder.name)
    registry.set_live(folder.name, by="test")
    return folder.name
