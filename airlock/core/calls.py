"""Acting as a principal: how a service calls another service's operations.

A service that acts for someone (a pipeline step as the pipeline's role, a stack's
resources as CloudFormation's role) calls the operation through the platform's call
path, which validates, authorizes, audits and runs it exactly as the gateway does
for a request. Nothing acts around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from airlock.core.api import Output, Params
from airlock.core.context import Principal, RequestContext
from airlock.platform import ids

if TYPE_CHECKING:
    from airlock.core.pipeline_actions import ActionProvider
    from airlock.core.resources import ResourceType


class CallPath(Protocol):
    """What the gateway installs as `platform.calls`."""

    # Every service's CloudFormation resource types, by type name.
    resource_types: Mapping[str, ResourceType]
    # Every service's CodePipeline action types, by `action_key`.
    pipeline_actions: Mapping[str, ActionProvider]

    def call(
        self,
        ctx: RequestContext,
        service: str,
        operation: str,
        params: Params,
        *,
        within: Callable[[Session, Output], None] | None = None,
        effect: Callable[[Any, Params], Output] | None = None,
    ) -> Output: ...


def acting_context(
    platform: Any, principal: Principal, *, via: str, service: str, region: str | None = None
) -> RequestContext:
    """The context of calls `via` a service (`sagemaker.amazonaws.com`) as `principal`.

    As in CloudTrail, the acting service is the call's source address and user agent,
    `aws:CalledVia` names it and the trail records it as `invokedBy`.
    """
    return RequestContext(
        request_id=ids.request_id(),
        account_id=principal.account_id,
        region=region or platform.settings.region,
        principal=principal,
        source_ip=via,
        time=platform.clock.now(),
        service=service,
        user_agent=via,
        called_via=(via,),
    )


def caller_context(
    platform: Any, principal: Principal, *, service: str, source_ip: str, user_agent: str
) -> RequestContext:
    """The context of a call `principal` makes itself (through git's HTTP, the console)."""
    return RequestContext(
        request_id=ids.request_id(),
        account_id=principal.account_id,
        region=platform.settings.region,
        principal=principal,
        source_ip=source_ip,
        time=platform.clock.now(),
        service=service,
        user_agent=user_agent,
    )


def call(
    platform: Any,
    ctx: RequestContext,
    service: str,
    operation: str,
    params: Params,
    *,
    within: Callable[[Session, Output], None] | None = None,
    effect: Callable[[Any, Params], Output] | None = None,
) -> Output:
    """Run `service:operation` as `ctx.principal` through the platform's call path.

    `within(session, output)` runs in the operation's write transaction, so what the
    acting service records about the call commits with it. `effect(service, params)`
    takes the handler's place for a service passing on what it holds (see the gateway's
    `Effect`): IAM and the trail see the operation. Raises the ServiceError an API caller
    would get (AccessDenied, ValidationException, the operation's own).
    """
    calls: CallPath | None = platform.calls
    if calls is None:
        raise RuntimeError("no call path installed: build the platform with the gateway")
    return calls.call(ctx, service, operation, params, within=within, effect=effect)


def resource_types(platform: Any) -> Mapping[str, ResourceType]:
    """The CloudFormation resource types the implemented services provide, by type name."""
    calls: CallPath | None = platform.calls
    if calls is None:
        raise RuntimeError("no call path installed: build the platform with the gateway")
    return calls.resource_types
