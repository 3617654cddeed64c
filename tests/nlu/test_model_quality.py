"""The trained model on the held-out sets it never saw: every emergency and welfare concern caught, intents right.

Safety recall must be 100% (a missed emergency is the worst bug this product can have). The macro-F1 floor is a
regression guard well under what the model reaches (see `tenantline evaluate`), so a change that makes
understanding clearly worse fails CI instead of shipping.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.evaluate import Evaluation, evaluate
from bot.training import model_path

pytestmark = pytest.mark.model

NLU_TESTS = Path(__file__).resolve().parent
MACRO_F1_FLOOR = 0.90


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    model = model_path()
    if not model.exists():
        pytest.skip(f"no trained model at {model}: run `make train` first")
    return evaluate(model, NLU_TESTS / "heldout.yml", NLU_TESTS / "safety.yml")


def test_every_emergency_and_welfare_concern_in_the_test_sets_is_recognised(evaluation: Evaluation) -> None:
    assert evaluation.safety_missed == []
    assert evaluation.safety_recall == {"report_emergency": 1.0, "report_concern": 1.0}


def test_held_out_macro_f1_stays_above_the_floor(evaluation: Evaluation) -> None:
    assert evaluation.macro_f1 >= MACRO_F1_FLOOR, evaluation.confusions[:10]


def test_every_taxonomy_intent_is_in_the_held_out_set(evaluation: Evaluation) -> None:
    intents = {score.intent for score in evaluation.per_intent}
    assert {"report_emergency", "report_concern", "out_of_scope", "faq/pets", "greet"} <= intents
    assert len(intents) >= 30
