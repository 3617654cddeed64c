"""The trainer's Models pages in real Chromium: start a training and watch it progress without reloading, read the
evaluation with its plots, be refused by the gate with its reasons, and activate a better model.

The training here is the real job runner (`bot.model_ops.jobs.run`, in a thread as the worker process would) with
a stand-in for `rasa train` that prints what Rasa prints, and evaluation files made from fixed predictions; the
real training and gate are tested in tests/model_ops/test_gate_real_models.py. Screenshots go to
test-artifacts/console/.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.evaluate import write_report
from bot.model_ops import jobs
from bot.model_ops.evaluation import stored_report, write_plots
from bot.model_ops.gate import Verdict, decide, write_verdict
from bot.model_ops.registry import ModelRecord, Registry
from tests.console.conftest import PASSWORDS
from tests.model_ops import console_fixtures
from tests.model_ops.support import GOOD_PAIRS, add_model, evaluation
from tests.support.browser import CHROMIUM
from tests.support.browser import shot as save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium"),
]

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

console_config = console_fixtures.console_config
model_api = console_fixtures.model_api
model_root = console_fixtures.model_root
live = console_fixtures.live

SLOW_RASA = r"""
import pathlib, sys, time
out, name = pathlib.Path(sys.argv[1]), sys.argv[2]
print("INFO rasa.engine.training.hooks - Restored component 'TEDPolicy' from cache.", flush=True)
print("INFO rasa.engine.training.hooks - Starting to train component 'DIETClassifier'.", flush=True)
for epoch in range(1, 16):
    sys.stdout.write(f"Epochs: {epoch * 6}%|##  | {epoch}/15 [00:01<00:01]\r")
    sys.stdout.flush()
    time.sleep(0.25)
print("\nINFO rasa.engine.training.hooks - Finished training component 'DIETClassifier'.", flush=True)
(out / f"{name}.tar.gz").write_bytes(b"model")
"""
BETTER_PAIRS = [(e, e) for e, _ in GOOD_PAIRS]


@pytest.fixture
def background_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[threading.Thread]]:
    """Run started jobs in a thread with a stand-in trainer; their evaluation comes from fixed predictions."""
    script = tmp_path / "slow_rasa.py"
    script.write_text(SLOW_RASA, encoding="utf-8")
    threads: list[threading.Thread] = []

    def command(spec: jobs.JobSpec, root: Path, out: Path, name: str) -> list[str]:
        return [sys.executable, str(script), str(out), name]

    def judge(registry: Registry, record: ModelRecord, tests: object) -> Verdict:
        result = evaluation(record.name, BETTER_PAIRS)
        write_report(result, record.evaluation_dir)
        write_plots(result, record.evaluation_dir)
        live_report = registry.live_record()
        assert live_report is not None
        verdict = decide(
            stored_report(record) or {},
            stored_report(live_report),
            candidate_name=record.name,
            live_name=live_report.name,
        )
        write_verdict(verdict, record.gate_json)
        return verdict

    def start(spec: jobs.JobSpec, root: Path) -> int:
        thread = threading.Thread(target=jobs.run, args=(root, spec.id), daemon=True)
        thread.start()
        threads.append(thread)
        return 0

    monkeypatch.setattr(jobs, "train_command", command)
    monkeypatch.setattr(jobs, "judge", judge)
    monkeypatch.setattr(jobs, "start_background", start)
    yield threads
    for thread in threads:
        thread.join(timeout=30)


PAGE_TIMEOUT_MS = 15000
"""These journeys wait on real training and evaluation; the console default of 10 s is too short."""


def shot(page: Any, name: str) -> None:
    save_screenshot(page, "console", name)


def sign_in_as_trainer(page: Any) -> None:
    page.goto("/models")
    page.get_by_label("Username").fill("trainer")
    page.get_by_label("Password").fill(PASSWORDS["trainer"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Models", exact=True)).to_be_visible()


def test_trainer_trains_watches_progress_reads_evaluation_with_plots_and_activates(
    page: Any, live: str, background_jobs: list[threading.Thread], model_api: Any, model_root: Path
) -> None:
    sign_in_as_trainer(page)
    expect(page.get_by_role("link", name="Models")).to_have_attribute("aria-current", "page")
    page.get_by_label("Anything else, or not sure: full training (slower)").check()
    page.get_by_role("button", name="Start training").click()

    expect(page.get_by_role("status").filter(has_text="Full training started.")).to_be_visible()
    expect(page.locator("#training-step")).to_contain_text("Training DIETClassifier: epoch", timeout=20_000)
    shot(page, "models-training-progress.png")
    link = page.locator("#latest-evaluation")
    expect(link).to_be_visible(timeout=30_000)  # appears by polling, without a reload
    expect(page.locator("#training")).to_contain_text("Reused unchanged from the last training: TEDPolicy")
    expect(page.locator("#training")).to_contain_text("may go live")
    link.click()

    expect(page.get_by_role("heading", name="Gate: may go live")).to_be_visible()
    expect(page.locator("#macro-f1")).to_have_text("1.000")
    for plot in ("confusion-matrix.png", "per-intent.png"):
        image = page.locator(f"img[src$='{plot}']")
        expect(image).to_be_visible()
        assert image.evaluate("element => element.complete && element.naturalWidth > 300")
    shot(page, "models-evaluation.png")
    page.get_by_role("button", name="Activate this model").click()

    expect(page.get_by_role("status").filter(has_text="is live.")).to_be_visible(timeout=30_000)
    new_name = Registry(model_root).live()
    assert new_name is not None and new_name.name != live
    assert model_api.loads and model_api.loads[-1].endswith(f"{new_name.name}.tar.gz")
    expect(page.locator(f"tr[data-model='{new_name.name}']")).to_contain_text("live")
    shot(page, "models-activated.png")
    assert page.watch.errors == [] and not any("Content Security Policy" in m for m in page.watch.console)


def test_trainer_sees_the_gate_refuse_a_worse_model_with_its_reasons(
    page: Any, live: str, model_api: Any, model_root: Path
) -> None:
    worse = [(e, "pay_rent" if e == "report_repair" else p) for e, p in GOOD_PAIRS]
    gas = {"text": "gas smell by the cooker", "expected": "report_emergency", "predicted": "report_repair"}
    add_model(model_root, "worse", pairs=worse, missed=[gas])
    sign_in_as_trainer(page)
    page.get_by_role("link", name="worse").click()
    page.get_by_role("button", name="Activate this model").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Not activated. Macro-F1 on the held-out messages is")
    expect(alert).to_contain_text("“gas smell by the cooker” was read as report_repair, not as an emergency")
    expect(page.get_by_role("heading", name="Gate: may not go live")).to_be_visible()
    shot(page, "models-gate-refused.png")
    assert model_api.loads == []
    pointer = Registry(model_root).live()
    assert pointer is not None and pointer.name == live
