"""The audit log page: who viewed which tenant and conversation and what they did, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sanic import HTTPResponse, Request, Sanic
from sqlalchemy.orm import Session

from bot.console import workflow
from bot.console.permissions import Capability
from bot.console.web import console, guard, render
from bot.housing import audit

PAGE_SIZE = 200
MAX_FILTER = 120


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as the page shows it."""

    at: datetime
    actor: str
    action: str
    subject: str
    details: str


def _details(value: object) -> str:
    if not isinstance(value, dict) or not value:
        return ""
    return ", ".join(f"{key}: {item}" for key, item in sorted(value.items()))


@guard(Capability.VIEW_AUDIT)
async def audit_page(request: Request) -> HTTPResponse:
    """Show the audit log, optionally for one actor ("staff:amira") or one subject ("TN104233")."""
    actor = (request.args.get("actor") or "").strip()[:MAX_FILTER]
    subject = (request.args.get("subject") or "").strip()[:MAX_FILTER]

    def read(session: Session) -> list[AuditRow]:
        entries = audit.list(session=session, actor=actor or None, subject=subject or None, limit=PAGE_SIZE)
        return [
            AuditRow(
                at=item.at,
                actor=str(item.actor),
                action=str(item.action),
                subject=str(item.subject),
                details=_details(item.details),
            )
            for item in entries
        ]

    rows = await workflow.in_session(console(request), read)
    return render(request, "audit.html", active="audit", rows=rows, actor=actor, subject=subject, page_size=PAGE_SIZE)


def register(app: Sanic) -> None:
    """Add the audit route."""
    app.add_route(audit_page, "/audit", methods=["GET"], name="audit")
