"""The console's request handling: sessions, forgery checks, rendering, calls as the user."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from airlock.core.api import Output, Params
from airlock.core.errors import ServiceError
from airlock.platform import Platform

from .acting import Caller, SignedOut, api_call, caller_of, describe_failure
from .sessions import ConsoleSession, SessionStore, SignInLimiter

BASE = "/console"
COOKIE = "airlock_console"
# The sign-in form's token, before there is a session to hold one.
SIGNIN_COOKIE = "airlock_console_signin"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
MAX_FORM = 64 * 1024
# What a user whose password must change may still reach.
PASSWORD_PATHS = {f"{BASE}/change-password", f"{BASE}/signout"}


class Console:
    """One console: its sessions, its sign-in limits and its templates, over one platform."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.sessions = SessionStore(platform.clock)
        self.limiter = SignInLimiter(platform.clock)
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=shown,
        )
        self.templates.globals["base"] = BASE
        self.templates.filters["status"] = status_class


def shown(value: object) -> object:
    """How a page prints a value: times to the second, in UTC, as people read them."""
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return value


def status_class(status: object) -> str:
    """The CSS class of a status: one colour per family, the same on every page."""
    text = str(status or "").lower().replace("_", "")
    if any(word in text for word in ("fail", "reject", "error", "denied", "stopped", "rollback")):
        return "status status-bad"
    if any(word in text for word in ("progress", "pending", "creating", "updating", "running")):
        return "status status-busy"
    if any(word in text for word in ("succeed", "approved", "inservice", "complete", "active")):
        return "status status-good"
    return "status status-idle"


@dataclass
class View:
    """One console request: its session, its caller, its form, and the page's failed reads."""

    console: Console
    request: Request
    session: ConsoleSession | None
    caller: Caller | None
    form: dict[str, str]
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def platform(self) -> Platform:
        """The platform the console calls into."""
        return self.console.platform

    def me(self) -> Caller:
        """The signed-in caller (pages that need one are only served signed in)."""
        assert self.caller is not None
        return self.caller

    def call(self, service: str, operation: str, params: Params | None = None) -> Output:
        """One operation as the signed-in principal; raises its ServiceError."""
        return api_call(self.platform, self.me(), service, operation, params)

    def read(self, service: str, operation: str, params: Params | None = None) -> Output | None:
        """A page's read; a refusal is kept to show on the page, and gives None."""
        try:
            return self.call(service, operation, params)
        except ServiceError as error:
            self.failed(error)
            return None

    def every(
        self,
        service: str,
        operation: str,
        params: Params,
        key: str,
        *,
        token: str = "NextToken",
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Every page of a list (up to `limit` items), following `token` (NextToken, Marker…)."""
        items: list[dict[str, Any]] = []
        params = dict(params)
        while limit is None or len(items) < limit:
            out = self.read(service, operation, params)
            if out is None:
                break
            items.extend(out.get(key, []))
            if not out.get(token):
                break
            params[token] = out[token]
        return items if limit is None else items[:limit]

    def failed(self, error: ServiceError) -> None:
        """Show a refused or failed read on the page (a denial with its explanation)."""
        self.failures.append(describe_failure(self.platform, self.me(), error))

    def act(self, service: str, operation: str, params: Params, done: str) -> Output | None:
        """A form's action; its outcome (or its denial, explained) is told on the next page."""
        assert self.session is not None
        try:
            output = self.call(service, operation, params)
        except ServiceError as error:
            failure = describe_failure(self.platform, self.me(), error)
            self.session.tell(failure["kind"], failure["text"], failure["explanation"])
            return None
        self.session.tell("ok", done)
        return output

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """A page of the console."""
        session = self.session
        page = self.console.templates.get_template(template).render(
            session=session,
            acting=session.acting if session else None,
            csrf_token=session.csrf_token if session else values.pop("csrf_token", ""),
            notices=session.take_notices() if session else [],
            failures=self.failures,
            path=self.request.url.path,
            **values,
        )
        return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)

    def fragment(self, template: str, **values: Any) -> HTMLResponse:
        """Part of a page, for the script that keeps it live."""
        page = self.console.templates.get_template(template).render(
            failures=self.failures, **values
        )
        return HTMLResponse(page, headers=SECURITY_HEADERS)


# No framing (clickjacking) and no script or style from anywhere but the console itself.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def redirect(path: str) -> RedirectResponse:
    """See-other to a console page (after a form)."""
    return RedirectResponse(path if path.startswith(BASE) else BASE + "/", status_code=303)


def refused(reason: str) -> Response:
    """The answer to a forged or unauthenticated form post: nothing was done."""
    return HTMLResponse(
        f"<!doctype html><title>Refused</title><h1>Request refused</h1><p>{reason}</p>",
        status_code=403,
        headers=SECURITY_HEADERS,
    )


def cross_site(request: Request) -> bool:
    """Whether the browser says the request comes from another site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin == "null"
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc != host


async def read_form(request: Request) -> dict[str, str] | None:
    """A url-encoded form (None when too large or not a form)."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip()
    if kind != "application/x-www-form-urlencoded":
        return None
    body = await request.body()
    if len(body) > MAX_FORM:
        return None
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


Handler = Callable[[View], Response]


def page(
    console: Console, handler: Handler, *, signed_in: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    """A console endpoint: session looked up, forms checked against forgery, run in a thread."""

    async def endpoint(request: Request) -> Response:
        session = console.sessions.get(request.cookies.get(COOKIE))
        form: dict[str, str] = {}
        if request.method == "POST":
            if cross_site(request):
                return refused("A form from another site may not act in the console.")
            parsed = await read_form(request)
            if parsed is None:
                return refused("The console accepts only its own forms.")
            form = parsed
            expected = session.csrf_token if session else request.cookies.get(SIGNIN_COOKIE, "")
            given = form.get("csrf_token", "")
            if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
                return refused("The form's security token is missing or stale; reload the page.")
        if signed_in and session is None:
            if request.method == "POST":
                return refused("Sign in first.")
            return redirect(f"{BASE}/signin")
        started = time.perf_counter()
        response = await run_in_threadpool(_run, console, handler, request, session, form)
        # The server's time for the page, for the browser's tools and bench/console_pages.
        elapsed = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
        return response

    return endpoint


def _run(
    console: Console,
    handler: Handler,
    request: Request,
    session: ConsoleSession | None,
    form: dict[str, str],
) -> Response:
    caller = None
    if session is not None:
        client = request.client
        source = client.host if client else "127.0.0.1"
        agent = request.headers.get("user-agent", "")
        try:
            caller = caller_of(console.platform, session.acting, source, agent)
        except SignedOut:
            if session.role is None:
                console.sessions.close(session.id)
                return redirect(f"{BASE}/signin")
            # The role's session ended before the console's: back to the signed-in user.
            session.tell("error", f"The session of {session.role.label} ended.")
            session.role = None
            return redirect(f"{BASE}/")
        if session.must_change_password and request.url.path not in PASSWORD_PATHS:
            return redirect(f"{BASE}/change-password")
    return handler(View(console, request, session, caller, form))


def new_signin_token() -> str:
    """A token for the sign-in form, also set as a cookie (double submit)."""
    return secrets.token_urlsafe(32)
