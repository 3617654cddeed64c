"""The trainer's Models pages: start a training, follow it, read the evaluation with its plots, activate.

Everything here needs `Capability.TRAIN_ASSISTANT`. Training runs in a detached worker process
(`bot.model_ops.jobs`), so the page only starts it and then polls its status file. Plots and reports are served by
an authenticated route from the model's folder (never as static files), and only the file names the evaluation
writes can be asked for.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sanic import HTTPResponse, Request, Sanic, response
from sqlalchemy.orm import Session

from bot.console import workflow
from bot.console.permissions import Capability
from bot.console.state import ConsoleState
from bot.console.views.conversation import PageNotFound
from bot.console.web import console, error_page, guard, redirect, render, render_fragment, signed_in
from bot.housing import audit
from bot.model_ops import jobs
from bot.model_ops.activate import GateRefused, SwapFailed, activate, current_live
from bot.model_ops.evaluation import PLOTS, EvaluationSets, evaluate_record, intent_scores, stored_report
from bot.model_ops.gate import Verdict, read_verdict
from bot.model_ops.registry import ModelNotFound, ModelRecord, Registry
from bot.model_ops.registry import check_name as check_model_name

DOWNLOADS = {"nlu-evaluation.md": "text/markdown; charset=utf-8", "nlu-evaluation.json": "application/json"}
TRAIN_KINDS = {"full": "full", "nlu-only": "nlu-only"}
HISTORY = 8


@dataclass(frozen=True)
class ModelRow:
    """One model as the Models page lists it."""

    name: str
    kind: str
    created_at: datetime | None
    train_seconds: float | None
    base_model: str | None
    live: bool
    accuracy: float | None
    macro_f1: float | None
    safety_missed: int | None
    safety_examples: int | None
    verdict: Verdict | None


def _registry(state: ConsoleState) -> Registry:
    return Registry(state.config.project_root)


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _row(record: ModelRecord, live_name: str | None) -> ModelRow:
    report = stored_report(record) or {}
    return ModelRow(
        name=record.name,
        kind=record.meta.kind,
        created_at=_when(record.meta.created_at),
        train_seconds=record.meta.train_seconds,
        base_model=record.meta.base_model,
        live=record.name == live_name,
        accuracy=report.get("accuracy"),
        macro_f1=report.get("macro_f1"),
        safety_missed=len(report["safety_missed"]) if isinstance(report.get("safety_missed"), list) else None,
        safety_examples=report.get("safety_examples"),
        verdict=read_verdict(record.gate_json),
    )


def _record(state: ConsoleState, name: str) -> ModelRecord:
    try:
        return _registry(state).get(name)
    except ModelNotFound as missing:
        raise PageNotFound(str(missing)) from None


def _job_context(state: ConsoleState) -> dict[str, Any]:
    store = jobs.JobStore(state.config.project_root)
    current = store.current()
    history = store.history(HISTORY)
    return {"job": current or (history[0] if history else None), "running": current is not None}


@guard(Capability.TRAIN_ASSISTANT)
async def models_page(request: Request) -> HTTPResponse:
    """List the models, the live one first in mind, with the training controls and progress."""
    state = console(request)

    def read() -> dict[str, Any]:
        registry = _registry(state)
        live = current_live(registry)
        rows = [_row(record, live.name if live else None) for record in registry.list()]
        history = jobs.JobStore(state.config.project_root).history(HISTORY)
        return {"rows": rows, "live": live.name if live else None, "history": history, **_job_context(state)}

    context = await asyncio.to_thread(read)
    return render(request, "models.html", active="models", poll_seconds=state.config.poll_seconds, **context)


@guard(Capability.TRAIN_ASSISTANT, fragment=True)
async def training_progress(request: Request) -> HTTPResponse:
    """Return the training progress region for console.js, or 304 when nothing changed."""
    state = console(request)
    context = await asyncio.to_thread(_job_context, state)
    job = context["job"]
    fingerprint = [repr(job)]
    return render_fragment(request, "_training.html", fingerprint, **context)


@guard(Capability.TRAIN_ASSISTANT)
async def start_training(request: Request) -> HTTPResponse:
    """Start a training of the kind chosen on the form (full, or NLU-only fine-tuning of the live model)."""
    state = console(request)
    staff = signed_in(request)
    kind = TRAIN_KINDS.get(str(request.form.get("kind") or ""))
    if kind is None:
        staff.session.flash("error", "Choose which kind of training to start.")
        return redirect("/models")
    root = state.config.project_root

    def start() -> jobs.JobSpec:
        spec = jobs.prepare(root, kind=kind, by=staff.actor, data_dir=state.config.training_data_dir)
        try:
            jobs.start_background(spec, root)
        except OSError:
            jobs.JobStore(root).release(spec.id)
            raise
        return spec

    try:
        await asyncio.to_thread(start)
    except (jobs.JobRunning, jobs.JobRefused) as refused:
        staff.session.flash("error", f"Training not started: {refused}.")
        return redirect("/models")
    except OSError:
        staff.session.flash("error", "Training could not be started on this machine. Nothing has changed.")
        return redirect("/models")
    words = "NLU-only retraining" if kind == "nlu-only" else "Full training"
    staff.session.flash("success", f"{words} started. Progress shows below; you can leave this page.")
    return redirect("/models")


@guard(Capability.TRAIN_ASSISTANT)
async def evaluation_page(request: Request, name: str) -> HTTPResponse:
    """Show a model's evaluation: scores, per intent, the plots, confused pairs, misclassified, gate verdict."""
    state = console(request)
    record = await asyncio.to_thread(_record, state, name)

    def read() -> dict[str, Any]:
        live = current_live(_registry(state))
        report = stored_report(record)
        return {
            "model": _row(record, live.name if live else None),
            "report": report,
            "scores": intent_scores(report) if report else [],
            "plots": [plot for plot in PLOTS if (record.evaluation_dir / plot).is_file()],
        }

    context = await asyncio.to_thread(read)
    return render(request, "evaluation.html", active="models", **context)


