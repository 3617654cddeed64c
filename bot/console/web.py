"""Request helpers every console route uses: the signed-in member of staff, the role guard, CSRF, rendering.

Every route is wrapped by `guard` (and so needs a session, a role with the route's capability, and on a POST a
valid CSRF token from the same origin) unless it is one of `PUBLIC_ROUTES`. A test walks the app's routes to check
that no route is left unguarded by accident.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from collections.abc import Callable, Coroutine, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from sanic import HTTPResponse, Request, response

from bot.console.permissions import Capability
from bot.console.sessions import tokens_match
from bot.console.state import ConsoleState, Staff

Handler = Callable[..., Coroutine[Any, Any, HTTPResponse]]

COOKIE = "tenantline_console"
SECURE_COOKIE = "__Host-tenantline_console"
"""The `__Host-` prefix makes the browser refuse the cookie unless it is Secure, host-only and path /."""
SIGN_IN_COOKIE = "tenantline_sign_in"
SECURE_SIGN_IN_COOKIE = "__Host-tenantline_sign_in"
FETCH_HEADER = "X-Console-Fetch"
"""Sent by console.js when it polls, so a signed-out poll gets 401 rather than the sign-in page."""

PUBLIC_ROUTES = frozenset({"sign_in_form", "sign_in", "health", "static"})
"""Route names reachable without signing in; everything else goes through `guard`."""

GUARDED = "__console_capability__"


def console(request: Request) -> ConsoleState:
    """Return the app's shared state."""
    state: ConsoleState = request.app.ctx.console
    return state


def current_staff(request: Request) -> Staff | None:
    """Return the signed-in member of staff making the request, if any."""
    found: Staff | None = getattr(request.ctx, "staff", None)
    return found


def signed_in(request: Request) -> Staff:
    """Return the signed-in member of staff (only call behind `guard`)."""
    staff = current_staff(request)
    if staff is None:
        raise RuntimeError("signed_in() called on a route without a guard")
    return staff


def is_secure(request: Request) -> bool:
    """Return whether cookies must be Secure: the request came over HTTPS, or the config says TLS is in front."""
    return console(request).config.secure_cookies or request.scheme == "https"


def cookie_names(request: Request) -> tuple[str, str]:
    """Return the (session, sign-in) cookie names for this request's scheme."""
    return (SECURE_COOKIE, SECURE_SIGN_IN_COOKIE) if is_secure(request) else (COOKIE, SIGN_IN_COOKIE)


def session_token(request: Request) -> str | None:
    """Return the session token the browser sent, if any."""
    return request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE)


def set_cookie(request: Request, reply: HTTPResponse, name: str, value: str, *, max_age: int | None = None) -> None:
    """Set a cookie the page's scripts cannot read, sent only to this site, Secure over HTTPS."""
    reply.cookies[name] = value
    cookie = reply.cookies[name]
    cookie["path"] = "/"
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    if is_secure(request):
        cookie["secure"] = True
    if max_age is not None:
        cookie["max-age"] = max_age


def clear_cookie(request: Request, reply: HTTPResponse, name: str) -> None:
    """Tell the browser to forget a cookie."""
    set_cookie(request, reply, name, "", max_age=0)


def redirect(location: str) -> HTTPResponse:
    """Return a 303 See Other, so the browser follows a form post with a GET."""
    return response.redirect(location, status=303)


def safe_next(target: str | None, default: str) -> str:
    """Return `target` if it is a path on this site, else `default` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def new_form_id() -> str:
    """Return a one-off id for a form, so submitting it twice does its work once."""
    return uuid.uuid4().hex


def render(
    request: Request, template: str, *, status: int = 200, show_flashes: bool = True, **context: Any
) -> HTTPResponse:
    """Render a template with the page's common context (staff, their CSRF token, one-off messages).

    Args:
        request: The request.
        template: The template's file name.
        status: The HTTP status.
        show_flashes: Show (and so use up) the session's one-off messages; False for polled fragments, which
            must not swallow a message meant for the next page.
        **context: The template's own values.
    """
    state = console(request)
    staff = current_staff(request)
    page = state.templates.get_template(template)
    body = page.render(
        staff=staff,
        csrf_token=staff.session.csrf_token if staff is not None else "",
        flashes=staff.session.take_flashes() if staff is not None and show_flashes else [],
        landlord=state.config.landlord_name,
        Capability=Capability,
        **context,
    )
    return response.html(body, status=status)


def render_fragment(request: Request, template: str, fingerprint: Iterable[object], **context: Any) -> HTTPResponse:
    """Render part of a page for console.js, answering 304 when nothing it shows has changed.

    The ETag is taken from `fingerprint` (the data shown), not from the HTML, because the HTML contains waiting
    times that change every second while nothing a member of staff needs to see has.
    """
    digest = hashlib.sha256(repr(tuple(fingerprint)).encode("utf-8")).hexdigest()[:32]
    etag = f'"{digest}"'
    if request.headers.get("If-None-Match") == etag:
        return HTTPResponse(status=304, headers={"ETag": etag})
    reply = render(request, template, show_flashes=False, **context)
    reply.headers["ETag"] = etag
    return reply


def error_page(request: Request, status: int, title: str, message: str) -> HTTPResponse:
    """Render the error page with a status."""
    return render(request, "error.html", status=status, title=title, message=message)


def _origin_ok(request: Request) -> bool:
    # Browsers send Origin on every cross-site POST; a same-site form may omit it, and the CSRF token covers it.
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.host}"


def guard(capability: Capability | None, *, fragment: bool = False) -> Callable[[Handler], Handler]:
    """Wrap a route so it needs a session, a role with `capability` and, for a POST, a valid CSRF token.

    A `capability` of None lets any signed-in member of staff in (signing out, the home redirect).

    Without a session a page redirects to sign-in (and back afterwards); a polled fragment or a form post gets
    401. A role without the capability gets 403. A POST without the session's CSRF token, or from another origin,
    gets 403 and changes nothing.
    """

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            staff = current_staff(request)
            if staff is None:
                if request.method == "GET" and not fragment and FETCH_HEADER not in request.headers:
                    target = request.path + (f"?{request.query_string}" if request.query_string else "")
                    return redirect(f"/sign-in?next={quote(target, safe='')}")
                return response.text("Your session has ended. Sign in again.", status=401)
            if capability is not None and not staff.can(capability):
                return error_page(request, 403, "Not allowed", "Your role does not allow this page or action.")
            if request.method != "GET":
                given = request.form.get("csrf_token") if request.form else None
                given = given or request.headers.get("X-CSRF-Token")
                if not tokens_match(staff.session.csrf_token, given) or not _origin_ok(request):
                    return error_page(
                        request,
                        403,
                        "Form expired",
                        "This form has expired or did not come from this console. "
                        "Go back, reload the page and try again.",
                    )
            return await handler(request, *args, **kwargs)

        setattr(guarded, GUARDED, capability.value if capability is not None else "signed_in")
        return guarded

    return wrap
