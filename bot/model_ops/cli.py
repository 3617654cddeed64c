"""`tenantline model ...`: train, evaluate, list and activate models from the command line.

The same operations as the console's Models page, on the same files (`var/models`, `var/training`); the gate
always applies to activation.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from bot.model_ops.registry import ModelNotFound, ModelRecord, Registry, RegistryError
from bot.settings import PROJECT_ROOT, get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Train, evaluate, list and activate models.")

ROOT = PROJECT_ROOT
"""The project whose models these commands work on (tests point it at a copy)."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _resolve(registry: Registry, model: str) -> ModelRecord:
    """Return a registered model by name, registering an archive path first when given one."""
    candidate = Path(model)
    if model.endswith(".tar.gz"):
        try:
            return registry.register_archive(candidate if candidate.is_absolute() else Path.cwd() / candidate)
        except RegistryError as error:
            raise _fail(str(error)) from error
    try:
        return registry.get(model)
    except ModelNotFound as error:
        raise _fail(f"{error}; `tenantline model list` shows the models") from error


@app.command("train")
def train(
    nlu_only: bool = typer.Option(
        False, "--nlu-only", help="Fine-tune the live model's NLU (only NLU data may have changed since it)."
    ),
    data: Path = typer.Option(Path("data"), help="Training data folder."),
) -> None:
    """Train a candidate model, evaluate it and apply the gate (it is not activated)."""
    from bot.model_ops.jobs import JobRefused, JobRunning, JobStatus, prepare, run

    data_dir = data if data.is_absolute() else ROOT / data
    if not data_dir.is_dir():
        raise _fail(f"no training data folder at {data_dir}")
    try:
        spec = prepare(ROOT, kind="nlu-only" if nlu_only else "full", by="cli", data_dir=data_dir)
    except (JobRefused, JobRunning) as error:
        raise _fail(str(error)) from error
    shown = [""]

    def show(status: JobStatus) -> None:
        if status.step != shown[0]:
            shown[0] = status.step
            typer.echo(f"  {status.step}")

    typer.echo(f"training ({spec.kind}) as job {spec.id}")
    status = run(ROOT, spec.id, on_status=show)
    if status.state != "succeeded":
        for line in status.log_tail:
            typer.echo(f"  | {line}", err=True)
        raise _fail(status.error or "training failed")
    typer.echo(
        f"model {status.model} trained in {status.train_seconds:.0f} s, {status.train_cpu_seconds or 0:.0f} s of CPU "
        f"({status.kind}; retrained: "
        f"{', '.join(status.trained) or 'nothing'}; from cache: {', '.join(status.restored) or 'nothing'})"
    )
    typer.echo(f"gate: {status.gate_summary}")


@app.command("evaluate")
def evaluate(
    model: str = typer.Argument(..., help="A model name from `tenantline model list`, or a .tar.gz path."),
) -> None:
    """Evaluate a model: accuracy, macro-F1, per intent, confusions, plots; files in var/models/<name>/evaluation."""
    from bot.model_ops.evaluation import EvaluationSets, evaluate_record

    record = _resolve(Registry(ROOT), model)
    result = evaluate_record(record, EvaluationSets.of(ROOT))
    typer.echo(
        f"{record.name}: accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f} on {result.examples} held-out "
        f"examples; safety messages missed: {len(result.safety_missed)} of {result.safety_examples}"
    )
    typer.echo(f"files: {record.evaluation_dir}")


@app.command("list")
def list_models() -> None:
    """List the models with their scores and gate verdicts; the live one is marked."""
    from bot.model_ops.activate import current_live
    from bot.model_ops.evaluation import stored_report
    from bot.model_ops.gate import read_verdict

    registry = Registry(ROOT)
    live = current_live(registry)
    records = registry.list()
    if not records:
        typer.echo("no models yet: `tenantline model train` makes one")
        return
    for record in records:
        report = stored_report(record)
        verdict = read_verdict(record.gate_json)
        scores = f"macro-F1 {float(report['macro_f1']):.3f}" if report else "not evaluated"
        gate = "" if verdict is None else ("gate passed" if verdict.passed else "gate refused")
        marker = "*" if live is not None and live.name == record.name else " "
        seconds = f", trained in {record.meta.train_seconds:.0f} s" if record.meta.train_seconds else ""
        typer.echo(f"{marker} {record.name}  {record.meta.kind}{seconds}  {scores}  {gate}".rstrip())


@app.command("activate")
def activate(
    model: str = typer.Argument(..., help="A model name from `tenantline model list`."),
    no_server: bool = typer.Option(
        False, "--no-server", help="No assistant is running: only make it the model the next `make run` serves."
    ),
) -> None:
    """Activate a model if the gate accepts it: swap it into the running assistant and make it live."""
    from bot.console.rasa_api import RasaClient
    from bot.model_ops.activate import GateRefused, SwapFailed
    from bot.model_ops.activate import activate as run_activation
    from bot.model_ops.evaluation import EvaluationSets

    registry = Registry(ROOT)
    record = _resolve(registry, model)
    settings = get_settings()
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    rasa = None if no_server else RasaClient(settings.rasa_url, token)

    async def go() -> None:
        try:
            done = await run_activation(registry, record.name, rasa=rasa, by="cli", tests=EvaluationSets.of(ROOT))
        finally:
            if rasa is not None:
                await rasa.close()
        where = "the running assistant now uses it" if done.swapped else "the next `make run` will serve it"
        typer.echo(f"{record.name} is live: {where}.")

    try:
        asyncio.run(go())
    except GateRefused as refused:
        for reason in refused.verdict.reasons:
            typer.echo(f"refused: {reason}", err=True)
        raise typer.Exit(1) from refused
    except SwapFailed as error:
        raise _fail(f"{error}. The live model is unchanged. (Use --no-server if no assistant is running.)") from error