@guard(Capability.TRAIN_ASSISTANT)
async def evaluation_file(request: Request, name: str, filename: str) -> HTTPResponse:
    """Serve one of a model's plots or reports (only the names the evaluation writes)."""
    state = console(request)
    record = await asyncio.to_thread(_record, state, name)
    if filename in PLOTS:
        content_type = "image/png"
    elif filename in DOWNLOADS:
        content_type = DOWNLOADS[filename]
    else:
        raise PageNotFound(filename)
    path: Path = record.evaluation_dir / filename
    if not path.is_file():
        raise PageNotFound(filename)
    body = await asyncio.to_thread(path.read_bytes)
    headers = {"X-Content-Type-Options": "nosniff"}
    if filename in DOWNLOADS:
        headers["Content-Disposition"] = f'attachment; filename="{record.name}-{filename}"'
    return response.raw(body, content_type=content_type, headers=headers)


@guard(Capability.TRAIN_ASSISTANT)
async def evaluate_model(request: Request, name: str) -> HTTPResponse:
    """Evaluate a model that has no evaluation yet (or again), then show it."""
    state = console(request)
    record = await asyncio.to_thread(_record, state, name)
    await asyncio.to_thread(evaluate_record, record, EvaluationSets.of(state.config.project_root))
    signed_in(request).session.flash("success", "Evaluation finished.")
    return redirect(f"/models/{record.name}")


@guard(Capability.TRAIN_ASSISTANT)
async def activate_model(request: Request, name: str) -> HTTPResponse:
    """Put a model live if the gate accepts it, swapping it into the running assistant."""
    state = console(request)
    staff = signed_in(request)
    try:
        check_model_name(name)
    except ModelNotFound as missing:
        raise PageNotFound(str(missing)) from None
    registry = _registry(state)
    try:
        done = await activate(
            registry, name, rasa=state.rasa, by=staff.actor, tests=EvaluationSets.of(state.config.project_root)
        )
    except ModelNotFound as missing:
        raise PageNotFound(str(missing)) from None
    except GateRefused as refused:
        staff.session.flash("error", "Not activated. " + " ".join(refused.verdict.reasons))
        return redirect(f"/models/{name}")
    except SwapFailed as failed:
        return error_page(request, 502, "Not activated", f"{failed}. The live model has not changed.")
    await _audit(state, staff.actor, name, done.model_id)
    staff.session.flash("success", f"{name} is live. The assistant answers with it from the next message.")
    return redirect("/models")


async def _audit(state: ConsoleState, actor: str, name: str, model_id: str | None) -> None:
    def write(session: Session) -> None:
        audit.record(
            session=session,
            action="model.activated",
            subject=name[:60],
            actor=actor,
            details={"model_id": model_id or ""},
        )

    await workflow.in_session(state, write)


def register(app: Sanic) -> None:
    """Add the Models routes."""
    app.add_route(models_page, "/models", methods=["GET"], name="models")
    app.add_route(training_progress, "/models/progress", methods=["GET"], name="models_progress")
    app.add_route(start_training, "/models/train", methods=["POST"], name="models_train")
    app.add_route(evaluation_page, "/models/<name:str>", methods=["GET"], name="model_evaluation")
    app.add_route(evaluation_file, "/models/<name:str>/files/<filename:str>", methods=["GET"], name="model_file")
    app.add_route(evaluate_model, "/models/<name:str>/evaluate", methods=["POST"], name="model_evaluate")
    app.add_route(activate_model, "/models/<name:str>/activate", methods=["POST"], name="model_activate")
