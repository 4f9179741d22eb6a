"""RetryPolicies: which failures a step retries, and when it runs again.

A policy names exception types, an interval that grows by a backoff rate, and a
limit: MaxAttempts retries, or ExpireAfterMin minutes after the step first
started (exactly one of the two, as the SDK writes them). A job that ends with
`InternalServerError`, `CapacityError` or `ResourceLimitExceeded` in its
FailureReason is a `SageMaker.*` exception; what the user's code or data caused
(AlgorithmError, ClientError) is never retried.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

STEP_TYPES = ("Step.SERVICE_FAULT", "Step.THROTTLING")
JOB_TYPES = ("SageMaker.JOB_INTERNAL_ERROR", "SageMaker.CAPACITY_ERROR", "SageMaker.RESOURCE_LIMIT")
# The step types a retry policy may be set on (Condition and Fail steps have none).
RETRYABLE_STEPS = ("Training", "Processing", "RegisterModel", "CreateModel", "Model")
MAX_ATTEMPTS = 20
MAX_EXPIRE_AFTER_MIN = 14400
_FAILURE_PREFIXES = {
    "InternalServerError": "SageMaker.JOB_INTERNAL_ERROR",
    "CapacityError": "SageMaker.CAPACITY_ERROR",
    "ResourceLimitExceeded": "SageMaker.RESOURCE_LIMIT",
}


def policy_problem(step_type: str, policies: Any) -> str | None:
    """What is wrong with a step's RetryPolicies (for the definition check), or None."""
    if not policies:
        return None
    if step_type not in RETRYABLE_STEPS:
        return f"a {step_type} step cannot have RetryPolicies"
    if not isinstance(policies, list):
        return "RetryPolicies must be a list"
    for index, policy in enumerate(policies):
        where = f"RetryPolicies[{index}]"
        if not isinstance(policy, dict):
            return f"{where} must be an object"
        types = policy.get("ExceptionType")
        if not isinstance(types, list) or not types:
            return f"{where}.ExceptionType must name at least one exception type"
        allowed = STEP_TYPES + (JOB_TYPES if step_type in ("Training", "Processing") else ())
        for name in types:
            if name not in allowed:
                return f"{where}.ExceptionType {name} is not one of {', '.join(allowed)}"
        attempts, expire = policy.get("MaxAttempts"), policy.get("ExpireAfterMin")
        if (attempts is None) == (expire is None):
            return f"{where} needs exactly one of MaxAttempts and ExpireAfterMin"
        if attempts is not None and not (
            isinstance(attempts, int) and 1 <= attempts <= MAX_ATTEMPTS
        ):
            return f"{where}.MaxAttempts must be an integer from 1 to {MAX_ATTEMPTS}"
        if expire is not None and not (
            isinstance(expire, int) and 0 <= expire <= MAX_EXPIRE_AFTER_MIN
        ):
            return f"{where}.ExpireAfterMin must be an integer from 0 to {MAX_EXPIRE_AFTER_MIN}"
        for name in ("IntervalSeconds", "BackoffRate"):
            value = policy.get(name)
            if value is not None and (not isinstance(value, int | float) or value < 0):
                return f"{where}.{name} must be a non-negative number"
    return None


def exception_type(step_type: str, failure_reason: str) -> str | None:
    """The retry exception type of a step's failure, or None when no policy may retry it."""
    if step_type in ("Training", "Processing"):
        for prefix, kind in _FAILURE_PREFIXES.items():
            if failure_reason.startswith(prefix):
                return kind
    return None


def next_attempt(
    policies: list[dict[str, Any]],
    kind: str | None,
    retries: int,
    first_started: datetime,
    now: datetime,
) -> datetime | None:
    """When the step runs again after `retries` retries failed, or None (it fails for good)."""
    if kind is None:
        return None
    for policy in policies:
        if kind not in policy.get("ExceptionType", ()):
            continue
        interval = float(policy.get("IntervalSeconds", 1))
        rate = float(policy.get("BackoffRate", 2.0))
        at = now + timedelta(seconds=interval * rate**retries)
        if policy.get("MaxAttempts") is not None:
            return at if retries < int(policy["MaxAttempts"]) else None
        limit = first_started + timedelta(minutes=int(policy.get("ExpireAfterMin", 0)))
        return at if at <= limit else None
    return None
