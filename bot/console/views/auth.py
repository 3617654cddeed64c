"""Signing in and out.

Passwords are checked by `bot.housing.staff.authenticate` (argon2; five wrong passwords lock the account for 15
minutes). The sign-in form carries a token matched against a short-lived cookie, so another site cannot sign a
browser in to an account of its choosing. A successful sign-in always starts a new session with a new token.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sanic import HTTPResponse, Request, Sanic, response

from bot.clocks.calendar import to_london
from bot.console.permissions import home_path
from bot.console.sessions import new_token, tokens_match
from bot.console.web import (
    clear_cookie,
    console,
    cookie_names,
    current_staff,
    guard,
    redirect,
    render,
    safe_next,
    session_token,
    set_cookie,
    signed_in,
)
from bot.housing import audit, staff
from bot.housing.db import session_scope
from bot.housing.enums import StaffRole
from bot.housing.errors import AccountLocked, InvalidCredentials

SIGN_IN_FORM_SECONDS = 30 * 60
MAX_FIELD = 200


def _client(request: Request) -> str:
    return str(request.remote_addr or request.ip or "unknown")


def _form(request: Request, *, status: int = 200, error: str | None = None, username: str = "") -> HTTPResponse:
    token = new_token()
    page = render(
        request,
        "sign_in.html",
        status=status,
        form_token=token,
        error=error,
        notice="You have signed out." if request.args.get("signed_out") else None,
        username=username,
        next=safe_next(request.args.get("next") or (request.form.get("next") if request.form else None), ""),
    )
    set_cookie(request, page, cookie_names(request)[1], token, max_age=SIGN_IN_FORM_SECONDS)
    return page


async def sign_in_form(request: Request) -> HTTPResponse:
    """Show the sign-in form (or go straight to work when already signed in)."""
    member = current_staff(request)
    if member is not None:
        return redirect(home_path(member.role))
    return _form(request)


def _check(username: str, password: str, request: Request) -> tuple[str, StaffRole]:
    state = console(request)
    with session_scope(state.session_factory) as session:
        member = staff.authenticate(session=session, username=username, password=password)
        return str(member.username), StaffRole(member.role)


async def sign_in(request: Request) -> HTTPResponse:
    """Check the username and password and start a session."""
    state = console(request)
    form: Any = request.form or {}
    username = str(form.get("username") or "").strip()[:MAX_FIELD]
    password = str(form.get("password") or "")[:MAX_FIELD]
    cookie = request.cookies.get(cookie_names(request)[1])
    if not tokens_match(cookie, form.get("csrf_token")):
        return _form(request, status=400, error="The sign-in form had expired. Please try again.", username=username)
    if state.throttle.blocked(_client(request)):
        return _form(
            request,
            status=429,
            error="Too many failed sign-ins from this device. Wait 15 minutes and try again.",
            username=username,
        )
    if not username or not password:
        return _form(request, status=400, error="Enter your username and password.", username=username)
    try:
        name, role = await asyncio.to_thread(_check, username, password, request)
    except InvalidCredentials:
        state.throttle.failed(_client(request))
        return _form(request, status=401, error="Wrong username or password.", username=username)
    except AccountLocked as locked:
        state.throttle.failed(_client(request))
        if locked.locked_until is not None:
            until = to_london(locked.locked_until)
            message = (
                f"This account is locked after too many wrong passwords. Try again after {until:%H:%M}, "
                "or ask a supervisor to reset your password."
            )
        else:
            message = "This account is disabled. Ask an administrator."
        return _form(request, status=403, error=message, username=username)
    state.sessions.delete(session_token(request))
    token, _session = state.sessions.create(name)
    target = safe_next(form.get("next"), home_path(role))
    reply = redirect(target)
    session_cookie, sign_in_cookie = cookie_names(request)
    set_cookie(request, reply, session_cookie, token, max_age=state.config.session_hours * 3600)
    clear_cookie(request, reply, sign_in_cookie)
    return reply


@guard(None)
async def sign_out(request: Request) -> HTTPResponse:
    """End the session and go back to the sign-in page."""
    state = console(request)
    member = signed_in(request)
    state.sessions.delete(member.token)

    def note() -> None:
        with session_scope(state.session_factory) as session:
            audit.record(session=session, actor=member.actor, action="staff.signed_out", subject=member.actor)

    await asyncio.to_thread(note)
    reply = redirect("/sign-in?signed_out=1")
    clear_cookie(request, reply, cookie_names(request)[0])
    return reply


@guard(None)
async def home(request: Request) -> HTTPResponse:
    """Send a member of staff to the page their role starts on."""
    return redirect(home_path(signed_in(request).role))


async def health(request: Request) -> HTTPResponse:
    """Answer that the console is up (for `tenantline run`'s readiness check); reveals nothing else."""
    return response.text("ok")


def register(app: Sanic) -> None:
    """Add the sign-in, sign-out, home and health routes."""
    app.add_route(sign_in_form, "/sign-in", methods=["GET"], name="sign_in_form")
    app.add_route(sign_in, "/sign-in", methods=["POST"], name="sign_in")
    app.add_route(sign_out, "/sign-out", methods=["POST"], name="sign_out")
    app.add_route(home, "/", methods=["GET"], name="home")
    app.add_route(health, "/healthz", methods=["GET"], name="health")
