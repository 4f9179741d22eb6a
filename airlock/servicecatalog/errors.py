"""Service Catalog's errors, named as Service Catalog names them."""

from __future__ import annotations

from airlock.core.errors import ClientFault


class ResourceNotFound(ClientFault):
    """`ResourceNotFoundException`: the portfolio, product, record… does not exist here."""

    code = "ResourceNotFoundException"


class InvalidParameters(ClientFault):
    """`InvalidParametersException`: the input is well-formed but cannot be used."""

    code = "InvalidParametersException"


class DuplicateResource(ClientFault):
    """`DuplicateResourceException`: the resource exists already."""

    code = "DuplicateResourceException"


class InvalidState(ClientFault):
    """`InvalidStateException`: the resource is not in a state that allows the call."""

    code = "InvalidStateException"


class ResourceInUse(ClientFault):
    """`ResourceInUseException`: other resources still depend on this one."""

    code = "ResourceInUseException"


class OperationNotSupported(ClientFault):
    """`OperationNotSupportedException`: the call is not possible in this setup."""

    code = "OperationNotSupportedException"
