"""The request pipeline: route → authenticate → parse → authorize → operation → serialize."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import OperationalError

from airlock.auth import (
    AuthError,
    AuthFailure,
    AwsChunkedDecoder,
    CheckedBody,
    SignatureInfo,
    auth_error,
    parse_signature,
    verify,
)
from airlock.core.api import ServiceApi
from airlock.core.context import Principal, RequestContext
from airlock.core.errors import (
    InternalFailure,
    ServiceError,
    ServiceUnavailable,
)
from airlock.core.http import Headers, HttpRequest, HttpResponse
from airlock.identity import IdentityService
from airlock.platform import Platform, ids
from airlock.platform.cache import cached, reads_from
from airlock.protocol import (
    find_operation,
    parse_request,
    request_protocol,
    serialize_error,
    serialize_response,
)

from .calls import CallEvent, CallPath, NotImplementedOperation
from .routing import Route, ServiceDirectory

log = logging.getLogger("airlock.gateway")
# The credential behind an access key is read from its row.
reads_from("access_keys")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass
class Trace:
    """What the log line says about a request."""

    service: str = "-"
    operation: str = "-"
    account: str = "-"


class Gateway:
    """Serves every implemented service on one endpoint."""

    def __init__(self, platform: Platform, apis: Sequence[ServiceApi[Any]]) -> None:
        self.platform = platform
        self.directory = ServiceDirectory(apis)
        # Services act as a principal through the same path the gateway runs requests on.
        self.calls = CallPath(platform, self.directory)
        platform.calls = self.calls

    def handle(self, request: HttpRequest) -> HttpResponse:
        """Answer one request; never raises."""
        request_id = ids.request_id()
        started = time.perf_counter()
        trace = Trace()
        route: Route | None = None
        operation: Any = None
        wire: str | None = None  # the protocol the request speaks, once its service is known
        try:
            info = parse_signature(request)
            route = self.directory.route(request, info.service if info else None)
            trace.service = route.api.name
            wire = request_protocol(route.model, request)
            principal, request = self._authenticate(request, info, route)
            if route.family == "s3":
                request = virtual_host_to_path(request, self.platform.settings.host)
            trace.account = principal.account_id
            operation = find_operation(route.model, request)
            trace.operation = operation.name
            response = self._run(request, request_id, route, operation, principal, info)
        except AuthError as error:
            family = route.family if route is not None else "json"
            if error.failure is AuthFailure.SIGNATURE_MISMATCH:
                log.info("signature mismatch (request %s): %s", request_id, error.detail)
            response = self.error(route, operation, auth_error(error, family), request_id, wire)
        except ServiceError as error:
            response = self.error(route, operation, error, request_id, wire)
        except OperationalError:
            log.exception("database unavailable (request %s)", request_id)
            outage = ServiceUnavailable(
                "Airlock cannot reach its database right now; retry the request shortly."
            )
            response = self.error(route, operation, outage, request_id, wire)
        except Exception:
            response = self.internal_failure(route, operation, request_id, wire)
        log_request(request, trace, response.status, started, request_id)
        return response

    def _authenticate(
        self, request: HttpRequest, info: Any, route: Route
    ) -> tuple[Principal, HttpRequest]:
        if info is None:
            raise AuthError(AuthFailure.MISSING, "no Authorization header or presigned query")
        key_id = info.access_key_id
        with self.platform.db.read() as session:
            identity = IdentityService(session, self.platform.clock)
            credential = cached(session, ("key", key_id), lambda: identity.resolve_key(key_id))
        if credential is None or not credential.active:
            raise AuthError(AuthFailure.UNKNOWN_KEY, info.access_key_id)
        if not credential.session_token_matches(info.session_token):
            raise AuthError(AuthFailure.INVALID_TOKEN, info.access_key_id)
        now = self.platform.clock.now()
        if credential.expires_at is not None and now >= credential.expires_at:
            raise AuthError(AuthFailure.EXPIRED_TOKEN, info.access_key_id)
        s3 = route.family == "s3"
        verify(request, info, credential.secret_access_key, now=now, s3=s3)
        if s3:
            request = checked_body(request, info, credential.secret_access_key)
        return credential.principal, request

    def _run(
        self,
        request: HttpRequest,
        request_id: str,
        route: Route,
        operation: Any,
        principal: Principal,
        info: Any,
    ) -> HttpResponse:
        spec = route.api.operations.get(operation.name)
        if spec is None:
            raise NotImplementedOperation(
                f"Airlock does not implement {route.api.name}:{operation.name} yet."
            )
        ctx = self.context(request, request_id, route, principal, info)
        event = CallEvent.of(route, operation.name, spec.readonly)
        output = self.calls.execute(
            route,
            spec,
            ctx,
            event,
            lambda: parse_request(operation, request, required=spec.required),
        )
        return serialize_response(
            operation, output, request_id, request_protocol(route.model, request)
        )

    def context(
        self,
        request: HttpRequest,
        request_id: str,
        route: Route,
        principal: Principal,
        info: SignatureInfo,
    ) -> RequestContext:
        """Who asks, from where, when: what the operation and its authorization see."""
        return RequestContext(
            request_id=request_id,
            account_id=principal.account_id,
            region=info.region or self.platform.settings.region,
            principal=principal,
            source_ip=request.source_ip,
            time=self.platform.clock.now(),
            service=route.api.name,
            user_agent=request.headers.get("user-agent", "") or "",
        )

    def internal_failure(
        self, route: Route | None, operation: Any, request_id: str, protocol: str | None = None
    ) -> HttpResponse:
        """The answer to a request that failed in Airlock itself (logged with its traceback)."""
        log.exception("internal failure (request %s)", request_id)
        failure = InternalFailure(
            f"Airlock failed to process the request; the server log has the details "
            f"under request id {request_id}."
        )
        return self.error(route, operation, failure, request_id, protocol)

    def record_failure(self, event: CallEvent, ctx: RequestContext, error: ServiceError) -> None:
        """Write a refused or failed call to the audit trail."""
        self.calls.record_failure(event, ctx, error)

    def error(
        self,
        route: Route | None,
        operation: Any,
        error: ServiceError,
        request_id: str,
        protocol: str | None = None,
    ) -> HttpResponse:
        """The error's wire form, in the protocol the request speaks (the service's if None)."""
        if route is None:
            return _plain_json_error(error, request_id)
        return serialize_error(route.model, error, request_id, operation, protocol)


def log_request(
    request: HttpRequest, trace: Trace, status: int, started: float, request_id: str
) -> None:
    """The server log's line for one request."""
    log.info(
        "%s %s %s.%s %d %.1fms account=%s request_id=%s",
        request.source_ip,
        request.method,
        trace.service,
        trace.operation,
        status,
        (time.perf_counter() - started) * 1000,
        trace.account,
        request_id,
    )


