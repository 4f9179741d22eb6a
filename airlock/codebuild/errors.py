"""CodeBuild's errors, named and worded as CodeBuild answers them."""

from __future__ import annotations

from airlock.core.errors import ClientFault, ValidationError


class ResourceNotFound(ClientFault):
    """`ResourceNotFoundException`: the project or build does not exist."""

    code = "ResourceNotFoundException"


class ResourceAlreadyExists(ClientFault):
    """`ResourceAlreadyExistsException`: a project of that name exists."""

    code = "ResourceAlreadyExistsException"


class InvalidInput(ClientFault):
    """`InvalidInputException`: the input is well-formed but CodeBuild cannot use it."""

    code = "InvalidInputException"


class AccountLimitExceeded(ClientFault):
    """`AccountLimitExceededException`: a quota of the account was reached."""

    code = "AccountLimitExceededException"


def validation_error(error: ValidationError) -> InvalidInput:
    """Shape violations: CodeBuild answers them as InvalidInputException."""
    return InvalidInput(error.message)
