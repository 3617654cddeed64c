"""The `tenantline` command line: set up the housing database, train, evaluate and run the assistant."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.model_ops.cli import app as model_app
from bot.settings import PROJECT_ROOT, get_settings
from bot.training_data import cli as training_data_cli

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="TenantLine: the messaging assistant for social housing tenants.",
)
training_data_cli.register(app)
app.add_typer(model_app, name="model")


@app.command()
def migrate() -> None:
    """Create or upgrade the housing database schema (Alembic migrations) at TENANTLINE_DATABASE_URL."""
    from bot.housing.migrate import upgrade

    settings = get_settings()
    _ensure_sqlite_dir(settings.database_url)
    upgrade(settings.database_url)
    typer.echo(f"housing database is at the latest schema: {_safe_url(settings.database_url)}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Fill the housing database with a believable demo landlord; running it again changes nothing."""
    from bot.housing.db import create_engine_for, make_session_factory
    from bot.housing.migrate import upgrade
    from bot.housing.seed import seed_demo as run_seed

    settings = get_settings()
    _ensure_sqlite_dir(settings.database_url)
    upgrade(settings.database_url)
    engine = create_engine_for(settings.database_url)
    try:
        summary = run_seed(make_session_factory(engine))
    finally:
        engine.dispose()
    state = "created" if summary.created else "already present, unchanged"
    typer.echo(
        f"demo landlord {state}: {summary.properties} properties, {summary.tenants} tenants, "
        f"{summary.tenancies} tenancies, {summary.open_repairs} open repairs, {summary.available_homes} homes to let"
    )
    for login in summary.logins:
        typer.echo(f"  staff sign-in ({login.role.value}): {login.username} / {login.password}")
    tenant = summary.demo_tenant
    typer.echo(
        f"  demo tenant: {tenant.first_name} {tenant.last_name}, texting from {tenant.phone}, tenancy "
        f"{tenant.tenancy_reference}, postcode {tenant.postcode}, born {tenant.date_of_birth:%d/%m/%Y}"
    )


@app.command("build-spacy")
def build_spacy() -> None:
    """Build the project's spaCy pipeline (blank English, lookup lemmatizer, entity ruler) into var/spacy/."""
    from bot.nlp.build_spacy import build

    path = build(PROJECT_ROOT / "var" / "spacy" / "en_tenantline")
    typer.echo(f"spaCy pipeline written to {path}")


@app.command()
def train(force: bool = typer.Option(False, "--force", help="Train even if nothing changed.")) -> None:
    """Train the Rasa model, skipping the work when config, domain and data are unchanged since the last model."""
    from bot.training import ensure_model

    try:
        path = ensure_model(PROJECT_ROOT, force=force)
    except RuntimeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(str(path))


@app.command()
def evaluate(
    out: Path = typer.Option(Path("results/nlu"), help="Folder for the JSON and Markdown reports."),
    min_macro_f1: float = typer.Option(0.0, help="Fail when held-out macro-F1 is below this."),
    require_safety_recall: bool = typer.Option(True, help="Fail unless every safety example is caught."),
) -> None:
    """Score the current model on the held-out and safety test sets (accuracy, macro-F1, per intent, confusions)."""
    from bot.evaluate import evaluate as run_evaluation
    from bot.evaluate import write_report
    from bot.training import ensure_model

    model = ensure_model(PROJECT_ROOT)
    result = run_evaluation(model, PROJECT_ROOT / "tests/nlu/heldout.yml", PROJECT_ROOT / "tests/nlu/safety.yml")
    json_path, md_path = write_report(result, PROJECT_ROOT / out)
    typer.echo(
        f"held-out accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f} on {result.examples} examples; "
        + ", ".join(f"{k} recall {v:.3f}" for k, v in result.safety_recall.items())
        + f" on {result.safety_examples} safety examples; report: {md_path.relative_to(PROJECT_ROOT)}"
    )
    for missed in result.safety_missed:
        typer.echo(f"MISSED SAFETY: {missed['text']!r} -> {missed['predicted']}", err=True)
    if result.macro_f1 < min_macro_f1:
        typer.echo(f"macro-F1 {result.macro_f1:.3f} is below the required {min_macro_f1:.3f}", err=True)
        raise typer.Exit(1)
    if require_safety_recall and result.safety_missed:
        raise typer.Exit(1)


