"""Stack set errors, coded and with the HTTP statuses botocore's model gives them."""

from __future__ import annotations

from airlock.core.errors import ClientFault


class StackSetNotFound(ClientFault):
    """No stack set of that name or id."""

    code = "StackSetNotFoundException"
    http_status = 404


class NameAlreadyExists(ClientFault):
    """A stack set of that name exists."""

    code = "NameAlreadyExistsException"
    http_status = 409


class StackSetNotEmpty(ClientFault):
    """The stack set still has instances."""

    code = "StackSetNotEmptyException"
    http_status = 409


class OperationInProgress(ClientFault):
    """Another operation of the stack set is under way."""

    code = "OperationInProgressException"
    http_status = 409


class OperationIdAlreadyExists(ClientFault):
    """An OperationId reused for a different request."""

    code = "OperationIdAlreadyExistsException"
    http_status = 409


class OperationNotFound(ClientFault):
    """No operation of that id."""

    code = "OperationNotFoundException"
    http_status = 404


class StackInstanceNotFound(ClientFault):
    """No instance in that account and region."""

    code = "StackInstanceNotFoundException"
    http_status = 404


class InvalidOperation(ClientFault):
    """The operation cannot be done in the stack set's or operation's state."""

    code = "InvalidOperationException"
