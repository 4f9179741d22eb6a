"""The one error model: every failure a client sees is a `ServiceError`.

Protocol serializers turn it into the wire form botocore expects (`__type`,
`<Error><Code>`, `x-amzn-ErrorType`), so clients raise `ClientError` with the
same code and HTTP status AWS would give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ServiceError(Exception):
    """An AWS-shaped error: code, message, HTTP status and who is at fault."""

    code: str = "InternalFailure"
    http_status: int = 500
    sender_fault: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        sender_fault: bool | None = None,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status
        if sender_fault is not None:
            self.sender_fault = sender_fault
        # Extra members of the error shape (e.g. Organizations' `Reason`).
        self.fields: dict[str, Any] = dict(fields or {})
        # Extra response headers (e.g. S3's `x-amz-bucket-region`).
        self.headers: dict[str, str] = dict(headers or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, {self.http_status})"


class ClientFault(ServiceError):
    """Base for errors caused by the request (HTTP 400 unless a subclass says otherwise)."""

    code = "BadRequest"
    http_status = 400
    sender_fault = True


@dataclass(frozen=True)
class Problem:
    """One violated constraint of an input shape.

    `kind` is one of: required, type, min_length, max_length, pattern, enum,
    min_value, max_value. `member` is the AWS-style path (`tags.1.member.key`);
    `text` the full sentence AWS prints for it.
    """

    kind: str
    member: str
    text: str


class ValidationError(ClientFault):
    """Input that does not satisfy the operation's input shape.

    The protocol layer serializes the code per protocol: `ValidationException`
    for JSON services, `ValidationError` for query services.
    """

    code = "ValidationException"

    def __init__(self, problems: list[Problem], **kwargs: Any) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        noun = "error" if count == 1 else "errors"
        message = f"{count} validation {noun} detected: " + "; ".join(p.text for p in self.problems)
        super().__init__(message, **kwargs)


class SerializationError(ClientFault):
    """The body could not be read in the protocol's format."""

    code = "SerializationException"


class UnknownOperationError(ClientFault):
    """The request names an operation the service does not have."""

    code = "UnknownOperationException"
    http_status = 404


class InternalFailure(ServiceError):
    """An unexpected failure inside Airlock; details are in the server log under the request id."""

    code = "InternalFailure"
    http_status = 500


class ServiceUnavailable(ServiceError):
    """Airlock cannot serve the request right now (shutting down, database unreachable)."""

    code = "ServiceUnavailable"
    http_status = 503
