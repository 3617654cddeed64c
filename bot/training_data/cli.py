"""`tenantline inbox ...` and `tenantline intents ...`: the trainer pages' operations on the command line.

They act on the housing database (TENANTLINE_DATABASE_URL), Rasa's tracker store (TENANTLINE_TRACKER_STORE_URL) and
the training data folder (TENANTLINE_TRAINING_DATA_DIR, or `--data-dir`). Refusals are printed in the same plain
words the console shows, and the command exits 1.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from bot.settings import get_settings
from bot.training_data.nlu_files import NluData, TrainingDataError

inbox_app = typer.Typer(no_args_is_help=True, help="The NLU inbox: uncertain tenant messages awaiting a label.")
intents_app = typer.Typer(no_args_is_help=True, help="Browse and edit the NLU training examples.")

DATA_DIR = typer.Option(None, "--data-dir", help="Training data folder (default TENANTLINE_TRAINING_DATA_DIR).")
ACTOR = typer.Option(None, "--actor", help="Who is deciding, for the audit log (default cli:<your login>).")


def register(app: typer.Typer) -> None:
    """Add the `inbox` and `intents` command groups to the `tenantline` app."""
    app.add_typer(inbox_app, name="inbox")
    app.add_typer(intents_app, name="intents")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _data(data_dir: Path | None) -> NluData:
    folder = data_dir or get_settings().training_data_dir
    if not (folder / "nlu").is_dir():
        raise _fail(f"{folder} has no nlu/ folder of training data")
    return NluData(folder)


@contextmanager
def _housing() -> Iterator[Callable[[], Session]]:
    from bot.housing.db import create_engine_for, make_session_factory

    engine = create_engine_for(get_settings().database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _actor(actor: str | None) -> str:
    return actor or f"cli:{getpass.getuser()}"


@inbox_app.command("list")
def inbox_list(
    status: str = typer.Option("new", help="new, confirmed, relabelled or discarded."),
    limit: int = typer.Option(50, min=1, max=1000, help="How many to show, newest first."),
) -> None:
    """Show inbox messages with the assistant's guess and confidence."""
    from bot.housing import nlu_inbox
    from bot.housing.db import session_scope
    from bot.housing.errors import InvalidChoice

    with _housing() as factory, session_scope(factory) as session:
        try:
            items = nlu_inbox.list(session=session, status=status, limit=limit)
        except InvalidChoice as error:
            raise _fail(str(error)) from error
        if not items:
            typer.echo(f"no {status} messages")
        for item in items:
            score = f"{item.confidence:.0%}" if item.confidence is not None else "-"
            label = item.suggested_intent or item.predicted_intent or "-"
            typer.echo(f"{item.id:>6}  {score:>4}  {label:<28} {item.reason.value:<14} {item.text}")


@inbox_app.command("collect")
def inbox_collect(
    threshold: float = typer.Option(None, min=0.0, max=1.0, help="Confidence below which a message is collected."),
) -> None:
    """Read new tenant messages from Rasa's tracker store and put the uncertain ones in the inbox."""
    import sqlalchemy as sa

    from bot.training_data.inbox import collect

    settings = get_settings()
    chosen = settings.inbox_threshold if threshold is None else threshold
    tracker = sa.create_engine(settings.tracker_store_url, future=True)
    try:
        with _housing() as factory:
            result = collect(factory, tracker, threshold=chosen)
    except sa.exc.SQLAlchemyError as error:
        raise _fail(f"the tracker store or housing database could not be read: {error.__class__.__name__}") from error
    finally:
        tracker.dispose()
    typer.echo(f"read {result.read} tenant messages; {result.added} added, {result.already} already in the inbox")


def _decide(item_ids: list[int], action: str, intent: str | None, data_dir: Path | None, actor: str | None) -> None:
    from bot.training_data.inbox import decide_many

    data = _data(data_dir)
    with _housing() as factory:
        outcomes = decide_many(factory, data, item_ids, action=action, actor=_actor(actor), intent=intent)
    failed = 0
    for outcome in outcomes:
        typer.echo(f"{outcome.item_id}: {outcome.message}", err=not outcome.done)
        if outcome.diff:
            typer.echo(outcome.diff.rstrip("\n"))
        failed += int(not outcome.done)
    if failed:
        raise typer.Exit(1)


@inbox_app.command("confirm")
def inbox_confirm(
    item_ids: list[int] = typer.Argument(..., help="Inbox item ids."),
    data_dir: Path = DATA_DIR,
    actor: str = ACTOR,
) -> None:
    """File each message as an example of the intent shown for it."""
    _decide(item_ids, "confirm", None, data_dir, actor)


