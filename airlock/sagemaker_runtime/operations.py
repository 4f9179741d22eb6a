"""InvokeEndpoint (REST-JSON, `POST /endpoints/{name}/invocations`, signed as `sagemaker`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import anyio.from_thread
from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.errors import ClientFault, ServiceError, ValidationError
from airlock.platform.cache import cached, reads_from
from airlock.platform.clock import Clock
from airlock.sagemaker.hosting.endpoint_operations import find_endpoint
from airlock.sagemaker.hosting.fleet import FLEETS, Fleets, Instance, NoInstance
from airlock.sagemaker.hosting.upstream import NotSent

SERVING = ("InService", "Updating", "SystemUpdating", "RollingBack")
# Where an endpoint serves is read from its row.
reads_from("sagemaker_endpoints")


class RuntimeValidation(ClientFault):
    """`ValidationError` (the runtime's word for a bad request or a missing endpoint)."""

    code = "ValidationError"


class ModelError(ServiceError):
    """`ModelError` (424): the model answered with an error; its status and message travel."""

    code = "ModelError"
    http_status = 424
    sender_fault = True


class ServiceUnavailable(ServiceError):
    """`ServiceUnavailable` (503): no instance can take the request now."""

    code = "ServiceUnavailable"
    http_status = 503


@dataclass
class Runtime:
    """What an invocation needs: the session (to find the endpoint) and the routing table."""

    session: Session
    clock: Clock
    fleets: Fleets | None


def _factory(platform: Any, session: Session) -> Runtime:
    return Runtime(session, platform.clock, platform.runtime.get(FLEETS))


def _invalid(error: ValidationError) -> RuntimeValidation:
    return RuntimeValidation(error.message)


api: ServiceApi[Runtime] = ServiceApi("sagemaker-runtime", _factory, validation_error=_invalid)


def _endpoint_resource(svc: Runtime, ctx: RequestContext, p: Params) -> list[Resource]:
    name = str(p.get("EndpointName", ""))
    return [Resource(f"arn:aws:sagemaker:{ctx.region}:{ctx.account_id}:endpoint/{name.lower()}")]


@dataclass(frozen=True)
class _Serving:
    """What an invocation needs of its endpoint's row."""

    arn: str
    name: str


def _serving_key(ctx: RequestContext, name: str) -> tuple[str, ...]:
    return ("endpoint", ctx.account_id, ctx.region, name.lower())


def _serving(session: Session, ctx: RequestContext, name: str) -> _Serving | None:
    row = find_endpoint(session, ctx.account_id, ctx.region, name)
    if row is None or row.status not in SERVING:
        return None
    return _Serving(row.arn, row.name)


@dataclass(frozen=True)
class _Call:
    """What the instance is sent."""

    body: bytes
    headers: dict[str, str]
    variant: str | None

    @classmethod
    def of(cls, p: Params) -> _Call:
        # The 6 MB limit is the Body shape's: the gateway refuses a larger one before this.
        body = p.get("Body") or b""
        headers = {"Content-Type": p.get("ContentType") or "application/octet-stream"}
        if p.get("Accept"):
            headers["Accept"] = p["Accept"]
        if p.get("CustomAttributes"):
            headers["X-Amzn-SageMaker-Custom-Attributes"] = p["CustomAttributes"]
        return cls(
            body.encode() if isinstance(body, str) else body, headers, p.get("TargetVariant")
        )


@dataclass(frozen=True)
class _Scored:
    """The instance's answer."""

    instance: Instance
    status: int
    headers: dict[str, str]
    data: bytes
    model_us: float


async def invoke_from_memory(platform: Any, ctx: RequestContext, p: Params) -> Output | None:
    """InvokeEndpoint on the event loop when the endpoint is known; None to take the full path."""
    fleets: Fleets | None = platform.runtime.get(FLEETS)
    serving = platform.db.cache.peek(_serving_key(ctx, p["EndpointName"]))
    if not isinstance(serving, _Serving) or fleets is None:
        return None  # not known, or not serving: the full path finds out and says so
    call = _Call.of(p)
    scored = await _score(fleets, serving, call)
    return _answer(fleets, platform.clock, ctx, serving, call, scored, p)


@api.operation(
    "sagemaker:InvokeEndpoint",
    resources=_endpoint_resource,
    name="InvokeEndpoint",
    readonly=True,
    data_event=True,
    fast=invoke_from_memory,
)
def invoke_endpoint(svc: Runtime, ctx: RequestContext, p: Params) -> Output:
    """Score the body on an instance of the endpoint (by variant weight, or TargetVariant).

    The full path (a worker thread, with a transaction): it also fills the cache that
    lets the next call be answered on the event loop (`invoke_from_memory`).
    """
    name = p["EndpointName"]
    serving = cached(svc.session, _serving_key(ctx, name), lambda: _serving(svc.session, ctx, name))
    if serving is None or svc.fleets is None:
        raise RuntimeValidation(f"Endpoint {name} of account {ctx.account_id} not found.")
    call = _Call.of(p)
    scored = anyio.from_thread.run(_score, svc.fleets, serving, call)
    return _answer(svc.fleets, svc.clock, ctx, serving, call, scored, p)


async def _score(fleets: Fleets, serving: _Serving, call: _Call) -> _Scored:
    """The answer of an instance of the endpoint; a request never sent goes to another once."""
    name = serving.name
    tried = None
    for attempt in range(2):
        try:
            instance = fleets.acquire(serving.arn, call.variant, exclude=tried)
        except NoInstance as error:
            if call.variant is not None:
                raise RuntimeValidation(
                    f"Endpoint {name} has no healthy instance of the variant {call.variant}."
                ) from error
            raise ServiceUnavailable(
                f"Endpoint {name} has no healthy instance to take the request; try again."
            ) from error
        try:
            sent = time.perf_counter()
            status, answer, data = await instance.invoke(
                call.body, call.headers, fleets.invoke_timeout
            )
            return _Scored(instance, status, answer, data, (time.perf_counter() - sent) * 1e6)
        except NotSent:
            tried = instance
            if attempt == 1:
                raise ServiceUnavailable(
                    f"Endpoint {name}: no instance accepted the request; try again."
                ) from None
        except TimeoutError as error:
            raise ModelError(
                "Received server error (0) from the model: it did not answer within "
                f"{fleets.invoke_timeout:g} seconds.",
                fields={"OriginalStatusCode": 0, "OriginalMessage": "timeout"},
            ) from error
        except OSError as error:  # the instance went away while it answered
            raise ModelError(
                f"Received server error (0) from the model: {error}",
                fields={"OriginalStatusCode": 0, "OriginalMessage": str(error)},
            ) from error
        finally:
            fleets.release(instance)
    raise AssertionError("unreachable")


def _answer(
    fleets: Fleets,
    clock: Clock,
    ctx: RequestContext,
    serving: _Serving,
    call: _Call,
    scored: _Scored,
    p: Params,
) -> Output:
    """The output (or ModelError) for the instance's answer; metrics and capture recorded."""
    instance, status, data = scored.instance, scored.status, scored.data
    now = clock.now()
    total_us = (now - ctx.time).total_seconds() * 1e6
    fleets.metrics.invocation(
        (ctx.account_id, ctx.region, serving.name, instance.variant),
        now,
        status,
        scored.model_us,
        max(0.0, total_us - scored.model_us),
    )
    if status != 200:
        message = data.decode("utf-8", "replace")
        kind = "client" if 400 <= status < 500 else "server"
        raise ModelError(
            f'Received {kind} error ({status}) from primary with message "{message}". See '
            "the instance's log in the endpoint's state folder for more information.",
            fields={"OriginalStatusCode": status, "OriginalMessage": message},
        )
    answer_type = scored.headers.get("content-type", "application/octet-stream")
    capture = instance.capture
    if capture is not None and capture.sampled():
        content_type = call.headers["Content-Type"]
        line = capture.record(call.body, content_type, data, answer_type, ctx.time)
        fleets.captured.add(capture.target, line)
    out: Output = {
        "Body": data,
        "ContentType": answer_type,
        "InvokedProductionVariant": instance.variant,
    }
    custom = scored.headers.get("x-amzn-sagemaker-custom-attributes") or p.get("CustomAttributes")
    if custom:
        out["CustomAttributes"] = custom
    return out
