"""Build the console's Sanic app: routes, the session middleware, security headers and error pages.

Security in one place:
- every route but sign-in, health and static files needs a session and a role (`web.guard`);
- the session cookie is HttpOnly, SameSite=Strict, and Secure (with the `__Host-` prefix) over HTTPS;
- every POST needs the session's CSRF token and, when the browser says where it came from, this origin;
- tenant text is escaped by Jinja2's autoescape everywhere, and the Content-Security-Policy allows only the
  console's own script and styles, so even a missed escape could not run a script;
- pages are never cached (`no-store`), because tablets are shared.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import MethodNotSupported, NotFound, PayloadTooLarge, SanicException
from sanic.response import BaseHTTPResponse
from sqlalchemy.orm import Session

from bot.clocks.calendar import to_london
from bot.console import views
from bot.console.config import ConsoleConfig
from bot.console.rasa_api import RasaClient
from bot.console.records import day_label
from bot.console.sessions import SessionStore, SignInThrottle
from bot.console.state import ConsoleState, Staff
from bot.console.views.conversation import PageNotFound
from bot.console.web import FETCH_HEADER, console, error_page, session_token
from bot.console.workflow import CHANNEL_LABELS
from bot.housing import staff as staff_service
from bot.housing.db import create_engine_for, make_session_factory, session_scope
from bot.housing.enums import StaffRole
from bot.housing.errors import HousingError

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_REQUEST_BYTES = 256 * 1024
"""Forms hold at most a few thousand characters; anything larger is refused before it is read."""

CHANNEL_NAMES = {channel.value: label for channel, label in CHANNEL_LABELS.items()}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


def _clock(moment: datetime | None) -> str:
    """Return a time as staff read it: "14:03" today, "Mon 24 Nov 14:03" another day."""
    if moment is None:
        return ""
    local = to_london(moment)
    if local.date() == to_london(datetime.now(timezone.utc)).date():
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).isoformat() if moment is not None else ""


def _waited(moment: datetime | None) -> str:
    """Return how long ago `moment` was, in minutes or hours (console.js keeps it ticking)."""
    if moment is None:
        return ""
    seconds = max(0, int((datetime.now(timezone.utc) - moment).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _money(amount: Decimal | None) -> str:
    return f"£{amount:,.2f}" if amount is not None else ""


def build_templates() -> Environment:
    """Return the Jinja2 environment: autoescaping every template, failing on undefined names."""
    environment = Environment(
        loader=PackageLoader("bot.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(clock=_clock, iso=_iso, waited=_waited, money=_money, day=day_label)
    environment.globals["channel_names"] = CHANNEL_NAMES
    return environment


async def _load_staff(request: Request) -> None:
    """Find the signed-in member of staff from the session cookie and the housing database."""
    request.ctx.staff = None
    if request.path.startswith("/static/") or request.path == "/healthz":
        return
    state = console(request)
    token = session_token(request)
    session = state.sessions.get(token, touch=FETCH_HEADER not in request.headers)
    if session is None or token is None:
        return

    def read() -> tuple[str, str, StaffRole, bool] | None:
        with session_scope(state.session_factory) as db:
            member = staff_service.get(session=db, username=session.username)
            if member is None:
                return None
            return str(member.username), str(member.display_name), StaffRole(member.role), bool(member.is_active)

    try:
        found = await asyncio.to_thread(read)
    except HousingError:
        found = None
    if found is None or not found[3]:
        # A disabled or deleted account loses every session at once.
        state.sessions.delete_user(session.username)
        return
    username, display_name, role, _active = found
    request.ctx.staff = Staff(username=username, display_name=display_name, role=role, session=session, token=token)


async def _security_headers(request: Request, response: BaseHTTPResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if not request.path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"
    if request.scheme == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000"


def _register_errors(app: Sanic) -> None:
    async def not_found(request: Request, exception: Exception) -> HTTPResponse:
        return error_page(request, 404, "Not found", "There is nothing here. It may have been closed or moved.")

    async def not_allowed(request: Request, exception: Exception) -> HTTPResponse:
        return error_page(request, 405, "Not allowed", "That address does not accept this kind of request.")

    async def too_large(request: Request, exception: Exception) -> HTTPResponse:
        return error_page(request, 413, "Too large", "That form was too large to accept.")

    async def sanic_error(request: Request, exception: Exception) -> HTTPResponse:
        status = int(getattr(exception, "status_code", 500) or 500)
        return error_page(request, status, "Something went wrong", "The request could not be handled.")

    async def crashed(request: Request, exception: Exception) -> HTTPResponse:
        logger.exception("console request failed: %s %s", request.method, request.path, exc_info=exception)
        return error_page(
            request, 500, "Something went wrong", "The console hit a problem. Nothing has been lost; try again."
        )

    app.error_handler.add(PageNotFound, not_found)
    app.error_handler.add(NotFound, not_found)
    app.error_handler.add(MethodNotSupported, not_allowed)
    app.error_handler.add(PayloadTooLarge, too_large)
    app.error_handler.add(SanicException, sanic_error)
    app.error_handler.add(Exception, crashed)


def create_app(
    config: ConsoleConfig,
    *,
    session_factory: Callable[[], Session] | None = None,
    rasa: RasaClient | None = None,
    name: str = "tenantline_console",
) -> Sanic:
    """Build the console app.

    Args:
        config: The console's settings.
        session_factory: The housing database; made from `config.database_url` when None.
        rasa: The Rasa HTTP API client; made from `config.rasa_url` and `config.rasa_token` when None.
        name: The Sanic app's name (tests build several apps in one process).

    Returns:
        The app; run it with `bot.console.server.serve` or Sanic's own server.
    """
    app = Sanic(name, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES
    app.config.KEEP_ALIVE_TIMEOUT = 15
    app.config.FALLBACK_ERROR_FORMAT = "html"
    if config.proxies_count > 0:
        app.config.PROXIES_COUNT = config.proxies_count
    engine = None
    if session_factory is None:
        engine = create_engine_for(config.database_url)
        session_factory = make_session_factory(engine)
    app.ctx.console = ConsoleState(
        config=config,
        session_factory=session_factory,
        rasa=rasa or RasaClient(config.rasa_url, config.rasa_token),
        sessions=SessionStore(idle=config.idle_minutes * 60, lifetime=config.session_hours * 3600),
        throttle=SignInThrottle(),
        templates=build_templates(),
    )
    app.register_middleware(_load_staff, "request")
    app.register_middleware(_security_headers, "response")
    views.register(app)
    app.static("/static", str(STATIC_DIR), name="static")
    _register_errors(app)

    async def stop(_app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        await app.ctx.console.rasa.close()
        if engine is not None:
            engine.dispose()

    app.register_listener(stop, "after_server_stop")
    return app
