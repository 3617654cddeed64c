"""The trainer's Models pages: list, progress, evaluation with plots, training start and gated activation."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from bot.housing import audit
from bot.housing.db import session_scope
from bot.model_ops import jobs
from bot.model_ops.registry import Registry
from tests.console.support import csrf_from
from tests.model_ops import console_fixtures
from tests.model_ops.support import GOOD_PAIRS, FakeModelApi, add_model

# The Models pages' fixtures, over the console's own (tests/console/conftest.py).
console_config = console_fixtures.console_config
model_api = console_fixtures.model_api
model_root = console_fixtures.model_root
live = console_fixtures.live

BETTER_PAIRS = [(e, e) for e, _ in GOOD_PAIRS]
WORSE_PAIRS = [(e, "pay_rent" if e == "report_repair" else p) for e, p in GOOD_PAIRS]
GAS = {"text": "smell of gas in the flat", "expected": "report_emergency", "predicted": "report_repair"}


@pytest.fixture
def trainer(client_as: Callable[[str], httpx.Client]) -> httpx.Client:
    return client_as("trainer")


def test_models_page_lists_models_marks_the_live_one_and_shows_the_nlu_retrain_time(
    trainer: httpx.Client, model_root: Path, live: str
) -> None:
    add_model(model_root, "cand", pairs=BETTER_PAIRS, kind="nlu-only", train_seconds=38.4)

    page = trainer.get("/models")

    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'data-model="cand"' in text and 'data-model="live"' in text
    assert text.index('data-model="cand"') < text.index('data-model="live"')  # newest first
    assert "NLU only, in 38 s" in text
    assert 'class="live-model" data-model="live"' in text
    assert 'data-poll-url="/models/progress"' in text


def test_evaluation_page_shows_scores_plots_confusions_and_misclassified(
    trainer: httpx.Client, model_root: Path, live: str
) -> None:
    add_model(model_root, "cand", pairs=GOOD_PAIRS)

    page = html.unescape(trainer.get("/models/cand").text)

    assert 'id="macro-f1">0.963<' in page and 'id="accuracy">0.950<' in page
    assert '<img src="/models/cand/files/confusion-matrix.png"' in page
    assert '<img src="/models/cand/files/per-intent.png"' in page
    assert "<td>report_repair</td><td>pay_rent</td><td>2</td>" in page
    assert "“message 18”: meant report_repair, the model said pay_rent" in page
    assert "Misclassified held-out messages (3)" in page


def test_plots_and_reports_are_served_only_to_the_trainer_with_the_right_type(
    trainer: httpx.Client, anonymous: httpx.Client, model_root: Path, live: str
) -> None:
    plot = trainer.get("/models/live/files/confusion-matrix.png")
    report = trainer.get("/models/live/files/nlu-evaluation.md")

    assert plot.status_code == 200 and plot.headers["content-type"] == "image/png"
    assert plot.content.startswith(b"\x89PNG")
    assert report.headers["content-disposition"] == 'attachment; filename="live-nlu-evaluation.md"'
    assert "# NLU evaluation of live" in report.text
    assert anonymous.get("/models/live/files/confusion-matrix.png").status_code == 303


@pytest.mark.parametrize(
    "path",
    [
        "/models/live/files/meta.json",
        "/models/live/files/..%2Fmeta.json",
        "/models/live/files/live.tar.gz",
        "/models/..%2F..%2Fetc/files/per-intent.png",
        "/models/NOPE/files/per-intent.png",
        "/models/absent",
        "/models/" + "x" * 200,
    ],
)
def test_anything_but_an_evaluation_file_of_a_known_model_is_not_found(
    trainer: httpx.Client, live: str, path: str
) -> None:
    response = trainer.get(path)

    assert response.status_code == 404
    assert "placeholder archive" not in response.text


def test_model_without_evaluation_offers_to_evaluate_it(trainer: httpx.Client, model_root: Path, live: str) -> None:
    add_model(model_root, "fresh", pairs=None)

    page = trainer.get("/models/fresh").text

    assert "has not been evaluated yet" in page and 'action="/models/fresh/evaluate"' in page


@pytest.mark.parametrize("kind", ["", "everything", "<script>", "full\x00"])
def test_start_training_with_garbage_kind_explains_and_starts_nothing(
    trainer: httpx.Client, model_root: Path, kind: str
) -> None:
    token = csrf_from(trainer.get("/models").text)

    response = trainer.post("/models/train", data={"csrf_token": token, "kind": kind}, follow_redirects=True)

    assert "Choose which kind of training to start." in response.text
    assert jobs.JobStore(model_root).history() == []


def test_start_training_runs_one_job_and_refuses_a_second_while_it_runs(
    trainer: httpx.Client, model_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    monkeypatch.setattr(jobs, "start_background", lambda spec, root: started.append(spec.id) or 1)
    token = csrf_from(trainer.get("/models").text)

    first = trainer.post("/models/train", data={"csrf_token": token, "kind": "full"}, follow_redirects=True)
    progress = trainer.get("/models/progress", headers={"X-Console-Fetch": "1"})
    second = trainer.post("/models/train", data={"csrf_token": token, "kind": "full"}, follow_redirects=True)

    assert "Full training started." in first.text
    assert "Full training running" in progress.text and "started by staff:trainer" in progress.text
    assert "Training not started: a training started by staff:trainer is still running." in html.unescape(second.text)
    assert len(started) == 1 and jobs.JobStore(model_root).current() is not None


def test_nlu_only_training_without_a_fine_tunable_live_model_is_explained(
    trainer: httpx.Client, model_root: Path
) -> None:
    token = csrf_from(trainer.get("/models").text)

    response = trainer.post("/models/train", data={"csrf_token": token, "kind": "nlu-only"}, follow_redirects=True)

    assert "Training not started: there is no live model to fine-tune yet; train a full model first." in response.text
    assert jobs.JobStore(model_root).current() is None


def test_progress_fragment_answers_304_when_nothing_changed(trainer: httpx.Client) -> None:
    first = trainer.get("/models/progress", headers={"X-Console-Fetch": "1"})
    again = trainer.get("/models/progress", headers={"X-Console-Fetch": "1", "If-None-Match": first.headers["etag"]})

    assert "No training has run yet." in first.text
    assert again.status_code == 304


def test_gate_refuses_a_worse_model_and_the_live_one_stays(
    trainer: httpx.Client, model_root: Path, live: str, model_api: FakeModelApi
) -> None:
    add_model(model_root, "worse", pairs=WORSE_PAIRS, missed=[GAS])
    token = csrf_from(trainer.get("/models/worse").text)

    page = html.unescape(trainer.post("/models/worse/activate", data={"csrf_token": token}, follow_redirects=True).text)

    assert "Not activated. Macro-F1 on the held-out messages is" in page
    assert "A new model may be at most 1 point below the live one." in page
    assert "“smell of gas in the flat” was read as report_repair" in page
    assert "Gate: may not go live" in page
    assert model_api.loads == []
    pointer = Registry(model_root).live()
    assert pointer is not None and pointer.name == "live"


def test_gate_accepts_a_better_model_which_is_swapped_in_and_audited(
    trainer: httpx.Client, model_root: Path, live: str, model_api: FakeModelApi, housing: Callable[[], Session]
) -> None:
    record = add_model(model_root, "better", pairs=BETTER_PAIRS)
    token = csrf_from(trainer.get("/models/better").text)

    page = trainer.post("/models/better/activate", data={"csrf_token": token}, follow_redirects=True)

    assert "better is live." in page.text
    assert model_api.loads == [str(record.archive.resolve())]
    pointer = Registry(model_root).live()
    assert pointer is not None and pointer.name == "better" and pointer.activated_by == "staff:trainer"
    with session_scope(housing) as session:
        entries = audit.list(session=session, actor="staff:trainer", subject="better", limit=5)
        assert [entry.action for entry in entries] == ["model.activated"]


def test_activation_that_rasa_cannot_load_changes_nothing(
    trainer: httpx.Client, model_root: Path, live: str, model_api: FakeModelApi
) -> None:
    add_model(model_root, "better", pairs=BETTER_PAIRS)
    model_api.fail_loads = True
    token = csrf_from(trainer.get("/models/better").text)

    response = trainer.post("/models/better/activate", data={"csrf_token": token})

    assert response.status_code == 502
    assert "The live model has not changed." in response.text
    pointer = Registry(model_root).live()
    assert pointer is not None and pointer.name == "live"


def test_activation_without_csrf_token_is_refused(
    trainer: httpx.Client, model_root: Path, live: str, model_api: FakeModelApi
) -> None:
    add_model(model_root, "better", pairs=BETTER_PAIRS)

    response = trainer.post("/models/better/activate", data={"csrf_token": "forged"})

    assert response.status_code == 403
    assert model_api.loads == []
