"""SageMaker errors: most refusals are ValidationException, as SageMaker answers them."""

from __future__ import annotations

from airlock.core.errors import ClientFault


class SageMakerValidation(ClientFault):
    """`ValidationException` (SageMaker's answer for missing resources too)."""

    code = "ValidationException"


class ResourceNotFound(ClientFault):
    """`ResourceNotFound`."""

    code = "ResourceNotFound"


class ConflictException(ClientFault):
    """`ConflictException`."""

    code = "ConflictException"


class ResourceLimitExceeded(ClientFault):
    """`ResourceLimitExceeded`."""

    code = "ResourceLimitExceeded"


class ResourceInUse(ClientFault):
    """`ResourceInUse`."""

    code = "ResourceInUse"