@inbox_app.command("relabel")
def inbox_relabel(
    item_ids: list[int] = typer.Argument(..., help="Inbox item ids."),
    intent: str = typer.Option(..., "--intent", help="The intent the messages really mean."),
    data_dir: Path = DATA_DIR,
    actor: str = ACTOR,
) -> None:
    """File each message as an example of another intent."""
    _decide(item_ids, "relabel", intent, data_dir, actor)


@inbox_app.command("discard")
def inbox_discard(
    item_ids: list[int] = typer.Argument(..., help="Inbox item ids."),
    actor: str = ACTOR,
) -> None:
    """Close messages without filing them (no use as training data)."""
    _decide(item_ids, "discard", None, None, actor)


@intents_app.command("list")
def intents_list(data_dir: Path = DATA_DIR) -> None:
    """Show every intent with its number of examples and the minimum it needs."""
    from bot.training_data.validation import minimum_for

    data = _data(data_dir)
    try:
        examples = data.examples()
    except TrainingDataError as error:
        raise _fail(str(error)) from error
    for name, entries in sorted(examples.items()):
        needed = minimum_for(name)
        flag = "  TOO FEW" if len(entries) < needed else ""
        typer.echo(f"{name:<32} {len(entries):>4} / {needed:<3} {entries[0].path.name if entries else ''}{flag}")


@intents_app.command("show")
def intents_show(
    intent: str = typer.Argument(..., help="The intent, e.g. report_repair or faq/pets."),
    search: str = typer.Option("", "--search", help="Only examples containing this (any case)."),
    data_dir: Path = DATA_DIR,
) -> None:
    """Show an intent's examples."""
    data = _data(data_dir)
    examples = data.examples()
    if intent not in examples:
        raise _fail(f"there is no intent called {intent!r}; `tenantline intents list` shows them")
    for example in examples[intent]:
        if search.casefold() in example.plain.casefold():
            typer.echo(example.text)


def _edit(kind: str, intent: str, text: str, new: str | None, data_dir: Path | None) -> None:

    data = _data(data_dir)
    try:
        if kind == "add":
            edit = data.add(intent, text)
        elif kind == "edit":
            edit = data.replace(intent, text, new or "")
        else:
            edit = data.remove(intent, text)
    except TrainingDataError as error:
        raise _fail(str(error)) from error
    typer.echo(edit.diff.rstrip("\n"))


@intents_app.command("add")
def intents_add(
    intent: str = typer.Argument(..., help="The intent."),
    text: str = typer.Argument(..., help="The example, with [word](entity) markup if needed."),
    data_dir: Path = DATA_DIR,
) -> None:
    """Add an example to an intent's file, as one new line."""
    _edit("add", intent, text, None, data_dir)


@intents_app.command("edit")
def intents_edit(
    intent: str = typer.Argument(..., help="The intent."),
    old: str = typer.Argument(..., help="The example as it is now."),
    new: str = typer.Argument(..., help="What it should say."),
    data_dir: Path = DATA_DIR,
) -> None:
    """Change one example in place."""
    _edit("edit", intent, old, new, data_dir)


@intents_app.command("remove")
def intents_remove(
    intent: str = typer.Argument(..., help="The intent."),
    text: str = typer.Argument(..., help="The example to remove, exactly as `intents show` prints it."),
    data_dir: Path = DATA_DIR,
) -> None:
    """Remove one example."""
    _edit("remove", intent, text, None, data_dir)


@intents_app.command("check")
def intents_check(data_dir: Path = DATA_DIR) -> None:
    """Check the training data: examples in two intents, intents with too few examples, broken markup."""
    from bot.training_data.validation import check

    data = _data(data_dir)
    try:
        problems = check(data)
    except TrainingDataError as error:
        raise _fail(str(error)) from error
    for problem in problems:
        typer.echo(f"{problem.intent}: {problem.message}", err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) in the training data", err=True)
        raise typer.Exit(1)
    typer.echo("training data: no problems found")


@inbox_app.command("threshold")
def inbox_threshold(
    model: Path = typer.Argument(..., exists=True, dir_okay=False, help="A trained model archive."),
    heldout: Path = typer.Option(Path("tests/nlu/heldout.yml"), exists=True, help="The held-out test set."),
) -> None:
    """Show how many wrong predictions each confidence threshold would send to the inbox (slow: loads the model)."""
    from bot.training_data.threshold import measure, render

    typer.echo(render(measure(model, heldout)))
