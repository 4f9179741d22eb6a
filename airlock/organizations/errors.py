"""Organizations errors, named and worded as AWS Organizations names them."""

from __future__ import annotations

from airlock.core.errors import ClientFault, ValidationError


class OrganizationsError(ClientFault):
    """Base of the Organizations client errors: AWS's message unless one is given."""

    default_message = "The request failed."

    def __init__(self, message: str | None = None, *, reason: str | None = None) -> None:
        super().__init__(
            message or self.default_message, fields={"Reason": reason} if reason else None
        )


class NotInUse(OrganizationsError):
    """`AWSOrganizationsNotInUseException`."""

    code = "AWSOrganizationsNotInUseException"
    default_message = "Your account is not a member of an organization."


class AccessDenied(OrganizationsError):
    """`AccessDeniedException`."""

    code = "AccessDeniedException"
    default_message = "You don't have permissions to access this resource."


class AlreadyInOrganization(OrganizationsError):
    """`AlreadyInOrganizationException`."""

    code = "AlreadyInOrganizationException"
    default_message = "This account is already a member of an organization."


class OrganizationNotEmpty(OrganizationsError):
    """`OrganizationNotEmptyException`."""

    code = "OrganizationNotEmptyException"
    default_message = (
        "The organization isn't empty. To delete an organization, you must first remove "
        "all accounts except the management account."
    )


class OrganizationalUnitNotFound(OrganizationsError):
    """`OrganizationalUnitNotFoundException`."""

    code = "OrganizationalUnitNotFoundException"
    default_message = (
        "We can't find an organizational unit (OU) with the OrganizationalUnitId that you"
        " specified."
    )


class OrganizationalUnitNotEmpty(OrganizationsError):
    """`OrganizationalUnitNotEmptyException`."""

    code = "OrganizationalUnitNotEmptyException"
    default_message = (
        "The specified OU is not empty. Move all accounts to another root or to other "
        "OUs, remove all child OUs, and try the operation again."
    )


class DuplicateOrganizationalUnit(OrganizationsError):
    """`DuplicateOrganizationalUnitException`."""

    code = "DuplicateOrganizationalUnitException"
    default_message = "An OU with the same name already exists."


class ParentNotFound(OrganizationsError):
    """`ParentNotFoundException`."""

    code = "ParentNotFoundException"
    default_message = "We can't find a root or OU with the ParentId that you specified."


class ChildNotFound(OrganizationsError):
    """`ChildNotFoundException`."""

    code = "ChildNotFoundException"
    default_message = (
        "We can't find an organizational unit (OU) or AWS account with the ChildId that "
        "you specified."
    )


class AccountNotFound(OrganizationsError):
    """`AccountNotFoundException`."""

    code = "AccountNotFoundException"
    default_message = (
        "We can't find an AWS account with the AccountId that you specified, or the "
        "account whose credentials you used to make this request isn't a member of an "
        "organization."
    )


class SourceParentNotFound(OrganizationsError):
    """`SourceParentNotFoundException`."""

    code = "SourceParentNotFoundException"
    default_message = "We can't find a source root or OU with the ParentId that you specified."


class DestinationParentNotFound(OrganizationsError):
    """`DestinationParentNotFoundException`."""

    code = "DestinationParentNotFoundException"
    default_message = (
        "We can't find the destination container (a root or OU) with the ParentId that "
        "you specified."
    )


class DuplicateAccount(OrganizationsError):
    """`DuplicateAccountException`."""

    code = "DuplicateAccountException"
    default_message = "That account is already present in the specified destination."


class CreateAccountStatusNotFound(OrganizationsError):
    """`CreateAccountStatusNotFoundException`."""

    code = "CreateAccountStatusNotFoundException"
    default_message = (
        "We can't find an create account request with the CreateAccountRequestId that you"
        " specified."
    )


class MasterCannotLeave(OrganizationsError):
    """`MasterCannotLeaveOrganizationException`."""

    code = "MasterCannotLeaveOrganizationException"
    default_message = (
        "You can't remove a management account from an organization. If you want the "
        "management account to become a member account in another organization, you must "
        "first delete the current organization of the management account."
    )


class ConstraintViolation(OrganizationsError):
    """`ConstraintViolationException`."""

    code = "ConstraintViolationException"
    default_message = "Performing this operation violates a minimum or maximum value limit."


class HandshakeNotFound(OrganizationsError):
    """`HandshakeNotFoundException`."""

    code = "HandshakeNotFoundException"
    default_message = "We can't find a handshake with the HandshakeId that you specified."


