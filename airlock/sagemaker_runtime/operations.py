"""InvokeEndpoint (REST-JSON, `POST /endpoints/{name}/invocations`, signed as `sagemaker`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from airlock.core.api import Output, Params, Resource, ServiceApi
from airlock.core.context import RequestContext
from airlock.core.errors import ClientFault, ServiceError, ValidationError
from airlock.platform.clock import Clock
from airlock.sagemaker.hosting.endpoint_operations import find_endpoint
from airlock.sagemaker.hosting.fleet import FLEETS, Fleets, NoInstance, NotSent

SERVING = ("InService", "Updating", "SystemUpdating", "RollingBack")


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


@api.operation(
    "sagemaker:InvokeEndpoint",
    resources=_endpoint_resource,
    name="InvokeEndpoint",
    readonly=True,
    data_event=True,
)
def invoke_endpoint(svc: Runtime, ctx: RequestContext, p: Params) -> Output:
    """Score the body on an instance of the endpoint (by variant weight, or TargetVariant)."""
    name = p["EndpointName"]
    row = find_endpoint(svc.session, ctx.account_id, ctx.region, name)
    if row is None or row.status not in SERVING or svc.fleets is None:
        raise RuntimeValidation(f"Endpoint {name} of account {ctx.account_id} not found.")
    # The 6 MB limit is the Body shape's: the gateway refuses a larger one before this.
    body = p.get("Body") or b""
    if isinstance(body, str):
        body = body.encode()
    variant = p.get("TargetVariant")
    headers = {"Content-Type": p.get("ContentType") or "application/octet-stream"}
    if p.get("Accept"):
        headers["Accept"] = p["Accept"]
    if p.get("CustomAttributes"):
        headers["X-Amzn-SageMaker-Custom-Attributes"] = p["CustomAttributes"]
    tried = None
    for attempt in range(2):  # a request that never reached an instance goes to another once
        try:
            instance = svc.fleets.acquire(row.arn, variant, exclude=tried)
        except NoInstance as error:
            if variant is not None:
                raise RuntimeValidation(
                    f"Endpoint {name} has no healthy instance of the variant {variant}."
                ) from error
            raise ServiceUnavailable(
                f"Endpoint {name} has no healthy instance to take the request; try again."
            ) from error
        try:
            sent = time.perf_counter()
            status, answer, data = instance.invoke(body, headers)
            model_us = (time.perf_counter() - sent) * 1e6
            break
        except NotSent:
            tried = instance
            if attempt == 1:
                raise ServiceUnavailable(
                    f"Endpoint {name}: no instance accepted the request; try again."
                ) from None
        except TimeoutError as error:
            raise ModelError(
                "Received server error (0) from the model: it did not answer within 60 seconds.",
                fields={"OriginalStatusCode": 0, "OriginalMessage": "timeout"},
            ) from error
        except OSError as error:  # the instance went away while it answered
            raise ModelError(
                f"Received server error (0) from the model: {error}",
                fields={"OriginalStatusCode": 0, "OriginalMessage": str(error)},
            ) from error
        finally:
            svc.fleets.release(instance)
    now = svc.clock.now()
    total_us = (now - ctx.time).total_seconds() * 1e6
    svc.fleets.metrics.invocation(
        (ctx.account_id, ctx.region, row.name, instance.variant),
        now,
        status,
        model_us,
        max(0.0, total_us - model_us),
    )
    if status != 200:
        message = data.decode("utf-8", "replace")
        kind = "client" if 400 <= status < 500 else "server"
        raise ModelError(
            f'Received {kind} error ({status}) from primary with message "{message}". See '
            "the instance's log in the endpoint's state folder for more information.",
            fields={"OriginalStatusCode": status, "OriginalMessage": message},
        )
    capture = instance.capture
    if capture is not None and capture.sampled():
        answer_type = answer.get("content-type", "application/octet-stream")
        line = capture.record(body, headers["Content-Type"], data, answer_type, ctx.time)
        svc.fleets.captured.add(capture.target, line)
    out: Output = {
        "Body": data,
        "ContentType": answer.get("content-type", "application/octet-stream"),
        "InvokedProductionVariant": instance.variant,
    }
    custom = answer.get("x-amzn-sagemaker-custom-attributes") or p.get("CustomAttributes")
    if custom:
        out["CustomAttributes"] = custom
    return out
