"""Choose the NLU pipeline's hyper-parameters by stratified cross-validation on the training data.

Each candidate is config.yml with a few settings changed. Rasa's own cross-validation trains one model per fold and
scores the held-back fold; the candidate with the best mean intent macro-F1 wins, and training time breaks ties.
The held-out test set in tests/nlu/ is never used here, so it stays an honest measure of the chosen pipeline.
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Each candidate names the components it changes and the settings to set on them.
CANDIDATES: dict[str, dict[str, dict[str, Any]]] = {
    "config.yml (DIET 1 layer x 128, 60 epochs)": {},
    "DIET default transformer (2 layers x 256)": {
        "DIETClassifier": {"number_of_transformer_layers": 2, "transformer_size": 256}
    },
    "char n-grams 2-5": {"CountVectorsFeaturizer#char_wb": {"max_ngram": 5}},
}


@dataclass
class CandidateResult:
    """Cross-validated scores of one candidate."""

    name: str
    intent_macro_f1: float
    intent_accuracy: float
    seconds: float


def candidate_config(base: dict[str, Any], changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return `base` with `changes` applied; "Name#analyzer" picks the CountVectorsFeaturizer by analyzer."""
    config = copy.deepcopy(base)
    for key, settings in changes.items():
        name, _, analyzer = key.partition("#")
        for component in config["pipeline"]:
            if component["name"] == name and (not analyzer or component.get("analyzer") == analyzer):
                component.update(settings)
    return config


def run(root: Path, folds: int = 3, names: list[str] | None = None) -> list[CandidateResult]:
    """Cross-validate every candidate (or those named) and return their scores, best first."""
    from rasa.nlu.test import cross_validate
    from rasa.shared.importers.importer import TrainingDataImporter

    base = yaml.safe_load((root / "config.yml").read_text(encoding="utf-8"))
    data = TrainingDataImporter.load_from_dict(training_data_paths=[str(root / "data" / "nlu")]).get_nlu_data()
    results = []
    for name, changes in CANDIDATES.items():
        if names and name not in names:
            continue
        config = candidate_config(base, changes)
        started = time.perf_counter()
        intents, _, _ = asyncio.run(cross_validate(data, folds, config, disable_plotting=True, report_as_dict=True))
        seconds = time.perf_counter() - started
        report = intents.evaluation.get("report") or {}
        macro = float((report.get("macro avg") or {}).get("f1-score", 0.0))
        accuracy = float(report.get("accuracy", intents.evaluation.get("accuracy", 0.0)))
        results.append(CandidateResult(name, round(macro, 4), round(accuracy, 4), round(seconds, 1)))
        print(f"{name}: macro-F1 {macro:.4f}, accuracy {accuracy:.4f}, {seconds:.0f} s for {folds} folds", flush=True)
    return sorted(results, key=lambda r: (-r.intent_macro_f1, r.seconds))


def render(results: list[CandidateResult], folds: int) -> str:
    """Return the results as a Markdown table."""
    lines = [
        f"| candidate | intent macro-F1 ({folds}-fold CV) | accuracy | time for {folds} folds (s) |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {r.name} | {r.intent_macro_f1:.4f} | {r.intent_accuracy:.4f} | {r.seconds:.0f} |" for r in results]
    return "\n".join(lines) + "\n"
