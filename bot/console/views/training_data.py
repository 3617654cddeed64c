"""The trainers' pages: the NLU inbox and the intent browser.

The inbox lists uncertain messages to confirm, relabel or discard, one by one or in bulk; the intent browser shows
example counts, searches examples and adds, edits and removes them, with problems explained in plain words.

Every change to the training data goes through `bot.training_data.nlu_files`, which refuses anything but a clean
one-line edit, and is written to the audit log. The console also collects new inbox messages from Rasa's tracker
store every `inbox_collect_seconds` while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sanic import HTTPResponse, Request, Sanic
from sqlalchemy.orm import Session

from bot.console import workflow
from bot.console.permissions import Capability
from bot.console.state import ConsoleState
from bot.console.web import console, error_page, guard, redirect, render, signed_in
from bot.housing import audit, nlu_inbox
from bot.housing.enums import InboxStatus
from bot.training_data import inbox, validation
from bot.training_data.nlu_files import Example, NluData, TrainingDataError

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_SEARCH = 120
MAX_BULK = 200
ACTIONS = ("confirm", "relabel", "discard")
STATUS_LABELS = {
    "new": "Waiting",
    "confirmed": "Confirmed",
    "relabelled": "Relabelled",
    "discarded": "Discarded",
}
REASON_LABELS = {
    "low_confidence": "Unsure",
    "fallback": "Not understood",
    "corrected": "Corrected by staff",
}


def training_data(request: Request) -> NluData:
    """Return the app's training data (one per app, so its parsed files are cached between requests)."""
    found: NluData | None = getattr(request.app.ctx, "training_data", None)
    if found is None:
        config = console(request).config
        found = NluData(config.training_data_dir, config.domain_dir)
        request.app.ctx.training_data = found
    return found


async def intent_names(request: Request) -> list[str]:
    """Return the intents a message can be filed under (for staff who may correct intents), sorted; else none."""
    staff = signed_in(request)
    if not staff.can(Capability.CORRECT_INTENTS):
        return []
    data = training_data(request)
    try:
        return sorted(await asyncio.to_thread(lambda: list(data.examples())))
    except TrainingDataError:
        logger.exception("the training data cannot be read; intent corrections are unavailable")
        return []


@dataclass(frozen=True)
class InboxRow:
    """An inbox item as the page shows it."""

    id: int
    text: str
    predicted: str | None
    confidence: float | None
    reason: str
    suggested: str | None
    suggested_by: str | None
    status: str
    label: str | None
    decided_by: str | None
    redactions: str

    @property
    def shown_intent(self) -> str | None:
        """Return the intent confirming would file it under: a correction, else the model's guess."""
        return self.suggested or self.predicted


def _rows(session: Session, status: str | None, page: int) -> tuple[list[InboxRow], int]:
    items = nlu_inbox.list(session=session, status=status, limit=PAGE_SIZE, offset=page * PAGE_SIZE)
    rows = [
        InboxRow(
            id=int(item.id),
            text=str(item.text),
            predicted=item.predicted_intent,
            confidence=item.confidence,
            reason=item.reason.value,
            suggested=item.suggested_intent,
            suggested_by=item.suggested_by,
            status=item.status.value,
            label=item.label,
            decided_by=item.decided_by,
            redactions=str(item.redactions or ""),
        )
        for item in items
    ]
    return rows, nlu_inbox.count(session=session, status=InboxStatus.NEW)


def _page_number(value: str | None) -> int:
    try:
        return min(max(int(value or 0), 0), 10_000)
    except ValueError:
        return 0


@guard(Capability.TRAIN_ASSISTANT)
async def inbox_page(request: Request) -> HTTPResponse:
    """Show the NLU inbox: waiting items by default, or those with another status."""
    status = request.args.get("status") or "new"
    if status not in STATUS_LABELS:
        status = "new"
    page = _page_number(request.args.get("page"))
    rows, waiting = await workflow.in_session(console(request), lambda session: _rows(session, status, page))
    data = training_data(request)
    intents = sorted(await asyncio.to_thread(lambda: list(data.examples())))
    return render(
        request,
        "inbox.html",
        active="inbox",
        rows=rows,
        waiting=waiting,
        shown_status=status,
        statuses=STATUS_LABELS,
        reasons=REASON_LABELS,
        intents=intents,
        page=page,
        page_size=PAGE_SIZE,
        threshold=console(request).config.inbox_threshold,
        collecting=console(request).config.tracker_store_url is not None,
    )


def _form(request: Request) -> Any:
    return request.form or {}


def _parse_id(value: Any) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