@app.command("select-pipeline")
def select_pipeline(
    folds: int = typer.Option(3, min=2, max=10, help="Cross-validation folds."),
    candidate: list[str] = typer.Option([], help="Run only this candidate (repeatable); all when omitted."),
    out: Path = typer.Option(Path("results/pipeline-selection"), help="Folder for the table and raw predictions."),
) -> None:
    """Compare NLU hyper-parameter candidates by cross-validation on the training data (slow: folds x candidates)."""
    from bot.nlp.select_pipeline import CANDIDATES, CandidateResult, render, run

    unknown = [name for name in candidate if name not in CANDIDATES]
    if unknown:
        typer.echo(f"unknown candidate(s): {', '.join(unknown)}. Choose from:", err=True)
        for name in CANDIDATES:
            typer.echo(f"  {name}", err=True)
        raise typer.Exit(2)
    target = PROJECT_ROOT / out
    results: list[CandidateResult] = []
    for name in candidate or list(CANDIDATES):
        # One candidate at a time, rewriting the table after each, so a long run can be stopped and still read.
        results += run(PROJECT_ROOT, folds=folds, names=[name], raw_out=target / "predictions")
        results.sort(key=lambda r: (-r.best()[1]["macro_f1"], r.train_seconds_per_fold))
        (target / "selection.md").write_text(render(results, folds), encoding="utf-8")
    threshold, best = results[0].best()
    typer.echo(
        f"best: {results[0].name} (CV macro-F1 {best['macro_f1']:.4f} at fallback threshold {threshold}); "
        f"table in {out / 'selection.md'}"
    )


@app.command()
def validate() -> None:
    """Check domain, rules, stories and NLU data with `rasa data validate`, failing on any real warning."""
    from bot.validate_data import main as run_validation

    raise typer.Exit(run_validation(PROJECT_ROOT))


@app.command()
def run(
    demo: bool = typer.Option(True, "--demo/--no-demo", help="Seed the demo landlord before starting."),
    rasa_port: int = typer.Option(5005, help="Port of the Rasa server."),
    action_port: int = typer.Option(5055, help="Port of the action server."),
    console_port: int = typer.Option(8000, help="Port of the staff console."),
    phone_port: int = typer.Option(5099, help="Port of the pretend phone network used when Twilio is not set."),
) -> None:
    """Migrate (and seed) the housing database, train if needed, then run Rasa, the actions and the console.

    Without a Twilio account in the settings, the demo runs a pretend phone network on 127.0.0.1 in Twilio's
    place, and the tenant simulator page lets you text TenantLine as a demo tenant through the real SMS path.
    """
    import os
    import secrets

    from bot.model_ops.registry import serving_model
    from bot.runner import rasa_services, supervise
    from bot.training import ensure_model

    if get_settings().profile == "production":
        # Several replicas behind nginx on PostgreSQL and Redis (bot/scale/); it checks its own settings first.
        from bot.scale.stack import run_production

        raise typer.Exit(run_production(get_settings(), root=PROJECT_ROOT, console_port=console_port, echo=typer.echo))
    migrate()
    if demo:
        seed_demo()
    try:
        model = serving_model(PROJECT_ROOT) or ensure_model(PROJECT_ROOT)
    except RuntimeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    settings = get_settings()
    # Rasa's HTTP API can pause conversations and read transcripts: never leave it open. The console gets the
    # same token through the environment it inherits.
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else secrets.token_urlsafe(32)
    os.environ["TENANTLINE_RASA_TOKEN"] = token
    services = rasa_services(
        PROJECT_ROOT, model, rasa_port=rasa_port, action_port=action_port, console_port=console_port, rasa_token=token
    )
    addresses = [
        f"REST channel: http://127.0.0.1:{rasa_port}/webhooks/rest/webhook",
        f"staff console: http://127.0.0.1:{console_port}/",
    ]
    if demo and not settings.twilio_account_sid:
        from bot.phone_network import demo_environment, demo_service, simulator_url

        for key, value in demo_environment(port=phone_port, rasa_port=rasa_port).items():
            os.environ.setdefault(key, value)
        get_settings.cache_clear()
        services.insert(0, demo_service(phone_port))
        addresses.append(f"tenant simulator (texts go to a pretend phone network): {simulator_url(rasa_port)}")
    for line in addresses:
        typer.echo(line)
    raise typer.Exit(supervise(services, PROJECT_ROOT, banner=addresses))


@app.command()
def console(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port of the staff console."),
) -> None:
    """Run the staff console on its own (`tenantline run` starts it with everything else)."""
    from bot.console.server import serve

    serve(host=host, port=port)


def _ensure_sqlite_dir(url: str) -> None:
    """Create the folder of an SQLite database file so a fresh clone works without set-up."""
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _safe_url(url: str) -> str:
    """Return `url` with any password replaced, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    """Run the `tenantline` command line."""
    app()


if __name__ == "__main__":
    main()
