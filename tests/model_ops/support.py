"""Test support for model operations: registered models with made-up evaluations, and a fake Rasa model API."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.evaluate import Evaluation, score, write_report
from bot.model_ops.evaluation import write_plots
from bot.model_ops.registry import ModelMeta, ModelRecord, Registry
from tests.support.http_fake import ThreadedHttpFake

GOOD_PAIRS = [("report_repair", "report_repair")] * 18 + [("report_repair", "pay_rent")] * 2
GOOD_PAIRS += [("pay_rent", "pay_rent")] * 19 + [("pay_rent", "report_repair")]
GOOD_PAIRS += [("report_emergency", "report_emergency")] * 10 + [("report_concern", "report_concern")] * 10


def evaluation(name: str, pairs: list[tuple[str, str]], missed: list[dict[str, str]] | None = None) -> Evaluation:
    """Return an evaluation as `bot.evaluate` would make it from these (expected, predicted) pairs."""
    accuracy, macro_f1, per_intent, confusions = score(pairs)
    missed = missed or []
    return Evaluation(
        model=name,
        examples=len(pairs),
        accuracy=accuracy,
        macro_f1=macro_f1,
        per_intent=per_intent,
        confusions=confusions,
        misclassified=[
            {"text": f"message {i}", "expected": e, "predicted": p} for i, (e, p) in enumerate(pairs) if e != p
        ],
        safety_examples=160,
        safety_recall={"report_emergency": 1.0 if not missed else 0.98, "report_concern": 1.0},
        safety_missed=missed,
        predictions=pairs,
    )


def add_model(
    root: Path,
    name: str,
    *,
    pairs: list[tuple[str, str]] | None = None,
    missed: list[dict[str, str]] | None = None,
    created: str = "2026-11-21T10:00:00+00:00",
    kind: str = "full",
    train_seconds: float | None = 42.0,
) -> ModelRecord:
    """Register a model whose archive is a placeholder; evaluate it from `pairs` (files, plots) unless None."""
    registry = Registry(root)
    folder = registry.folder_for(name)
    folder.mkdir(parents=True)
    (folder / f"{name}.tar.gz").write_bytes(b"placeholder archive")
    record = registry.save(folder, ModelMeta(name=name, created_at=created, kind=kind, train_seconds=train_seconds))
    if pairs is not None:
        result = evaluation(name, pairs, missed)
        write_report(result, record.evaluation_dir)
        write_plots(result, record.evaluation_dir)
    return record


class FakeModelApi(ThreadedHttpFake):
    """A fake Rasa server for `PUT /model` and `GET /status`, behind `?token=` like `rasa run --auth-token`."""

    def __init__(self, token: str, model_file: str = "tenantline-live.tar.gz") -> None:
        self.token = token
        self.model_file = model_file
        self.loads: list[str] = []
        self.fail_loads = False
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                query = parse_qs(urlsplit(self.path).query)
                if query.get("token") != [fake.token]:
                    self._reply(401, {"reason": "NotAuthenticated"})
                    return False
                return True

            def do_GET(self) -> None:
                if urlsplit(self.path).path == "/status" and self._authorised():
                    self._reply(200, {"model_file": fake.model_file, "model_id": f"id-{len(fake.loads)}"})

            def do_PUT(self) -> None:
                if urlsplit(self.path).path != "/model" or not self._authorised():
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if fake.fail_loads:
                    self._reply(500, {"reason": "LoadingError"})
                    return
                fake.loads.append(str(body.get("model_file")))
                fake.model_file = Path(str(body.get("model_file"))).name
                self.send_response(204)
                self.end_headers()

        return Handler
