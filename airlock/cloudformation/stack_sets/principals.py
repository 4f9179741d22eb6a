"""Who a stack set acts as in a target account.

Self-managed: CloudFormation assumes the administration role (its trust policy must
trust `cloudformation.amazonaws.com`), and that role session assumes the execution
role in the target account through the call path, so IAM decides both sides: the
administration role's permissions to call sts:AssumeRole and the execution role's
trust in it. Service-managed: StackSets assumes the organization's service-linked
role in the member account as `member.org.stacksets.cloudformation.amazonaws.com`.
Either way the instance's stack is created with no RoleARN, so the stack engine
makes its resources as that same session, audited in the target account.
"""

from __future__ import annotations

from typing import Any

from airlock.core.calls import acting_context, call
from airlock.core.context import Principal, RequestContext
from airlock.core.errors import ServiceError
from airlock.iam.service import iam_arn
from airlock.organizations import SERVICE_LINKED_ROLES, STACKSETS_MEMBER
from airlock.sts import assume_role_for_service, credentials_principal

from ..stacks import CLOUDFORMATION
from .models import StackSet

SESSION_NAME = "AWSCloudFormationStackSet"
SERVICE_LINKED_ROLE = SERVICE_LINKED_ROLES[STACKSETS_MEMBER]


class TargetRefused(Exception):
    """The stack set cannot act in the target account; the message is the result's reason."""


def stack_set_arn(stack_set: StackSet) -> str:
    """`arn:aws:cloudformation:<region>:<account>:stackset/<name>:<uuid>`."""
    return (
        f"arn:aws:cloudformation:{stack_set.region}:{stack_set.account_id}:"
        f"stackset/{stack_set.stack_set_id}"
    )


def _role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _assumed(
    platform: Any, stack_set: StackSet, service: str, role_arn: str, refusal: str
) -> Principal:
    """A role session `service` gets for the stack set, or TargetRefused(`refusal`)."""
    with platform.db.read() as session:
        try:
            return assume_role_for_service(
                session,
                platform.clock,
                service_principal=service,
                role_arn=role_arn,
                session_name=SESSION_NAME,
                source_account=stack_set.account_id,
                source_arn=stack_set_arn(stack_set),
            )
        except ServiceError as error:
            raise TargetRefused(f"{refusal}{error.message}") from error


def target_context(platform: Any, stack_set: StackSet, account: str, region: str) -> RequestContext:
    """The context of calls in `account` and `region` for the stack set."""
    if stack_set.permission_model == "SERVICE_MANAGED":
        role = iam_arn(
            account, "role", f"/aws-service-role/{STACKSETS_MEMBER}/", SERVICE_LINKED_ROLE
        )
        refusal = (
            f"Account {account} should have '{SERVICE_LINKED_ROLE}' role with trust "
            f"relationship to {STACKSETS_MEMBER}: "
        )
        principal = _assumed(platform, stack_set, STACKSETS_MEMBER, role, refusal)
        return acting_context(
            platform, principal, via=CLOUDFORMATION, service="cloudformation", region=region
        )
    admin_arn = str(stack_set.admin_role_arn)
    execution = str(stack_set.execution_role_name)
    admin = _assumed(
        platform, stack_set, CLOUDFORMATION, admin_arn, f"Could not assume role {admin_arn}: "
    )
    admin_ctx = acting_context(
        platform, admin, via=CLOUDFORMATION, service="cloudformation", region=stack_set.region
    )
    request = {"RoleArn": iam_arn(account, "role", "/", execution), "RoleSessionName": SESSION_NAME}
    try:
        credentials = call(platform, admin_ctx, "sts", "AssumeRole", request)["Credentials"]
    except ServiceError as error:
        raise TargetRefused(
            f"Account {account} should have '{execution}' role with trust relationship to "
            f"Role '{_role_name(admin_arn)}'."
        ) from error
    with platform.db.read() as session:
        principal = credentials_principal(session, platform.clock, credentials["AccessKeyId"])
    return acting_context(
        platform, principal, via=CLOUDFORMATION, service="cloudformation", region=region
    )
