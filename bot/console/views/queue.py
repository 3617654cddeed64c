"""The queue: conversations waiting for a person, most urgent first and then longest waiting, refreshed live."""

from __future__ import annotations

from collections.abc import Iterator

from sanic import HTTPResponse, Request, Sanic

from bot.console import workflow
from bot.console.permissions import Capability
from bot.console.web import console, guard, render, render_fragment, signed_in


def _fingerprint(view: workflow.QueueView) -> Iterator[object]:
    for group in (view.waiting, view.mine, view.colleagues):
        yield len(group)
        for item in group:
            yield item.reference, item.status.value, item.urgency.value, item.reason.value, item.holder, item.summary


@guard(Capability.VIEW_QUEUE)
async def queue_page(request: Request) -> HTTPResponse:
    """Show the queue."""
    view = await workflow.queue(console(request), signed_in(request).username)
    return render(request, "queue.html", queue=view, active="queue", poll_seconds=console(request).config.poll_seconds)


@guard(Capability.VIEW_QUEUE, fragment=True)
async def queue_live(request: Request) -> HTTPResponse:
    """Return the queue's tables for console.js, or 304 when nothing changed."""
    view = await workflow.queue(console(request), signed_in(request).username)
    return render_fragment(request, "_queue.html", _fingerprint(view), queue=view)


def register(app: Sanic) -> None:
    """Add the queue routes."""
    app.add_route(queue_page, "/queue", methods=["GET"], name="queue")
    app.add_route(queue_live, "/queue/live", methods=["GET"], name="queue_live")
