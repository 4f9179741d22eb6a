"""A stack's template evaluated for it, and how a failed step reads in its event."""

from __future__ import annotations

from typing import Any

from airlock.core.errors import ServiceError
from airlock.core.resources import ProviderContext, ResourceFailed

from .models import Stack
from .template import Plan, plan


def pseudo_parameters(
    account: str, region: str, name: str, stack_id: str, notification_arns: list[str]
) -> dict[str, Any]:
    """The pseudo parameters' values for a stack."""
    return {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::StackName": name,
        "AWS::StackId": stack_id,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::NotificationARNs": list(notification_arns),
    }


def plan_of(
    stack: Stack, template: dict[str, Any], parameters: dict[str, Any] | None = None
) -> Plan:
    """`template` evaluated with the stack's parameters (or those given) and pseudo parameters."""
    pseudo = pseudo_parameters(
        stack.account_id, stack.region, stack.name, stack.stack_id, stack.notification_arns
    )
    return plan(template, stack.parameters if parameters is None else parameters, pseudo)


_SERVICE_NAMES = {
    "iam": "Iam",
    "s3": "S3",
    "logs": "CloudWatchLogs",
    "events": "EventBridge",
    "sagemaker": "SageMaker",
    "sts": "Sts",
}


def failure_reason(pc: ProviderContext, error: ServiceError | ResourceFailed) -> str:
    """The event's reason for a step that failed: the call that failed and its error.

    Worded as CloudFormation's resource handlers word it, so what people search
    for (the service's message and error code) is there.
    """
    if isinstance(error, ResourceFailed):
        return str(error)
    service, operation = pc.last_call
    shown = _SERVICE_NAMES.get(service, service)
    return (
        f'Resource handler returned message: "{error.message} (Service: {shown}, '
        f'Status Code: {error.http_status}, Request ID: {pc.ctx.request_id})" '
        f"(RequestToken: {pc.stack_id.rsplit('/', 1)[-1]}-{pc.logical_id}, "
        f"HandlerErrorCode: {_handler_code(error)}, Operation: {operation})"
    )


def _handler_code(error: ServiceError) -> str:
    code = error.code
    if "AccessDenied" in code:
        return "AccessDenied"
    if "AlreadyExists" in code or code in ("BucketAlreadyOwnedByYou", "EntityAlreadyExists"):
        return "AlreadyExists"
    if "NotFound" in code or code.startswith("NoSuch"):
        return "NotFound"
    if error.sender_fault:
        return "InvalidRequest"
    return "GeneralServiceException"
