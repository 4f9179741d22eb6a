"""IAM errors, with the codes and HTTP statuses of the IAM API."""

from __future__ import annotations

from airlock.core.errors import ClientFault


class NoSuchEntity(ClientFault):
    """`NoSuchEntity` (404)."""

    code = "NoSuchEntity"
    http_status = 404


class EntityAlreadyExists(ClientFault):
    """`EntityAlreadyExists` (409)."""

    code = "EntityAlreadyExists"
    http_status = 409


class DeleteConflict(ClientFault):
    """`DeleteConflict` (409)."""

    code = "DeleteConflict"
    http_status = 409


class LimitExceeded(ClientFault):
    """`LimitExceeded` (409)."""

    code = "LimitExceeded"
    http_status = 409


class InvalidInput(ClientFault):
    """`InvalidInput` (400)."""

    code = "InvalidInput"


class PolicyNotAttachable(ClientFault):
    """`PolicyNotAttachable` (400)."""

    code = "PolicyNotAttachable"


class PasswordPolicyViolation(ClientFault):
    """`PasswordPolicyViolation` (400)."""

    code = "PasswordPolicyViolation"


class InvalidUserType(ClientFault):
    """`InvalidUserType` (400)."""

    code = "InvalidUserType"