@guard(Capability.TRAIN_ASSISTANT)
async def inbox_decide(request: Request) -> HTTPResponse:
    """Confirm, relabel or discard one item (its own buttons) or every ticked item (the bulk buttons)."""
    staff = signed_in(request)
    form = _form(request)
    one = str(form.get("one") or "")
    if one:
        action, _, raw_id = one.partition(":")
        item_id = _parse_id(raw_id)
        ids = [item_id] if item_id is not None else []
        intent = str(form.get(f"intent-{raw_id}") or "")
    else:
        action = str(form.get("action") or "")
        raw_ids = form.getlist("item") or []
        ids = [number for number in (_parse_id(value) for value in raw_ids[:MAX_BULK]) if number is not None]
        intent = str(form.get("intent") or "")
    if action not in ACTIONS or not ids:
        staff.session.flash("error", "Tick at least one message and choose confirm, relabel or discard.")
        return redirect("/training/inbox")
    if action == "relabel" and not intent:
        staff.session.flash("error", "Choose the intent the message should be filed under, then press Relabel.")
        return redirect("/training/inbox")
    state = console(request)
    data = training_data(request)
    outcomes = await asyncio.to_thread(
        inbox.decide_many, state.session_factory, data, ids, action=action, actor=staff.actor, intent=intent or None
    )
    done = [outcome for outcome in outcomes if outcome.done]
    if done:
        verb = {"confirm": "Confirmed", "relabel": "Relabelled", "discard": "Discarded"}[action]
        detail = done[0].message if len(done) == 1 else f"{len(done)} messages."
        staff.session.flash("success", f"{verb}: {detail}")
    for outcome in outcomes:
        if not outcome.done:
            staff.session.flash("error", f"Message {outcome.item_id} was not changed: {outcome.message}")
    return redirect("/training/inbox")


async def collect_once(state: ConsoleState, engine: sa.engine.Engine) -> inbox.CollectResult:
    """Collect new uncertain messages from the tracker store on a worker thread."""
    return await asyncio.to_thread(inbox.collect, state.session_factory, engine, threshold=state.config.inbox_threshold)


def _tracker_engine(request: Request) -> sa.engine.Engine | None:
    url = console(request).config.tracker_store_url
    if url is None:
        return None
    engine: sa.engine.Engine | None = getattr(request.app.ctx, "tracker_engine", None)
    if engine is None:
        engine = sa.create_engine(url, future=True, pool_pre_ping=True)
        request.app.ctx.tracker_engine = engine
    return engine


@guard(Capability.TRAIN_ASSISTANT)
async def inbox_collect(request: Request) -> HTTPResponse:
    """Collect new uncertain messages now."""
    staff = signed_in(request)
    engine = _tracker_engine(request)
    if engine is None:
        staff.session.flash("error", "The console has no tracker store to read messages from.")
        return redirect("/training/inbox")
    try:
        result = await collect_once(console(request), engine)
    except sa.exc.SQLAlchemyError:
        logger.exception("collecting the NLU inbox failed")
        staff.session.flash("error", "The conversation store could not be read just now. Nothing was lost.")
        return redirect("/training/inbox")
    staff.session.flash("success", f"Read {result.read} new tenant messages; {result.added} added to the inbox.")
    return redirect("/training/inbox")


@dataclass(frozen=True)
class IntentRow:
    """An intent in the browser: how many examples it has and needs, and its file."""

    name: str
    count: int
    minimum: int
    file: str
    problems: int


@guard(Capability.TRAIN_ASSISTANT)
async def intents_page(request: Request) -> HTTPResponse:
    """List intents with their example counts, and search every example."""
    data = training_data(request)
    query = (request.args.get("q") or "").strip()[:MAX_SEARCH]

    def read() -> tuple[list[IntentRow], list[Example], list[validation.Problem]]:
        examples = data.examples()
        problems = validation.check(data)
        rows = [
            IntentRow(
                name=name,
                count=len(entries),
                minimum=validation.minimum_for(name),
                file=entries[0].path.name if entries else "",
                problems=sum(1 for problem in problems if problem.intent == name),
            )
            for name, entries in sorted(examples.items())
        ]
        found: list[Example] = []
        if query:
            needle = query.casefold()
            found = [e for entries in examples.values() for e in entries if needle in e.plain.casefold()][:200]
        return rows, found, problems

    try:
        rows, found, problems = await asyncio.to_thread(read)
    except TrainingDataError as error:
        return error_page(request, 500, "Training data unreadable", str(error))
    return render(request, "intents.html", active="intents", rows=rows, found=found, query=query, problems=problems)


def _intent_arg(value: Any, data: NluData) -> str | None:
    name = str(value or "").strip()
    return name if name in data.examples() else None


