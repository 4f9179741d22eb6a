"""CloudWatch's errors, coded as AWS codes them (the query protocol's codes)."""

from __future__ import annotations

from airlock.core.errors import ClientFault, ServiceError, ValidationError


class InvalidParameterValue(ClientFault):
    """`InvalidParameterValue`: a parameter's value is out of its range."""

    code = "InvalidParameterValue"


class InvalidParameterCombination(ClientFault):
    """`InvalidParameterCombination`: parameters that may not go together (or one of two
    missing)."""

    code = "InvalidParameterCombination"


class MissingParameter(ClientFault):
    """`MissingParameter`: a required parameter is absent."""

    code = "MissingParameter"


class InvalidNextToken(ClientFault):
    """`InvalidNextToken`: a NextToken this service did not give out."""

    code = "InvalidNextToken"


def _aws_name(member: str) -> str:
    """`dimensions.1.member.value` as CloudWatch names it: `Dimensions.1.member.Value`."""
    return ".".join(
        part if part == "member" or part.isdigit() else part[:1].upper() + part[1:]
        for part in member.split(".")
    )


def validation_error(error: ValidationError) -> ServiceError:
    """An input-shape violation as CloudWatch answers it: a missing member is
    `MissingParameter` ("The parameter Namespace is required."), anything else
    `ValidationError` with Coral's wording."""
    for problem in error.problems:
        if problem.kind == "required":
            return MissingParameter(f"The parameter {_aws_name(problem.member)} is required.")
    return ClientFault(error.message, code="ValidationError")
