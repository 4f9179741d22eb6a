"""CloudFormation's errors, named and coded as AWS names them (query protocol)."""

from __future__ import annotations

from airlock.core.errors import ClientFault, ValidationError


class CloudFormationValidation(ClientFault):
    """`ValidationError`: CloudFormation's code for bad input and bad templates."""

    code = "ValidationError"


class AlreadyExists(ClientFault):
    """A stack or change set of that name exists."""

    code = "AlreadyExistsException"


class InsufficientCapabilities(ClientFault):
    """The template needs capabilities the call did not acknowledge."""

    code = "InsufficientCapabilitiesException"


class ChangeSetNotFound(ClientFault):
    """No change set of that name or ARN."""

    code = "ChangeSetNotFound"
    http_status = 404


class InvalidChangeSetStatus(ClientFault):
    """The change set cannot be executed or deleted in its status."""

    code = "InvalidChangeSetStatus"


class TokenAlreadyExists(ClientFault):
    """A ClientRequestToken reused for another request."""

    code = "TokenAlreadyExistsException"


def validation_error(error: ValidationError) -> ClientFault:
    """An input-shape violation as CloudFormation answers it."""
    return CloudFormationValidation(error.message)