async def examples_page(
    request: Request,
    intent: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTTPResponse:
    """Render one intent's examples with the add, edit and remove forms."""
    data = training_data(request)
    query = (request.args.get("q") or "").strip()[:MAX_SEARCH]

    def read() -> tuple[list[Example], list[validation.Problem]]:
        examples = data.examples()[intent]
        problems = [problem for problem in validation.check(data) if problem.intent == intent]
        return examples, problems

    examples, problems = await asyncio.to_thread(read)
    shown = [e for e in examples if query.casefold() in e.plain.casefold()] if query else examples
    return render(
        request,
        "examples.html",
        status=status,
        active="intents",
        intent=intent,
        examples=shown,
        total=len(examples),
        minimum=validation.minimum_for(intent),
        problems=problems,
        query=query,
        file=examples[0].path.name if examples else "",
        errors=errors or {},
        values=values or {},
    )


@guard(Capability.TRAIN_ASSISTANT)
async def examples_view(request: Request) -> HTTPResponse:
    """Show one intent's examples (`?intent=report_repair`)."""
    intent = await asyncio.to_thread(_intent_arg, request.args.get("intent"), training_data(request))
    if intent is None:
        return error_page(request, 404, "No such intent", "There is no intent with that name in the training data.")
    return await examples_page(request, intent)


async def _change(request: Request, kind: str) -> HTTPResponse:
    staff = signed_in(request)
    form = _form(request)
    data = training_data(request)
    intent = await asyncio.to_thread(_intent_arg, form.get("intent"), data)
    if intent is None:
        return error_page(request, 404, "No such intent", "There is no intent with that name in the training data.")
    text = str(form.get("text") or "")
    old = str(form.get("old") or "")
    try:
        if kind == "add":
            edit = await asyncio.to_thread(data.add, intent, text)
        elif kind == "edit":
            edit = await asyncio.to_thread(data.replace, intent, old, text)
        else:
            edit = await asyncio.to_thread(data.remove, intent, text)
    except TrainingDataError as error:
        field = "text" if kind != "remove" else "remove"
        return await examples_page(
            request, intent, errors={field: str(error)}, values={"text": text, "old": old}, status=422
        )
    details = {"file": edit.path.name, "line": edit.line, "text": text, "old": old or None}

    def log(session: Session) -> None:
        audit.record(
            session=session, actor=staff.actor, action=f"training_data.{kind}", subject=intent, details=details
        )

    await workflow.in_session(console(request), log)
    done = {"add": "Added", "edit": "Changed", "remove": "Removed"}[kind]
    staff.session.flash("success", f"{done} in {edit.path.name}, line {edit.line}.")
    return redirect(f"/training/examples?intent={quote(intent, safe='')}")


@guard(Capability.TRAIN_ASSISTANT)
async def example_add(request: Request) -> HTTPResponse:
    """Add an example to an intent."""
    return await _change(request, "add")


@guard(Capability.TRAIN_ASSISTANT)
async def example_edit(request: Request) -> HTTPResponse:
    """Change one of an intent's examples."""
    return await _change(request, "edit")


@guard(Capability.TRAIN_ASSISTANT)
async def example_remove(request: Request) -> HTTPResponse:
    """Remove one of an intent's examples."""
    return await _change(request, "remove")


async def _collect_forever(app: Sanic) -> None:
    state: ConsoleState = app.ctx.console
    url = state.config.tracker_store_url
    if url is None:
        return
    engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    try:
        while True:
            try:
                result = await collect_once(state, engine)
                if result.added:
                    logger.info("NLU inbox: %d new messages from %d read", result.added, result.read)
            except Exception:  # the loop must outlive a database blip; the next round tries again
                logger.exception("collecting the NLU inbox failed")
            await asyncio.sleep(state.config.inbox_collect_seconds)
    finally:
        engine.dispose()


def register(app: Sanic) -> None:
    """Add the trainer pages, and the periodic inbox collection when the config asks for it."""
    app.add_route(inbox_page, "/training/inbox", methods=["GET"], name="training_inbox")
    app.add_route(inbox_decide, "/training/inbox/decide", methods=["POST"], name="training_inbox_decide")
    app.add_route(inbox_collect, "/training/inbox/collect", methods=["POST"], name="training_inbox_collect")
    app.add_route(intents_page, "/training/intents", methods=["GET"], name="training_intents")
    app.add_route(examples_view, "/training/examples", methods=["GET"], name="training_examples")
    app.add_route(example_add, "/training/examples/add", methods=["POST"], name="training_example_add")
    app.add_route(example_edit, "/training/examples/edit", methods=["POST"], name="training_example_edit")
    app.add_route(example_remove, "/training/examples/remove", methods=["POST"], name="training_example_remove")

    async def start(started: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        config = started.ctx.console.config
        if config.tracker_store_url is not None and config.inbox_collect_seconds > 0:
            started.ctx.inbox_collector = asyncio.get_running_loop().create_task(_collect_forever(started))

    async def stop(stopped: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        task = getattr(stopped.ctx, "inbox_collector", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        engine = getattr(stopped.ctx, "tracker_engine", None)
        if engine is not None:
            engine.dispose()

    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
