"""Service control policies: written here, enforced by IAM on every member-account call."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import delete, select

from airlock.core.context import RequestContext
from airlock.iam.policy import MalformedPolicyDocument, PolicyKind, parse_policy
from airlock.iam.policy.document import policy_size
from airlock.platform import ids

from . import errors
from .models import (
    Membership,
    Organization,
    OrganizationalUnit,
    OrgPolicy,
    OrgPolicyTarget,
    OrgPolicyType,
    OrgRoot,
)
from .service import FULL_ACCESS_ID, SCP, OrganizationsService

SCP_SIZE_LIMIT = 5120
FULL_ACCESS = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    indent=4,
)


def policy_arn(org: Organization, policy: OrgPolicy) -> str:
    """A policy's ARN (AWS managed policies live under the `aws` account)."""
    if policy.aws_managed:
        return f"arn:aws:organizations::aws:policy/service_control_policy/{policy.id}"
    return (
        f"arn:aws:organizations::{org.management_account_id}:policy/{org.id}/"
        f"service_control_policy/{policy.id}"
    )


def _check_type(policy_type: str) -> None:
    if policy_type != SCP:
        raise errors.InvalidInput(
            f"Airlock supports only SERVICE_CONTROL_POLICY policies, not {policy_type}.",
            reason="INVALID_ENUM_POLICY_TYPE",
        )


def _check_content(content: str) -> None:
    try:
        parse_policy(content, PolicyKind.SCP)
    except MalformedPolicyDocument as error:
        raise errors.MalformedPolicy(error.message) from error
    if policy_size(content) > SCP_SIZE_LIMIT:
        raise errors.ConstraintViolation(
            f"A service control policy can hold at most {SCP_SIZE_LIMIT} characters.",
            reason="POLICY_CONTENT_LIMIT_EXCEEDED",
        )


def _root(svc: OrganizationsService, org: Organization, root_id: str) -> OrgRoot:
    root = svc.session.get(OrgRoot, root_id)
    if root is None or root.organization_id != org.id:
        raise errors.InvalidInput("We can't find a root with the RootId that you specified.")
    return root


def enabled(svc: OrganizationsService, org: Organization) -> bool:
    """Whether SCPs are enabled on the organization's root."""
    return svc.session.get(OrgPolicyType, (svc.roots(org)[0].id, SCP)) is not None


def enable_type(
    svc: OrganizationsService, ctx: RequestContext, root_id: str, policy_type: str
) -> tuple[Organization, OrgRoot]:
    """Enable SCPs: FullAWSAccess is attached to the root, every OU and every account."""
    org = svc.managed_org(ctx)
    _check_type(policy_type)
    root = _root(svc, org, root_id)
    if svc.session.get(OrgPolicyType, (root.id, SCP)) is not None:
        raise errors.PolicyTypeAlreadyEnabled()
    svc.session.add(OrgPolicyType(root_id=root.id, type=SCP))
    if svc.session.get(OrgPolicy, (org.id, FULL_ACCESS_ID)) is None:
        svc.session.add(
            OrgPolicy(
                organization_id=org.id,
                id=FULL_ACCESS_ID,
                name="FullAWSAccess",
                description="Allows access to every operation",
                type=SCP,
                content=FULL_ACCESS,
                aws_managed=True,
            )
        )
    svc.session.flush()
    targets = [root.id]
    targets += svc.session.scalars(
        select(OrganizationalUnit.id).where(OrganizationalUnit.organization_id == org.id)
    ).all()
    targets += svc.session.scalars(
        select(Membership.account_id).where(Membership.organization_id == org.id)
    ).all()
    for target in targets:
        svc.attach_default_scp(org, target)
    return org, root


def disable_type(
    svc: OrganizationsService, ctx: RequestContext, root_id: str, policy_type: str
) -> tuple[Organization, OrgRoot]:
    """Disable SCPs: every attachment is removed."""
    org = svc.managed_org(ctx)
    _check_type(policy_type)
    root = _root(svc, org, root_id)
    row = svc.session.get(OrgPolicyType, (root.id, SCP))
    if row is None:
        raise errors.PolicyTypeNotEnabled()
    svc.session.delete(row)
    svc.session.execute(delete(OrgPolicyTarget).where(OrgPolicyTarget.organization_id == org.id))
    svc.session.flush()
    return org, root


def root_policy_types(svc: OrganizationsService, root: OrgRoot) -> list[dict[str, str]]:
    """The `PolicyTypes` of a root."""
    rows = svc.session.scalars(select(OrgPolicyType).where(OrgPolicyType.root_id == root.id))
    return [{"Type": r.type, "Status": "ENABLED"} for r in rows]


def create(
    svc: OrganizationsService,
    ctx: RequestContext,
    name: str,
    description: str,
    content: str,
    policy_type: str,
) -> tuple[Organization, OrgPolicy]:
    """A customer SCP."""
    org = svc.managed_org(ctx)
    _check_type(policy_type)
    _check_content(content)
    policy = OrgPolicy(
        organization_id=org.id,
        id="p-" + ids.lower_id(8),
        name=name,
        description=description,
        type=policy_type,
        content=content,
    )
    svc.session.add(policy)
    svc.session.flush()
    return org, policy


