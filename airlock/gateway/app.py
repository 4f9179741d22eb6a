"""The application object: one Airlock instance, built by a factory, no globals."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Literal

import anyio.from_thread
import uvicorn
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from airlock.codebuild import credentials
from airlock.codecommit.git_http import git_routes
from airlock.console import BASE as CONSOLE
from airlock.console import console_routes
from airlock.core.api import WAKE_WORKERS, ServiceApi
from airlock.identity import ACCOUNTS_CHANGED, IdentityService
from airlock.identity.profiles import refresh_profiles
from airlock.platform import Platform
from airlock.platform.blobs import DISCARDED, open_blob_store
from airlock.platform.clock import Clock, SystemClock
from airlock.platform.db import Database, migrate
from airlock.platform.tasks import TASKS_ENQUEUED, Controllers
from airlock.services import SERVICES
from airlock.settings import Settings

from .asgi import held_whole, http_request_of, raw_headers, scope_headers
from .fast import FastLane
from .pipeline import Gateway

log = logging.getLogger("airlock")

FIRST_ACCOUNT_NAME = "management"
FIRST_ACCOUNT_EMAIL = "management@airlock.local"
STREAM_BLOCK = 1024 * 1024
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


class Airlock:
    """One instance: store, controllers and gateway for a state dir."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        apis: Sequence[ServiceApi[Any]] = SERVICES,
    ) -> None:
        settings.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.settings = settings
        db = Database(settings.resolved_database_url)
        migrate(db)
        clock = clock or SystemClock()
        controllers = Controllers(db, clock)
        self.platform = Platform(settings, db, clock, controllers, open_blob_store(settings))
        for api in apis:
            for kind, step in api.steps.items():
                controllers.register(kind, functools.partial(step, self.platform))
        db.on_commit(self._after_commit)
        self.apis = apis
        self.workers = [api.worker(self.platform) for api in apis if api.worker is not None]
        self.bootstrap()
        refresh_profiles(settings, db)
        self.gateway = Gateway(self.platform, apis)

    def bootstrap(self) -> None:
        """Seed what every start needs: the first account (once) and each service's data."""
        with self.platform.db.write() as session:
            identity = IdentityService(session, self.platform.clock)
            if not identity.list_accounts():
                identity.create_account(FIRST_ACCOUNT_NAME, FIRST_ACCOUNT_EMAIL)
            for api in self.apis:
                if api.bootstrap is not None:
                    api.bootstrap(self.platform, session)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(ACCOUNTS_CHANGED, False):
            refresh_profiles(self.settings, self.platform.db)
        for blob_id in session.info.pop(DISCARDED, []):
            self.platform.blobs.delete(blob_id)
        if session.info.pop(WAKE_WORKERS, False):
            for worker in self.workers:
                worker.wake()
        if session.info.pop(TASKS_ENQUEUED, False):
            self.platform.controllers.wake()

    def start(self) -> None:
        """Recover what a crash left, then start background work (controllers)."""
        for api in self.apis:
            if api.on_start is not None:
                api.on_start(self.platform)
        if self.settings.run_controllers:
            self.platform.controllers.start()
            for worker in self.workers:
                worker.start()
        log.info("Airlock serving %s", self.settings.endpoint_url)

    def stop(self) -> None:
        """Stop background work and release the database."""
        self.platform.controllers.stop()
        for worker in self.workers:
            worker.stop()
        self.platform.db.dispose()
        log.info("Airlock stopped")

    async def endpoint(self, request: Request) -> Response:
        """The one HTTP endpoint every service is served on."""
        scope = request.scope
        headers = scope_headers(scope)
        streamed = request.method in ("PUT", "POST") and not held_whole(headers)
        http_request = http_request_of(
            scope,
            headers,
            b"" if streamed else await request.body(),
            _blocking_chunks(request) if streamed else None,
        )
        result = await run_in_threadpool(self.gateway.handle, http_request)
        raw = raw_headers(result)
        response: Response
        if isinstance(result.body, bytes):
            response = Response(status_code=result.status)
            response.body = b"" if request.method == "HEAD" else result.body
        else:
            if request.method == "HEAD":
                _close(result.body)
                response = Response(status_code=result.status)
            else:
                response = StreamingResponse(_closing(result.body), status_code=result.status)
        response.raw_headers = raw
        return response


def _close(chunks: object) -> None:
    closer = getattr(chunks, "close", None)
    if closer is not None:
        closer()


async def _closing(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Chunks read in the thread pool; the source is closed however sending ends."""
    try:
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk
    finally:
        _close(chunks)


def _blocking_chunks(request: Request) -> Iterator[bytes]:
    """The request body as ~1 MiB chunks for the worker thread that handles the request.

    The body is received on the event loop; the worker asks for each chunk in turn,
    so a large upload is never held in memory whole.
    """
    stream = request.stream()

    async def next_block() -> bytes | None:
        pieces: list[bytes] = []
        size = 0
        while size < STREAM_BLOCK:
            try:
                piece = await stream.__anext__()
            except StopAsyncIteration:
                break
            pieces.append(piece)
            size += len(piece)
        return b"".join(pieces) if pieces else None

    while (block := anyio.from_thread.run(next_block)) is not None:
        yield block


def create_app(settings: Settings, *, clock: Clock | None = None) -> Starlette:
    """An ASGI application serving one Airlock instance (`app.state.airlock`)."""
    airlock = Airlock(settings, clock=clock)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        airlock.start()
        try:
            yield
        finally:
            airlock.stop()

    console, console_mount = console_routes(airlock.platform)
    app = Starlette(
        # Builds' container credentials, git's smart HTTP (CodeCommit's
        # `/v1/repos/<name>`) and the console are no AWS wire protocol.
        routes=[
            Route(
                credentials.ROUTE,
                credentials.credentials_endpoint(airlock.platform),
                methods=["GET"],
            ),
            *git_routes(airlock.platform),
            Route(CONSOLE, lambda _: RedirectResponse(CONSOLE + "/"), methods=["GET"]),
            *console_mount,
            Route("/{path:path}", airlock.endpoint, methods=METHODS),
        ],
        middleware=[Middleware(FastLane, gateway=airlock.gateway)],
        lifespan=lifespan,
    )
    app.state.airlock = airlock
    app.state.console = console
    return app


# How long an idle client connection stays open. With uvicorn's own five seconds, a
# client that waited a few seconds on something else (a build, an endpoint) reuses a
# pooled connection as the server closes it, and its request fails with "connection
# closed"; a minute covers the waits of a deployment's polling.
KEEP_ALIVE_SECONDS = 60


def server_config(
    application: Starlette, *, lifespan: Literal["auto", "on", "off"] = "on"
) -> uvicorn.Config:
    """How Airlock is served: quiet, no access log, idle connections kept a minute."""
    return uvicorn.Config(
        application,
        log_level="warning",
        access_log=False,
        lifespan=lifespan,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
