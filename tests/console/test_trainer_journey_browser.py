"""The whole trainer journey in real Chromium, from the console alone: label ten inbox messages, retrain (NLU only),
see the evaluation with its plots, and activate the new model.

Real parts: the console, the inbox and YAML writer, the training job (a detached worker running `rasa train
--finetune` on a private project copy with a reduced config, tests/model_ops/tiny.py), the evaluation on the real
held-out and safety sets, the gate. The running assistant is the fake Rasa model API (the hot swap against a real
Rasa server is tests/model_ops/test_hot_swap.py). Screenshots go to test-artifacts/console/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from bot.console.config import ConsoleConfig
from bot.housing import nlu_inbox
from bot.housing.db import session_scope
from bot.model_ops.registry import Registry
from tests.console.conftest import PASSWORDS
from tests.console.support import RASA_TOKEN
from tests.model_ops import console_fixtures
from tests.model_ops.tiny import TinyProject, live_base_model, make_project
from tests.support.browser import CHROMIUM
from tests.support.browser import shot as save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.model,
    pytest.mark.timeout(1800),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium"),
]

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

model_api = console_fixtures.model_api

# Ten tenant messages the model was unsure of: (text, its guess, what it meant). None of them is in data/ or tests/.
MESSAGES = [
    ("radiator in the box room stone cold again", "report_repair", "report_repair"),
    ("the lino in the hall is lifting at the edges", "report_repair", "report_repair"),
    ("shower pump making a grinding noise", "report_repair", "report_repair"),
    ("kitchen cupboard door hanging off its hinge", "report_repair", "report_repair"),
    ("black spots coming back on the bedroom ceiling", "report_damp_mould", "report_damp_mould"),
    ("how much do i still owe on the rent", "ask_rent_balance", "ask_rent_balance"),
    ("can i pay my rent over the phone", "pay_rent", "pay_rent"),
    ("the extractor in the loo just hums and doesnt pull", "out_of_scope", "report_repair"),
    ("mould round the window frames in the kids room", "report_repair", "report_damp_mould"),
    ("whats left on my rent account", "pay_rent", "ask_rent_balance"),
]


@pytest.fixture
def journey(tmp_path: Path) -> TinyProject:
    project = make_project(tmp_path / "project")
    live_base_model(project)
    return project


@pytest.fixture
def console_config(model_api: Any, media_dir: Path, journey: TinyProject) -> ConsoleConfig:
    return ConsoleConfig(
        database_url="sqlite://",
        rasa_url=model_api.url,
        rasa_token=RASA_TOKEN,
        media_dir=media_dir,
        landlord_name="Riverside Vale Homes",
        poll_seconds=1.0,
        project_root=journey.root,
        training_data_dir=journey.root / "data",
        domain_dir=journey.root / "domain",
    )


@pytest.fixture
def inbox(housing: Callable[[], Session]) -> list[int]:
    ids = []
    with session_scope(housing) as session:
        for number, (text, guess, _meant) in enumerate(MESSAGES):
            item, _created = nlu_inbox.create(
                session=session,
                key=f"journey-{number}",
                text=text,
                reason="low_confidence",
                received_at=datetime(2026, 11, 21, 9, number, tzinfo=timezone.utc),
                predicted_intent=guess,
                confidence=0.41,
            )
            ids.append(int(item.id))
    return ids


PAGE_TIMEOUT_MS = 20000
"""These journeys wait on real training and evaluation; the console default of 10 s is too short."""


def shot(page: Any, name: str) -> None:
    save_screenshot(page, "console", name)


def test_trainer_labels_ten_messages_retrains_reads_the_evaluation_and_activates(
    page: Any, journey: TinyProject, inbox: list[int], model_api: Any
) -> None:
    registry = Registry(journey.root)
    before = registry.live()
    assert before is not None
    page.goto("/training/inbox")
    page.get_by_label("Username").fill("trainer")
    page.get_by_label("Password").fill(PASSWORDS["trainer"])
    page.get_by_role("button", name="Sign in").click()

    # Label: relabel the three the assistant got wrong one at a time, then confirm the other seven in bulk.
    for item_id, (_text, guess, meant) in zip(inbox, MESSAGES, strict=True):
        if guess != meant:
            page.locator(f"#intent-{item_id}").select_option(meant)
            page.locator(f"#relabel-{item_id}").click()
            expect(page.locator(f"#item-{item_id}")).to_have_count(0)
    shot(page, "journey-inbox-before-bulk.png")
    for item_id, (_text, guess, meant) in zip(inbox, MESSAGES, strict=True):
        if guess == meant:
            page.locator(f"#pick-{item_id}").check()
    page.locator("#bulk-confirm").click()
    expect(page.locator("[data-waiting]")).to_have_text("0")
    nlu_text = "".join(p.read_text(encoding="utf-8") for p in sorted((journey.root / "data" / "nlu").glob("*.yml")))
    for text, _guess, _meant in MESSAGES:
        assert f"    - {text}\n" in nlu_text

    # Retrain NLU only, from the Models page, and follow the progress until the evaluation link appears.
    page.get_by_role("link", name="Models").click()
    page.get_by_label("Only examples (NLU data): quick retrain, fine-tuning the live model").check()
    page.get_by_role("button", name="Start training").click()
    expect(page.get_by_role("status").filter(has_text="NLU-only retraining started.")).to_be_visible()
    link = page.locator("#latest-evaluation")
    expect(link).to_be_visible(timeout=1_500_000)
    seconds = page.locator("[data-train-seconds]").get_attribute("data-train-seconds")
    shot(page, "journey-trained.png")
    print(f"\nNLU-only retrain (tiny config, loaded machine): {seconds} s")
    link.click()

    # The evaluation with its plots, the gate's verdict, then activation.
    expect(page.get_by_role("heading", name=re.compile("^Gate: may go live"))).to_be_visible()
    for plot in ("confusion-matrix.png", "per-intent.png"):
        image = page.locator(f"img[src$='{plot}']")
        expect(image).to_be_visible()
        assert image.evaluate("element => element.complete && element.naturalWidth > 300")
    expect(page.locator("#safety-missed")).to_have_text(re.compile(r"^0 of \d+$"))
    shot(page, "journey-evaluation.png")
    page.get_by_role("button", name="Activate this model").click()
    expect(page.get_by_role("status").filter(has_text="is live.")).to_be_visible(timeout=300_000)

    after = registry.live()
    assert after is not None and after.name != before.name
    record = registry.get(after.name)
    assert record.meta.kind == "nlu-only" and record.meta.base_model == before.name
    assert model_api.loads == [str(record.archive.resolve())]
    shot(page, "journey-activated.png")
    assert page.watch.errors == []
