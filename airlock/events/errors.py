"""EventBridge errors, as EventBridge names them."""

from __future__ import annotations

from airlock.core.errors import ClientFault


class ResourceNotFound(ClientFault):
    """`ResourceNotFoundException`."""

    code = "ResourceNotFoundException"


class ResourceAlreadyExists(ClientFault):
    """`ResourceAlreadyExistsException`."""

    code = "ResourceAlreadyExistsException"


class EventsValidation(ClientFault):
    """`ValidationException`."""

    code = "ValidationException"


class InvalidEventPattern(ClientFault):
    """`InvalidEventPatternException`."""

    code = "InvalidEventPatternException"


class LimitExceeded(ClientFault):
    """`LimitExceededException`."""

    code = "LimitExceededException"