def get(svc: OrganizationsService, org: Organization, policy_id: str) -> OrgPolicy:
    """A policy of the organization, or PolicyNotFoundException."""
    policy = svc.session.get(OrgPolicy, (org.id, policy_id))
    if policy is None:
        raise errors.PolicyNotFound()
    return policy


def _customer(svc: OrganizationsService, org: Organization, policy_id: str) -> OrgPolicy:
    policy = get(svc, org, policy_id)
    if policy.aws_managed:
        raise errors.AccessDenied("You can't change or delete an AWS managed policy.")
    return policy


def update(
    svc: OrganizationsService,
    ctx: RequestContext,
    policy_id: str,
    name: str | None,
    description: str | None,
    content: str | None,
) -> tuple[Organization, OrgPolicy]:
    """Change a customer SCP."""
    org = svc.managed_org(ctx)
    policy = _customer(svc, org, policy_id)
    if content is not None:
        _check_content(content)
        policy.content = content
    if name is not None:
        policy.name = name
    if description is not None:
        policy.description = description
    svc.session.flush()
    return org, policy


def delete_policy(svc: OrganizationsService, ctx: RequestContext, policy_id: str) -> None:
    """Delete a detached customer SCP."""
    org = svc.managed_org(ctx)
    policy = _customer(svc, org, policy_id)
    if targets_of(svc, org, policy_id):
        raise errors.PolicyInUse()
    svc.session.delete(policy)
    svc.session.flush()


def listed(
    svc: OrganizationsService, ctx: RequestContext, policy_type: str
) -> tuple[Organization, Sequence[OrgPolicy]]:
    """Policies of a type, by name."""
    org = svc.managed_org(ctx)
    _check_type(policy_type)
    rows = svc.session.scalars(
        select(OrgPolicy).where(OrgPolicy.organization_id == org.id).order_by(OrgPolicy.name)
    ).all()
    return org, rows


def attach(svc: OrganizationsService, ctx: RequestContext, policy_id: str, target_id: str) -> None:
    """Attach an SCP to a root, OU or account."""
    org = svc.managed_org(ctx)
    get(svc, org, policy_id)
    svc.check_taggable(org, target_id)
    if not enabled(svc, org):
        raise errors.PolicyTypeNotEnabled()
    if svc.session.get(OrgPolicyTarget, (org.id, policy_id, target_id)) is not None:
        raise errors.DuplicatePolicyAttachment()
    svc.session.add(
        OrgPolicyTarget(organization_id=org.id, policy_id=policy_id, target_id=target_id)
    )
    svc.session.flush()


def detach(svc: OrganizationsService, ctx: RequestContext, policy_id: str, target_id: str) -> None:
    """Detach an SCP; every target keeps at least one, as AWS requires."""
    org = svc.managed_org(ctx)
    get(svc, org, policy_id)
    svc.check_taggable(org, target_id)
    row = svc.session.get(OrgPolicyTarget, (org.id, policy_id, target_id))
    if row is None:
        raise errors.PolicyNotAttached()
    if len(policies_of(svc, org, target_id)) == 1:
        raise errors.ConstraintViolation(
            "You can't detach the last service control policy from a root, OU or account; "
            "attach another one first.",
            reason="MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
        )
    svc.session.delete(row)
    svc.session.flush()


def policies_of(
    svc: OrganizationsService, org: Organization, target_id: str
) -> Sequence[OrgPolicy]:
    """SCPs attached directly to a target."""
    return svc.session.scalars(
        select(OrgPolicy)
        .join(
            OrgPolicyTarget,
            (OrgPolicyTarget.policy_id == OrgPolicy.id)
            & (OrgPolicyTarget.organization_id == OrgPolicy.organization_id),
        )
        .where(OrgPolicy.organization_id == org.id, OrgPolicyTarget.target_id == target_id)
        .order_by(OrgPolicy.name)
    ).all()


def targets_of(svc: OrganizationsService, org: Organization, policy_id: str) -> list[str]:
    """Ids of the roots, OUs and accounts a policy is attached to."""
    return list(
        svc.session.scalars(
            select(OrgPolicyTarget.target_id).where(
                OrgPolicyTarget.organization_id == org.id, OrgPolicyTarget.policy_id == policy_id
            )
        )
    )


def scp_levels(svc: OrganizationsService, account_id: str) -> list[list[str]] | None:
    """SCP documents per level (root, OUs top-down, account) for a member account.

    None when SCPs do not apply: no organization, SCPs not enabled, or the
    management account (which SCPs never restrict).
    """
    org = svc.organization_of(account_id)
    if org is None or org.management_account_id == account_id or not enabled(svc, org):
        return None
    path = [account_id]
    node = svc.parent_of(org, account_id)
    while True:
        path.append(node)
        if node.startswith("r-"):
            break
        node = svc.parent_of(org, node)
    return [[p.content for p in policies_of(svc, org, target)] for target in reversed(path)]
