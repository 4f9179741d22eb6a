"""What the CloudFormation action types share: calls as the action's role, idempotency
keys from the job, and failures as CodePipeline reports them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from airlock.core.api import Output, Params
from airlock.core.calls import call
from airlock.core.errors import ServiceError
from airlock.core.pipeline_actions import ActionJob, ActionOutcome, ConfigurationProperty

from .artifacts import ConfigurationError


def cfn(platform: Any, job: ActionJob, operation: str, params: Params) -> Output:
    """A CloudFormation operation as the action's role, through the call path."""
    return call(platform, job.ctx, "cloudformation", operation, params)


def key(job: ActionJob, purpose: str) -> str:
    """An idempotency key (ClientRequestToken, OperationId) for one call of this job.

    The same for every repeat of a step of the same action execution, new for a retry;
    derived so it fits CloudFormation's `[a-zA-Z][-a-zA-Z0-9]*` whatever the job id is.
    """
    return f"{purpose}-{uuid.uuid5(uuid.NAMESPACE_URL, 'codepipeline/' + job.job_id)}"


def error_outcome(error: ServiceError, **extra: Any) -> ActionOutcome:
    """A call's refusal as the action's failure: a denial is a PermissionError."""
    detail = (
        f"{error.message} (Service: AmazonCloudFormation; Status Code: {error.http_status}; "
        f"Error Code: {error.code})"
    )
    code = "PermissionError" if error.code.startswith("AccessDenied") else "JobFailed"
    return ActionOutcome.failed(detail, code, **extra)


def guarded(
    step: Callable[[Any, ActionJob], ActionOutcome], platform: Any, job: ActionJob
) -> ActionOutcome:
    """Run a step; a configuration or call error is the action's failure."""
    try:
        return step(platform, job)
    except ConfigurationError as error:
        return ActionOutcome.failed(str(error), "ConfigurationError", state=dict(job.state))
    except ServiceError as error:
        return error_outcome(error, state=dict(job.state))


def required(configuration: Mapping[str, str], *names: str) -> str | None:
    """Why a configuration lacks a required key, or None."""
    for name in names:
        if not (configuration.get(name) or "").strip():
            return f"Action configuration is missing the required key {name}"
    return None


def properties(
    required_names: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[ConfigurationProperty, ...]:
    """The configuration properties of an action type, required ones first."""
    return tuple(ConfigurationProperty(n, required=True) for n in required_names) + tuple(
        ConfigurationProperty(n) for n in optional
    )


def positive_int(configuration: Mapping[str, str], name: str) -> int | None:
    """An integer configuration value, or None when absent."""
    value = (configuration.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ConfigurationError(f"{name} must be a whole number, not '{value}'")
    return int(value)
