"""The trained model loaded for prediction only (bot.rasa_lean_load) answers exactly as Rasa's loader makes it answer.

Both loaders load the real model in this process and parse the same held-out and safety messages; intent,
confidence, ranking, entities and FAQ answer must be the same for every message. The memory it saves is measured
by the bench (docs/bench.md), not here.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from bot import rasa_lean_load
from bot.evaluate import load_examples
from bot.training import model_path

pytestmark = pytest.mark.model

NLU_TESTS = Path(__file__).resolve().parent
EVERY_NTH = 3
"""Every third held-out message and every third safety message: about 160 parses per loader."""


def _messages() -> list[str]:
    texts: list[str] = []
    for name in ("heldout.yml", "safety.yml"):
        texts += [text for text, _intent in load_examples(NLU_TESTS / name)][::EVERY_NTH]
    return texts


def _answers(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def parse_all() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    answers = []
    for parse in asyncio.run(parse_all()):
        selector = parse.get("response_selector", {}).get("faq", {}).get("response", {})
        answers.append(
            {
                "text": parse["text"],
                "intent": parse["intent"]["name"],
                "confidence": round(float(parse["intent"]["confidence"]), 5),
                "ranking": [(r["name"], round(float(r["confidence"]), 5)) for r in parse["intent_ranking"][:5]],
                "entities": [(e["entity"], e["value"], e.get("extractor")) for e in parse["entities"]],
                "faq": (selector.get("intent_response_key"), round(float(selector.get("confidence", 0.0)), 5)),
            }
        )
    return answers


def test_lean_loaded_model_answers_every_message_exactly_as_rasas_loader(caplog: pytest.LogCaptureFixture) -> None:
    model = model_path()
    if not model.exists():
        pytest.skip(f"no trained model at {model}: run `make train` first")
    texts = _messages()
    assert len(texts) >= 150
    rasa_lean_load.uninstall()
    rasas = _answers(model, texts)
    try:
        assert rasa_lean_load.install()
        with caplog.at_level(logging.WARNING, logger="bot.rasa_lean_load"):
            ours = _answers(model, texts)
    finally:
        rasa_lean_load.uninstall()
    assert "for prediction only" not in caplog.text  # the shortcut was taken, not the fallback
    differences = [(a, b) for a, b in zip(rasas, ours, strict=True) if a != b]
    assert differences == []