class InvalidHandshakeTransition(OrganizationsError):
    """`InvalidHandshakeTransitionException`."""

    code = "InvalidHandshakeTransitionException"
    default_message = (
        "You can't perform the operation on the handshake in its current state. For "
        "example, you can't cancel a handshake that was already accepted or accept a "
        "handshake that was already declined."
    )


class HandshakeConstraintViolation(OrganizationsError):
    """`HandshakeConstraintViolationException`."""

    code = "HandshakeConstraintViolationException"
    default_message = (
        "The requested operation would violate the constraint identified in the reason code."
    )


class DuplicateHandshake(OrganizationsError):
    """`DuplicateHandshakeException`."""

    code = "DuplicateHandshakeException"
    default_message = "A handshake with the same action and target already exists."


class AccountAlreadyRegistered(OrganizationsError):
    """`AccountAlreadyRegisteredException`."""

    code = "AccountAlreadyRegisteredException"
    default_message = (
        "The provided account is already a delegated administrator for your organization."
    )


class AccountNotRegistered(OrganizationsError):
    """`AccountNotRegisteredException`."""

    code = "AccountNotRegisteredException"
    default_message = (
        "The provided account is not a registered delegated administrator for your organization."
    )


class TargetNotFound(OrganizationsError):
    """`TargetNotFoundException`."""

    code = "TargetNotFoundException"
    default_message = (
        "We can't find a root, OU, account, or policy with the TargetId that you specified."
    )


class InvalidInput(OrganizationsError):
    """`InvalidInputException`."""

    code = "InvalidInputException"
    default_message = "The requested operation failed because you provided invalid values."


# AWS Organizations reports schema violations as InvalidInputException with a
# reason code instead of the generic ValidationException.
_REASONS = {
    "required": ("INPUT_REQUIRED", "You must provide a value for a required parameter"),
    "type": ("INVALID_PATTERN", "You provided a value of the wrong type"),
    "pattern": ("INVALID_PATTERN", "You provided a value that does not match the required pattern"),
    "enum": ("INVALID_ENUM", "You specified an invalid value"),
    "min_length": (
        "MIN_LENGTH_EXCEEDED",
        "You provided a string parameter that is shorter than allowed",
    ),
    "max_length": (
        "MAX_LENGTH_EXCEEDED",
        "You provided a string parameter that is longer than allowed",
    ),
    "min_value": (
        "MIN_VALUE_EXCEEDED",
        "You provided a numeric parameter that has a smaller value than allowed",
    ),
    "max_value": (
        "MAX_VALUE_EXCEEDED",
        "You provided a numeric parameter that has a larger value than allowed",
    ),
}


def invalid_input_from(error: ValidationError) -> OrganizationsError:
    """The InvalidInputException AWS Organizations gives for an input-shape violation."""
    first = error.problems[0]
    reason, summary = _REASONS.get(first.kind, ("INVALID_PATTERN", "Invalid input"))
    return InvalidInput(f"{summary}: {first.text}", reason=reason)


def bad_next_token() -> OrganizationsError:
    """The error for a NextToken this service did not hand out."""
    return InvalidInput("The NextToken you provided is not valid.", reason="INVALID_NEXT_TOKEN")


class PolicyNotFound(OrganizationsError):
    """`PolicyNotFoundException`."""

    code = "PolicyNotFoundException"
    default_message = "We can't find a policy with the PolicyId that you specified."


class PolicyTypeNotEnabled(OrganizationsError):
    """`PolicyTypeNotEnabledException`."""

    code = "PolicyTypeNotEnabledException"
    default_message = (
        "This operation can be performed only for enabled policy types. Enable the policy "
        "type on the root first (EnablePolicyType)."
    )


class PolicyTypeAlreadyEnabled(OrganizationsError):
    """`PolicyTypeAlreadyEnabledException`."""

    code = "PolicyTypeAlreadyEnabledException"
    default_message = "The specified policy type is already enabled."


class DuplicatePolicyAttachment(OrganizationsError):
    """`DuplicatePolicyAttachmentException`."""

    code = "DuplicatePolicyAttachmentException"
    default_message = "The selected policy is already attached to the specified target."


class PolicyNotAttached(OrganizationsError):
    """`PolicyNotAttachedException`."""

    code = "PolicyNotAttachedException"
    default_message = "The policy isn't attached to the specified target in the specified root."


class PolicyInUse(OrganizationsError):
    """`PolicyInUseException`."""

    code = "PolicyInUseException"
    default_message = (
        "The policy is attached to one or more entities. You must detach it from all roots, "
        "OUs, and accounts before performing this operation."
    )


class MalformedPolicy(OrganizationsError):
    """`MalformedPolicyDocumentException`."""

    code = "MalformedPolicyDocumentException"
    default_message = "The provided policy document doesn't meet the requirements."
