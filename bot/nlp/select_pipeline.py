"""Choose the NLU pipeline's hyper-parameters by stratified cross-validation on the training data.

Each candidate is config.yml with a few settings changed. For every candidate the training examples are split into
the same seeded, stratified folds; a model is trained on all folds but one (keeping the synonyms, lookup tables and
regexes) and parses the fold it has not seen. The predictions are scored exactly as `tenantline evaluate` scores the
held-out set (`bot.evaluate.score`: out_of_scope may fall back, FAQ questions count by topic), so a CV figure and a
held-out figure mean the same thing. The held-out and safety sets in tests/nlu/ are never used here.

The FallbackClassifier is left out of the fold models and applied afterwards to their raw rankings, which scores
every candidate threshold from one set of trained models: the threshold is a parse-time setting, so this is exactly
what the classifier would have done. The safety triage stays in: an intent it sets is never turned into a fallback.
"""

from __future__ import annotations

import asyncio
import copy
import json
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from bot.evaluate import FALLBACK, predicted_label, score

SEED = 20251121
"""Fixed so that every candidate is trained and scored on exactly the same folds."""

CANDIDATES: dict[str, dict[str, dict[str, Any]]] = {
    "DIET 1x128, 30 epochs; RS 20 epochs": {"DIETClassifier": {"epochs": 30}, "ResponseSelector": {"epochs": 20}},
    "DIET 1x128, 60 epochs; RS 40 epochs": {"DIETClassifier": {"epochs": 60}, "ResponseSelector": {"epochs": 40}},
    "DIET 2x256 (Rasa default size), 60 epochs": {
        "DIETClassifier": {"number_of_transformer_layers": 2, "transformer_size": 256, "epochs": 60},
        "ResponseSelector": {"epochs": 40},
    },
    "DIET 1x128, 30 epochs; char n-grams 1-5": {
        "DIETClassifier": {"epochs": 30},
        "ResponseSelector": {"epochs": 20},
        "CountVectorsFeaturizer#char_wb": {"min_ngram": 1, "max_ngram": 5},
    },
}
"""Each candidate names the components it changes ("Name#analyzer" picks a CountVectorsFeaturizer) and how."""

THRESHOLDS = (0.3, 0.4, 0.45, 0.5, 0.6, 0.7)
AMBIGUITY = 0.1
ALPHAS = (1.0, 0.7, 0.5, 0.4, 0.3)
"""Weights of DIET in the LinearIntentBlend scored afterwards from the same fold models (1.0: DIET alone)."""


@dataclass
class Prediction:
    """What a fold model made of one unseen example, before any fallback."""

    text: str
    expected: str
    label: str
    confidence: float
    runner_up: float
    overridden: bool
    ranking: list[tuple[str, float]] = field(default_factory=list)
    """The model's intent ranking (base intents, before the safety override), kept for later analysis."""
    diet_ranking: list[tuple[str, float]] = field(default_factory=list)
    linear_ranking: list[tuple[str, float]] = field(default_factory=list)
    """The two inputs of the LinearIntentBlend (empty without it), so other weights can be scored afterwards."""
    faq_topic: str = ""
    """The ResponseSelector's FAQ topic for this message, whatever the intent (used when a re-blend says faq)."""


@dataclass
class CandidateResult:
    """Cross-validated scores of one candidate at each fallback threshold."""

    name: str
    train_seconds_per_fold: float
    by_threshold: dict[float, dict[str, float]] = field(default_factory=dict)

    def best(self) -> tuple[float, dict[str, float]]:
        """Return the threshold with the highest macro-F1 (the lower threshold on a tie) and its scores."""
        return max(self.by_threshold.items(), key=lambda item: (item[1]["macro_f1"], -item[0]))