def checked_body(request: HttpRequest, info: SignatureInfo, secret: str) -> HttpRequest:
    """An S3 request whose body is decoded (aws-chunked) and checked as it is read.

    Checked: chunk signatures, Content-MD5, `x-amz-checksum-*` headers and
    trailers, and for a streamed body the SHA-256 it was signed with (a body
    held whole was hashed by `verify` already).
    """
    chunked = info.payload_hash.startswith("STREAMING-")
    declared = "content-md5" in request.headers or any(
        name.lower().startswith("x-amz-checksum-") for name, _ in request.headers
    )
    if not (request.streaming or chunked or declared):
        return request
    sha256 = (
        info.payload_hash
        if request.streaming
        and not chunked
        and not info.presigned
        and _HEX64.fullmatch(info.payload_hash)
        else None
    )
    source = request.take_stream()
    decoder = AwsChunkedDecoder(source, request, info, secret) if chunked else None
    body = CheckedBody(decoder or source, request.headers, sha256=sha256, decoder=decoder)
    return request.replace(stream=body, body=b"")


def virtual_host_to_path(request: HttpRequest, host: str) -> HttpRequest:
    """`Host: bucket.localhost:4716` + `/key` becomes `/bucket/key` (after signature checks).

    boto3 and the aws CLI address buckets virtual-host style when asked to; the
    bucket is the part of the host name before Airlock's own name.
    """
    name = request.host.rsplit(":", 1)[0].lower() if request.host else ""
    for base in {host.lower(), "localhost"}:
        if name.endswith("." + base):
            bucket = name[: -len(base) - 1]
            path = request.path if request.path.startswith("/") else "/" + request.path
            return request.replace(path=f"/{bucket}{path}" if path != "/" else f"/{bucket}")
    return request


def _plain_json_error(error: ServiceError, request_id: str) -> HttpResponse:
    """An error for a request whose service is unknown: JSON, the most common form."""
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    headers = Headers(
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", error.code),
        ]
    )
    return HttpResponse(error.http_status, headers, body)
