"""Cross-validation for choosing the NLU hyper-parameters: folds, candidate configs and the fallback applied later."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.nlp.select_pipeline import (
    CANDIDATES,
    CandidateResult,
    Prediction,
    candidate_config,
    fallback_applied,
    render,
    scores_at,
    stratified_folds,
)

ROOT = Path(__file__).resolve().parents[2]
BASE = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))


def prediction(expected: str, label: str, confidence: float, runner_up: float = 0.0, overridden: bool = False):
    return Prediction("text", expected, label, confidence, runner_up, overridden)


def test_candidate_config_drops_fallback_and_policies_and_changes_only_the_named_featurizer() -> None:
    before = copy.deepcopy(BASE)
    config = candidate_config(BASE, CANDIDATES["DIET 1x128, 30 epochs; char n-grams 1-5"])

    names = [c["name"] for c in config["pipeline"]]
    assert "FallbackClassifier" not in names
    assert "bot.nlp.safety.SafetyTriage" in names
    assert "policies" not in config
    featurizers = [c for c in config["pipeline"] if c["name"] == "CountVectorsFeaturizer"]
    assert [f.get("max_ngram") for f in featurizers] == [None, 5]
    assert next(c for c in config["pipeline"] if c["name"] == "DIETClassifier")["epochs"] == 30
    # The project's config itself is untouched.
    assert before == BASE


def test_candidate_config_refuses_a_change_to_a_component_the_pipeline_lacks() -> None:
    with pytest.raises(ValueError, match="not in config.yml"):
        candidate_config(BASE, {"CRFEntityExtractor": {"max_iterations": 5}})


def test_every_candidate_applies_to_the_current_config() -> None:
    for changes in CANDIDATES.values():
        candidate_config(BASE, changes)


def test_fallback_applied_like_rasa_fallback_classifier() -> None:
    assert fallback_applied(prediction("greet", "greet", 0.44), 0.45) == "nlu_fallback"
    assert fallback_applied(prediction("greet", "greet", 0.46), 0.45) == "greet"
    # Two intents within the ambiguity threshold (0.1) of each other fall back too.
    assert fallback_applied(prediction("greet", "greet", 0.52, runner_up=0.45), 0.45) == "nlu_fallback"


def test_fallback_never_replaces_a_safety_triage_override() -> None:
    assert fallback_applied(prediction("report_emergency", "report_emergency", 0.0, overridden=True), 0.7) == (
        "report_emergency"
    )


def test_scores_at_counts_out_of_scope_fallback_as_correct_and_reports_the_fallback_rate() -> None:
    predictions = [
        prediction("out_of_scope", "greet", 0.2),
        prediction("greet", "greet", 0.9),
        prediction("goodbye", "greet", 0.6),
        prediction("goodbye", "goodbye", 0.95),
    ]

    at_half = scores_at(predictions, 0.5)
    at_point_seven = scores_at(predictions, 0.7)

    assert at_half["accuracy"] == 0.75
    assert at_half["fallback_rate"] == 0.25
    assert at_point_seven["accuracy"] == 0.75  # the wrong 0.6 guess now falls back: still not right
    assert at_point_seven["fallback_rate"] == 0.5


def test_stratified_folds_are_seeded_disjoint_and_keep_every_intent_and_the_lookup_tables() -> None:
    data = load_data(str(ROOT / "data" / "nlu"))

    first = list(stratified_folds(data, 3))
    second = list(stratified_folds(data, 3))

    assert [[e.get("text") for e in test] for _, test in first] == [[e.get("text") for e in test] for _, test in second]
    held_back = [e.get("text") for _, test in first for e in test]
    assert len(held_back) == len(data.intent_examples)
    for train, test in first:
        assert not {e.get("text") for e in test} & {e.get("text") for e in train.intent_examples}
        assert train.lookup_tables and train.entity_synonyms and train.regex_features
        # Stratified: every intent (and FAQ topic) is present in every training part.
        assert set(Counter(e.get_full_intent() for e in train.intent_examples)) == {
            e.get_full_intent() for e in data.intent_examples
        }


def test_render_lists_candidates_best_first_with_their_best_threshold() -> None:
    good = CandidateResult("good", 100.0, {0.45: {"macro_f1": 0.95, "accuracy": 0.94, "fallback_rate": 0.03}})
    weak = CandidateResult("weak", 50.0, {0.45: {"macro_f1": 0.90, "accuracy": 0.91, "fallback_rate": 0.05}})
    for result in (good, weak):
        result.by_threshold.update({t: result.by_threshold[0.45] for t in (0.3, 0.4, 0.5, 0.6, 0.7)})

    table = render([good, weak], 3)

    assert table.index("| good | 0.9500") < table.index("| weak | 0.9000")
    assert "| good | 0.9500 | 0.9400 | 0.3 |" in table  # ties go to the lower threshold