def candidate_config(base: dict[str, Any], changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Return `base` with `changes` applied and the FallbackClassifier removed (it is applied afterwards)."""
    config = copy.deepcopy(base)
    config["pipeline"] = [c for c in config["pipeline"] if c["name"] != "FallbackClassifier"]
    for key, settings in changes.items():
        name, _, analyzer = key.partition("#")
        matched = [
            c for c in config["pipeline"] if c["name"] == name and (not analyzer or c.get("analyzer") == analyzer)
        ]
        if not matched:
            raise ValueError(f"candidate changes {key!r}, which is not in config.yml's pipeline")
        for component in matched:
            component.update(settings)
    config.pop("policies", None)
    return config


def fallback_applied(prediction: Prediction, threshold: float, ambiguity: float = AMBIGUITY) -> str:
    """Return the label the FallbackClassifier would leave, as it decides (rasa/nlu/classifiers/fallback_classifier)."""
    if prediction.overridden:
        return prediction.label
    if prediction.confidence < threshold or prediction.confidence - prediction.runner_up < ambiguity:
        return FALLBACK
    return prediction.label


def reblended(prediction: Prediction, alpha: float) -> Prediction:
    """Return `prediction` as the LinearIntentBlend would have made it with weight `alpha` on DIET.

    Predictions without the blend's inputs, and those the safety triage set, are returned unchanged.
    """
    from bot.nlp.blend import blend_rankings

    if prediction.overridden or not (prediction.diet_ranking or prediction.linear_ranking):
        return prediction
    ranked = blend_rankings(prediction.diet_ranking, prediction.linear_ranking, alpha)
    top, confidence = ranked[0]
    label = (prediction.faq_topic or top) if top == "faq" else top
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    return replace(prediction, label=label, confidence=confidence, runner_up=runner_up)


def scores_at(predictions: list[Prediction], threshold: float) -> dict[str, float]:
    """Score pooled fold predictions at one fallback threshold."""
    pairs = [(p.expected, fallback_applied(p, threshold)) for p in predictions]
    accuracy, macro_f1, _, _ = score(pairs)
    fallbacks = sum(1 for _, predicted in pairs if predicted == FALLBACK) / max(len(pairs), 1)
    return {"macro_f1": macro_f1, "accuracy": accuracy, "fallback_rate": round(fallbacks, 4)}


def stratified_folds(data: Any, folds: int, seed: int = SEED) -> Iterator[tuple[Any, list[Any]]]:
    """Yield (training data, held-back examples) for each fold, stratified by full intent (faq topics included)."""
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from sklearn.model_selection import StratifiedKFold

    examples = data.intent_examples
    labels = [example.get_full_intent() for example in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_index, test_index in splitter.split(examples, labels):
        train = TrainingData(
            training_examples=[examples[i] for i in train_index],
            entity_synonyms=data.entity_synonyms,
            regex_features=data.regex_features,
            lookup_tables=data.lookup_tables,
            responses=data.responses,
        )
        yield train, [examples[i] for i in test_index]


def _pairs(items: Any) -> list[tuple[str, float]]:
    return [(str(name), float(confidence)) for name, confidence in items or []]


def _prediction(example: Any, parse: dict[str, Any]) -> Prediction:
    from bot.nlp.blend import BLEND_KEY

    ranking = parse.get("intent_ranking") or []
    blend = parse.get(BLEND_KEY) or {}
    chosen = ((parse.get("response_selector") or {}).get("faq") or {}).get("response") or {}
    overridden = bool(parse.get("safety_triage"))
    confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
    runner_up = float(ranking[1].get("confidence") or 0.0) if len(ranking) > 1 and not overridden else 0.0
    return Prediction(
        text=str(example.get("text")),
        expected=str(example.get_full_intent()),
        label=predicted_label(parse),
        confidence=confidence,
        runner_up=runner_up,
        overridden=overridden,
        ranking=[
            (str(item.get("name")), float(item.get("confidence") or 0.0))
            for item in ((parse.get("safety_triage") or {}).get("model_ranking") if overridden else ranking) or []
        ],
        diet_ranking=_pairs(blend.get("diet")),
        linear_ranking=_pairs(blend.get("linear")),
        faq_topic=str(chosen.get("intent_response_key") or ""),
    )


def _train_and_predict(
    config: dict[str, Any], train: Any, test: list[Any], workdir: Path, domain: Path
) -> list[Prediction]:
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter

    config_path, data_path = workdir / "config.yml", workdir / "nlu.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    RasaYAMLWriter().dump(str(data_path), train)
    # The domain brings the FAQ answers (utter_faq/<topic>) that the ResponseSelector learns to choose between.
    model = train_nlu(
        str(config_path), str(data_path), str(workdir / "models"), fixed_model_name="fold", domain=str(domain)
    )
    if model is None:
        raise RuntimeError("rasa could not train the fold model")
    agent = Agent.load(model)

    async def parse_all() -> list[dict[str, Any]]:
        return [await agent.parse_message(str(example.get("text"))) for example in test]

    return [_prediction(example, parse) for example, parse in zip(test, asyncio.run(parse_all()), strict=True)]


def run(
    root: Path, folds: int = 3, names: list[str] | None = None, raw_out: Path | None = None
) -> list[CandidateResult]:
    """Cross-validate every candidate (or those named) and return their results, best first.

    Args:
        root: The project root (config.yml and data/nlu are read from it).
        folds: Number of stratified folds.
        names: Candidate names to run; all when None.
        raw_out: Folder to write each candidate's pooled predictions to as JSON, for later analysis.

    Returns:
        One result per candidate, sorted by best macro-F1, then by training time.

    Raises:
        ValueError: If a name is not a candidate.
    """
    from rasa.shared.nlu.training_data.loading import load_data

    unknown = sorted(set(names or []) - set(CANDIDATES))
    if unknown:
        raise ValueError(f"unknown candidate(s) {unknown}; choose from {sorted(CANDIDATES)}")
    base = yaml.safe_load((root / "config.yml").read_text(encoding="utf-8"))
    data = load_data(str(root / "data" / "nlu"))
    results = []
    for name, changes in CANDIDATES.items():
        if names and name not in names:
            continue
        config = candidate_config(base, changes)
        predictions: list[Prediction] = []
        seconds = 0.0
        for index, (train, test) in enumerate(stratified_folds(data, folds)):
            with tempfile.TemporaryDirectory(prefix="tl-cv-") as tmp:
                started = time.perf_counter()
                predictions += _train_and_predict(config, train, test, Path(tmp), root / "domain")
                seconds += time.perf_counter() - started
            print(f"{name}: fold {index + 1}/{folds} done ({seconds:.0f} s so far)", flush=True)
        blended = any(p.diet_ranking or p.linear_ranking for p in predictions)
        for alpha in ALPHAS if blended else (None,):
            label = name if alpha is None else f"{name}; blend alpha {alpha}"
            scored = predictions if alpha is None else [reblended(p, alpha) for p in predictions]
            result = CandidateResult(label, round(seconds / folds, 1))
            result.by_threshold = {t: scores_at(scored, t) for t in THRESHOLDS}
            threshold, best = result.best()
            print(f"{label}: CV macro-F1 {best['macro_f1']:.4f} at fallback threshold {threshold}", flush=True)
            results.append(result)
        if raw_out is not None:
            raw_out.mkdir(parents=True, exist_ok=True)
            slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
            (raw_out / f"{slug}.json").write_text(json.dumps([asdict(p) for p in predictions], indent=1))
    return sorted(results, key=lambda r: (-r.best()[1]["macro_f1"], r.train_seconds_per_fold))


def render(results: list[CandidateResult], folds: int, examples: int | None = None) -> str:
    """Return the comparison as Markdown: each candidate's best threshold, then every threshold."""
    lines = [
        f"# NLU pipeline selection: {folds}-fold stratified cross-validation"
        + (f" on {examples} training examples" if examples else ""),
        "",
        "| candidate | CV macro-F1 | accuracy | best fallback threshold | fallback rate | training s per fold |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        threshold, best = result.best()
        lines.append(
            f"| {result.name} | {best['macro_f1']:.4f} | {best['accuracy']:.4f} | {threshold} | "
            f"{best['fallback_rate']:.3f} | {result.train_seconds_per_fold:.0f} |"
        )
    lines += ["", "## Every fallback threshold (ambiguity threshold 0.1)", ""]
    lines += ["| candidate | " + " | ".join(str(t) for t in THRESHOLDS) + " |"]
    lines += ["| --- |" + " --- |" * len(THRESHOLDS)]
    for result in results:
        cells = [
            f"{result.by_threshold[t]['macro_f1']:.4f} ({result.by_threshold[t]['fallback_rate']:.2f})"
            for t in THRESHOLDS
        ]
        lines.append(f"| {result.name} | " + " | ".join(cells) + " |")
    lines += ["", "Cells: macro-F1 (share of messages sent to the fallback)."]
    return "\n".join(lines) + "\n"
