"""The fast lane: a data-plane call answered on the event loop from what is kept in memory.

An operation that declares a `fast` handler (InvokeEndpoint) is answered here
when its caller's key, the caller's standing (policies, organization) and what
the operation itself needs are in the read cache: the same signature check and
the same IAM decision as the full path, without a worker thread or a
transaction. Anything this lane does not know, or any request it would refuse,
goes the full path instead (None), which answers it and fills the cache; so the
errors, their wording and their audit records have one source.
"""

from __future__ import annotations

import logging
import time

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from airlock.auth import AuthError, parse_signature, verify
from airlock.core.errors import ServiceError
from airlock.core.http import HttpRequest, HttpResponse
from airlock.iam.authorizer import Standing, decide, request_keys, standing_key
from airlock.identity.service import Credential
from airlock.platform import ids
from airlock.protocol import find_operation, parse_request, serialize_response

from .asgi import held_whole, http_request_of, raw_headers, scope_headers
from .calls import CallEvent
from .pipeline import Gateway, Trace, log_request
from .routing import Route

log = logging.getLogger("airlock.gateway")


def fast_route(gateway: Gateway, request: HttpRequest) -> Route | None:
    """The service of a request the fast lane may answer (its headers suffice to tell)."""
    try:
        info = parse_signature(request)
        if info is None:
            return None
        route = gateway.directory.route(request, info.service)
    except (AuthError, ServiceError):
        return None
    return route if route.family != "s3" and route.answers_fast else None


async def answer_from_memory(
    gateway: Gateway, request: HttpRequest, route: Route
) -> HttpResponse | None:
    """The response, or None when the request must take the full path (`Gateway.handle`)."""
    started = time.perf_counter()
    platform = gateway.platform
    try:
        info = parse_signature(request)  # again: with the body, whose hash it signs
        if info is None:
            return None
        operation = find_operation(route.model, request)
    except (AuthError, ServiceError):
        return None
    spec = route.api.operations.get(operation.name)
    if spec is None or spec.fast is None:
        return None
    cache = platform.db.cache
    credential = cache.peek(("key", info.access_key_id))
    if not isinstance(credential, Credential) or not credential.active:
        return None
    now = platform.clock.now()
    expired = credential.expires_at is not None and now >= credential.expires_at
    if expired or not credential.session_token_matches(info.session_token):
        return None
    try:
        verify(request, info, credential.secret_access_key, now=now, s3=False)
        params = parse_request(operation, request, required=spec.required)
    except (AuthError, ServiceError):
        return None
    principal = credential.principal
    standing = cache.peek(standing_key(principal))
    if not isinstance(standing, Standing):
        return None
    request_id = ids.request_id()
    ctx = gateway.context(request, request_id, route, principal, info)
    resources = spec.resources(None, ctx, params)
    keys = request_keys(params, spec.condition_keys)
    for action in spec.actions(params):
        for resource in resources:
            if not decide(standing, ctx, action, resource, keys)[1].allowed:
                return None
    trace = Trace(route.api.name, operation.name, principal.account_id)
    try:
        output = await spec.fast(platform, ctx, params)
    except ServiceError as error:
        event = CallEvent.of(route, operation.name, spec.readonly)
        event.params, event.resources = params, resources
        await anyio.to_thread.run_sync(gateway.record_failure, event, ctx, error)
        response = gateway.error(route, operation, error, request_id)
    except Exception:
        response = gateway.internal_failure(route, operation, request_id)
    else:
        if output is None:
            return None
        response = serialize_response(operation, output, request_id)
    log_request(request, trace, response.status, started, request_id)
    return response


class FastLane:
    """ASGI middleware: a POST the fast lane can answer is answered before any routing.

    Anything else (or a POST it cannot answer) goes on to the application with
    its body as received.
    """

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = scope_headers(scope)
        route = fast_route(self.gateway, http_request_of(scope, headers, b"", None))
        if route is None or not held_whole(headers):  # the body is left for the application
            await self.app(scope, receive, send)
            return
        pieces: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            pieces.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(pieces)
        request = http_request_of(scope, headers, body, None)
        result = await answer_from_memory(self.gateway, request, route)
        if result is None:
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.app(scope, replay, send)
            return
        assert isinstance(result.body, bytes)
        start = {"type": "http.response.start", "status": result.status}
        await send({**start, "headers": raw_headers(result)})
        await send({"type": "http.response.body", "body": result.body})
