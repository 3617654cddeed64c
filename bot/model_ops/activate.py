"""Put a model live: the gate first, then a hot swap of the running Rasa server, then the live pointer.

Order matters: the gate decides on stored evaluations; the swap goes through Rasa's authenticated `PUT /model`
(Rasa loads the new agent completely before replacing the old one, and keeps its lock store, so a message being
handled finishes on the old model and the next one uses the new); `GET /status` must then name the new archive
before the pointer `tenantline run` reads is moved. If any step fails, the live model stays what it was.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.console.rasa_api import RasaClient, RasaUnavailable
from bot.model_ops.evaluation import EvaluationSets, evaluate_record, stored_report
from bot.model_ops.fingerprints import input_fingerprints
from bot.model_ops.gate import Verdict, decide, write_verdict
from bot.model_ops.registry import LivePointer, ModelRecord, Registry
from bot.training import model_path


class GateRefused(Exception):
    """Raised when the gate refuses a model; carries the verdict with the reasons."""

    def __init__(self, verdict: Verdict) -> None:
        """Keep the verdict for the caller to show."""
        super().__init__(verdict.summary())
        self.verdict = verdict


class SwapFailed(Exception):
    """Raised when the running Rasa server did not end up serving the new model."""


@dataclass(frozen=True)
class Activation:
    """What activation did."""

    verdict: Verdict
    pointer: LivePointer
    model_id: str | None
    swapped: bool


def current_live(registry: Registry) -> ModelRecord | None:
    """Return the live model's record: the activated one, or else the fingerprinted model `make run` serves.

    The fingerprinted model is registered (copied into the registry) the first time it is needed, so it can be
    compared with and gone back to.
    """
    record = registry.live_record()
    if record is not None:
        return record
    root = registry.root
    built = model_path(root)
    if not built.is_file():
        return None
    record = registry.register_archive(built)
    if record.meta.core_fingerprint is None:
        # `model_path` names the model after the current inputs, so these are the inputs it was trained from.
        prints = input_fingerprints(root, root / "data", root / "config.yml")
        record.meta.core_fingerprint, record.meta.nlu_fingerprint = prints.core, prints.nlu
        record = registry.save(record.folder, record.meta)
    return record


def ensure_evaluated(record: ModelRecord, tests: EvaluationSets) -> None:
    """Evaluate `record` unless its evaluation files are already stored."""
    if stored_report(record) is None:
        evaluate_record(record, tests)


def judge(registry: Registry, record: ModelRecord, tests: EvaluationSets) -> Verdict:
    """Decide whether `record` may go live compared with the live model, storing the verdict next to it.

    Both models are evaluated first if they have not been. A model compared with itself (re-activating the live
    one) is judged on safety alone.
    """
    ensure_evaluated(record, tests)
    live = current_live(registry)
    candidate_report = stored_report(record)
    assert candidate_report is not None  # just written by ensure_evaluated
    live_report = None
    if live is not None and live.name != record.name:
        ensure_evaluated(live, tests)
        live_report = stored_report(live)
    verdict = decide(
        candidate_report,
        live_report,
        candidate_name=record.name,
        live_name=live.name if live is not None and live_report is not None else None,
    )
    write_verdict(verdict, record.gate_json)
    return verdict


async def activate(
    registry: Registry, name: str, *, rasa: RasaClient | None, by: str, tests: EvaluationSets
) -> Activation:
    """Judge a model and, if the gate passes, swap it into the running server and make it live.

    Args:
        registry: The models.
        name: The model to activate.
        rasa: The running Rasa server, or None to only set the model for the next start (no server running).
        by: Who activates it, for the pointer ("staff:trainer", "cli").
        tests: The test sets the gate evaluates on.

    Returns:
        What happened.

    Raises:
        ModelNotFound: If there is no such model.
        GateRefused: If the gate refuses it (nothing changes).
        SwapFailed: If the server could not load it or does not report it afterwards (the pointer is unchanged).
    """
    record = registry.get(name)
    # Evaluating a model that has not been evaluated takes a while: keep the caller's event loop free.
    verdict = await asyncio.to_thread(judge, registry, record, tests)
    if not verdict.passed:
        raise GateRefused(verdict)
    model_id = None
    if rasa is not None:
        model_id = await swap(rasa, record.archive)
    pointer = registry.set_live(record.name, by=by)
    return Activation(verdict=verdict, pointer=pointer, model_id=model_id, swapped=rasa is not None)


async def swap(rasa: RasaClient, archive: Path) -> str | None:
    """Load `archive` into the running server and check that it now serves it; return the new model id.

    Raises:
        SwapFailed: If the server refused or failed, or reports another model afterwards.
    """
    try:
        await rasa.replace_model(str(archive.resolve()))
        status = await rasa.status()
    except RasaUnavailable as error:
        raise SwapFailed(f"the running assistant did not take the new model: {error}") from error
    served = str(status.get("model_file") or "")
    if Path(served).name != archive.name:
        raise SwapFailed(f"the running assistant reports {served or 'no model'} instead of {archive.name}")
    model_id = status.get("model_id")
    return str(model_id) if model_id is not None else None
